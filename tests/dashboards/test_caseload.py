"""The therapist's caseload overview: latest scores, change, trend, flags, sorting,
filtering, and a fixed number of queries however big the caseload."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alliance_site import freshness
from assessments.alliance.loadgen import make_load
from assessments.alliance.summaries import refresh_alliance
from assessments.models import OccasionKind, Rater
from assessments.questionnaires.links import Occasion, administration_request
from assessments.questionnaires.submissions import staff_entry_submit
from clinicians.models import Patient, Role, User
from tests.conftest import client_for, make_client
from tests.dashboards.old_caseload import caseload_overview

pytestmark = pytest.mark.django_db

CASELOAD = reverse("assessments:caseload")


def rate(
    actor: User,
    patient: Patient,
    values: list[int],
    *,
    rater: str = Rater.CLIENT,
    form: str = "",
) -> None:
    """Enter questionnaires a week apart (as paper forms, for speed), oldest first."""
    start = timezone.localdate() - timedelta(days=7 * len(values))
    form = form or ("wai-sr-client" if rater == Rater.CLIENT else "wai-s-therapist")
    for n, value in enumerate(values, start=1):
        staff_entry_submit(
            actor=actor,
            patient=patient,
            form_code=form,
            rater=rater,
            occasion=Occasion(OccasionKind.SESSION, n, "", start + timedelta(days=7 * n)),
            answers={i: value for i in range(1, 13)},
        )


def test_each_active_client_shows_latest_scores_change_and_trend(
    therapist_a1: User, client_a1: Patient
) -> None:
    rate(therapist_a1, client_a1, [4, 4, 5])
    page = client_for(therapist_a1).get(CASELOAD).content.decode()
    assert "A-001" in page
    assert ">100<" in page  # latest total POMP (all answers "Always")
    assert "▲ +25" in page  # change since the previous questionnaire, with its direction
    assert 'class="sparkline"' in page
    assert "Recent totals: 75.0, 75.0, 100.0" in page


def test_a_low_and_dropping_client_is_flagged_with_a_prompt(
    therapist_a1: User, client_a1: Patient
) -> None:
    rate(therapist_a1, client_a1, [4, 4, 4, 4, 2])
    rows = caseload_overview(therapist_a1)
    codes = rows[0].flag_codes
    assert {"low", "rupture"} <= codes
    page = client_for(therapist_a1).get(CASELOAD).content.decode()
    assert "Worth asking about the relationship" in page
    assert "Possible rupture" in page
    # The numbers behind the flag, in its tooltip and as text for screen readers.
    assert "50.0 POMP below the previous score (RCI \u22127.45; reliable beyond 13.2)" in page
    assert "Default norms until 30 clients have answered this form." in page
    assert rows[0].summary.flag_details["rupture"]["response_id"] is not None


def test_a_client_with_nothing_for_weeks_is_overdue(therapist_a1: User, client_a1: Patient) -> None:
    client_a1.activated_on = timezone.localdate() - timedelta(days=40)
    client_a1.save()
    rows = caseload_overview(therapist_a1)
    assert "overdue" in rows[0].flag_codes


def test_an_expired_unanswered_link_makes_the_client_overdue(
    therapist_a1: User, client_a1: Patient
) -> None:
    administration_request(
        actor=therapist_a1,
        patient=client_a1,
        form_code="wai-sr-client",
        occasion=Occasion(OccasionKind.SESSION, 1, "", timezone.localdate()),
    )
    assert "overdue" not in caseload_overview(therapist_a1)[0].flag_codes
    import time_machine

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert "overdue" in caseload_overview(therapist_a1)[0].flag_codes


def test_a_client_therapist_gap_is_flagged_between_paired_forms(
    therapist_a1: User, client_a1: Patient
) -> None:
    # All 7s on WAI-S client: items 4 and 10 are reverse-keyed, so the mean is 6 (POMP
    # 83.3); all 4s on the therapist form: POMP 50 whatever the key.
    rate(therapist_a1, client_a1, [7], form="wai-s-client")
    rate(therapist_a1, client_a1, [4], rater=Rater.THERAPIST)
    rows = caseload_overview(therapist_a1)
    assert rows[0].summary.gap == pytest.approx(50 - 250 / 3)
    assert "gap" in rows[0].flag_codes


def test_forms_not_built_to_pair_show_no_gap_and_the_chart_says_why(
    therapist_a1: User, client_a1: Patient
) -> None:
    rate(therapist_a1, client_a1, [5])  # WAI-SR: it pairs with no therapist form
    rate(therapist_a1, client_a1, [4], rater=Rater.THERAPIST)
    rows = caseload_overview(therapist_a1)
    assert rows[0].summary.gap is None
    assert rows[0].summary.therapist_pomp == pytest.approx(50)
    assert "gap" not in rows[0].flag_codes
    page = client_for(therapist_a1).get(reverse("assessments:client", args=[client_a1.pk]))
    text = page.content.decode()
    assert "was not built to pair with the client" in text
    assert "no gap is computed" in text


def test_filter_by_flag_and_sort(therapist_a1: User, client_a1: Patient) -> None:
    other = make_client(therapist_a1.clinic, "A-010", therapist_a1)
    rate(therapist_a1, client_a1, [5, 5, 5])
    rate(therapist_a1, other, [2, 2, 2])
    browser = client_for(therapist_a1)
    low = browser.get(CASELOAD + "?flag=low").content.decode()
    assert "A-010" in low and "A-001" not in low
    by_total = [r.patient.code for r in caseload_overview(therapist_a1, sort="total")]
    assert by_total == ["A-010", "A-001"]
    # Nonsense parameters are ignored, never an error.
    assert browser.get(CASELOAD + "?flag=<script>&sort=;drop&page=zz").status_code == 200


def test_only_the_therapists_own_active_clients_are_listed(
    therapist_a1: User, client_a1: Patient, client_a2: Patient, client_b1: Patient
) -> None:
    page = client_for(therapist_a1).get(CASELOAD).content.decode()
    assert "A-001" in page
    assert "A-002" not in page
    assert "B-001" not in page


def test_the_caseload_runs_the_same_queries_for_200_or_400_clients(
    therapist_a1: User, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    clinic = therapist_a1.clinic
    make_load(clinic=clinic, therapists=1, clients=200, questionnaires=30, prefix="Q")
    heavy = User.objects.get(clinic=clinic, role=Role.THERAPIST, email__startswith="therapist-")
    browser = client_for(heavy)
    browser.get(CASELOAD)  # warm the session
    # Built afresh (a view from the cache reads no client at all; both are pinned in
    # test_caseload_cache.py): session, user, the second factor's device, the clinic,
    # the page's three reads and the audit line.
    freshness.bump()
    with django_assert_num_queries(8) as small:
        response = browser.get(CASELOAD)
    assert response.status_code == 200
    assert response.content.decode().count('class="sparkline"') == 50  # first page
    make_load(clinic=clinic, therapists=1, clients=200, questionnaires=30, prefix="R", seed=2)
    for p in Patient.objects.filter(code__startswith="R-"):
        p.assignments.update(therapist=heavy)
    refresh_alliance(patient_ids=Patient.objects.values_list("pk", flat=True))
    freshness.bump()
    with django_assert_num_queries(len(small.captured_queries)):
        response = browser.get(CASELOAD)
    assert "400 active clients" in response.content.decode()
