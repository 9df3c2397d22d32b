"""Site-wide request/response rules that no single view should have to remember."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

# Write the "last seen" time at most this often, so a busy page does not write the
# session row on every request.
_TOUCH_EVERY_SECONDS = 60


class SessionLimitsMiddleware:
    """Ends a staff session after 30 minutes idle or 12 hours in all.

    Django's own cookie age gives the absolute ceiling to the browser; this enforces
    both limits on the server, where a copied cookie cannot stretch them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = timezone.now().timestamp()
            started = float(request.session.get("session_started", now))
            last_seen = float(request.session.get("session_last_seen", now))
            idle = now - last_seen > settings.SESSION_IDLE_SECONDS
            too_long = now - started > settings.SESSION_ABSOLUTE_SECONDS
            if idle or too_long:
                logout(request)
                messages.info(
                    request,
                    _("You were signed out after a period of inactivity. Please sign in again.")
                    if idle
                    else _("Your session reached its 12-hour limit. Please sign in again."),
                )
                return redirect(f"{settings.LOGIN_URL_PATH}?next={request.path}")
            if "session_started" not in request.session:
                request.session["session_started"] = started
            if (
                now - last_seen >= _TOUCH_EVERY_SECONDS
                or "session_last_seen" not in request.session
            ):
                request.session["session_last_seen"] = now
        return self.get_response(request)


class PrivacyHeadersMiddleware:
    """No page of ours may be cached: nearly every one shows client data or a token.

    Static files are served by WhiteNoise before this runs and keep their own caching.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["Cache-Control"] = "no-store"
        response.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
        )
        return response


class RefuseNulMiddleware:
    """A NUL in the path or the query string answers 400 before any view runs.

    No URL of ours holds one, and PostgreSQL refuses NUL in any text it is given, so a
    view that filters on a parameter (a search box, a client code) would answer 500.
    Form fields are already covered by Django (CharField refuses NUL).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path_info or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            from .views import error_400

            return error_400(request)
        return self.get_response(request)
