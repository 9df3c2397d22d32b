"""Site-wide request/response rules that no single view should have to remember."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clinicians.languages import activate_for_request, supported_language
from clinicians.services.second_factor import has_second_factor

from .sessions import KEEP_URL_NAME, LAST_SEEN_KEY, STARTED_KEY

# Write the "last seen" time at most this often, so a busy page does not write the
# session row on every request; a tenth of the idle limit when that is shorter, so a
# short limit (a test's) is not outrun by the throttle.
_TOUCH_EVERY_SECONDS = 60


def _touch_every() -> float:
    return min(_TOUCH_EVERY_SECONDS, settings.SESSION_IDLE_SECONDS / 10)


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
            started = float(request.session.get(STARTED_KEY, now))
            last_seen = float(request.session.get(LAST_SEEN_KEY, now))
            idle = now - last_seen > settings.SESSION_IDLE_SECONDS
            too_long = now - started > settings.SESSION_ABSOLUTE_SECONDS
            keep_url = request.path_info == reverse(KEEP_URL_NAME)
            if idle or too_long:
                logout(request)
                minutes = max(1, round(settings.SESSION_IDLE_SECONDS / 60))
                messages.info(
                    request,
                    ngettext(
                        "You were signed out after %(minutes)s minute without use. "
                        "Please sign in again.",
                        "You were signed out after %(minutes)s minutes without use. "
                        "Please sign in again.",
                        minutes,
                    )
                    % {"minutes": minutes}
                    if idle
                    else _("Your session reached its 12-hour limit. Please sign in again."),
                )
                if keep_url:
                    # The warning's script asked: it shows the sign-in page itself, where
                    # the message above waits for it.
                    return JsonResponse({"signed_out": True}, status=401)
                return redirect(f"{settings.LOGIN_URL_PATH}?next={request.path}")
            if STARTED_KEY not in request.session:
                request.session[STARTED_KEY] = started
            # The warning's script asking how long is left is not use of the page.
            probe = keep_url and request.method in ("GET", "HEAD")
            if not probe and (
                now - last_seen >= _touch_every() or LAST_SEEN_KEY not in request.session
            ):
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class StaffLanguageMiddleware:
    """A signed-in staff user reads the interface in the language they chose.

    LocaleMiddleware has already picked the browser's language; this runs after
    authentication and replaces it with the account's choice, if there is one. Client
    pages choose the client's language in their views (the client never signs in).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = supported_language(getattr(user, "language", ""))
            if language:
                activate_for_request(request, language)
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


class ClinicTimeZoneMiddleware:
    """Staff see dates and times on their clinic's wall clock.

    Activated for the request only: "today" in forms and pages, and times rendered by
    templates, follow the signed-in user's clinic; everything else stays in UTC.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        clinic = (
            getattr(user, "clinic", None) if user is not None and user.is_authenticated else None
        )
        if clinic is not None:
            timezone.activate(clinic.zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


# Pages an unverified session may still open: the second-factor pages themselves,
# sign-out, and pages that never show staff data (the client's questionnaire, the
# kiosk, public account pages, the key-authenticated API, the health check).
_OPEN_WITHOUT_SECOND_FACTOR = {
    "logout",
    "healthz",
    "accessibility",
    # The scripts' translations: public, and needed by the code page's own script.
    "javascript_catalog",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "clinicians:second_factor_enrol",
    "clinicians:second_factor_verify",
    "clinicians:invitation_accept",
    "clinicians:invitation_set_password",
    "assessments:open_link",
    "assessments:questionnaire",
    "assessments:questionnaire_done",
    "assessments:kiosk",
    "assessments:kiosk_questionnaire",
    "assessments:kiosk_done",
    "assessments:kiosk_reset",
}


class SecondFactorMiddleware:
    """A signed-in user who has not yet given a second factor reaches only the code page
    (or the set-up page, the first time), and sign-out.

    Also holds a user who has just been shown new recovery codes on that page until
    they confirm they have saved them. Off when ALLIANCE_REQUIRE_2FA is false (demo).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., HttpResponse], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if not settings.ALLIANCE_REQUIRE_2FA:
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        match = request.resolver_match
        name = match.view_name if match else ""
        # The API authenticates by key and ignores the session.
        if name in _OPEN_WITHOUT_SECOND_FACTOR or request.path_info.startswith("/api/"):
            return None
        if not user.is_verified():
            target = (
                "clinicians:second_factor_verify"
                if has_second_factor(user)
                else "clinicians:second_factor_enrol"
            )
            url = reverse(target)
            if request.method == "GET" and name != "home":
                url = f"{url}?{urlencode({'next': request.get_full_path()})}"
            return HttpResponseRedirect(url)
        if request.session.get("second_factor_recovery_codes") and name != (
            "clinicians:recovery_codes"
        ):
            return HttpResponseRedirect(reverse("clinicians:recovery_codes"))
        return None


# What a session in review mode may still reach besides its own review page: sign-out,
# the scripts' translations (public anyway), and the sign-out warning's "Stay signed
# in" (the review page times out like any other; the endpoint shows no data).
_OPEN_IN_REVIEW = {"logout", "javascript_catalog", "healthz", KEEP_URL_NAME}
_REVIEW_PAGES = {"assessments:review", "assessments:review_leave"}


class ReviewModeMiddleware:
    """While a staff session shows a client their review (assessments/views/review.py),
    every other page sends the browser back to it: a client holding the screen cannot
    reach the caseload, notes or other clients. The password form on the review page is
    the way back. Runs after the second factor: an unverified session never gets here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., HttpResponse], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        from assessments.views.review import review_patient_id

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        pk = review_patient_id(request)
        if pk is None:
            return None
        match = request.resolver_match
        name = match.view_name if match else ""
        if name in _OPEN_IN_REVIEW or request.path_info.startswith("/api/"):
            return None
        if name in _REVIEW_PAGES and str(kwargs.get("pk")) == str(pk):
            return None
        return HttpResponseRedirect(reverse("assessments:review", args=[pk]))
