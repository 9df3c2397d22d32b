"""Storing answers: a client's submission, a staff paper entry, a correction.

Every write is keyword-only, runs in one transaction, and writes the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import signals
from clinicians import audit
from clinicians.models import Patient, Role, User

from ..alliance.counts import keep as sent_counts
from ..alliance.summaries import refresh_alliance
from ..models import (
    Administration,
    AdministrationStatus,
    Answer,
    Channel,
    Rater,
    Response,
)
from ..scoring.registry import get_registry
from ..scoring.sheet import ScoreResult, ScoringError, score
from .links import (
    AdministrationClosed,
    Occasion,
    QuestionnaireError,
    check_may_act_on,
    current_therapist,
    form_for,
    linked_client_administration,
)


@dataclass(frozen=True)
class SubmitResult:
    response: Response
    created: bool  # False: it had been received already (double click, second tab)


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
    if version == 1:
        # Counted once the row is committed, never for a rolled-back attempt.
        transaction.on_commit(
            lambda: signals.response_stored.send(sender=Response, channel=channel)
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

    One transaction of few statements (a client waits for it): the locked row read with
    its client and clinic, the response, its answers (one INSERT), the administration
    and its links, the client's summary (alliance.summaries) and the audit line.
    """
    try:
        with transaction.atomic():
            # Only the administration's row is locked (`of`): without it PostgreSQL
            # would lock the joined client and clinic rows too, and every submission of
            # a clinic would wait for the one before.
            administration = (
                Administration.objects.select_for_update(of=("self",))
                .select_related("patient__clinic")
                .get(pk=administration_id)
            )
            if administration.status == AdministrationStatus.COMPLETED:
                # Looked up only when it can exist: a first submission needs no query.
                existing = administration.responses.filter(is_current=True).first()
                if existing is not None:
                    return SubmitResult(existing, created=False)
            if administration.status == AdministrationStatus.REVOKED or administration.is_expired:
                raise AdministrationClosed(_("This questionnaire is no longer open."))
            form = get_registry().get(administration.form_code)
            result = score(form, answers)
            if not allow_missing and not result.complete:
                raise ScoringError(_("Every question needs an answer."))
            response = _store_response(
                administration, answers, result, channel=channel, entered_by=entered_by
            )
            administration.status = AdministrationStatus.COMPLETED
            administration.completed_at = response.submitted_at
            administration.save(update_fields=["status", "completed_at"])
            sent_counts.completed(administration)  # the clinic overview's counts
            administration.links.filter(revoked_at__isnull=True).update(
                revoked_at=response.submitted_at
            )
            patient = administration.patient
            # Everything kept up to date from the stored response goes here, in this
            # transaction: the client's summary row first.
            refresh_alliance(patient_ids=[patient.pk], clinic_of={patient.pk: patient.clinic_id})
            audit.record(
                action="questionnaire_submitted",
                actor=entered_by,
                actor_label="" if entered_by else f"client ({channel})",
                clinic=patient.clinic,
                obj=administration,
                patient=patient,
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
    check_may_act_on(actor, patient)
    form = form_for(form_code, rater)
    if rater == Rater.THERAPIST and actor.role != Role.THERAPIST:
        raise QuestionnaireError(_("Only the client's therapist can give the therapist's rating."))
    therapist = actor if rater == Rater.THERAPIST else current_therapist(patient)
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
        linked_to=linked_client_administration(patient, occasion)
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
    check_may_act_on(actor, administration.patient)
    current = administration.responses.filter(is_current=True).first()
    if current is None or current.pk != response.pk:
        raise QuestionnaireError(
            _("Someone corrected this questionnaire in the meantime. Open it again.")
        )
    if not reason.strip():
        raise QuestionnaireError(_("Say briefly why the answers are being corrected."))
    form = get_registry().get(administration.form_code)
    result = score(form, answers)
    old = {a.item: a.value for a in current.answers.all()}
    if old == {i: answers.get(i) for i in range(1, form.item_count + 1)}:
        raise QuestionnaireError(_("The answers are the same as before: nothing to correct."))
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
