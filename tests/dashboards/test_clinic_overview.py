"""The clinic admin's overview: per therapist, flagged clients, overdue list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.alliance.dashboards import rows_for
from assessments.alliance.overview import clinic_overview
from assessments.alliance.summaries import refresh_alliance
from assessments.models import Administration, OccasionKind, Response
from assessments.questionnaires.links import Occasion, administration_request
from clinicians.models import Patient, User
from tests.conftest import client_for, make_client

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


def test_the_overdue_list_words_each_client_as_the_caseload_flags_them(
    admin_a: User, therapist_a1: User
) -> None:
    clinic = admin_a.clinic
    today = timezone.localdate()
    long_ago = today - timedelta(days=60)
    never = make_client(clinic, "O-1", therapist_a1, activated_on=long_ago)
    old = make_client(clinic, "O-2", therapist_a1, activated_on=long_ago)
    rate(therapist_a1, old, [4])
    Response.objects.filter(administration__patient=old).update(
        submitted_at=timezone.now() - timedelta(days=40)
    )
    expired = make_client(clinic, "O-3", therapist_a1)
    rate(therapist_a1, expired, [4])
    asked = administration_request(
        actor=therapist_a1,
        patient=expired,
        form_code="wai-sr-client",
        occasion=Occasion(OccasionKind.SESSION, 9, "", today),
    ).administration
    Administration.objects.filter(pk=asked.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    fresh = make_client(clinic, "O-4", therapist_a1)
    rate(therapist_a1, fresh, [4])
    refresh_alliance(patient_ids=[old.pk])
    overview = clinic_overview(admin_a, start=today, end=today)
    listed = [(r.pk, r.prompt) for r in overview.overdue]
    by_caseload = [
        (r.patient.pk, f.prompt)
        for r in rows_for(Patient.objects.filter(clinic=clinic).order_by("code"), clinic)
        for f in r.flags
        if f.code == "overdue"
    ]
    assert listed == by_caseload
    assert [pk for pk, _ in listed] == [never.pk, old.pk, expired.pk]
    assert overview.overdue_count == 3
    assert "expired unanswered" in listed[2][1] and "No questionnaire for 60 days" in listed[0][1]
