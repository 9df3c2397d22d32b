// The kiosk's thank-you page: back to the code page after some seconds without input.
// A script rather than <meta http-equiv="refresh">: a delayed refresh cannot be paused,
// while here any touch, key or scroll starts the wait again, so a person still reading
// (or listening to a screen reader) keeps the page.
(function () {
  "use strict";
  var script = document.currentScript;
  var seconds = parseInt(script.getAttribute("data-seconds"), 10) || 8;
  var target = script.getAttribute("data-url");
  var timer = null;
  function restart() {
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(function () { window.location.assign(target); }, seconds * 1000);
  }
  ["pointerdown", "keydown", "touchstart", "scroll"].forEach(function (name) {
    window.addEventListener(name, restart, { passive: true });
  });
  restart();
})();
