"""Emailing questionnaire links and the reminders that follow them."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import NamedTuple

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import signals
from clinicians import audit
from clinicians.models import PatientStatus, User

from ..models import (
    Administration,
    AdministrationStatus,
    Rater,
)
from .links import QuestionnaireError, issue_link, lock_open
from .mailing import failure_of, record_failure, send_invitation

logger = logging.getLogger(__name__)


class RemindersRun(NamedTuple):
    """What one run did. A tuple, so a task queue can carry it as JSON."""

    sent: int
    failed: int


class EmailNotSent(QuestionnaireError):
    """The link exists, but its email could not be sent; the message says why."""


def administration_email(
    *, actor: User, administration: Administration, request: HttpRequest | None = None
) -> None:
    """Email a fresh link to the client (the raw token of the first link is not kept)."""
    with transaction.atomic():
        administration = lock_open(actor, administration)
        if not administration.patient.email:
            raise QuestionnaireError(_("This client has no email address on file."))
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
    try:
        send_invitation(administration, token, reminder=False)
    except Exception as exc:  # SMTP, a bad header, a server down: all said plainly
        failure = failure_of(exc)
        logger.warning("Questionnaire %s: email not sent (%s)", administration.pk, failure.code)
        record_failure(administration, failure, actor=actor)
        raise EmailNotSent(
            _(
                "The email could not be sent: %(reason)s The link is ready on this page: "
                "give it to the client another way, or try again."
            )
            % {"reason": failure.reason}
        ) from exc
    Administration.objects.filter(pk=administration.pk, email_failed_at__isnull=False).update(
        email_failed_at=None, email_failure=""
    )


def reminders_send(*, now: timezone.datetime | None = None) -> RemindersRun:
    """Send one reminder for each open, emailed questionnaire past the clinic's delay.

    Safe to run twice at once: each reminder is claimed by a conditional UPDATE that only
    one process can win, before the email goes out. One email that cannot be sent never
    stops the others: it is recorded on its questionnaire (and in the audit log) and
    counted in `failed`. A refused address or a broken header stays claimed (retrying
    every hour would fail the same way); an unreachable server is unclaimed, so the next
    run tries again.
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
    sent = failed = 0
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
            send_invitation(administration, token, reminder=True)
        except Exception as exc:
            failure = failure_of(exc)
            logger.warning("Reminder %s not sent (%s)", administration.pk, failure.code)
            if failure.retry:
                Administration.objects.filter(pk=administration.pk).update(reminder_sent_at=None)
            record_failure(administration, failure, actor=None)
            signals.reminder_failed.send(sender=Administration)
            failed += 1
            continue
        audit.record(
            action="questionnaire_reminder_sent",
            clinic=administration.patient.clinic,
            obj=administration,
            patient=administration.patient,
            actor_label="system",
        )
        signals.reminder_sent.send(sender=Administration)
        sent += 1
    return RemindersRun(sent=sent, failed=failed)
