"""Site-level views: the role router and the error pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader

from clinicians.models import Role


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


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _api_error(400)
    return render(request, "400.html", status=400)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _api_error(403)
    return render(request, "403.html", status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _api_error(404)
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return _api_error(500)
    # No context processors: whatever broke must not break the error page too.
    return HttpResponse(loader.get_template("500.html").render(), status=500)
