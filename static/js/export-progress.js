// A background export: ask the server how far it has got every second, move the bar,
// and show the download when the file is ready (by reloading the page).
(function () {
  "use strict";

  var form = document.querySelector("form[data-export-form]");
  if (form) {
    form.addEventListener("submit", function () {
      var status = form.querySelector("[data-export-status]");
      if (status) status.hidden = false;
    });
  }

  var box = document.getElementById("export-progress");
  if (!box) return;
  var status = box.getAttribute("data-status");
  if (status !== "queued" && status !== "running") return;
  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-progress-text]");
  var url = box.getAttribute("data-progress-url");
  // Words from the translation catalogue (/jsi18n/<language>/), loaded before this file.
  function progressText(done, total) {
    if (!window.ngettext) return done + " / " + total;
    var ngettext = window.ngettext;
    var template = ngettext(
      "%(done)s of %(total)s questionnaire written…",
      "%(done)s of %(total)s questionnaires written…",
      total
    );
    return window.interpolate(template, { done: done, total: total }, true);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data) {
          if (bar) { bar.value = data.percent; bar.textContent = data.percent + "%"; }
          if (text && data.total) {
            text.textContent = progressText(data.done, data.total);
          }
          if (data.status !== "queued" && data.status !== "running") {
            window.location.reload();
            return;
          }
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }

  window.setTimeout(poll, 500);
})();
