"""The console's overview (caseload balance) and the therapist's home page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ..access import admin_required, patients_visible_to, therapist_required
from ..models import User
from ..selectors import caseload_balance
from .common import render_console


@admin_required
def console(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    return render_console(
        request,
        "clinicians/console/overview.html",
        {"balance": caseload_balance(user)},
        section="overview",
    )


@therapist_required
def therapist_home(request: HttpRequest) -> HttpResponse:
    # A plain list until the dashboard replaces this page.
    user: User = request.user  # type: ignore[assignment]
    clients = patients_visible_to(user).order_by("code", "pk")
    return render(
        request, "clinicians/therapist_home.html", {"nav": "caseload", "clients": clients}
    )
