"""The periodic run: record each due time once, ask for the questionnaire, email it.

Two steps, each safe with several schedulers at once and with a run that dies halfway:

1. Firing. Each due schedule is locked (`SELECT … FOR UPDATE SKIP LOCKED` on
   PostgreSQL, so a second scheduler passes over it), its due time is recorded as a
   `ScheduledOccasion` (unique per schedule and due time), the questionnaire is created
   and the schedule moves on to its next due time, all in one transaction: a crash
   leaves either nothing or all of it.
2. Sending. Each occasion waiting for its email is claimed by a conditional UPDATE that
   only one process wins, then emailed after the commit. A run that died after firing
   and before sending leaves the occasion waiting; the next run sends it, once. A run
   that died during the mail server's conversation leaves it "being sent": after
   `STUCK_AFTER` it is shown as failed, never sent again (the email may have arrived).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clinicians import audit
from clinicians.models import CaseAssignment, User

from ..models import Administration, AdministrationStatus, OccasionKind, Rater
from ..questionnaires.links import issue_link
from ..questionnaires.mailing import failure_of, record_failure, send_invitation
from ..questionnaires.selectors import next_session_number
from .models import OccasionState, Schedule, ScheduledOccasion, ScheduleStatus
from .services import end_schedule, rule_of
from .timing import next_due_after

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 4  # an unreachable mail server is tried this often, then shown as failed
RETRY_AFTER = timedelta(minutes=15)
STUCK_AFTER = timedelta(minutes=30)
BATCH = 500


class ScheduleRun(NamedTuple):
    fired: int
    sent: int
    failed: int


def covering_window(schedule: Schedule) -> timedelta:
    """How long before a due time a completed questionnaire of the same form counts for
    it: half a period, at least a day."""
    return max(rule_of(schedule).period / 2, timedelta(days=1))


def _therapist(patient_id: int) -> User | None:
    current = (
        CaseAssignment.objects.filter(patient_id=patient_id, ended_at__isnull=True)
        .select_related("therapist")
        .first()
    )
    if current is None or not current.therapist.is_active:
        return None
    return current.therapist


def _decide(schedule: Schedule, due_at: datetime, now: datetime) -> ScheduledOccasion:
    patient = schedule.patient
    occasion = ScheduledOccasion(schedule=schedule, due_at=due_at, created_at=now)
    therapist = _therapist(patient.pk)
    if therapist is None:
        occasion.state = OccasionState.SKIPPED
        return occasion
    client_ones = Administration.objects.filter(patient=patient, rater=Rater.CLIENT)
    early = (
        client_ones.filter(
            form_code=schedule.form_code,
            status=AdministrationStatus.COMPLETED,
            completed_at__gt=due_at - covering_window(schedule),
        )
        .order_by("-completed_at")
        .first()
    )
    if early is not None:
        occasion.state, occasion.administration = OccasionState.COVERED, early
        return occasion
    already = (
        client_ones.filter(status=AdministrationStatus.OPEN, expires_at__gt=now)
        .order_by("-created_at")
        .first()
    )
    if already is not None:
        occasion.state, occasion.administration = OccasionState.ALREADY_OPEN, already
        return occasion
    clinic = patient.clinic
    administration = Administration.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        therapist=therapist,
        form_code=schedule.form_code,
        rater=Rater.CLIENT,
        occasion=OccasionKind.SESSION,
        session_number=next_session_number(patient),
        session_date=timezone.localtime(due_at, clinic.zone).date(),
        created_by=therapist,
        created_at=now,
        expires_at=now + timedelta(days=clinic.invitation_expiry_days),
    )
    audit.record(
        action="questionnaire_requested",
        actor_label="system",
        clinic=clinic,
        obj=administration,
        patient=patient,
        detail={
            "form": administration.form_code,
            "occasion": administration.occasion,
            "session": administration.session_number,
            "schedule": schedule.pk,
        },
    )
    occasion.administration = administration
    occasion.state = OccasionState.PENDING if patient.email else OccasionState.WAITING
    return occasion


def _fire(schedule_id: int, now: datetime) -> bool:
    """Record one schedule's due time and move it on. False when another run has it."""
    with transaction.atomic():
        schedule = (
            Schedule.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("patient__clinic")
            .filter(pk=schedule_id, status=ScheduleStatus.ACTIVE, next_due_at__lte=now)
            .first()
        )
        if schedule is None or schedule.next_due_at is None:
            return False
        patient = schedule.patient
        if not patient.is_active:
            end_schedule(schedule, reason="discharged", now=now)
            return False
        due_at = schedule.next_due_at
        occasion = _decide(schedule, due_at, now)
        try:
            with transaction.atomic():
                occasion.save()
        except IntegrityError:
            # Recorded already (a database without row locks let two runs in): the
            # questionnaire made above is rolled back with this transaction.
            transaction.set_rollback(True)
            return False
        counted = schedule.occasions.exclude(state=OccasionState.SKIPPED).count()
        if schedule.times is not None and counted >= schedule.times:
            end_schedule(schedule, reason="completed", now=now)
        else:
            schedule.next_due_at = next_due_after(
                rule_of(schedule), schedule.starts_on, max(due_at, now), patient.clinic.zone
            )
            schedule.save(update_fields=["next_due_at"])
        audit.record(
            action="schedule_fired",
            actor_label="system",
            clinic=patient.clinic,
            obj=schedule,
            patient=patient,
            detail={"due_at": due_at.isoformat(), "state": occasion.state},
        )
        return True


