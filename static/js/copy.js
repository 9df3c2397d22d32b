// "Copy" buttons: copy the text of the element named by data-copy-target.
// Its words come from the translation catalogue (/jsi18n/<language>/), loaded first.
(function () {
  "use strict";
  var gettext = window.gettext || function (text) { return text; };
  var copied = gettext("Link copied.");
  var failed = gettext("Copy did not work: select the link and copy it.");
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var target = document.getElementById(button.getAttribute("data-copy-target"));
      var status = document.getElementById(button.getAttribute("data-copy-status"));
      var text = target.value || target.textContent.trim();
      function done(message) { if (status) { status.textContent = message; } }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(
          function () { done(copied); },
          function () { target.select && target.select(); done(failed); }
        );
      } else {
        if (target.select) { target.select(); }
        try { document.execCommand("copy"); done(copied); }
        catch (e) { done(failed); }
      }
    });
  });
})();
