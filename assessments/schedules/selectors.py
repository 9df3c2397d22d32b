"""Reads about schedules for the client page, the caseload and the clinic overview."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from clinicians.models import Patient, User

from ..models import AdministrationStatus
from .models import OccasionState, Schedule, ScheduledOccasion, ScheduleStatus
from .services import rule_of
from .timing import next_due_after

UPCOMING = 3
PAST = 12


@dataclass
class ClientSchedule:
    schedule: Schedule | None
    upcoming: list[datetime] = field(default_factory=list)
    past: list[ScheduledOccasion] = field(default_factory=list)


def _upcoming(schedule: Schedule) -> list[datetime]:
    """The next due times (at most UPCOMING, fewer when the count runs out)."""
    if schedule.next_due_at is None:
        return []
    left = UPCOMING
    if schedule.times is not None:
        done = schedule.occasions.exclude(state=OccasionState.SKIPPED).count()
        left = max(0, min(UPCOMING, schedule.times - done))
    out: list[datetime] = []
    due = schedule.next_due_at
    zone = schedule.patient.clinic.zone
    while len(out) < left:
        out.append(due)
        due = next_due_after(rule_of(schedule), schedule.starts_on, due, zone)
    return out


def client_schedule(patient: Patient) -> ClientSchedule:
    """The client's active schedule with its next due times, and the occasions of all
    their schedules so far, newest first."""
    schedule = (
        Schedule.objects.filter(patient=patient, status=ScheduleStatus.ACTIVE)
        .select_related("patient__clinic")
        .first()
    )
    past = list(
        ScheduledOccasion.objects.filter(schedule__patient=patient)
        .select_related("administration")
        .order_by("-due_at")[:PAST]
    )
    return ClientSchedule(
        schedule=schedule,
        upcoming=_upcoming(schedule) if schedule is not None else [],
        past=past,
    )


def _failed(outer: str = "pk") -> Exists:
    """A scheduled email that failed for a questionnaire still waiting for answers."""
    return Exists(
        ScheduledOccasion.objects.filter(
            schedule__patient=OuterRef(outer),
            state=OccasionState.FAILED,
            administration__status=AdministrationStatus.OPEN,
        )
    )


def with_schedule(patients: QuerySet[Patient]) -> QuerySet[Patient]:
    """Each client with their next due time and whether a scheduled email failed, read in
    the same query as the client (no query per row, whatever the caseload's size)."""
    next_due = Schedule.objects.filter(patient=OuterRef("pk"), status=ScheduleStatus.ACTIVE).values(
        "next_due_at"
    )[:1]
    return patients.annotate(schedule_next_due=Subquery(next_due), schedule_failed=_failed())


def failed_schedules(user: User, limit: int = 50) -> list[ScheduledOccasion]:
    """The clinic's scheduled emails that failed, for questionnaires still open."""
    return list(
        ScheduledOccasion.objects.filter(
            schedule__clinic_id=user.clinic_id,
            state=OccasionState.FAILED,
            administration__status=AdministrationStatus.OPEN,
        )
        .select_related("schedule__patient", "administration__therapist")
        .order_by("-due_at")[:limit]
    )
