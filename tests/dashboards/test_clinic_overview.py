"""The clinic admin's overview: per therapist, flagged clients, overdue list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.alliance.loadgen import make_load
from assessments.alliance.overview import clinic_overview
from assessments.models import OccasionKind
from assessments.questionnaires.links import Occasion, administration_request
from clinicians.models import Patient, User
from tests.conftest import client_for

from .test_caseload import rate

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("assessments:clinic_alliance")


def test_per_therapist_caseload_completion_and_median(
    admin_a: User, therapist_a1: User, therapist_a2: User, client_a1: Patient, client_a2: Patient
) -> None:
    rate(therapist_a1, client_a1, [4, 5])
    rate(therapist_a2, client_a2, [2])
    for n in (3, 4):  # two links sent by Tess, one answered below
        administration_request(
            actor=therapist_a1,
            patient=client_a1,
            form_code="wai-sr-client",
            occasion=Occasion(OccasionKind.SESSION, n, "", timezone.localdate()),
        )
    today = timezone.localdate()
    overview = clinic_overview(admin_a, start=today - timedelta(days=30), end=today)
    by_name = {s.therapist.display_name: s for s in overview.stats}
    tess, theo = by_name["Tess Therapist"], by_name["Theo Therapist"]
    assert (tess.active_clients, tess.sent, tess.completed) == (1, 2, 0)
    assert tess.completion_rate == 0
    assert tess.median == 100
    assert theo.median == 25
    assert theo.sent == 0 and theo.completion_rate is None  # paper forms are not "sent"
    assert [r.patient.code for r in overview.flagged] == ["A-002"]  # low
    page = client_for(admin_a).get(OVERVIEW).content.decode()
    assert "Tess Therapist" in page and "A-002" in page


def test_bad_dates_are_explained_and_the_default_period_is_used(admin_a: User) -> None:
    response = client_for(admin_a).get(OVERVIEW + "?start=yesterday&end=2026-13-45")
    assert response.status_code == 200
    assert "Enter dates such as" in response.content.decode()
    swapped = client_for(admin_a).get(OVERVIEW + "?start=2026-10-01&end=2026-09-01")
    assert "were swapped" in swapped.content.decode()


def test_another_clinics_admin_sees_none_of_it(admin_b: User, client_a1: Patient) -> None:
    page = client_for(admin_b).get(OVERVIEW).content.decode()
    assert "A-001" not in page
    assert "Tess" not in page


def test_the_overview_runs_the_same_queries_for_300_or_600_clients(
    admin_a: User, django_assert_num_queries, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    make_load(clinic=admin_a.clinic, therapists=3, clients=300, questionnaires=4, prefix="S")
    browser = client_for(admin_a)
    browser.get(OVERVIEW)
    # 14, and 1 for the schedules that failed (at most 50, with client and therapist).
    with django_assert_max_num_queries(15) as few:
        browser.get(OVERVIEW)
    make_load(clinic=admin_a.clinic, therapists=3, clients=300, questionnaires=4, prefix="T")
    with django_assert_num_queries(len(few.captured_queries)):
        response = browser.get(OVERVIEW)
    assert response.status_code == 200
