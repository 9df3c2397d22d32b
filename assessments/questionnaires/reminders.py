"""Emailing questionnaire links and the reminders that follow them."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from typing import NamedTuple

from django.core.mail import BadHeaderError, EmailMultiAlternatives
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from assessments import signals
from clinicians import audit
from clinicians.languages import client_language
from clinicians.models import PatientStatus, User

from ..models import (
    Administration,
    AdministrationStatus,
    Rater,
)
from ..scoring.registry import get_registry
from .links import QuestionnaireError, issue_link, link_url, lock_open

logger = logging.getLogger(__name__)


class RemindersRun(NamedTuple):
    """What one run did. A tuple, so a task queue can carry it as JSON."""

    sent: int
    failed: int


class EmailNotSent(QuestionnaireError):
    """The link exists, but its email could not be sent; the message says why."""


class _Failure(NamedTuple):
    code: str  # stored in the audit line
    reason: str  # shown to the therapist
    retry: bool  # worth trying again at the next run


def _failure(exc: Exception) -> _Failure:
    """Plain words for why an email did not go, and whether a later run may succeed."""
    if isinstance(exc, BadHeaderError | ValueError):
        return _Failure(
            "bad_header",
            _(
                "the email could not be built: the clinic's name or the address holds a "
                "line break. Correct it in the clinic settings or the client's details."
            ),
            False,
        )
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return _Failure(
            "recipient_refused",
            _("the mail server refused the address. Check the client's email address."),
            False,
        )
    if isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600:
        return _Failure("message_refused", _("the mail server refused the message."), False)
    return _Failure(
        "server_unreachable",
        _("the mail server could not be reached. It will be tried again later."),
        True,
    )


def _one_line(text: str) -> str:
    # Whatever a name holds (rows saved before names were checked), a header is one line.
    return " ".join(text.split())


def _record_failure(
    administration: Administration, failure: _Failure, *, actor: User | None
) -> None:
    now = timezone.now()
    Administration.objects.filter(pk=administration.pk).update(
        email_failed_at=now, email_failure=failure.reason[:200]
    )
    audit.record(
        action="questionnaire_email_failed",
        actor=actor,
        actor_label="" if actor else "system",
        clinic=administration.patient.clinic,
        obj=administration,
        patient=administration.patient,
        detail={"reason": failure.code},
    )


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
    # Dates in the email are the clinic's, also when the scheduler (in UTC) sends it; the
    # words are in the client's language, whoever sends it (a therapist, the reminder job).
    with (
        timezone.override(administration.patient.clinic.zone),
        translation.override(client_language(administration.patient.preferred_language)),
    ):
        subject = _one_line(render_to_string("emails/questionnaire_subject.txt", context))
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
        _send_invitation(administration, token, reminder=False)
    except Exception as exc:  # SMTP, a bad header, a server down: all said plainly
        failure = _failure(exc)
        logger.warning("Questionnaire %s: email not sent (%s)", administration.pk, failure.code)
        _record_failure(administration, failure, actor=actor)
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
            _send_invitation(administration, token, reminder=True)
        except Exception as exc:
            failure = _failure(exc)
            logger.warning("Reminder %s not sent (%s)", administration.pk, failure.code)
            if failure.retry:
                Administration.objects.filter(pk=administration.pk).update(reminder_sent_at=None)
            _record_failure(administration, failure, actor=None)
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
