"""Schedule pages: a client's schedule (set, change, stop) and the clinic's default."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments.questionnaires.links import QuestionnaireError
from assessments.schedules.forms import ClinicScheduleForm, ScheduleForm, initial_from
from assessments.schedules.selectors import client_schedule
from assessments.schedules.services import (
    active_schedule,
    clinic_default,
    clinic_default_set,
    schedule_set,
    schedule_stop,
)
from clinicians import audit
from clinicians.access import admin_required, get_client_for, staff_required, staff_user
from clinicians.models import Role


@staff_required
def schedule_edit(request: HttpRequest, pk: str) -> HttpResponse:
    user = staff_user(request)
    patient = get_client_for(user, pk)
    clinic = patient.clinic
    current = active_schedule(patient)
    initial = initial_from(current or clinic_default(clinic), clinic.default_client_form)
    initial["starts_on"] = clinic.today()
    form = ScheduleForm(request.POST or None, initial=initial, today=clinic.today())
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                schedule_set(
                    actor=user,
                    patient=patient,
                    values=form.values(),
                    starts_on=form.cleaned_data["starts_on"],
                    request=request,
                )
            except QuestionnaireError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The schedule was saved."))
                return redirect("assessments:client", patient.pk)
        status = 400
    audit.record_view(request, page="schedule", patient=patient)
    context = {
        "patient": patient,
        "form": form,
        "current": current,
        "scheduled": client_schedule(patient) if current else None,
        "nav": "caseload" if user.role == Role.THERAPIST else "console",
    }
    return render(request, "assessments/schedules/edit.html", context, status=status)


@require_POST
@staff_required
def schedule_stop_view(request: HttpRequest, pk: str) -> HttpResponse:
    user = staff_user(request)
    patient = get_client_for(user, pk)
    try:
        schedule_stop(actor=user, patient=patient, request=request)
    except QuestionnaireError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The schedule was stopped. Nothing more goes out by itself."))
    return redirect("assessments:client", patient.pk)


@admin_required
def clinic_schedule(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    default = clinic_default(user.clinic)
    initial = initial_from(default, user.clinic.default_client_form)
    initial["enabled"] = default.enabled
    form = ClinicScheduleForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                clinic_default_set(
                    actor=user,
                    values=form.values(),
                    enabled=form.cleaned_data["enabled"],
                    request=request,
                )
            except QuestionnaireError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The default schedule was saved."))
                return redirect("assessments:clinic_schedule")
        status = 400
    context = {"form": form, "nav": "console", "section": "schedule"}
    return render(request, "assessments/schedules/clinic.html", context, status=status)
