"""A client's schedules in their access request, and after their identity is erased."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.forms.models import model_to_dict

from assessments.models import Administration
from assessments.schedules.models import OccasionState, Schedule, ScheduledOccasion
from assessments.schedules.runner import schedules_run
from assessments.schedules.services import schedule_set
from clinicians import services
from clinicians.models import AuditEvent, Clinic, Patient, User
from tests.conftest import client_for

from .conftest import weekly
from .mail import Backend

pytestmark = pytest.mark.django_db


def two_occasions(therapist: User, patient: Patient) -> Schedule:
    """A daily schedule whose first email went and whose second found the mail server
    down (to be tried again)."""
    schedule = schedule_set(
        actor=therapist,
        patient=patient,
        values=weekly(unit="days", times=3),
        starts_on=patient.clinic.today(),
    )
    for down in (False, True):
        schedule.refresh_from_db()
        assert schedule.next_due_at is not None
        # The first link has lapsed by the second due time, so a new one is asked for.
        Administration.objects.update(expires_at=schedule.next_due_at - timedelta(minutes=1))
        Backend.down = down
        schedules_run(now=schedule.next_due_at)
    Backend.down = False
    return schedule


def access_json(admin: User, patient: Patient) -> dict[str, Any]:
    response = client_for(admin).get(f"/console/clients/{patient.pk}/access-request.json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_access_request_lists_schedules_and_every_due_time(
    admin_a: User, therapist_a1: User, client_a1: Patient, berlin: Clinic
) -> None:
    schedule = two_occasions(therapist_a1, client_a1)
    sent, retrying = ScheduledOccasion.objects.order_by("due_at")
    assert (sent.state, retrying.state) == (OccasionState.SENT, OccasionState.PENDING)
    doc = access_json(admin_a, client_a1)
    (listed,) = doc["schedules"]
    assert listed["id"] == schedule.pk
    assert listed["rule"].startswith("Every day at 09:00 (clinic time), 3 times")
    assert listed["form"] == "wai-sr-client" and listed["status"] == "active"
    assert listed["started_by"] == str(therapist_a1) and listed["ended_at"] is None
    first, second = listed["occasions"]
    # Due times in the clinic's own time (Berlin), offset included.
    assert first["due_at"].endswith(("T09:00:00+01:00", "T09:00:00+02:00"))
    assert first["state"] == "sent" and first["email_attempts"] == 1
    assert first["emailed_at"] is not None and first["email_failure"] == ""
    assert second["state"] == "pending" and second["email_attempts"] == 1
    assert "could not be reached" in second["email_failure"]
    # Each occasion points at the questionnaire it made, listed in the same document.
    questionnaire_ids = {q["id"] for q in doc["questionnaires"]}
    assert {first["questionnaire"], second["questionnaire"]} <= questionnaire_ids
    assert first["questionnaire"] == sent.administration_id

    page = client_for(admin_a).get(f"/console/clients/{client_a1.pk}/access-request.html")
    html = page.content.decode()
    assert "Every day at 09:00 (clinic time)" in html
    assert "Emailed" in html and "could not be reached" in html
    assert f"Questionnaire {sent.administration_id}:" in html


def test_after_erasure_nothing_of_the_schedule_names_the_client(
    admin_a: User, therapist_a1: User, client_a1: Patient, berlin: Clinic
) -> None:
    schedule = two_occasions(therapist_a1, client_a1)
    old = (client_a1.code, client_a1.display_name, client_a1.email)
    services.patient_discharge(actor=admin_a, patient=client_a1)
    erased = services.patient_erase(actor=admin_a, patient=client_a1)

    # Like the questionnaires, the schedule and its due times stay, under the pseudonym.
    rows: list[Any] = [Schedule.objects.get(pk=schedule.pk)]
    rows += list(ScheduledOccasion.objects.filter(schedule=schedule))
    assert len(rows) == 3 and all(r.patient_id == erased.pk for r in rows[:1])
    lines = AuditEvent.objects.filter(object_type__icontains="schedule")
    assert lines.count() >= 3  # set, fired twice, ended at discharge
    text = json.dumps(
        [model_to_dict(r) for r in rows] + [model_to_dict(e) for e in lines], default=str
    ).lower()
    for value in old:
        assert value.lower() not in text
    # Ended, so it never asks the erased client anything again.
    rows[0].refresh_from_db()
    assert rows[0].status == "ended" and rows[0].next_due_at is None
    # The due time whose email was to be tried again says it was withdrawn (not
    # "answered"), and no run picks it up again.
    states = sorted(ScheduledOccasion.objects.values_list("state", flat=True))
    assert states == [OccasionState.SENT, OccasionState.WITHDRAWN]
    assert schedules_run(now=schedule.created_at + timedelta(days=30)) == (0, 0, 0)
    assert sorted(ScheduledOccasion.objects.values_list("state", flat=True)) == states
    # The access request still has them, now under the pseudonym.
    (listed,) = access_json(admin_a, erased)["schedules"]
    assert listed["ended_because"] == "the client was discharged"
    assert len(listed["occasions"]) == 2


def test_a_questionnaire_withdrawn_before_its_email_reads_withdrawn(
    therapist_a1: User, client_a1: Patient
) -> None:
    schedule = schedule_set(
        actor=therapist_a1,
        patient=client_a1,
        values=weekly(unit="days"),
        starts_on=client_a1.clinic.today(),
    )
    due = Schedule.objects.get(pk=schedule.pk).next_due_at
    assert due is not None
    Backend.down = True
    schedules_run(now=due)
    Backend.down = False
    # Withdrawn some other way than through the app (no occasion is updated).
    Administration.objects.update(status="revoked")
    schedules_run(now=due + timedelta(hours=1))
    occasion = ScheduledOccasion.objects.get()
    assert occasion.state == OccasionState.WITHDRAWN
    assert len(mail.outbox) == 0
