"""Two schedulers at once (two hosts, or a beat that queued the task twice): each due
time is asked for and emailed exactly once. Real threads on PostgreSQL, where the run
relies on row locks; SQLite has none to test."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, connections

from assessments.models import Administration
from assessments.schedules.models import OccasionState, ScheduledOccasion
from assessments.schedules.runner import ScheduleRun, schedules_run
from assessments.schedules.services import schedule_set
from clinicians.models import Patient, User
from tests.conftest import make_client

from .conftest import weekly

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_schedulers_at_once_ask_and_email_each_due_time_once(
    therapist_a1: User, client_a1: Patient
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks and real concurrency need PostgreSQL (CI runs it there)")
    patients = [client_a1] + [
        make_client(therapist_a1.clinic, f"C-{i:03}", therapist_a1, email=f"c{i}@example.test")
        for i in range(12)
    ]
    for p in patients:
        schedule_set(
            actor=therapist_a1, patient=p, values=weekly(unit="days"), starts_on=p.clinic.today()
        )
    due = max(s.next_due_at for s in [p.schedules.get() for p in patients])
    for rounds in range(3):
        now = due + timedelta(days=rounds, minutes=1)
        barrier = threading.Barrier(4)
        runs: list[ScheduleRun] = []
        errors: list[BaseException] = []

        def run(now=now, barrier=barrier, runs=runs, errors=errors) -> None:  # type: ignore[no-untyped-def]
            try:
                barrier.wait()
                runs.append(schedules_run(now=now))
            except BaseException as exc:  # reported below
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=run) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert errors == []
        assert sum(r.fired for r in runs) == len(patients)
        assert sum(r.sent for r in runs) == len(patients)
        # The questionnaires are answered before the next round, so none is left open.
        Administration.objects.update(status="completed")
    assert ScheduledOccasion.objects.count() == 3 * len(patients)
    assert set(ScheduledOccasion.objects.values_list("state", flat=True)) == {OccasionState.SENT}
    assert Administration.objects.count() == 3 * len(patients)
    assert len(mail.outbox) == 3 * len(patients)
