// The spreadsheet import: show that work is under way, and how far it has got.
// While the confirm request is running (or when the page is opened during an import),
// ask the server for the progress every second and move the bar.
(function () {
  "use strict";

  var upload = document.querySelector("form[data-import-upload]");
  if (upload) {
    upload.addEventListener("submit", function () {
      var status = upload.querySelector("[data-upload-status]");
      var button = upload.querySelector("button[type=submit]");
      if (status) status.hidden = false;
      // Disabled after this tick, so the browser still sends the form.
      if (button) window.setTimeout(function () { button.disabled = true; }, 0);
    });
  }

  var box = document.getElementById("import-progress");
  if (!box) return;
  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-progress-text]");
  var url = box.getAttribute("data-progress-url");
  // Words from the translation catalogue (/jsi18n/<language>/), loaded before this file.
  function progressText(done, total) {
    if (!window.ngettext) return done + " / " + total;
    var ngettext = window.ngettext;
    var template = ngettext(
      "%(done)s of %(total)s client saved…",
      "%(done)s of %(total)s clients saved…",
      total
    );
    return window.interpolate(template, { done: done, total: total }, true);
  }
  var confirmForm = document.querySelector("form[data-import-confirm]");
  var waitingForPost = false;

  function show(data) {
    if (data.percent === null) {
      // The count is not known (the shared cache is down): say that work goes on.
      bar.removeAttribute("value");
      bar.textContent = "";
      text.textContent = box.getAttribute("data-working") || "";
      return;
    }
    bar.value = data.percent;
    bar.textContent = data.percent + "%";
    if (data.total) {
      text.textContent = progressText(data.done, data.total);
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data) {
          show(data);
          if (!waitingForPost && data.status !== "saving") {
            window.location.reload();
            return;
          }
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }

  if (confirmForm) {
    confirmForm.addEventListener("submit", function () {
      // The confirm request itself brings the result page; until then, poll.
      waitingForPost = true;
      box.hidden = false;
      confirmForm.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      window.setTimeout(poll, 300);
    });
  } else if (!box.hidden) {
    poll();
  }
})();
