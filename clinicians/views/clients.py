"""Clients: list, add, view, edit, discharge, reactivate, assign a therapist."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .. import audit, services
from ..access import admin_required, get_client_for, therapists_of
from ..forms import (
    AssignForm,
    ClientForm,
    DischargeForm,
    EraseForm,
    ReactivateForm,
    active_therapists,
)
from ..models import CaseAssignment, User
from ..selectors import STATUS_FILTERS, assignment_history, client_list
from .common import paginate, render_console


@admin_required
def clients(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    q = request.GET.get("q", "")[:100]
    therapist = request.GET.get("therapist", "")
    status = request.GET.get("status", "active")
    if status not in STATUS_FILTERS:
        status = "active"
    therapists = list(therapists_of(user).order_by("-is_active", "display_name", "email", "pk"))
    if therapist != "none" and therapist not in {str(t.pk) for t in therapists}:
        therapist = ""
    audit.record_list_view(request, page="client_list")
    return render_console(
        request,
        "clinicians/console/clients.html",
        {
            "page": paginate(request, client_list(user, q=q, therapist=therapist, status=status)),
            "therapists": therapists,
            "q": q,
            "therapist": therapist,
            "status": status,
            "filtered": bool(q or therapist or status != "active"),
        },
        section="clients",
    )


@admin_required
def client_new(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = ClientForm(request.POST if request.method == "POST" else None, clinic_id=user.clinic_id)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            patient = services.patient_create(
                actor=user,
                code=data["code"],
                display_name=data["display_name"],
                email=data["email"],
                preferred_language=data["preferred_language"],
                therapist=data.get("therapist"),
                request=request,
            )
        except services.ServiceError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Client %(code)s added.") % {"code": patient.code})
            return redirect("clinicians:client_detail", pk=patient.pk)
    return render_console(
        request, "clinicians/console/client_form.html", {"form": form}, section="clients"
    )


@admin_required
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    patient = get_client_for(user, pk)
    history = list(assignment_history(patient))
    current: CaseAssignment | None = next((a for a in history if a.is_current), None)
    audit.record(action="client_viewed", actor=user, obj=patient, request=request)
    return render_console(
        request,
        "clinicians/console/client_detail.html",
        {"patient": patient, "history": history, "current": current},
        section="clients",
    )


@admin_required
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    patient = get_client_for(user, pk)
    initial = {
        "code": patient.code,
        "display_name": patient.display_name,
        "email": patient.email,
        "preferred_language": patient.preferred_language,
    }
    form = ClientForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        clinic_id=user.clinic_id,
        instance=patient,
    )
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.patient_update(
                actor=user,
                patient=patient,
                code=form.cleaned_data["code"],
                display_name=form.cleaned_data["display_name"],
                email=form.cleaned_data["email"],
                preferred_language=form.cleaned_data["preferred_language"],
                request=request,
            )
        except services.ServiceError as exc:
            form.add_error(None, str(exc.message))
        else:
            if changed:
                messages.success(request, _("The client's details are saved."))
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("clinicians:client_detail", pk=patient.pk)
    audit.record_view(request, page="client_edit", patient=patient)
    return render_console(
        request,
        "clinicians/console/client_form.html",
        {"form": form, "patient": patient},
        section="clients",
    )


@admin_required
def client_discharge(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    patient = get_client_for(user, pk)
    if not patient.is_active:
        messages.info(request, _("%(code)s is already discharged.") % {"code": patient.code})
        return redirect("clinicians:client_detail", pk=patient.pk)
    form = DischargeForm(request.POST if request.method == "POST" else None, patient=patient)
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_discharge(
                actor=user, patient=patient, on=form.cleaned_data["discharged_on"], request=request
            )
        except services.ServiceError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("%(code)s is discharged.") % {"code": patient.code})
            return redirect("clinicians:client_detail", pk=patient.pk)
    current = CaseAssignment.objects.filter(patient=patient, ended_at__isnull=True).select_related(
        "therapist"
    )
    audit.record_view(request, page="client_discharge", patient=patient)
    return render_console(
        request,
        "clinicians/console/client_discharge.html",
        {"form": form, "patient": patient, "current": current.first()},
        section="clients",
    )


@admin_required
def client_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    patient = get_client_for(user, pk)
    if patient.is_active:
        messages.info(request, _("%(code)s is already active.") % {"code": patient.code})
        return redirect("clinicians:client_detail", pk=patient.pk)
    form = ReactivateForm(
        request.POST if request.method == "POST" else None, clinic_id=user.clinic_id
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_reactivate(
                actor=user,
                patient=patient,
                therapist=form.cleaned_data["therapist"],
                request=request,
            )
        except services.ServiceError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("%(code)s is active again.") % {"code": patient.code})
            return redirect("clinicians:client_detail", pk=patient.pk)
    audit.record_view(request, page="client_reactivate", patient=patient)
    return render_console(
        request,
        "clinicians/console/client_reactivate.html",
        {"form": form, "patient": patient},
        section="clients",
    )


@admin_required
def client_assign(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    patient = get_client_for(user, pk)
    current = (
        CaseAssignment.objects.filter(patient=patient, ended_at__isnull=True)
        .select_related("therapist")
        .first()
    )
    if not patient.is_active:
        messages.error(
            request,
            _("%(code)s is discharged. Reactivate the client to assign a therapist.")
            % {"code": patient.code},
        )
        return redirect("clinicians:client_detail", pk=patient.pk)
    initial = {"therapist": current.therapist_id} if current else {}
    form = AssignForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        clinic_id=user.clinic_id,
    )
    if request.method == "POST" and form.is_valid():
        try:
            result = services.case_assign(
                actor=user,
                patient=patient,
                therapist=form.cleaned_data["therapist"],
                request=request,
            )
        except services.ServiceError as exc:
            form.add_error(None, str(exc.message))
        else:
            if result.changed:
                messages.success(
                    request,
                    _("%(code)s is now on %(name)s's caseload.")
                    % {"code": patient.code, "name": form.cleaned_data["therapist"]},
                )
            else:
                messages.info(
                    request,
                    _("%(code)s was already on %(name)s's caseload; nothing changed.")
                    % {"code": patient.code, "name": form.cleaned_data["therapist"]},
                )
            return redirect("clinicians:client_detail", pk=patient.pk)
    audit.record_view(request, page="client_assign", patient=patient)
    return render_console(
        request,
        "clinicians/console/client_assign.html",
        {
            "form": form,
            "patient": patient,
            "current": current,
            "has_therapists": active_therapists(user.clinic_id).exists(),
        },
        section="clients",
    )


@admin_required
def client_erase(request: HttpRequest, pk: int) -> HttpResponse:
    """Erase a client's identity (GDPR Art. 17) after typing their code to confirm."""
    user: User = request.user  # type: ignore[assignment]
    patient = get_client_for(user, pk)
    if patient.erased_at is not None:
        messages.info(request, _("This client's identity has already been erased."))
        return redirect("clinicians:client_detail", pk=patient.pk)
    form = EraseForm(request.POST if request.method == "POST" else None, patient=patient)
    if request.method == "POST" and form.is_valid():
        try:
            erased = services.patient_erase(actor=user, patient=patient, request=request)
        except services.ServiceError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(
                request,
                _(
                    "The client's identity is erased. Their questionnaires and scores stay "
                    "under the pseudonym %(code)s."
                )
                % {"code": erased.code},
            )
            return redirect("clinicians:client_detail", pk=erased.pk)
    return render_console(
        request,
        "clinicians/console/client_erase.html",
        {"form": form, "patient": patient},
        section="clients",
    )
