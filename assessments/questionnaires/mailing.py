"""Emailing one questionnaire link, and recording why an email did not go.

Shared by the therapist's "email the link", the reminder run and the schedule run, so
that all three send the same email and describe a failure in the same words.
"""

from __future__ import annotations

import smtplib
from typing import NamedTuple

from django.core.mail import BadHeaderError, EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clinicians import audit
from clinicians.languages import client_language
from clinicians.models import User

from ..models import Administration
from ..scoring.registry import get_registry
from .links import link_url


class Failure(NamedTuple):
    code: str  # stored in the audit line
    reason: str  # shown to the therapist
    retry: bool  # worth trying again at the next run


def failure_of(exc: Exception) -> Failure:
    """Plain words for why an email did not go, and whether a later run may succeed."""
    if isinstance(exc, BadHeaderError | ValueError):
        return Failure(
            "bad_header",
            _(
                "the email could not be built: the clinic's name or the address holds a "
                "line break. Correct it in the clinic settings or the client's details."
            ),
            False,
        )
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return Failure(
            "recipient_refused",
            _("the mail server refused the address. Check the client's email address."),
            False,
        )
    if isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600:
        return Failure("message_refused", _("the mail server refused the message."), False)
    return Failure(
        "server_unreachable",
        _("the mail server could not be reached. It will be tried again later."),
        True,
    )


def _one_line(text: str) -> str:
    # Whatever a name holds (rows saved before names were checked), a header is one line.
    return " ".join(text.split())


def record_failure(administration: Administration, failure: Failure, *, actor: User | None) -> None:
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


def send_invitation(administration: Administration, token: str, *, reminder: bool) -> None:
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
