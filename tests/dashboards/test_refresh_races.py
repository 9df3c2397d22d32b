"""The nightly refresh against itself and against live submissions (PostgreSQL: real
row locks and real concurrency). Before: two refreshes crashed on new clients'
summary rows (IntegrityError), and a refresh during submissions left stale summaries."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import connection, connections

from assessments.alliance import summaries
from assessments.models import AllianceSummary, OccasionKind, Rater, Response
from assessments.questionnaires.links import Occasion
from assessments.questionnaires.submissions import staff_entry_submit
from clinicians.models import Patient, User
from tests.conftest import make_client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks and real concurrency need PostgreSQL (CI runs it there)")


def paper(therapist: User, patient: Patient, n: int, value: int) -> Response:
    return staff_entry_submit(
        actor=therapist,
        patient=patient,
        form_code="wai-sr-client",
        rater=Rater.CLIENT,
        occasion=Occasion(OccasionKind.SESSION, n, "", date(2026, 3, n)),
        answers={i: value for i in range(1, 13)},
    )


def run_together(*targets: Callable[[], Any]) -> list[BaseException]:
    barrier = threading.Barrier(len(targets))
    errors: list[BaseException] = []

    def wrap(target: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            target()
        except BaseException as exc:  # reported by the caller
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=wrap, args=(t,), name=f"race-{i}") for i, t in enumerate(targets)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def latest_client_response(patient_id: int) -> int | None:
    return (
        Response.objects.filter(
            is_current=True,
            administration__patient_id=patient_id,
            administration__rater=Rater.CLIENT,
        )
        .order_by("-administration__session_date", "-submitted_at")
        .values_list("pk", flat=True)
        .first()
    )


def test_two_refreshes_at_once_meet_new_clients_without_a_clash(
    therapist_a1: User, clinic_b: Any
) -> None:
    patients = [make_client(therapist_a1.clinic, f"N-{i:03}", therapist_a1) for i in range(60)]
    for p in patients[:20]:
        paper(therapist_a1, p, 1, 4)
    AllianceSummary.objects.all().delete()  # every client is "new" to the refresh

    errors = run_together(summaries.refresh_all, summaries.refresh_all, summaries.refresh_all)

    assert errors == []
    assert AllianceSummary.objects.count() == 60
    for p in patients[:20]:
        assert AllianceSummary.objects.get(patient=p).latest_id == latest_client_response(p.pk)


def test_a_refresh_racing_submissions_never_leaves_a_stale_summary(
    therapist_a1: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    patients = [make_client(therapist_a1.clinic, f"R-{i:03}", therapist_a1) for i in range(6)]
    for p in patients:
        paper(therapist_a1, p, 1, 5)
    real_series_for = summaries.series_for
    read_done = threading.Event()
    submitted = threading.Event()

    def refresh_waits_for_submissions(*args: Any, **kwargs: Any) -> Any:
        # In the refresh only: once it has read the answers, let the submissions land
        # before it writes (the window that used to lose them). With the row locks they
        # cannot land until the refresh commits, so this wait times out.
        out = real_series_for(*args, **kwargs)
        if threading.current_thread().name == "race-0":
            read_done.set()
            submitted.wait(timeout=1.5)
        return out

    monkeypatch.setattr(summaries, "series_for", refresh_waits_for_submissions)

    def submit_during_the_refresh() -> None:
        assert read_done.wait(timeout=30)
        for p in patients:
            paper(therapist_a1, p, 2, 2)
        submitted.set()

    errors = run_together(summaries.refresh_all, submit_during_the_refresh)

    assert errors == []
    stale = [
        p.code
        for p in patients
        if AllianceSummary.objects.get(patient=p).latest_id != latest_client_response(p.pk)
    ]
    assert stale == []
    assert set(AllianceSummary.objects.values_list("questionnaires", flat=True)) == {2}
