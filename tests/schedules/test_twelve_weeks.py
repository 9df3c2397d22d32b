"""Twelve weeks of a weekly schedule in Berlin, with frozen time: a change to summer
time, a mail server down for a day, a client answering early, a transfer of the
therapist's caseload and a discharge. Every questionnaire goes out exactly once, at
09:00 clinic time, under the therapist of the day; nothing goes after the discharge."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.core import mail
from django.utils import timezone

from assessments.models import Administration, AdministrationStatus, Channel, Rater
from assessments.questionnaires.links import Occasion, administration_request
from assessments.questionnaires.reminders import reminders_send
from assessments.questionnaires.submissions import response_submit
from assessments.schedules.models import OccasionState, Schedule, ScheduledOccasion
from assessments.schedules.runner import schedules_run
from assessments.schedules.services import schedule_set
from clinicians.models import AuditEvent, CaseAssignment, Clinic, Patient, User
from clinicians.services.caseloads import caseload_transfer
from clinicians.services.clients import patient_discharge

from .conftest import weekly
from .mail import Backend

BERLIN = ZoneInfo("Europe/Berlin")
RUN_AT = [time(8, 55), time(9, 0), time(9, 5), time(9, 20), time(10, 0), time(15, 0)]
FIRST_MONDAY = date(2026, 3, 2)


def at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=BERLIN)


def answer(administration: Administration) -> None:
    response_submit(
        administration_id=administration.pk,
        answers={i: 4 for i in range(1, 13)},
        channel=Channel.LINK,
    )


def test_twelve_weeks_every_questionnaire_once_at_nine_local(
    berlin: Clinic,
    admin_a: User,
    therapist_a1: User,
    therapist_a2: User,
    client_a1: Patient,
) -> None:
    # The cast was made at today's real date; the story starts earlier.
    CaseAssignment.objects.filter(patient=client_a1).update(
        started_at=at(FIRST_MONDAY - timedelta(days=30), time(9, 0))
    )
    with time_machine.travel(at(FIRST_MONDAY - timedelta(days=1), time(18, 0)), tick=False) as t:
        schedule_set(
            actor=therapist_a1,
            patient=client_a1,
            values=weekly(),
            starts_on=berlin.today(),
        )
        reminders = 0
        for offset in range(12 * 7):
            day = FIRST_MONDAY + timedelta(days=offset)
            week = offset // 7 + 1
            monday = offset % 7 == 0
            # Week 3: the mail server is down all Monday; back on Tuesday.
            Backend.down = week == 3 and monday
            if week == 6 and offset % 7 == 2:  # Wednesday of week 6: Tess leaves
                caseload_transfer(
                    actor=admin_a, source=therapist_a1, plan={client_a1.pk: therapist_a2.pk}
                )
            if week == 8 and offset % 7 == 5:  # Saturday of week 8: asked and answered early
                t.move_to(at(day, time(11, 0)))
                issued = administration_request(
                    actor=therapist_a2,
                    patient=client_a1,
                    form_code="wai-sr-client",
                    occasion=Occasion("session", 99, "", day),
                )
                answer(issued.administration)
            if week == 10 and offset % 7 == 1:  # Tuesday of week 10: discharged
                t.move_to(at(day, time(12, 0)))
                patient_discharge(actor=admin_a, patient=client_a1)
            for clock in RUN_AT:
                t.move_to(at(day, clock))
                schedules_run()
                reminders += reminders_send().sent
            # The client answers every emailed questionnaire on Tuesday afternoon, except
            # in week 5, when they answer on Thursday (after the reminder on Wednesday).
            if offset % 7 == (3 if week == 5 else 1):
                t.move_to(at(day, time(16, 0)))
                for a in Administration.objects.filter(
                    patient=client_a1, status=AdministrationStatus.OPEN, emailed_at__isnull=False
                ):
                    answer(a)

    occasions = list(ScheduledOccasion.objects.order_by("due_at"))
    # Weeks 1–10 had a due Monday; discharge on Tuesday of week 10 ended the schedule.
    assert [o.due_at.astimezone(BERLIN) for o in occasions] == [
        at(FIRST_MONDAY + timedelta(weeks=w), time(9, 0)) for w in range(10)
    ]
    assert {o.due_at.astimezone(BERLIN).time() for o in occasions} == {time(9, 0)}
    # The change to summer time (29 March) moved 09:00 from 08:00 to 07:00 UTC.
    assert occasions[3].due_at.hour == 8 and occasions[4].due_at.hour == 7
    states = [o.state for o in occasions]
    assert states[2] == OccasionState.FAILED  # week 3: four tries on Monday, then shown
    assert occasions[2].attempts == 4
    assert states[8] == OccasionState.COVERED  # week 9: answered on the Saturday before
    assert all(s == OccasionState.SENT for i, s in enumerate(states) if i not in (2, 8))
    # Each scheduled questionnaire exactly once, and emailed exactly once, at 09:00.
    made = [o.administration_id for o in occasions if o.state != OccasionState.COVERED]
    assert len(made) == len(set(made)) == 9
    scheduled = Administration.objects.filter(pk__in=made).order_by("created_at")
    assert all(a.created_at.astimezone(BERLIN).time() == time(9, 0) for a in scheduled)
    for o in occasions:
        if o.state == OccasionState.SENT:
            assert o.sent_at is not None
            assert o.sent_at.astimezone(BERLIN).replace(second=0, microsecond=0) == o.due_at
    link_emails = [m for m in mail.outbox if "Reminder" not in m.subject]
    assert len(link_emails) == 8 and reminders == 1
    assert Counter(m.to[0] for m in mail.outbox) == {"alice@example.test": 9}
    # Session numbers follow one another: 1 … 10, with 99 taken by the early one.
    numbers = [a.session_number for a in scheduled]
    assert numbers == sorted(numbers) and len(set(numbers)) == 9
    # Weeks 1–6 under Tess; the transfer on Wednesday of week 6 puts weeks 7–10 under Theo.
    names = [a.therapist_id for a in scheduled]
    assert names[:6] == [therapist_a1.pk] * 6 and names[6:] == [therapist_a2.pk] * 3
    # The failed email is on its questionnaire and in the audit log, never dropped.
    failed = Administration.objects.get(pk=occasions[2].administration_id)
    assert failed.email_failed_at is not None and failed.email_failure
    assert (
        AuditEvent.objects.filter(
            action="questionnaire_email_failed", object_id=str(failed.pk)
        ).count()
        == 4
    )
    schedule = Schedule.objects.get()
    assert schedule.status == "ended" and schedule.ended_reason == "discharged"
    assert schedule.next_due_at is None
    assert not Administration.objects.filter(rater=Rater.CLIENT, status="open").exists()
    assert timezone.now() > at(FIRST_MONDAY + timedelta(weeks=11), time(15, 0))
