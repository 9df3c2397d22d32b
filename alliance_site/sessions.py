"""The staff session's two limits, and the endpoint the sign-out warning talks to.

The limits are enforced by SessionLimitsMiddleware; this module holds the arithmetic so
the middleware, the page (which tells its script how long is left) and the endpoint
agree. Everything is read from the session, which lives in the shared store: any app
server answers the same for any tab.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

STARTED_KEY = "session_started"
LAST_SEEN_KEY = "session_last_seen"
KEEP_URL_NAME = "session_keep"


def seconds_left(session: SessionBase, now: float | None = None) -> tuple[int, int]:
    """(seconds until the idle sign-out, seconds until the absolute ceiling), never < 0."""
    now = timezone.now().timestamp() if now is None else now
    started = float(session.get(STARTED_KEY, now))
    last_seen = float(session.get(LAST_SEEN_KEY, now))
    idle = last_seen + settings.SESSION_IDLE_SECONDS - now
    absolute = started + settings.SESSION_ABSOLUTE_SECONDS - now
    return max(0, math.floor(idle)), max(0, math.floor(absolute))


def timing_payload(session: SessionBase) -> dict[str, int]:
    idle, absolute = seconds_left(session)
    return {"idle_seconds_left": idle, "absolute_seconds_left": absolute}


@login_required
@require_http_methods(["GET", "POST"])
def session_keep(request: HttpRequest) -> JsonResponse:
    """GET: how long this session has left, without extending it (the middleware does
    not count this request as use). POST ("Stay signed in"): count now as use.

    The absolute ceiling is never extended. The second-factor middleware keeps an
    unverified session out, as for every staff page.
    """
    if request.method == "POST":
        request.session[LAST_SEEN_KEY] = timezone.now().timestamp()
    return JsonResponse(timing_payload(request.session))