def _send(occasion_id: int, now: datetime) -> str | None:
    """Email one occasion's questionnaire; "sent", "failed", "retry" or None (not ours)."""
    with transaction.atomic():
        claimed = ScheduledOccasion.objects.filter(
            pk=occasion_id, state=OccasionState.PENDING
        ).update(state=OccasionState.SENDING, claimed_at=now, attempts=F("attempts") + 1)
        if not claimed:
            return None
        occasion = ScheduledOccasion.objects.select_related(
            "administration__patient__clinic", "administration__therapist"
        ).get(pk=occasion_id)
        administration = occasion.administration
        assert administration is not None
        patient = administration.patient
        if administration.state != AdministrationStatus.OPEN or not patient.email:
            # Answered at the kiosk, withdrawn, or the address was removed meanwhile.
            state = {
                AdministrationStatus.OPEN: OccasionState.WAITING,
                AdministrationStatus.REVOKED: OccasionState.WITHDRAWN,
            }.get(administration.state, OccasionState.COVERED)
            ScheduledOccasion.objects.filter(pk=occasion_id).update(state=state)
            return None
        token = issue_link(administration, purpose="email")
    try:
        send_invitation(administration, token, reminder=False)
    except Exception as exc:  # one email never stops the others
        failure = failure_of(exc)
        final = not failure.retry or occasion.attempts >= MAX_ATTEMPTS
        logger.warning("Scheduled questionnaire %s not sent (%s)", administration.pk, failure.code)
        ScheduledOccasion.objects.filter(pk=occasion_id).update(
            state=OccasionState.FAILED if final else OccasionState.PENDING,
            failure=failure.reason[:200],
        )
        record_failure(administration, failure, actor=None)
        return "failed" if final else "retry"
    ScheduledOccasion.objects.filter(pk=occasion_id).update(
        state=OccasionState.SENT, sent_at=timezone.now(), failure=""
    )
    Administration.objects.filter(pk=administration.pk).update(
        emailed_at=now, email_failed_at=None, email_failure=""
    )
    audit.record(
        action="questionnaire_emailed",
        actor_label="system",
        clinic=patient.clinic,
        obj=administration,
        patient=patient,
        detail={"schedule": occasion.schedule_id},
    )
    return "sent"


def _give_up_stuck(now: datetime) -> int:
    """A run that died while talking to the mail server: the email may have gone, so it
    is never sent again; the therapist sees it as failed and can check with the client."""
    return ScheduledOccasion.objects.filter(
        state=OccasionState.SENDING, claimed_at__lte=now - STUCK_AFTER
    ).update(
        state=OccasionState.FAILED,
        failure=_("sending was interrupted; the email may not have arrived.")[:200],
    )


def schedules_run(*, now: datetime | None = None) -> ScheduleRun:
    """Fire every due schedule, then send every email waiting. Safe to run twice at
    once, late, or again after a crash; one failure never stops the rest."""
    now = now or timezone.now()
    due = list(
        Schedule.objects.filter(status=ScheduleStatus.ACTIVE, next_due_at__lte=now)
        .order_by("next_due_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    fired = 0
    for pk in due:
        try:
            fired += _fire(pk, now)
        except Exception:
            logger.exception("Schedule %s could not be run", pk)
    failed = _give_up_stuck(now)
    waiting = ScheduledOccasion.objects.filter(state=OccasionState.PENDING).filter(
        Q(attempts=0) | Q(claimed_at__lte=now - RETRY_AFTER)
    )
    sent = 0
    for pk in list(waiting.order_by("due_at").values_list("pk", flat=True)[:BATCH]):
        try:
            outcome = _send(pk, now)
        except Exception:
            logger.exception("Scheduled occasion %s could not be sent", pk)
            continue
        sent += outcome == "sent"
        failed += outcome == "failed"
    return ScheduleRun(fired=fired, sent=sent, failed=failed)
