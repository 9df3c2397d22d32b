"""Clinic admin pages that belong to questionnaires: clinic settings and kiosks."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments.alliance.counts import recount as sent_counts
from assessments.alliance.low import low_rule_for, refresh_low_cutoffs
from assessments.questionnaires.forms import ClinicSettingsForm, KioskEnrolForm
from assessments.questionnaires.kiosk import kiosk_enrol, kiosk_revoke
from assessments.questionnaires.selectors import clinic_kiosks
from clinicians import audit
from clinicians.access import admin_required, parse_id, staff_user

from ..models import KioskDevice
from .client import KIOSK_COOKIE

KIOSK_COOKIE_SECONDS = 400 * 24 * 3600  # browsers cap cookies at 400 days


@admin_required
def clinic_settings(request: HttpRequest) -> HttpResponse:
    clinic = staff_user(request).clinic
    form = ClinicSettingsForm(request.POST or None, instance=clinic)
    if request.method == "POST" and form.is_valid():
        form.save()
        if "low_rule" in form.changed_data:
            # The cut-offs are otherwise refreshed nightly with the norms; a clinic that
            # has just chosen "lowest 10 %" sees it in force at once.
            refresh_low_cutoffs(clinic_id=clinic.pk)
        if "time_zone" in form.changed_data:
            # The overview's kept counts are by day of the clinic's calendar.
            sent_counts.rebuild([clinic.pk])
        audit.record(
            action="clinic_settings_changed",
            actor=staff_user(request),
            obj=clinic,
            request=request,
            detail={"fields": form.changed_data},
        )
        messages.success(request, _("The clinic settings were saved."))
        return redirect("assessments:clinic_settings")
    return render(
        request,
        "assessments/console/settings.html",
        {
            "form": form,
            "low_rule": low_rule_for(clinic).describe(),
            "nav": "console",
            "section": "settings",
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@admin_required
def kiosks(request: HttpRequest) -> HttpResponse:
    context = {
        "kiosks": clinic_kiosks(staff_user(request)),
        "form": KioskEnrolForm(),
        "nav": "console",
        "section": "kiosks",
    }
    return render(request, "assessments/console/kiosks.html", context)


@require_POST
@admin_required
def kiosk_enrol_view(request: HttpRequest) -> HttpResponse:
    form = KioskEnrolForm(request.POST)
    if not form.is_valid():
        context = {
            "kiosks": clinic_kiosks(staff_user(request)),
            "form": form,
            "nav": "console",
            "section": "kiosks",
        }
        return render(request, "assessments/console/kiosks.html", context, status=400)
    _device, token = kiosk_enrol(
        actor=staff_user(request), name=form.cleaned_data["name"], request=request
    )
    # The tablet must not stay signed in as an admin in the waiting room.
    logout(request)
    response = redirect("assessments:kiosk")
    response.set_cookie(
        KIOSK_COOKIE,
        token,
        max_age=KIOSK_COOKIE_SECONDS,
        path="/kiosk",
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Strict",
    )
    return response


@require_POST
@admin_required
def kiosk_revoke_view(request: HttpRequest, pk: str) -> HttpResponse:
    try:
        device = clinic_kiosks(staff_user(request)).get(pk=parse_id(pk))
    except (KioskDevice.DoesNotExist, ValueError) as exc:
        raise Http404 from exc
    kiosk_revoke(actor=staff_user(request), device=device, request=request)
    messages.success(
        request, _("The tablet “%(name)s” is no longer a kiosk.") % {"name": device.name}
    )
    return redirect("assessments:kiosks")
