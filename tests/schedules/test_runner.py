"""The periodic run: each due time once, whatever the state of the client, the mail
server or the run itself."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from assessments.models import Administration, AdministrationStatus, Channel
from assessments.questionnaires.links import Occasion, administration_request
from assessments.questionnaires.reminders import reminders_send
from assessments.questionnaires.submissions import response_submit
from assessments.schedules import runner
from assessments.schedules.models import OccasionState, Schedule, ScheduledOccasion
from assessments.schedules.runner import schedules_run
from assessments.schedules.services import schedule_set, schedule_stop
from clinicians.models import CaseAssignment, Patient, User

from .conftest import weekly


def _start(therapist: User, patient: Patient, **overrides: Any) -> Schedule:
    return schedule_set(
        actor=therapist,
        patient=patient,
        values=weekly(unit="days", **overrides),
        starts_on=patient.clinic.today(),
    )


def _due(schedule: Schedule) -> Any:
    schedule.refresh_from_db()
    assert schedule.next_due_at is not None
    return schedule.next_due_at


def test_a_due_schedule_asks_and_emails_once(therapist_a1: User, client_a1: Patient) -> None:
    schedule = _start(therapist_a1, client_a1)
    due = _due(schedule)
    assert schedules_run(now=due - timedelta(minutes=1)).fired == 0
    run = schedules_run(now=due + timedelta(minutes=2))
    assert (run.fired, run.sent) == (1, 1)
    assert schedules_run(now=due + timedelta(minutes=3)) == (0, 0, 0)
    assert len(mail.outbox) == 1 and "Alice" not in mail.outbox[0].body
    occasion = ScheduledOccasion.objects.get()
    assert occasion.state == OccasionState.SENT and occasion.due_at == due
    administration = occasion.administration
    assert administration is not None and administration.emailed_at is not None
    assert administration.session_number == 1 and administration.therapist == therapist_a1
    assert _due(schedule) == due + timedelta(days=1)


def test_a_run_that_dies_before_sending_is_finished_by_the_next_run_once(
    therapist_a1: User, client_a1: Patient, monkeypatch: pytest.MonkeyPatch
) -> None:
    due = _due(_start(therapist_a1, client_a1))

    def crash(occasion_id: int, now: Any) -> str:
        raise SystemExit("the worker was killed")

    monkeypatch.setattr(runner, "_send", crash)
    with pytest.raises(SystemExit):
        schedules_run(now=due)
    assert Administration.objects.count() == 1 and mail.outbox == []
    monkeypatch.undo()
    assert schedules_run(now=due + timedelta(minutes=5)).sent == 1
    assert schedules_run(now=due + timedelta(minutes=10)).sent == 0
    assert Administration.objects.count() == 1 and len(mail.outbox) == 1


def test_a_run_that_dies_while_sending_is_shown_as_failed_never_sent_twice(
    therapist_a1: User, client_a1: Patient
) -> None:
    due = _due(_start(therapist_a1, client_a1))
    schedules_run(now=due)
    occasion = ScheduledOccasion.objects.get()
    # What a run killed during the mail server's conversation leaves behind.
    ScheduledOccasion.objects.filter(pk=occasion.pk).update(
        state=OccasionState.SENDING, claimed_at=due
    )
    mail.outbox.clear()
    schedules_run(now=due + timedelta(minutes=10))
    assert ScheduledOccasion.objects.get().state == OccasionState.SENDING
    schedules_run(now=due + runner.STUCK_AFTER + timedelta(minutes=1))
    occasion.refresh_from_db()
    assert occasion.state == OccasionState.FAILED and occasion.failure
    assert mail.outbox == []


def test_a_refused_address_fails_at_once_and_is_shown(
    settings: Any, therapist_a1: User, client_a1: Patient
) -> None:
    settings.EMAIL_BACKEND = "tests.questionnaires.refusing_mail.Backend"
    Patient.objects.filter(pk=client_a1.pk).update(email="refused@example.test")
    due = _due(_start(therapist_a1, client_a1))
    assert schedules_run(now=due).failed == 1
    occasion = ScheduledOccasion.objects.get()
    assert occasion.state == OccasionState.FAILED and occasion.attempts == 1
    assert "refused the address" in occasion.failure
    assert schedules_run(now=due + timedelta(hours=2)).failed == 0  # not retried


def test_without_an_email_address_the_questionnaire_waits_on_the_caseload(
    therapist_a2: User, client_a2: Patient
) -> None:
    due = _due(_start(therapist_a2, client_a2))
    run = schedules_run(now=due)
    assert (run.fired, run.sent) == (1, 0)
    occasion = ScheduledOccasion.objects.get()
    assert occasion.state == OccasionState.WAITING
    assert occasion.administration is not None
    assert occasion.administration.status == AdministrationStatus.OPEN
    assert mail.outbox == []


def test_an_open_questionnaire_is_not_doubled_and_an_early_answer_counts(
    therapist_a1: User, client_a1: Patient
) -> None:
    schedule = _start(therapist_a1, client_a1, every=2)
    first = _due(schedule)
    with time_machine.travel(first - timedelta(hours=5), tick=False):
        issued = administration_request(
            actor=therapist_a1,
            patient=client_a1,
            form_code="wai-sr-client",
            occasion=Occasion("session", 1, "", client_a1.clinic.today()),
        )
    schedules_run(now=first)
    occasion = ScheduledOccasion.objects.get()
    assert occasion.state == OccasionState.ALREADY_OPEN
    assert occasion.administration == issued.administration
    # Answered 20 hours before the next due time (within half a period: it counts).
    second = _due(schedule)
    with time_machine.travel(second - timedelta(hours=20), tick=False):
        response_submit(
            administration_id=issued.administration.pk,
            answers={i: 3 for i in range(1, 13)},
            channel=Channel.LINK,
        )
    schedules_run(now=second)
    assert ScheduledOccasion.objects.order_by("-due_at")[0].state == OccasionState.COVERED
    assert Administration.objects.count() == 1 and mail.outbox == []


def test_a_client_without_a_therapist_is_skipped_and_it_does_not_count(
    therapist_a1: User, client_a1: Patient
) -> None:
    schedule = _start(therapist_a1, client_a1, times=1)
    due = _due(schedule)
    CaseAssignment.objects.filter(patient=client_a1).update(ended_at=timezone.now())
    schedules_run(now=due)
    assert ScheduledOccasion.objects.get().state == OccasionState.SKIPPED
    schedule.refresh_from_db()
    assert schedule.status == "active" and Administration.objects.count() == 0
    CaseAssignment.objects.create(patient=client_a1, therapist=therapist_a1)
    schedules_run(now=_due(schedule))
    schedule.refresh_from_db()
    assert schedule.status == "ended" and schedule.ended_reason == "completed"
    assert Administration.objects.count() == 1


def test_a_count_ends_the_schedule(therapist_a1: User, client_a1: Patient) -> None:
    schedule = _start(therapist_a1, client_a1, times=2)
    for _ in range(2):
        due = _due(schedule)
        schedules_run(now=due)
        Administration.objects.update(status=AdministrationStatus.REVOKED)
    schedule.refresh_from_db()
    assert schedule.status == "ended" and schedule.next_due_at is None
    assert ScheduledOccasion.objects.count() == 2


def test_a_stopped_schedule_sends_nothing(therapist_a1: User, client_a1: Patient) -> None:
    due = _due(_start(therapist_a1, client_a1))
    schedule_stop(actor=therapist_a1, patient=client_a1)
    assert schedules_run(now=due + timedelta(days=3)).fired == 0
    assert Administration.objects.count() == 0


def test_the_reminder_follows_a_scheduled_email_and_stops_once_answered(
    therapist_a1: User, client_a1: Patient
) -> None:
    due = _due(_start(therapist_a1, client_a1, every=7))
    with time_machine.travel(due, tick=False):
        schedules_run()
    assert reminders_send(now=due + timedelta(days=2, minutes=1)).sent == 1
    administration = Administration.objects.get()
    Administration.objects.filter(pk=administration.pk).update(reminder_sent_at=None)
    response_submit(
        administration_id=administration.pk,
        answers={i: 3 for i in range(1, 13)},
        channel=Channel.LINK,
    )
    assert reminders_send(now=due + timedelta(days=3)).sent == 0


def test_the_command_runs_the_same(therapist_a1: User, client_a1: Patient, capsys: Any) -> None:
    due = _due(_start(therapist_a1, client_a1))
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        call_command("run_schedules")
    assert "due: 1, emailed: 1" in capsys.readouterr().out


def test_discharge_ends_the_schedule_with_an_audit_line(
    admin_a: User, therapist_a1: User, client_a1: Patient
) -> None:
    from clinicians.models import AuditEvent
    from clinicians.services.clients import patient_discharge

    schedule = _start(therapist_a1, client_a1)
    patient_discharge(actor=admin_a, patient=client_a1)
    schedule.refresh_from_db()
    assert (schedule.status, schedule.ended_reason) == ("ended", "discharged")
    assert schedule.next_due_at is None
    assert AuditEvent.objects.filter(
        action="schedule_stopped", object_id=str(schedule.pk), detail__reason="discharged"
    ).exists()
    assert schedules_run(now=timezone.now() + timedelta(days=10)).fired == 0
