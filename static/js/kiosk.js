// Waiting-room kiosk: after a period without input, forget the visit and go back to
// the code page, so the next person never sees the previous person's answers.
(function () {
  "use strict";
  var script = document.currentScript;
  var seconds = parseInt(script.getAttribute("data-idle-seconds"), 10) || 120;
  var resetUrl = script.getAttribute("data-reset-url");
  var timer = null;
  // The reset changes state, so it is a POST with the page's CSRF token (a GET to the
  // reset address only shows the code page again).
  function reset() {
    var form = document.createElement("form");
    form.method = "post";
    form.action = resetUrl;
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (token) {
      var field = document.createElement("input");
      field.type = "hidden";
      field.name = "csrfmiddlewaretoken";
      field.value = token.value;
      form.appendChild(field);
    }
    document.body.appendChild(form);
    form.submit();
  }
  function restart() {
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(reset, seconds * 1000);
  }
  ["pointerdown", "keydown", "change", "touchstart", "scroll"].forEach(function (name) {
    window.addEventListener(name, restart, { passive: true });
  });
  // Coming back with the back button from a page the browser kept: reset at once.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { reset(); }
  });
  restart();
})();
