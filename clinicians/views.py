from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .access import admin_required, therapist_required
from .models import Role, User


@admin_required
def console(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    therapists = User.objects.filter(clinic_id=user.clinic_id, role=Role.THERAPIST).order_by(
        "-is_active", "display_name", "email"
    )
    return render(request, "clinicians/console.html", {"therapists": therapists})


@therapist_required
def therapist_home(request: HttpRequest) -> HttpResponse:
    return render(request, "clinicians/therapist_home.html")
