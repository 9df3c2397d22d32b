// Waiting-room kiosk: after a period without input, forget the visit and go back to
// the code page, so the next person never sees the previous person's answers.
(function () {
  "use strict";
  var script = document.currentScript;
  var seconds = parseInt(script.getAttribute("data-idle-seconds"), 10) || 120;
  var resetUrl = script.getAttribute("data-reset-url");
  var timer = null;
  function restart() {
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(function () { window.location.replace(resetUrl); }, seconds * 1000);
  }
  ["pointerdown", "keydown", "change", "touchstart", "scroll"].forEach(function (name) {
    window.addEventListener(name, restart, { passive: true });
  });
  // Coming back with the back button from a page the browser kept: reset at once.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { window.location.replace(resetUrl); }
  });
  restart();
})();
