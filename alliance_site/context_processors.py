"""Values every template may need."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language_info

from .sessions import seconds_left


def second_factor(request: HttpRequest) -> dict[str, Any]:
    # The demo notice on every page while the second factor is switched off.
    return {"second_factor_off": not settings.ALLIANCE_REQUIRE_2FA}


def interface_languages(request: HttpRequest) -> dict[str, list[tuple[str, str]]]:
    """The interface languages, each named in itself ("Deutsch"), for the switch."""
    languages = []
    for code, name in settings.LANGUAGES:
        try:
            local = get_language_info(code)["name_local"]
        except KeyError:  # a code Django has no name for: use the settings' name
            local = str(name)
        languages.append((code, local))
    return {"interface_languages": languages}


def session_timing(request: HttpRequest) -> dict[str, Any]:
    """How long a signed-in, verified session has left, for the sign-out warning that
    base_staff.html and the review page include (templates/_session_timeout.html)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if settings.ALLIANCE_REQUIRE_2FA and not user.is_verified():
        return {}
    session = getattr(request, "session", None)
    if session is None:  # a page rendered without the middleware (an error page)
        return {}
    idle, absolute = seconds_left(session)
    warn = settings.SESSION_IDLE_WARNING_SECONDS
    return {
        "session_timing": {
            "idle_left": idle,
            "absolute_left": absolute,
            "warn_seconds": warn,
            # "About N minutes" in the warning; under a minute has its own wording.
            "warn_minutes": round(warn / 60) if warn >= 60 else 0,
        }
    }
