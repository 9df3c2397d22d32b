""" "Low" as the clinic's own choice (a threshold, or the lowest 10 % of its clients on a
form), and the therapist's own rating defaulting to the paired form and session."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from assessments.alliance.low import MIN_CLIENTS, LowRule, low_rule_for, lowest_decile_cutoff
from assessments.alliance.overview import clinic_overview
from assessments.alliance.summaries import refresh_norms
from assessments.models import AllianceSummary, FormNorms, OccasionKind, Rater
from assessments.questionnaires.links import Occasion
from assessments.questionnaires.submissions import staff_entry_submit
from clinicians.models import Patient, User
from tests.conftest import client_for, make_client
from tests.dashboards.old_caseload import caseload_overview

pytestmark = pytest.mark.django_db


@given(st.sets(st.floats(0, 100, allow_nan=False), min_size=2, max_size=300))
def test_the_lowest_decile_holds_about_a_tenth_of_distinct_totals(values: set[float]) -> None:
    cut = lowest_decile_cutoff(sorted(values))
    assert cut is not None
    below = sum(v <= cut for v in values)
    assert 1 <= below <= 0.1 * len(values) + 1


def test_too_few_totals_give_no_cutoff() -> None:
    assert lowest_decile_cutoff([]) is None
    assert lowest_decile_cutoff([50.0]) is None


def test_the_rule_in_python_and_in_sql_agree_on_which_form_uses_which_cutoff() -> None:
    rule = LowRule(60.0, "lowest_decile", {"wai-sr-client": (30.0, 40)})
    assert rule.is_low("wai-sr-client", 30.0) and not rule.is_low("wai-sr-client", 31.0)
    assert rule.is_low("wai-s-client", 59.0) and not rule.is_low("wai-s-client", 60.0)
    assert not rule.is_low("wai-sr-client", None)
    assert "lowest 10 %" in " ".join(rule.describe())
    assert "no published cut-off" in LowRule(60.0).describe()[0]


def clinic_of(n: int, therapist: User) -> list[Patient]:
    """n clients, one WAI-SR each; client k answers 5 on k·12/30 items and 2 on the rest,
    so totals rise with k (the three first tie at POMP 25)."""
    patients = []
    for k in range(n):
        patient = make_client(therapist.clinic, f"L-{k:03d}", therapist)
        fives = k * 12 // 30
        staff_entry_submit(
            actor=therapist,
            patient=patient,
            form_code="wai-sr-client",
            rater=Rater.CLIENT,
            occasion=Occasion(OccasionKind.SESSION, 1, "", timezone.localdate()),
            answers={i: 5 if i <= fives else 2 for i in range(1, 13)},
        )
        patients.append(patient)
    return patients


def low_codes(user: User) -> list[str]:
    return [r.patient.code for r in caseload_overview(user) if "low" in r.flag_codes]


def test_the_lowest_tenth_is_used_once_30_clients_have_answered(
    therapist_a1: User, admin_a: User
) -> None:
    clinic = therapist_a1.clinic
    clinic_of(MIN_CLIENTS, therapist_a1)
    by_threshold = low_codes(therapist_a1)
    assert len(by_threshold) == 15  # below 60 POMP: at most five answers of 5
    clinic.low_rule = "lowest_decile"
    clinic.save()
    refresh_norms(clinic_id=clinic.pk)
    norms = FormNorms.objects.get(clinic=clinic, form_code="wai-sr-client")
    assert norms.low_cutoff_clients == MIN_CLIENTS
    assert low_codes(therapist_a1) == ["L-000", "L-001", "L-002"]  # 10 % of 30
    # The clinic overview finds the same clients in SQL.
    today = timezone.localdate()
    flagged = clinic_overview(admin_a, start=today, end=today).flagged.object_list
    assert [r.patient.code for r in flagged] == ["L-000", "L-001", "L-002"]
    page = client_for(therapist_a1).get("/caseload/").content.decode()
    assert "lowest 10 % of its own clients" in page
    # The cut-off is the third-lowest client's own total (an observed value, never one
    # interpolated between two clients): the three first tie at POMP 25.
    assert norms.low_cutoff_pomp == 25.0
    assert "wai-sr-client: at or below 25 POMP (from 30 clients)" in page


def test_below_30_clients_the_threshold_applies_and_the_page_says_so(
    therapist_a1: User,
) -> None:
    clinic = therapist_a1.clinic
    clinic_of(MIN_CLIENTS - 1, therapist_a1)
    clinic.low_rule = "lowest_decile"
    clinic.save()
    refresh_norms(clinic_id=clinic.pk)
    assert low_rule_for(clinic).cutoffs == {}
    assert len(low_codes(therapist_a1)) == 15
    page = client_for(therapist_a1).get("/caseload/").content.decode()
    assert "Forms answered by fewer than 30 clients use the threshold of 60 POMP" in page


def test_one_questionnaire_per_client_makes_the_percentile(therapist_a1: User) -> None:
    """Thirty sessions of one client are one client, not thirty."""
    patient = make_client(therapist_a1.clinic, "ONE", therapist_a1)
    for n in range(1, 31):
        staff_entry_submit(
            actor=therapist_a1,
            patient=patient,
            form_code="wai-sr-client",
            rater=Rater.CLIENT,
            occasion=Occasion(
                OccasionKind.SESSION, n, "", timezone.localdate() - timedelta(days=31 - n)
            ),
            answers={i: 1 + n % 5 for i in range(1, 13)},
        )
    refresh_norms(clinic_id=therapist_a1.clinic_id)
    norms = FormNorms.objects.get(clinic=therapist_a1.clinic, form_code="wai-sr-client")
    assert norms.low_cutoff_clients == 1 and norms.low_cutoff_pomp is None


def test_the_settings_page_offers_both_choices_and_says_what_is_in_force(admin_a: User) -> None:
    page = client_for(admin_a).get("/console/settings/").content.decode()
    assert "The lowest 10 % of this clinic&#x27;s clients on the same form" in page
    assert "In force now" in page and "below 60 POMP" in page


# --- the therapist's own rating pairs with the client's latest questionnaire ---------------


@pytest.mark.parametrize(
    ("client_form", "items", "expected_form", "expected_text"),
    [
        ("wai-s-client", 12, "wai-s-therapist", "I believe my client likes me."),
        ("wai-36-client", 36, "wai-36-therapist", "I feel uncomfortable with my client."),
    ],
)
def test_the_own_rating_defaults_to_the_paired_form_and_the_clients_session(
    therapist_a1: User,
    client_a1: Patient,
    client_form: str,
    items: int,
    expected_form: str,
    expected_text: str,
) -> None:
    staff_entry_submit(
        actor=therapist_a1,
        patient=client_a1,
        form_code=client_form,
        rater=Rater.CLIENT,
        occasion=Occasion(OccasionKind.SESSION, 5, "", timezone.localdate() - timedelta(days=2)),
        answers={i: 6 for i in range(1, items + 1)},
    )
    browser = client_for(therapist_a1)
    html = browser.get(f"/clients/{client_a1.pk}/own-rating/").content.decode()
    assert expected_text in html
    assert 'name="session_number" value="5"' in html
    day = (timezone.localdate() - timedelta(days=2)).isoformat()
    assert f'value="{day}"' in html
    body = {
        "form_code": expected_form,
        "occasion": "session",
        "session_number": "5",
        "session_date": day,
        **{f"item_{i}": "2" for i in range(1, items + 1)},
    }
    assert browser.post(f"/clients/{client_a1.pk}/own-rating/", body).status_code == 302
    summary = AllianceSummary.objects.get(patient=client_a1)
    assert summary.gap is not None  # the pair formed: the two views are compared


def test_choosing_the_lowest_tenth_in_settings_puts_it_in_force_at_once(
    admin_a: User, therapist_a1: User
) -> None:
    clinic_of(MIN_CLIENTS, therapist_a1)
    body = {
        "name": "Northside Therapy",
        "default_client_form": "wai-sr-client",
        "default_therapist_form": "wai-s-therapist",
        "invitation_expiry_days": "7",
        "reminder_delay_days": "2",
        "low_pomp_threshold": "60",
        "low_rule": "lowest_decile",
        "overdue_days": "21",
    }
    assert client_for(admin_a).post("/console/settings/", body).status_code == 302
    therapist_a1.clinic.refresh_from_db()  # as the next request would load it
    assert low_codes(therapist_a1) == ["L-000", "L-001", "L-002"]
    bad = client_for(admin_a).post("/console/settings/", {**body, "low_rule": "median"})
    assert bad.status_code == 400


def test_the_client_page_states_the_low_rule_once_under_the_chart(therapist_a1: User) -> None:
    (low_client,) = clinic_of(1, therapist_a1)  # all answers 2: POMP 25, below 60
    assert low_codes(therapist_a1) == [low_client.code]
    page = client_for(therapist_a1).get(f"/clients/{low_client.pk}/").content.decode()
    rule = "a threshold this clinic chose"
    assert page.count(rule) == 1
    # Under the chart, beside the Low line it explains; the Flags card names the flag.
    assert page.index('class="chart-figure"') < page.index(rule)
    assert 'class="card mb-4 flags-now"' in page


def test_without_a_chart_the_flags_card_keeps_the_low_rule(
    therapist_a1: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A Low flag needs a client total, and any client total draws a chart; should the
    # chart still be missing, the rule stays in the card rather than vanishing.
    (low_client,) = clinic_of(1, therapist_a1)
    monkeypatch.setattr("assessments.views.client_body.responsive_chart", lambda *a, **k: None)
    page = client_for(therapist_a1).get(f"/clients/{low_client.pk}/").content.decode()
    rule = "a threshold this clinic chose"
    assert page.count(rule) == 1
    assert page.index('class="card mb-4 flags-now"') < page.index(rule)
    assert 'class="chart-figure"' not in page
