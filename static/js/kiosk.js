// Waiting-room kiosk: after a period without input, forget the visit and go back to
// the code page, so the next person never sees the previous person's answers. Some
// seconds before that, a large "Are you still there?" prompt (WCAG 2.2.1): its
// "Continue", or any touch or key, starts the wait again.
(function () {
  "use strict";
  var script = document.currentScript;
  var seconds = parseInt(script.getAttribute("data-idle-seconds"), 10) || 120;
  var warnSeconds = parseInt(script.getAttribute("data-warn-seconds"), 10) || 30;
  var resetUrl = script.getAttribute("data-reset-url");
  var prompt = document.getElementById("kiosk-still-there");
  var canPrompt = !!(prompt && typeof prompt.showModal === "function");
  var timer = null;
  var warnTimer = null;
  var returnFocus = null;
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
  function warn() {
    returnFocus = document.activeElement;
    prompt.showModal();  // role="alertdialog": read out with its text when it opens
    prompt.querySelector("button").focus();
  }
  function restart() {
    if (timer) { window.clearTimeout(timer); }
    if (warnTimer) { window.clearTimeout(warnTimer); }
    if (canPrompt && prompt.open) {
      prompt.close();
      if (returnFocus && typeof returnFocus.focus === "function") { returnFocus.focus(); }
      returnFocus = null;
    }
    timer = window.setTimeout(reset, seconds * 1000);
    if (canPrompt && seconds > warnSeconds) {
      warnTimer = window.setTimeout(warn, (seconds - warnSeconds) * 1000);
    }
  }
  if (canPrompt) {
    prompt.querySelector("button").addEventListener("click", restart);
    // Escape is input too: the person is there.
    prompt.addEventListener("cancel", function (event) { event.preventDefault(); restart(); });
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
