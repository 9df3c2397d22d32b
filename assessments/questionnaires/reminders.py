"""Emailing questionnaire links and the reminders that follow them."""

from __future__ import annotations

from datetime import timedelta

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from assessments import signals
from clinicians import audit
from clinicians.models import PatientStatus, User

from ..models import (
    Administration,
    AdministrationStatus,
    Rater,
)
from ..scoring.registry import get_registry
from .links import QuestionnaireError, issue_link, link_url, lock_open


def _send_invitation(administration: Administration, token: str, *, reminder: bool) -> None:
    """Email a questionnaire link. No client name, code or score goes in the email."""
    context = {
        "clinic_name": administration.patient.clinic.name,
        "therapist_name": administration.therapist.display_name,
        "link": link_url(token),
        "expires_at": administration.expires_at,
        "reminder": reminder,
        "item_count": get_registry().get(administration.form_code).item_count,
    }
    # Dates in the email are the clinic's, also when the scheduler (in UTC) sends it.
    with timezone.override(administration.patient.clinic.zone):
        subject = render_to_string("emails/questionnaire_subject.txt", context).strip()
        text = render_to_string("emails/questionnaire.txt", context)
        html = render_to_string("emails/questionnaire.html", context)
    message = EmailMultiAlternatives(subject, text, to=[administration.patient.email])
    message.attach_alternative(html, "text/html")
    message.send()


def administration_email(
    *, actor: User, administration: Administration, request: HttpRequest | None = None
) -> None:
    """Email a fresh link to the client (the raw token of the first link is not kept)."""
    with transaction.atomic():
        administration = lock_open(actor, administration)
        if not administration.patient.email:
            raise QuestionnaireError("This client has no email address on file.")
        token = issue_link(administration, purpose="email")
        administration.emailed_at = timezone.now()
        administration.save(update_fields=["emailed_at"])
        audit.record(
            action="questionnaire_emailed",
            actor=actor,
            obj=administration,
            patient=administration.patient,
            request=request,
        )
    _send_invitation(administration, token, reminder=False)


def reminders_send(*, now: timezone.datetime | None = None) -> int:
    """Send one reminder for each open, emailed questionnaire past the clinic's delay.

    Safe to run twice at once: each reminder is claimed by a conditional UPDATE that only
    one process can win, before the email goes out.
    """
    now = now or timezone.now()
    candidates = (
        Administration.objects.filter(
            status=AdministrationStatus.OPEN,
            rater=Rater.CLIENT,
            expires_at__gt=now,
            emailed_at__isnull=False,
            reminder_sent_at__isnull=True,
            # Discharge withdraws open questionnaires; this guards anything left over.
            patient__status=PatientStatus.ACTIVE,
        )
        .exclude(patient__email="")
        .select_related("patient__clinic", "therapist")
    )
    sent = 0
    for administration in candidates.iterator():
        due = administration.emailed_at + timedelta(
            days=administration.patient.clinic.reminder_delay_days
        )
        if due > now:
            continue
        with transaction.atomic():
            claimed = Administration.objects.filter(
                pk=administration.pk,
                status=AdministrationStatus.OPEN,
                reminder_sent_at__isnull=True,
            ).update(reminder_sent_at=now)
            if not claimed:
                continue
            token = issue_link(administration, purpose="reminder")
        try:
            _send_invitation(administration, token, reminder=True)
        except Exception:
            # Unclaim, so that the next run tries again; then let cron see the failure.
            Administration.objects.filter(pk=administration.pk).update(reminder_sent_at=None)
            signals.reminder_failed.send(sender=Administration)
            raise
        signals.reminder_sent.send(sender=Administration)
        audit.record(
            action="questionnaire_reminder_sent",
            clinic=administration.patient.clinic,
            obj=administration,
            patient=administration.patient,
            actor_label="system",
        )
        sent += 1
    return sent


# --- kiosks --------------------------------------------------------------------------
