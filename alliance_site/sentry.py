"""Opt-in error reporting (sentry-sdk), with everything personal taken out first.

Nothing is sent unless `SENTRY_DSN` is set. Each event passes through `scrub_event`
before it leaves: request bodies, cookies, query strings and every header but a few
harmless ones are dropped; the user is reduced to an id; local variables of stack
frames (where answers, names and tokens live) are removed; and every remaining text has
questionnaire links, emails and token-like strings filtered out. Exception messages
and log arguments, which may hold a name no pattern can recognise, are dropped: the
exception's type, the stack (file, function, line) and the log's template remain.
"""

from __future__ import annotations

from typing import Any

from .scrub import FILTERED, scrub_path, scrub_text

# The only request headers an event keeps: none of them carries a person or a secret.
_SAFE_HEADERS = {"content-type", "content-length", "accept", "accept-language", "x-request-id"}


def _scrub(value: Any) -> Any:
    """Filter every string inside a JSON-like value, keeping its shape."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {key: _scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    return value


def _scrub_request(request: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if "method" in request:
        cleaned["method"] = request["method"]
    if "url" in request:
        cleaned["url"] = scrub_path(str(request["url"]).split("?", 1)[0])
    headers = request.get("headers") or {}
    cleaned["headers"] = {
        name: scrub_text(str(value))
        for name, value in headers.items()
        if name.lower() in _SAFE_HEADERS
    }
    # Bodies (answers, names, passwords), cookies (sessions), query strings (tokens,
    # searches by name) and the environment (client addresses) never leave.
    for dropped in ("data", "cookies", "query_string", "env"):
        if dropped in request:
            cleaned[dropped] = FILTERED
    return cleaned


def _scrub_frames(event: dict[str, Any]) -> None:
    containers = []
    for key in ("exception", "threads"):
        containers.extend((event.get(key) or {}).get("values") or [])
    for container in containers:
        for frame in (container.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)


def _drop_free_text(event: dict[str, Any]) -> None:
    """Exception messages and log arguments can hold a client's name, which no pattern
    recognises: keep the exception's type, the stack and the log's template, not them."""
    for exc in (event.get("exception") or {}).get("values") or []:
        if exc.get("value"):
            exc["value"] = FILTERED
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        logentry.pop("params", None)
        logentry.pop("formatted", None)


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """sentry-sdk's `before_send` (and `before_send_transaction`)."""
    if "request" in event:
        event["request"] = _scrub_request(event["request"])
    user = event.get("user")
    if user:
        event["user"] = {"id": user["id"]} if "id" in user else {}
    _scrub_frames(event)
    _drop_free_text(event)
    for key in ("exception", "logentry", "message", "extra", "contexts", "tags"):
        if key in event:
            event[key] = _scrub(event[key])
    crumbs = event.get("breadcrumbs")
    if isinstance(crumbs, dict) and "values" in crumbs:
        for crumb in crumbs["values"]:
            crumb.pop("data", None)  # SQL parameters, HTTP bodies
            if "message" in crumb:
                crumb["message"] = scrub_text(str(crumb["message"]))
    if "transaction" in event:
        event["transaction"] = scrub_path(str(event["transaction"]))
    return event


def scrub_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    crumb.pop("data", None)
    if "message" in crumb:
        crumb["message"] = scrub_text(str(crumb["message"]))
    return crumb


def init(dsn: str, *, environment: str, release: str, traces_sample_rate: float) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration()],
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=traces_sample_rate,
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
    )
