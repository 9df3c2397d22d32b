"""The schedule pages: setting one from the client page, the clinic default in the
console, what the caseload, the client page and the clinic overview show."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from django.utils import timezone

from alliance_site import freshness
from assessments.alliance.loadgen import make_load
from assessments.schedules.models import (
    ClinicSchedule,
    OccasionState,
    Schedule,
    ScheduledOccasion,
)
from assessments.schedules.runner import schedules_run
from assessments.schedules.services import schedule_set
from clinicians import services
from clinicians.models import AuditEvent, Patient, Role, User
from tests.clinicians.spreadsheets import csv_bytes
from tests.conftest import client_for

from .conftest import weekly


def _form(**overrides: Any) -> dict[str, Any]:
    data = {
        "form_code": "wai-sr-client",
        "every": "2",
        "unit": "weeks",
        "weekday": "2",
        "local_time": "17:30",
        "until": "count",
        "times": "6",
        "starts_on": "",
    }
    data.update(overrides)
    return data


def test_a_therapist_sets_a_schedule_from_the_client_page(
    therapist_a1: User, client_a1: Patient
) -> None:
    browser = client_for(therapist_a1)
    page = browser.get(f"/clients/{client_a1.pk}/").content.decode()
    assert "No schedule" in page and f"/clients/{client_a1.pk}/schedule/" in page
    today = client_a1.clinic.today().isoformat()
    response = browser.post(f"/clients/{client_a1.pk}/schedule/", _form(starts_on=today))
    assert response.status_code == 302
    schedule = Schedule.objects.get(patient=client_a1, status="active")
    assert (schedule.every, schedule.unit, schedule.weekday, schedule.times) == (2, "weeks", 2, 6)
    assert schedule.local_time == time(17, 30)
    local = timezone.localtime(schedule.next_due_at, client_a1.clinic.zone)
    assert local.weekday() == 2 and local.time() == time(17, 30)
    assert AuditEvent.objects.filter(action="schedule_set", patient_id=client_a1.pk).exists()
    page = browser.get(f"/clients/{client_a1.pk}/").content.decode()
    assert "Every 2 weeks on Wednesday at 17:30" in page
    assert page.count("17:30</li>") == 3  # the next three due times


def test_bad_input_gets_a_plain_message_and_changes_nothing(
    therapist_a1: User, client_a1: Patient
) -> None:
    browser = client_for(therapist_a1)
    today = client_a1.clinic.today()
    cases = [
        ({"every": "0"}, "from 1 to 52"),
        ({"every": "53"}, "from 1 to 52"),
        ({"every": "two"}, "from 1 to 52"),
        ({"local_time": "25:00"}, "such as 09:00"),
        ({"local_time": "9"}, "such as 09:00"),
        ({"times": "0"}, "from 1 to 100"),
        ({"times": "101"}, "from 1 to 100"),
        ({"times": ""}, "how many times"),
        ({"starts_on": (today - timedelta(days=1)).isoformat()}, "cannot be in the past"),
        ({"starts_on": "31/02/2026"}, "such as 2026-09-01"),
        ({"form_code": "wai-s-therapist"}, "Select a valid choice"),
        ({"unit": "months"}, "Select a valid choice"),
    ]
    for change, message in cases:
        data = _form(**{"starts_on": today.isoformat(), **change})
        response = browser.post(f"/clients/{client_a1.pk}/schedule/", data)
        assert response.status_code == 400, change
        assert message in response.content.decode(), change
    assert not Schedule.objects.exists()


def test_changing_ends_the_old_schedule_and_stopping_ends_it(
    therapist_a1: User, client_a1: Patient
) -> None:
    browser = client_for(therapist_a1)
    today = client_a1.clinic.today().isoformat()
    browser.post(f"/clients/{client_a1.pk}/schedule/", _form(starts_on=today))
    browser.post(f"/clients/{client_a1.pk}/schedule/", _form(starts_on=today, every="1"))
    assert list(Schedule.objects.order_by("pk").values_list("status", "every")) == [
        ("ended", 2),
        ("active", 1),
    ]
    response = browser.post(f"/clients/{client_a1.pk}/schedule/stop/")
    assert response.status_code == 302
    assert not Schedule.objects.filter(status="active").exists()
    assert AuditEvent.objects.filter(action="schedule_stopped").count() == 1
    assert AuditEvent.objects.filter(action="schedule_changed").count() == 1


def test_another_therapists_client_answers_404(therapist_a1: User, client_a2: Patient) -> None:
    browser = client_for(therapist_a1)
    assert browser.get(f"/clients/{client_a2.pk}/schedule/").status_code == 404
    today = client_a2.clinic.today().isoformat()
    response = browser.post(f"/clients/{client_a2.pk}/schedule/", _form(starts_on=today))
    assert response.status_code == 404
    assert not Schedule.objects.exists()


def test_the_clinic_default_is_given_to_clients_added_by_hand_or_imported(
    admin_a: User, therapist_a1: User
) -> None:
    browser = client_for(admin_a)
    response = browser.post(
        "/console/schedule/", {**_form(every="4", until="discharge"), "enabled": "on"}
    )
    assert response.status_code == 302
    default = ClinicSchedule.objects.get(clinic=admin_a.clinic)
    assert default.enabled and default.every == 4 and default.times is None
    added = services.patient_create(actor=admin_a, code="N-1", therapist=therapist_a1)
    batch = services.patients_import_check(
        actor=admin_a,
        filename="c.csv",
        data=csv_bytes([["N-2", "", "", "", ""], ["N-3", "", "", "", ""]]),
    )
    browser.post(f"/console/import/{batch.pk}/", {"action": "confirm"})
    codes = set(
        Schedule.objects.filter(status="active", every=4).values_list("patient__code", flat=True)
    )
    assert codes == {"N-1", "N-2", "N-3"}
    assert AuditEvent.objects.filter(action="schedule_set", patient_id=added.pk).exists()
    # Switched off: new clients get none.
    browser.post("/console/schedule/", _form(every="4", until="discharge"))
    services.patient_create(actor=admin_a, code="N-4")
    assert not Schedule.objects.filter(patient__code="N-4").exists()


def test_the_caseload_shows_the_next_due_time_and_a_failed_email(
    settings: Any, therapist_a1: User, client_a1: Patient, admin_a: User
) -> None:
    settings.EMAIL_BACKEND = "tests.questionnaires.refusing_mail.Backend"
    Patient.objects.filter(pk=client_a1.pk).update(email="refused@example.test")
    client_a1.refresh_from_db()
    schedule = schedule_set(
        actor=therapist_a1, patient=client_a1, values=weekly(), starts_on=client_a1.clinic.today()
    )
    browser = client_for(therapist_a1)
    due = timezone.localtime(schedule.next_due_at, client_a1.clinic.zone)
    page = browser.get("/caseload/").content.decode()
    assert "Next due" in page and f"{due:%H:%M}" in page
    assert "Scheduled email failed" not in page
    schedules_run(now=schedule.next_due_at)
    assert ScheduledOccasion.objects.get().state == OccasionState.FAILED
    assert "Scheduled email failed" in browser.get("/caseload/").content.decode()
    page = browser.get(f"/clients/{client_a1.pk}/").content.decode()
    assert "Email failed" in page and "refused the address" in page
    overview = client_for(admin_a).get("/console/alliance/").content.decode()
    assert "Schedules that failed" in overview and "A-001" in overview.split("failed-schedules")[1]


def test_the_caseload_reads_schedules_with_the_same_queries_for_40_or_80_clients(
    therapist_a1: User, django_assert_num_queries: Any
) -> None:
    clinic = therapist_a1.clinic
    make_load(clinic=clinic, therapists=1, clients=40, questionnaires=3, prefix="Q")
    heavy = User.objects.get(clinic=clinic, role=Role.THERAPIST, email__startswith="therapist-")

    def schedule_all() -> None:
        for p in Patient.objects.filter(assignments__therapist=heavy, schedules__isnull=True):
            schedule_set(actor=heavy, patient=p, values=weekly(), starts_on=clinic.today())

    schedule_all()
    browser = client_for(heavy)
    browser.get("/caseload/")
    # Built afresh (not from the page cache): session, user, the second factor's device,
    # the clinic, the page's three reads and the audit line: the same 8 as without
    # schedules (next due time and failures come with the clients).
    freshness.bump()
    with django_assert_num_queries(8):
        response = browser.get("/caseload/")
    assert response.content.decode().count("09:00") == 40
    make_load(clinic=clinic, therapists=1, clients=40, questionnaires=3, prefix="R", seed=2)
    for p in Patient.objects.filter(code__startswith="R-"):
        p.assignments.update(therapist=heavy)
    schedule_all()
    freshness.bump()
    with django_assert_num_queries(8):
        response = browser.get("/caseload/")
    assert "80 active clients" in response.content.decode()
    assert response.content.decode().count("09:00") == 50  # the first page of 50
