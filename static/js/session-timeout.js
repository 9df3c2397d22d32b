// The warning before a staff session's sign-out (WCAG 2.2.1 Timing Adjustable).
//
// The server ends a session after SESSION_IDLE_SECONDS without a request, and after
// SESSION_ABSOLUTE_SECONDS in all. The page tells this script how long was left when it
// was rendered; shortly before the end the script asks the server again (another tab may
// have been used since; the session is in the shared store, so any app server answers
// the same) and, if the end is still near, opens a dialog. "Stay signed in" (or Escape)
// counts as use on the server; the absolute limit cannot be extended, so its dialog only
// warns. When the time is up the script shows the sign-in page, where the server's
// message says why.
(function () {
  "use strict";
  var dialog = document.getElementById("session-timeout");
  if (!dialog || typeof dialog.showModal !== "function") { return; }
  var keepUrl = dialog.getAttribute("data-keep-url");
  var loginUrl = dialog.getAttribute("data-login-url");
  var warnMs = (parseInt(dialog.getAttribute("data-warn-seconds"), 10) || 120) * 1000;
  var stayButton = dialog.querySelector("[data-action=stay]");
  var closeButton = dialog.querySelector("[data-action=close]");
  var idleText = document.getElementById("session-timeout-idle");
  var absoluteText = document.getElementById("session-timeout-absolute");
  var errorText = document.getElementById("session-timeout-error");
  var idleEnd = 0;
  var absoluteEnd = 0;
  var busy = false;
  var absoluteWarned = false;
  var returnFocus = null;

  function apply(data) {
    var now = Date.now();
    idleEnd = now + data.idle_seconds_left * 1000;
    absoluteEnd = now + data.absolute_seconds_left * 1000;
  }
  function left() { return Math.min(idleEnd, absoluteEnd) - Date.now(); }
  function absoluteFirst() { return absoluteEnd <= idleEnd; }

  function token() {
    var field = dialog.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  // null when the server says the session is over (401 from the endpoint, or a
  // redirect to a sign-in page), the figures otherwise; rejects on a network error.
  function ask(method) {
    var headers = { Accept: "application/json" };
    if (method === "POST") { headers["X-CSRFToken"] = token(); }
    busy = true;
    return fetch(keepUrl, {
      method: method, credentials: "same-origin", redirect: "manual", headers: headers
    }).then(function (response) {
      busy = false;
      if (response.type === "opaqueredirect" || response.status === 401) { return null; }
      if (!response.ok) { throw new Error("status " + response.status); }
      return response.json();
    }, function (error) { busy = false; throw error; });
  }

  function signedOut() {
    var here = window.location.pathname + window.location.search;
    window.location.assign(loginUrl + "?next=" + encodeURIComponent(here));
  }

  function show() {
    var absolute = absoluteFirst();
    idleText.hidden = absolute;
    absoluteText.hidden = !absolute;
    stayButton.hidden = absolute;
    closeButton.hidden = !absolute;
    errorText.hidden = true;
    dialog.setAttribute("aria-describedby", absolute ? absoluteText.id : idleText.id);
    returnFocus = document.activeElement;
    dialog.showModal();
    (absolute ? closeButton : stayButton).focus();
  }

  function hide() {
    if (dialog.open) { dialog.close(); }
    if (returnFocus && typeof returnFocus.focus === "function" && document.contains(returnFocus)) {
      returnFocus.focus();
    }
    returnFocus = null;
  }

  function stay() {
    ask("POST").then(function (data) {
      if (!data) { signedOut(); return; }
      apply(data);
      hide();
    }, function () {
      errorText.hidden = false;
      dialog.setAttribute("aria-describedby", idleText.id + " " + errorText.id);
      stayButton.focus();
    });
  }

  function tick() {
    if (busy) { return; }
    var ms = left();
    if (dialog.open || (absoluteWarned && absoluteFirst())) {
      if (ms > 0) { return; }
      // Time is up here; the server decides (another tab may have been used).
      ask("GET").then(function (data) {
        if (!data) { signedOut(); return; }
        apply(data);
        if (left() > warnMs) { absoluteWarned = false; hide(); }
      }, function () { /* unreachable: ask again on the next tick */ });
      return;
    }
    if (ms > warnMs) { return; }
    ask("GET").then(function (data) {
      if (!data) { signedOut(); return; }
      apply(data);
      if (left() <= warnMs) { show(); }
    }, function () { show(); });
  }

  stayButton.addEventListener("click", stay);
  closeButton.addEventListener("click", function () { absoluteWarned = true; hide(); });
  // Escape: for the idle warning the person is evidently there, so it counts as "Stay
  // signed in"; for the absolute limit it closes the notice.
  dialog.addEventListener("cancel", function (event) {
    event.preventDefault();
    if (absoluteFirst()) { absoluteWarned = true; hide(); } else { stay(); }
  });

  apply({
    idle_seconds_left: parseInt(dialog.getAttribute("data-idle-left"), 10) || 0,
    absolute_seconds_left: parseInt(dialog.getAttribute("data-absolute-left"), 10) || 0
  });
  window.setInterval(tick, 1000);
})();
