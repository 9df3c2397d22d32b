"""Logs a machine can read: one JSON object per line, each with the request's id.

The id comes from the load balancer's `X-Request-ID` when it looks like an id (so one
request can be followed from the balancer through every app server's lines), otherwise
it is made here; it is echoed in the response header and kept in a context variable
that a logging filter copies onto every record written while the request runs.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from django.core.signals import request_finished, request_started
from django.http import HttpRequest, HttpResponse

from .scrub import scrub_path, scrub_text

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

# Letters, digits and a few separators, at most 128 characters: a UUID, a balancer's
# trace id. Anything else (spaces, quotes, control characters, a megabyte) could forge
# log lines or headers, so it is replaced by an id of our own.
_SANE_ID = re.compile(r"[A-Za-z0-9._:\-]{8,128}")

REQUEST_ID_HEADER = "X-Request-ID"


def sane_request_id(value: str | None) -> str:
    if value and _SANE_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def _request_started(sender: Any, environ: dict[str, Any] | None = None, **kwargs: Any) -> None:
    # Set when the request starts rather than in the middleware, so that the lines Django
    # writes after the middleware has returned (django.request's 4xx/5xx warnings) carry
    # the id too.
    incoming = (environ or {}).get("HTTP_X_REQUEST_ID")
    request_id_var.set(sane_request_id(incoming))


def _request_finished(sender: Any, **kwargs: Any) -> None:
    request_id_var.set("-")


def connect_signals() -> None:
    request_started.connect(_request_started, dispatch_uid="logs.request_started")
    request_finished.connect(_request_finished, dispatch_uid="logs.request_finished")


class RequestIdMiddleware:
    """Echoes the request's id in the response and exposes it as `request.request_id`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_var.get()
        if request_id == "-":  # the started signal did not run (e.g. a RequestFactory)
            request_id = sane_request_id(request.headers.get(REQUEST_ID_HEADER))
            request_id_var.set(request_id)
        request.request_id = request_id  # type: ignore[attr-defined]
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


# gunicorn's access logger passes these atoms as the record's arguments.
_ACCESS_FIELDS = {
    "h": "remote_addr",
    "m": "method",
    "U": "path",
    "s": "status",
    "B": "bytes",
    "M": "duration_ms",
    "a": "user_agent",
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", request_id_var.get()),
        }
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            atoms = record.args
            # The query string is left out: questionnaire tokens and filters live there.
            for atom, key in _ACCESS_FIELDS.items():
                entry[key] = atoms.get(atom)
            entry["path"] = scrub_path(str(atoms.get("U", "")))
            entry["request_id"] = atoms.get("{x-request-id}o") or entry["request_id"]
            entry["message"] = f"{atoms.get('m')} {entry['path']} {atoms.get('s')}"
        else:
            entry["message"] = scrub_text(record.getMessage())
        if record.exc_info:
            entry["exception"] = scrub_text(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """For a developer's terminal: one readable line, still with the id."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = scrub_text(record.message)
        return super().formatMessage(record)
