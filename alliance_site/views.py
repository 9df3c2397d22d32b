"""Site-level views: the role router and the error pages."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.utils import translation
from django.views.decorators.http import require_GET
from django.views.i18n import JavaScriptCatalog

from clinicians.languages import activate_for_request, supported_language
from clinicians.models import Role

# Our scripts' strings live in LOCALE_PATHS, which the catalogue always reads; naming
# one app without a locale folder keeps Django admin's script strings out of it.
_catalog = JavaScriptCatalog.as_view(packages=["clinicians"])


def home(request: HttpRequest) -> HttpResponse:
    """`/` sends each signed-in user to the home page of their role."""
    user = request.user
    if not user.is_authenticated:
        return redirect("login")
    if user.clinic_id is None:  # type: ignore[attr-defined]
        # An operator account: it belongs to no clinic and manages the server only.
        return HttpResponseRedirect("/django-admin/") if user.is_superuser else redirect("login")
    if user.role == Role.ADMIN:  # type: ignore[attr-defined]
        return redirect("clinicians:console")
    return redirect("assessments:caseload")


API_PREFIX = "/api/"
# The API answers every error as {"error": "..."}, as its own views do (integrations).
API_MESSAGES = {
    400: "The request could not be understood.",
    403: "Forbidden.",
    404: "Not found.",
    500: "Something went wrong on our side. Try again later.",
}


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _api_error(status: int) -> HttpResponse:
    return JsonResponse({"error": API_MESSAGES[status]}, status=status)


@require_GET
def javascript_catalog(request: HttpRequest, language: str) -> HttpResponse:
    """The scripts' translations, as a script file (the CSP allows no inline script).

    The language is in the address rather than taken from the browser, because a
    client's page is in the client's language, which the browser does not know.
    """
    code = supported_language(language)
    if code is None or code != language:
        raise Http404("No such language.")
    with translation.override(code):
        return _catalog(request)


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _api_error(400)
    return render(request, "400.html", status=400)


def _error_layout(request: HttpRequest) -> dict[str, str]:
    """Signed-in staff keep their navigation on the refusal page (the way back is one
    tap away on a phone); anyone else, or a session still without its second factor,
    gets the plain layout, which shows nothing about the clinic."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"error_base": "base_public.html"}
    staff = user.is_clinic_admin or user.is_therapist  # type: ignore[union-attr]
    # django-otp's middleware adds is_verified; without it, count the session unverified.
    is_verified = getattr(user, "is_verified", lambda: False)
    verified = not settings.ALLIANCE_REQUIRE_2FA or is_verified()
    return {"error_base": "base_staff.html" if staff and verified else "base_public.html"}


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _api_error(403)
    return render(request, "403.html", _error_layout(request), status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _api_error(404)
    # Always the plain layout: another clinic's object must answer byte for byte like a
    # missing one, and the staff navigation carries a fresh CSRF token on every render.
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return _api_error(500)
    # No context processors: whatever broke must not break the error page too.
    return HttpResponse(loader.get_template("500.html").render(), status=500)


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    """The accessibility statement: public, linked from every page's footer.

    A client's page links here with its own language (`?lang=`), which the browser does
    not know; from the kiosk (`?from=kiosk`) the page offers the way back to the start.
    """
    language = supported_language(request.GET.get("lang", ""))
    if language:
        activate_for_request(request, language)
    back = "kiosk" if request.GET.get("from") == "kiosk" else ""
    return render(request, "accessibility.html", {"back": back})
