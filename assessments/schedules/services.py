"""Setting, changing and stopping schedules; the clinic's default for new clients.

Every change is audited. A schedule that is changed is ended and a new one started, so
the occasions already recorded keep the rule they were made under.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from clinicians import audit
from clinicians.models import Clinic, Patient, User

from ..models import Rater
from ..questionnaires.links import QuestionnaireError, check_may_act_on, form_for
from .models import ClinicSchedule, Schedule, ScheduleStatus
from .timing import Rule, next_due_after


@dataclass(frozen=True)
class CadenceValues:
    form_code: str
    every: int
    unit: str
    weekday: int
    local_time: time
    times: int | None
    with_therapist_rating: bool = False

    def as_fields(self) -> dict[str, Any]:
        return {
            "form_code": self.form_code,
            "every": self.every,
            "unit": self.unit,
            "weekday": self.weekday,
            "local_time": self.local_time,
            "times": self.times,
            "with_therapist_rating": self.with_therapist_rating,
        }

    def audit_detail(self) -> dict[str, Any]:
        detail = self.as_fields()
        detail["local_time"] = self.local_time.strftime("%H:%M")
        return detail


def rule_of(schedule: Schedule | ClinicSchedule | CadenceValues) -> Rule:
    return Rule(
        every=schedule.every,
        unit=schedule.unit,
        weekday=schedule.weekday,
        local_time=schedule.local_time,
    )


def first_due(values: CadenceValues, clinic: Clinic, starts_on: date, now: datetime) -> datetime:
    """The first due time on or after the start date, never in the past."""
    zone = clinic.zone
    # Just before the start date's first minute, so a due time that day counts.
    day_start = datetime.combine(starts_on, time(0, 0), tzinfo=zone)
    after = max(day_start - timezone.timedelta(seconds=1), now)
    return next_due_after(rule_of(values), starts_on, after, zone)


def end_schedule(schedule: Schedule, *, reason: str, now: datetime) -> None:
    schedule.status = ScheduleStatus.ENDED
    schedule.ended_at = now
    schedule.ended_reason = reason
    schedule.next_due_at = None
    schedule.save(update_fields=["status", "ended_at", "ended_reason", "next_due_at"])


def active_schedule(patient: Patient) -> Schedule | None:
    return Schedule.objects.filter(patient=patient, status=ScheduleStatus.ACTIVE).first()


def _start(
    *,
    patient: Patient,
    values: CadenceValues,
    starts_on: date,
    actor: User | None,
    now: datetime,
) -> Schedule:
    return Schedule.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        starts_on=starts_on,
        next_due_at=first_due(values, patient.clinic, starts_on, now),
        created_at=now,
        created_by=actor,
        **values.as_fields(),
    )


@transaction.atomic
def schedule_set(
    *,
    actor: User,
    patient: Patient,
    values: CadenceValues,
    starts_on: date,
    request: HttpRequest | None = None,
) -> Schedule:
    """Start a client's schedule, or replace the one they have."""
    locked = Patient.objects.select_for_update().select_related("clinic").get(pk=patient.pk)
    check_may_act_on(actor, locked)
    if not locked.is_active:
        raise QuestionnaireError(_("This client is discharged. Reactivate them first."))
    form_for(values.form_code, Rater.CLIENT)
    now = timezone.now()
    current = active_schedule(locked)
    if current is not None:
        end_schedule(current, reason="replaced", now=now)
    schedule = _start(patient=locked, values=values, starts_on=starts_on, actor=actor, now=now)
    audit.record(
        action="schedule_changed" if current else "schedule_set",
        actor=actor,
        obj=schedule,
        patient=locked,
        request=request,
        detail={**values.audit_detail(), "starts_on": starts_on.isoformat()},
    )
    return schedule


@transaction.atomic
def schedule_stop(*, actor: User, patient: Patient, request: HttpRequest | None = None) -> Schedule:
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    check_may_act_on(actor, locked)
    current = active_schedule(locked)
    if current is None:
        raise QuestionnaireError(_("This client has no schedule to stop."))
    end_schedule(current, reason="stopped", now=timezone.now())
    audit.record(
        action="schedule_stopped", actor=actor, obj=current, patient=locked, request=request
    )
    return current


def schedule_end_for(*, patient: Patient, actor: User | None, reason: str) -> Schedule | None:
    """End the client's schedule because of what happened to the client (discharge,
    erasure); the caller holds the transaction of that change."""
    current = Schedule.objects.select_for_update().filter(
        patient=patient, status=ScheduleStatus.ACTIVE
    )
    schedule = current.first()
    if schedule is None:
        return None
    end_schedule(schedule, reason=reason, now=timezone.now())
    audit.record(
        action="schedule_stopped",
        actor=actor,
        actor_label="" if actor is not None else "system",
        clinic=patient.clinic,
        obj=schedule,
        patient=patient,
        detail={"reason": reason},
    )
    return schedule


def clinic_default(clinic: Clinic) -> ClinicSchedule:
    """The clinic's default schedule (an unsaved, switched-off one when never set)."""
    found = ClinicSchedule.objects.filter(clinic=clinic).first()
    return found or ClinicSchedule(clinic=clinic, form_code=clinic.default_client_form)


@transaction.atomic
def clinic_default_set(
    *,
    actor: User,
    values: CadenceValues,
    enabled: bool,
    request: HttpRequest | None = None,
) -> ClinicSchedule:
    form_for(values.form_code, Rater.CLIENT)
    default, _created = ClinicSchedule.objects.select_for_update().update_or_create(
        clinic_id=actor.clinic_id,
        defaults={**values.as_fields(), "enabled": enabled, "updated_at": timezone.now()},
    )
    audit.record(
        action="clinic_schedule_changed",
        actor=actor,
        obj=default,
        request=request,
        detail={**values.audit_detail(), "enabled": enabled},
    )
    return default


def apply_clinic_default(*, patients: list[Patient], actor: User | None) -> int:
    """Give newly created clients the clinic's default schedule, starting today."""
    if not patients:
        return 0
    # One query when the clinic has no default switched on (an import calls this once
    # per chunk of rows).
    default = (
        ClinicSchedule.objects.filter(clinic_id=patients[0].clinic_id, enabled=True)
        .select_related("clinic")
        .first()
    )
    if default is None:
        return 0
    clinic = default.clinic
    values = CadenceValues(
        form_code=default.form_code,
        every=default.every,
        unit=default.unit,
        weekday=default.weekday,
        local_time=default.local_time,
        times=default.times,
        with_therapist_rating=default.with_therapist_rating,
    )
    now = timezone.now()
    today = clinic.today()
    first = first_due(values, clinic, today, now)
    schedules = Schedule.objects.bulk_create(
        [
            Schedule(
                clinic_id=clinic.pk,
                patient=p,
                starts_on=today,
                next_due_at=first,
                created_at=now,
                created_by=actor,
                **values.as_fields(),
            )
            for p in patients
        ]
    )
    audit.record_many(
        [
            audit.build(
                action="schedule_set",
                actor=actor,
                clinic=clinic,
                obj=s,
                patient=s.patient,
                detail={**values.audit_detail(), "from": "clinic_default"},
            )
            for s in schedules
        ]
    )
    return len(schedules)
