"""Asking for a questionnaire: requests, links, short codes, withdrawal.

Every write is keyword-only, runs in one transaction, and writes the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from clinicians import audit
from clinicians.models import Patient, Role, User

from ..alliance.counts import keep as sent_counts
from ..models import (
    AccessLink,
    Administration,
    AdministrationStatus,
    Rater,
)
from ..scoring.definitions import Form
from ..scoring.registry import get_registry
from .tokens import hash_token, new_short_code, new_token

SHORT_CODE_MINUTES = 30


class QuestionnaireError(Exception):
    """A request that cannot be carried out; the message is shown to the person as is."""


class AdministrationClosed(QuestionnaireError):
    """The questionnaire was withdrawn or has expired."""


@dataclass(frozen=True)
class Occasion:
    kind: str
    session_number: int | None
    note: str
    session_date: date


@dataclass(frozen=True)
class IssuedLink:
    administration: Administration
    token: str
    short_code: str


def link_url(token: str, request: HttpRequest | None = None) -> str:
    """The client's link. Pages build it from the address the staff member is using;
    emails, sent from cron with no request, use ALLIANCE_BASE_URL."""
    if request is not None:
        return request.build_absolute_uri(f"/q/{token}")
    return f"{settings.ALLIANCE_BASE_URL}/q/{token}"


def form_for(code: str, rater: str) -> Form:
    registry = get_registry()
    if code not in registry:
        raise QuestionnaireError(_("That form is not available in this clinic."))
    form = registry.get(code)
    if form.rater != rater:
        raise QuestionnaireError(_("That form is not meant for this rater."))
    return form


def current_therapist(patient: Patient) -> User:
    assignment = patient.assignments.filter(ended_at__isnull=True).select_related("therapist")
    current = assignment.first()
    if current is None:
        raise QuestionnaireError(_("This client has no therapist. Assign one first."))
    return current.therapist


def check_may_act_on(actor: User, patient: Patient) -> None:
    """Services re-check what views check: the rule must hold for every caller."""
    if actor.clinic_id != patient.clinic_id:
        raise QuestionnaireError(_("This client is not in your clinic."))
    if actor.role == Role.THERAPIST and current_therapist(patient).pk != actor.pk:
        raise QuestionnaireError(_("This client is not on your caseload."))


def _assign_short_code(administration: Administration) -> str:
    # Collisions are rare (22^6 codes); the database constraint settles any race.
    for _attempt in range(10):
        code = new_short_code()
        try:
            with transaction.atomic():
                Administration.objects.filter(pk=administration.pk).update(
                    short_code=code,
                    short_code_expires_at=timezone.now() + timedelta(minutes=SHORT_CODE_MINUTES),
                )
            administration.short_code = code
            return code
        except IntegrityError:
            continue
    raise QuestionnaireError(_("Could not make a kiosk code. Please try again."))


def issue_link(administration: Administration, purpose: str = "link") -> str:
    token = new_token()
    AccessLink.objects.create(
        administration=administration, token_hash=hash_token(token), purpose=purpose
    )
    sent_counts.link_issued(administration)  # the first link makes it "sent"
    return token


def linked_client_administration(patient: Patient, occasion: Occasion) -> Administration | None:
    return (
        Administration.objects.filter(
            patient=patient,
            rater=Rater.CLIENT,
            occasion=occasion.kind,
            session_number=occasion.session_number,
            session_date=occasion.session_date,
        )
        .exclude(status=AdministrationStatus.REVOKED)
        .order_by("-created_at")
        .first()
    )


@transaction.atomic
def administration_request(
    *,
    actor: User,
    patient: Patient,
    form_code: str,
    occasion: Occasion,
    request: HttpRequest | None = None,
) -> IssuedLink:
    """Ask a client to fill in a form: a link, a kiosk code, and the record behind them."""
    check_may_act_on(actor, patient)
    if not patient.is_active:
        raise QuestionnaireError(_("This client is discharged. Reactivate them first."))
    form = form_for(form_code, Rater.CLIENT)
    therapist = current_therapist(patient)
    now = timezone.now()
    administration = Administration.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        therapist=therapist,
        form_code=form.code,
        rater=Rater.CLIENT,
        occasion=occasion.kind,
        session_number=occasion.session_number,
        occasion_note=occasion.note,
        session_date=occasion.session_date,
        created_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=patient.clinic.invitation_expiry_days),
    )
    token = issue_link(administration)
    code = _assign_short_code(administration)
    audit.record(
        action="questionnaire_requested",
        actor=actor,
        obj=administration,
        patient=patient,
        request=request,
        # The kind and number, never an "other" occasion's free-text note: the audit log
        # cannot be changed, and an erasure must not leave a note naming the client here.
        detail={
            "form": form.code,
            "occasion": administration.occasion,
            "session": administration.session_number,
        },
    )
    return IssuedLink(administration, token, code)


def lock_open(actor: User, administration: Administration) -> Administration:
    """Lock the administration's row, re-check the actor's right to it, and refuse it
    unless it is still open (the caller holds a transaction)."""
    administration = (
        Administration.objects.select_for_update()
        .select_related("patient__clinic", "therapist")
        .get(pk=administration.pk)
    )
    check_may_act_on(actor, administration.patient)
    if administration.state != AdministrationStatus.OPEN:
        raise AdministrationClosed(_("This questionnaire is no longer open."))
    return administration


@transaction.atomic
def administration_new_link(
    *, actor: User, administration: Administration, request: HttpRequest | None = None
) -> IssuedLink:
    """Withdraw every earlier link of an open questionnaire and make a fresh one."""
    administration = lock_open(actor, administration)
    administration.links.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    token = issue_link(administration)
    code = _assign_short_code(administration)
    audit.record(
        action="questionnaire_link_renewed",
        actor=actor,
        obj=administration,
        patient=administration.patient,
        request=request,
    )
    return IssuedLink(administration, token, code)


@transaction.atomic
def administration_revoke(
    *, actor: User, administration: Administration, request: HttpRequest | None = None
) -> Administration:
    administration = lock_open(actor, administration)
    now = timezone.now()
    administration.status = AdministrationStatus.REVOKED
    administration.revoked_at = now
    administration.revoked_by = actor
    administration.save(update_fields=["status", "revoked_at", "revoked_by"])
    administration.links.filter(revoked_at__isnull=True).update(revoked_at=now)
    audit.record(
        action="questionnaire_revoked",
        actor=actor,
        obj=administration,
        patient=administration.patient,
        request=request,
    )
    return administration
