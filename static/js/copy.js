// "Copy" buttons: copy the text of the element named by data-copy-target.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var target = document.getElementById(button.getAttribute("data-copy-target"));
      var status = document.getElementById(button.getAttribute("data-copy-status"));
      var text = target.value || target.textContent.trim();
      function done(message) { if (status) { status.textContent = message; } }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(
          function () { done(button.getAttribute("data-copied")); },
          function () { target.select && target.select(); done(button.getAttribute("data-failed")); }
        );
      } else {
        if (target.select) { target.select(); }
        try { document.execCommand("copy"); done(button.getAttribute("data-copied")); }
        catch (e) { done(button.getAttribute("data-failed")); }
      }
    });
  });
})();
