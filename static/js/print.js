// The report's "Print" button: shown only when a script can run (a page without
// scripts still prints from the browser's menu), and the CSP allows no inline script.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
