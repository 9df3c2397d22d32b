"""Writes for questionnaires: requesting, links, submitting, corrections, kiosks.

Every function here is keyword-only, runs in one transaction, and writes the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from clinicians import audit
from clinicians.models import Patient, PatientStatus, Role, User

from .alliance import refresh_alliance
from .models import (
    AccessLink,
    Administration,
    AdministrationStatus,
    Answer,
    Channel,
    KioskDevice,
    OccasionKind,
    Rater,
    Response,
)
from .registry import Form, get_registry
from .scoring import ScoreResult, ScoringError, score
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


@dataclass(frozen=True)
class SubmitResult:
    response: Response
    created: bool  # False: it had been received already (double click, second tab)


def link_url(token: str, request: HttpRequest | None = None) -> str:
    """The client's link. Pages build it from the address the staff member is using;
    emails, sent from cron with no request, use ALLIANCE_BASE_URL."""
    if request is not None:
        return request.build_absolute_uri(f"/q/{token}")
    return f"{settings.ALLIANCE_BASE_URL}/q/{token}"


def _form_for(code: str, rater: str) -> Form:
    registry = get_registry()
    if code not in registry:
        raise QuestionnaireError("That form is not available in this clinic.")
    form = registry.get(code)
    if form.rater != rater:
        raise QuestionnaireError("That form is not meant for this rater.")
    return form


def _current_therapist(patient: Patient) -> User:
    assignment = patient.assignments.filter(ended_at__isnull=True).select_related("therapist")
    current = assignment.first()
    if current is None:
        raise QuestionnaireError("This client has no therapist. Assign one first.")
    return current.therapist


def _check_may_act_on(actor: User, patient: Patient) -> None:
    """Services re-check what views check: the rule must hold for every caller."""
    if actor.clinic_id != patient.clinic_id:
        raise QuestionnaireError("This client is not in your clinic.")
    if actor.role == Role.THERAPIST and _current_therapist(patient).pk != actor.pk:
        raise QuestionnaireError("This client is not on your caseload.")


def _assign_short_code(administration: Administration) -> str:
    # Collisions are rare (22^6 codes); the database constraint settles any race.
    for _ in range(10):
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
    raise QuestionnaireError("Could not make a kiosk code. Please try again.")


def _issue_link(administration: Administration, purpose: str = "link") -> str:
    token = new_token()
    AccessLink.objects.create(
        administration=administration, token_hash=hash_token(token), purpose=purpose
    )
    return token


def _linked_client_administration(patient: Patient, occasion: Occasion) -> Administration | None:
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
    _check_may_act_on(actor, patient)
    if not patient.is_active:
        raise QuestionnaireError("This client is discharged. Reactivate them first.")
    form = _form_for(form_code, Rater.CLIENT)
    therapist = _current_therapist(patient)
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
    token = _issue_link(administration)
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


def _lock_open(actor: User, administration: Administration) -> Administration:
    """Lock the administration's row, re-check the actor's right to it, and refuse it
    unless it is still open (the caller holds a transaction)."""
    administration = (
        Administration.objects.select_for_update()
        .select_related("patient__clinic", "therapist")
        .get(pk=administration.pk)
    )
    _check_may_act_on(actor, administration.patient)
    if administration.state != AdministrationStatus.OPEN:
        raise AdministrationClosed("This questionnaire is no longer open.")
    return administration


@transaction.atomic
def administration_new_link(
    *, actor: User, administration: Administration, request: HttpRequest | None = None
) -> IssuedLink:
    """Withdraw every earlier link of an open questionnaire and make a fresh one."""
    administration = _lock_open(actor, administration)
    administration.links.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    token = _issue_link(administration)
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
    administration = _lock_open(actor, administration)
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


def _store_response(
    administration: Administration,
    answers: dict[int, int | None],
    result: ScoreResult,
    *,
    channel: str,
    entered_by: User | None,
    version: int = 1,
    supersedes: Response | None = None,
    reason: str = "",
) -> Response:
    scores: dict[str, Any] = {}
    for part in ("goal", "task", "bond", "total"):
        figures = getattr(result, part)
        scores[f"{part}_sum"] = figures.sum
        scores[f"{part}_mean"] = figures.mean
        scores[f"{part}_pomp"] = figures.pomp
    response = Response.objects.create(
        administration=administration,
        version=version,
        channel=channel,
        entered_by=entered_by,
        supersedes=supersedes,
        correction_reason=reason,
        answered=result.total.answered,
        items=result.total.items,
        complete=result.complete,
        prorated=result.prorated,
        **scores,
    )
    Answer.objects.bulk_create(
        Answer(response=response, item=item, value=answers.get(item))
        for item in range(1, result.total.items + 1)
    )
    return response


def response_submit(
    *,
    administration_id: int,
    answers: dict[int, int | None],
    channel: str,
    allow_missing: bool = False,
    entered_by: User | None = None,
    request: HttpRequest | None = None,
) -> SubmitResult:
    """Store a filled-in questionnaire exactly once, with its score.

    The administration row is locked, and the database refuses a second version 1, so a
    double click, a resubmit or two tabs store one response; the later ones are told it
    was received already.
    """
    try:
        with transaction.atomic():
            administration = (
                Administration.objects.select_for_update()
                .select_related("patient")
                .get(pk=administration_id)
            )
            existing = administration.responses.filter(is_current=True).first()
            if administration.status == AdministrationStatus.COMPLETED and existing:
                return SubmitResult(existing, created=False)
            if administration.status == AdministrationStatus.REVOKED or administration.is_expired:
                raise AdministrationClosed("This questionnaire is no longer open.")
            form = get_registry().get(administration.form_code)
            result = score(form, answers)
            if not allow_missing and not result.complete:
                raise ScoringError("Every question needs an answer.")
            response = _store_response(
                administration, answers, result, channel=channel, entered_by=entered_by
            )
            administration.status = AdministrationStatus.COMPLETED
            administration.completed_at = response.submitted_at
            administration.save(update_fields=["status", "completed_at"])
            administration.links.filter(revoked_at__isnull=True).update(
                revoked_at=response.submitted_at
            )
            refresh_alliance(patient_ids=[administration.patient_id])
            audit.record(
                action="questionnaire_submitted",
                actor=entered_by,
                actor_label="" if entered_by else f"client ({channel})",
                clinic=administration.patient.clinic,
                obj=administration,
                patient=administration.patient,
                request=request,
                detail={"channel": channel},
            )
            return SubmitResult(response, created=True)
    except IntegrityError:
        # Another request stored it between our lock and insert (databases without row
        # locks): the constraint kept it to one; report the one that won.
        response = Response.objects.get(administration_id=administration_id, is_current=True)
        return SubmitResult(response, created=False)


@transaction.atomic
def staff_entry_submit(
    *,
    actor: User,
    patient: Patient,
    form_code: str,
    rater: str,
    occasion: Occasion,
    answers: dict[int, int | None],
    request: HttpRequest | None = None,
) -> Response:
    """A paper form typed in by staff, or a therapist's own rating: created and completed
    in one step. Missing answers are allowed and scored by the missing-data rule."""
    _check_may_act_on(actor, patient)
    form = _form_for(form_code, rater)
    if rater == Rater.THERAPIST and actor.role != Role.THERAPIST:
        raise QuestionnaireError("Only the client's therapist can give the therapist's rating.")
    therapist = actor if rater == Rater.THERAPIST else _current_therapist(patient)
    result = score(form, answers)  # raises ScoringError before anything is written
    now = timezone.now()
    administration = Administration.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        therapist=therapist,
        form_code=form.code,
        rater=rater,
        occasion=occasion.kind,
        session_number=occasion.session_number,
        occasion_note=occasion.note,
        session_date=occasion.session_date,
        created_by=actor,
        created_at=now,
        expires_at=now,
        status=AdministrationStatus.COMPLETED,
        completed_at=now,
        linked_to=_linked_client_administration(patient, occasion)
        if rater == Rater.THERAPIST
        else None,
    )
    channel = Channel.SELF if rater == Rater.THERAPIST else Channel.PAPER
    response = _store_response(administration, answers, result, channel=channel, entered_by=actor)
    refresh_alliance(patient_ids=[patient.pk])
    audit.record(
        action="therapist_rating_entered" if rater == Rater.THERAPIST else "paper_form_entered",
        actor=actor,
        obj=administration,
        patient=patient,
        request=request,
        detail={"form": form.code, "answered": result.total.answered},
    )
    return response


@transaction.atomic
def response_correct(
    *,
    actor: User,
    response: Response,
    answers: dict[int, int | None],
    reason: str,
    request: HttpRequest | None = None,
) -> Response:
    """Record a staff correction as a new version; the old version stays as it was."""
    administration = Administration.objects.select_for_update().get(pk=response.administration_id)
    _check_may_act_on(actor, administration.patient)
    current = administration.responses.filter(is_current=True).first()
    if current is None or current.pk != response.pk:
        raise QuestionnaireError(
            "Someone corrected this questionnaire in the meantime. Open it again."
        )
    if not reason.strip():
        raise QuestionnaireError("Say briefly why the answers are being corrected.")
    form = get_registry().get(administration.form_code)
    result = score(form, answers)
    old = {a.item: a.value for a in current.answers.all()}
    if old == {i: answers.get(i) for i in range(1, form.item_count + 1)}:
        raise QuestionnaireError("The answers are the same as before: nothing to correct.")
    current.is_current = False
    current.save(update_fields=["is_current"])
    new = _store_response(
        administration,
        answers,
        result,
        channel=Channel.CORRECTION,
        entered_by=actor,
        version=current.version + 1,
        supersedes=current,
        reason=reason.strip()[:300],
    )
    refresh_alliance(patient_ids=[administration.patient_id])
    audit.record(
        action="questionnaire_corrected",
        actor=actor,
        obj=administration,
        patient=administration.patient,
        request=request,
        detail={"from_version": current.version, "to_version": new.version},
    )
    return new


# --- email ---------------------------------------------------------------------------
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
        administration = _lock_open(actor, administration)
        if not administration.patient.email:
            raise QuestionnaireError("This client has no email address on file.")
        token = _issue_link(administration, purpose="email")
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
            token = _issue_link(administration, purpose="reminder")
        try:
            _send_invitation(administration, token, reminder=True)
        except Exception:
            # Unclaim, so that the next run tries again; then let cron see the failure.
            Administration.objects.filter(pk=administration.pk).update(reminder_sent_at=None)
            raise
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
@transaction.atomic
def kiosk_enrol(
    *, actor: User, name: str, request: HttpRequest | None = None
) -> tuple[KioskDevice, str]:
    token = new_token()
    device = KioskDevice.objects.create(
        clinic_id=actor.clinic_id,
        name=name.strip()[:80],
        token_hash=hash_token(token),
        created_by=actor,
    )
    audit.record(action="kiosk_enrolled", actor=actor, obj=device, request=request)
    return device, token


@transaction.atomic
def kiosk_revoke(
    *, actor: User, device: KioskDevice, request: HttpRequest | None = None
) -> KioskDevice:
    if device.revoked_at is None:
        device.revoked_at = timezone.now()
        device.revoked_by = actor
        device.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(action="kiosk_revoked", actor=actor, obj=device, request=request)
    return device


__all__ = [
    "AdministrationClosed",
    "IssuedLink",
    "Occasion",
    "OccasionKind",
    "QuestionnaireError",
    "SubmitResult",
    "administration_email",
    "administration_new_link",
    "administration_request",
    "administration_revoke",
    "kiosk_enrol",
    "kiosk_revoke",
    "reminders_send",
    "response_correct",
    "response_submit",
    "staff_entry_submit",
]
