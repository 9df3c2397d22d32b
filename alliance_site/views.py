"""Site-level views: the role router and the error pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
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


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "400.html", status=400)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    # No context processors: whatever broke must not break the error page too.
    return HttpResponse(loader.get_template("500.html").render(), status=500)
