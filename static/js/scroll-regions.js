// Tables sit in `<div class="table-responsive" tabindex="0" role="region">` so that a
// keyboard user can reach and scroll a table wider than the screen. A region that does
// not scroll (a narrow table, or the caseload drawn as cards on a phone) would only be
// an extra, empty tab stop: it keeps tabindex="0" only while it scrolls sideways. Its
// role and label stay. Without this script every region stays a tab stop.
(function () {
  "use strict";
  var regions = document.querySelectorAll('.table-responsive[role="region"]');
  if (!regions.length) { return; }

  function update() {
    regions.forEach(function (region) {
      var scrolls = region.scrollWidth > region.clientWidth;
      // A region that holds the focus keeps it until the focus moves on.
      if (scrolls) {
        region.setAttribute("tabindex", "0");
      } else if (document.activeElement !== region) {
        region.removeAttribute("tabindex");
      }
    });
  }

  var pending = false;
  function later() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; update(); });
  }

  update();
  window.addEventListener("resize", later);
  // Zoom and late-loading fonts change widths without always firing a resize.
  if (window.ResizeObserver) {
    var observer = new window.ResizeObserver(later);
    regions.forEach(function (region) { observer.observe(region); });
  }
}());
