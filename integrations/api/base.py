"""What every API view shares: key auth, scopes, the rate limit, JSON errors, audit.

Plain Django views returning JSON. A view decorated with `api_view(scope)` receives the
caller's ApiKey; it raises `ApiError` for anything the caller got wrong, and the
decorator turns that into {"error": "..."} with the right status. Every call, refused
or answered, leaves one line in the audit log.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt

from assessments.questionnaires import throttle
from clinicians import audit
from clinicians.addresses import client_address

from .. import conf
from ..models import ApiKey
from ..services import api_key_for

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
# Refused attempts (no key, a wrong key) per address per minute before 429.
REFUSED_PER_MINUTE = 30
# Larger ids than any table holds are "not found", not a database overflow.
MAX_ID = 2**53


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _bearer(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _ip(request: HttpRequest) -> str:
    return client_address(request) or "unknown"


def _audit(request: HttpRequest, key: ApiKey | None, status: int, count: int | None) -> None:
    detail: dict[str, Any] = {"path": request.path[:200], "status": status}
    query = request.GET.urlencode()
    if query:
        detail["query"] = query[:300]
    if count is not None:
        detail["items"] = count
    if key is None:
        audit.record(
            action="api_refused", actor_label="api (no valid key)", request=request, detail=detail
        )
        return
    audit.record(
        action="api_call" if status < 400 else "api_refused",
        actor_label=key.label,
        clinic=key.clinic,
        object_type="apikey",
        object_id=key.pk,
        request=request,
        detail=detail,
    )


def _refused(request: HttpRequest, status: int, message: str, **headers: str) -> JsonResponse:
    _audit(request, None, status, None)
    return error_response(status, message, headers)


ApiView = Callable[..., HttpResponse]


def api_view(scope: str | None) -> Callable[[ApiView], ApiView]:
    def decorator(view: ApiView) -> ApiView:
        @csrf_exempt  # no cookies, no sessions: a bearer key cannot be forged by a page
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in ("GET", "HEAD"):
                return error_response(405, "This API is read-only: use GET.", {"Allow": "GET"})
            raw = _bearer(request)
            key = api_key_for(raw) if raw else None
            if key is None:
                failures = throttle.hit(f"api-refused:{_ip(request)}", window_seconds=60)
                if failures > REFUSED_PER_MINUTE:
                    return error_response(
                        429, "Too many refused requests. Wait a minute.", {"Retry-After": "60"}
                    )
                message = (
                    "Send an API key in the header 'Authorization: Bearer <key>'."
                    if raw is None
                    else "This API key is not valid, or it has been revoked."
                )
                return _refused(request, 401, message, **{"WWW-Authenticate": "Bearer"})

            limit = conf.api_rate_per_minute()
            used = throttle.hit(f"api:{key.pk}", window_seconds=60)
            rate_headers = {
                "X-RateLimit-Limit": str(limit),
                "X-RateLimit-Remaining": str(max(0, limit - used)),
            }
            count: int | None = None
            if used > limit:
                wait = 60 - int(timezone.now().timestamp()) % 60
                response: HttpResponse = error_response(
                    429,
                    f"Too many requests: this key may make {limit} a minute. "
                    f"Try again in {wait} seconds.",
                    {"Retry-After": str(wait)},
                )
            elif scope is not None and scope not in key.scopes:
                response = error_response(403, f"This API key does not have the scope '{scope}'.")
            else:
                try:
                    response = view(request, key, *args, **kwargs)
                    count = getattr(response, "item_count", None)
                except ApiError as exc:
                    response = error_response(exc.status, exc.message, exc.headers)
            for name, value in rate_headers.items():
                response[name] = value
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
            _audit(request, key, response.status_code, count)
            return response

        return wrapped

    return decorator


def json_response(
    payload: dict[str, Any], *, items: int | None = None, content_type: str = "application/json"
) -> JsonResponse:
    response = JsonResponse(payload, content_type=content_type)
    response.item_count = items  # type: ignore[attr-defined]  # read by the audit line
    return response


# --- query parameters -----------------------------------------------------------------
def changed_since(request: HttpRequest) -> datetime | None:
    raw = request.GET.get("changed_since")
    if raw is None or raw == "":
        return None
    message = "changed_since must be an ISO 8601 date or date-time, e.g. 2026-01-31T00:00:00Z."
    try:
        moment = parse_datetime(raw)
        if moment is None:
            day: date | None = parse_date(raw)
            if day is None:
                raise ApiError(400, message)
            moment = datetime.combine(day, time.min)
    except ValueError as exc:
        raise ApiError(400, message) from exc
    return _utc(moment, message)


def _utc(moment: datetime, message: str) -> datetime:
    """In UTC: databases refuse some offsets Python accepts (PostgreSQL: over 15:59)."""
    if timezone.is_naive(moment):
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError as exc:  # year 1 or 9999 pushed past the calendar's end
        raise ApiError(400, message) from exc


def page_size(request: HttpRequest) -> int:
    raw = request.GET.get("page_size")
    if raw is None or raw == "":
        return DEFAULT_PAGE_SIZE
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise ApiError(400, f"page_size must be a whole number from 1 to {MAX_PAGE_SIZE}.")
    return int(raw)


def encode_cursor(moment: datetime, pk: int) -> str:
    text = json.dumps({"t": moment.astimezone(UTC).isoformat(), "i": pk}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(request: HttpRequest) -> tuple[datetime, int] | None:
    raw = request.GET.get("cursor")
    if raw is None or raw == "":
        return None
    message = "cursor is not valid: pass next_cursor from the previous page unchanged."
    try:
        padded = raw + "=" * (-len(raw) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        moment = datetime.fromisoformat(data["t"])
        pk = data["i"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError) as exc:
        raise ApiError(400, message) from exc
    if isinstance(pk, bool) or not isinstance(pk, int) or not 0 <= pk <= MAX_ID:
        raise ApiError(400, message)
    return _utc(moment, message), pk


def object_id(raw: str) -> int:
    # ASCII only: "²".isdigit() is True and int("²") raises.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19 or not 1 <= int(raw) <= MAX_ID:
        raise ApiError(404, "No such questionnaire.")
    return int(raw)


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def page_links(request: HttpRequest, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    params = request.GET.copy()
    params["cursor"] = cursor
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
