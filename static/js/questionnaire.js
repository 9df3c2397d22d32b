// When the questionnaire comes back with problems, move focus to the summary so that
// screen-reader and keyboard users hear what is missing and can jump to it.
(function () {
  "use strict";
  var summary = document.getElementById("form-errors");
  if (summary) { summary.focus(); }
})();
