"""Acting on a flag: marking it discussed, the attention list, the chart's history, the
clinic overview's open days and 14-day filter, and what a discussion must not change."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from alliance_site import freshness
from assessments.alliance.discussions import attention_values, is_discussed, open_since
from assessments.alliance.loadgen import make_load
from assessments.alliance.overview import STALE_DAYS, clinic_overview
from assessments.alliance.rules import Point, analyse, summarise
from assessments.alliance.summaries import refresh_alliance
from assessments.models import AllianceSummary, FlagDiscussion, OccasionKind, Rater, Response
from assessments.questionnaires.links import Occasion
from assessments.questionnaires.submissions import staff_entry_submit
from clinicians.models import AuditEvent, Patient, Role, User
from tests.conftest import client_for
from tests.dashboards.old_caseload import caseload_overview

pytestmark = pytest.mark.django_db

CASELOAD = reverse("assessments:caseload")
OVERVIEW = reverse("assessments:clinic_alliance")


def answer(actor: User, patient: Patient, value: int, *, session: int, days_ago: int = 0) -> None:
    """One WAI-SR questionnaire, every item `value` (5 = POMP 100, 4 = 75, 2 = 25)."""
    staff_entry_submit(
        actor=actor,
        patient=patient,
        form_code="wai-sr-client",
        rater=Rater.CLIENT,
        occasion=Occasion(
            OccasionKind.SESSION, session, "", timezone.localdate() - timedelta(days=days_ago)
        ),
        answers={i: value for i in range(1, 13)},
    )


def fall_from_the_top(actor: User, patient: Patient) -> None:
    """Four top scores a week apart, then 75 today: a reliable fall (and a first dip),
    but not low."""
    for n, value in enumerate([5, 5, 5, 5, 4], start=1):
        answer(actor, patient, value, session=n, days_ago=35 - 7 * n)


def latest_administration(patient: Patient) -> int:
    return AllianceSummary.objects.get(patient=patient).latest.administration_id


def mark(
    user: User,
    patient: Patient,
    note: str = "",
    administration: int | None = None,
    *,
    follow: bool = False,
) -> Any:
    return client_for(user).post(
        reverse("assessments:flags_discussed", args=[patient.pk]),
        {"administration": administration or latest_administration(patient), "note": note},
        follow=follow,
    )


def attention_codes(user: User) -> list[str]:
    return [r.patient.code for r in caseload_overview(user, flag="any")]


# --- the pure rule ---------------------------------------------------------------------


def test_kinds_names_the_flags_raised_at_each_questionnaire() -> None:
    flags = analyse([Point(100, "f"), Point(100, "f"), Point(100, "f"), Point(100, "f")])
    assert all(f.kinds() == () for f in flags)
    fall = analyse([Point(p, "f") for p in (100, 100, 100, 100, 60)])
    assert fall[-1].kinds()  # a fall of 40 POMP from the top raises something
    assert set(fall[-1].kinds()) <= {"rupture", "dropping", "first_dip"}


def test_a_discussion_covers_flags_raised_at_or_before_its_questionnaire() -> None:
    today = timezone.localdate()
    points = [(10 + i, today + timedelta(days=i)) for i in range(6)]
    shown = summarise([Point(p, "f") for p in (100, 100, 100, 100, 60, 60)]).raised()
    assert shown  # the fall of 40 is still shown at the latest questionnaire
    raised = max(shown.values())
    flags = shown.values()
    # Marked on the latest questionnaire: covers everything, including "low" there.
    values = attention_values(points, flags, {15: 7})
    assert values["flag_raised_on"] == points[raised][1]
    assert values["discussion_id"] == 7 and values["discussed_latest"] is True
    # Marked before the raising questionnaire: covers nothing.
    assert attention_values(points, flags, {10 + raised - 1: 3})["discussion_id"] is None
    # Marked at it, with a later questionnaire since: covers the rule flags, not "low".
    at_raise = attention_values(points, flags, {10 + raised: 4})
    if raised < 5:
        assert at_raise["discussion_id"] == 4 and at_raise["discussed_latest"] is False
        assert is_discussed(["rupture"], discussion_id=4, latest=False)
        assert not is_discussed(["rupture", "low"], discussion_id=4, latest=False)
    assert not is_discussed(["overdue"], discussion_id=4, latest=True)  # nothing to cover


def test_a_flag_raised_again_by_a_client_who_stays_down_is_open_since_its_first_raise() -> None:
    step = 100 / 48
    series = [Point(p, "wai-sr-client", step=step) for p in (100, 100, 100, 100, 75, 75)]
    flags = analyse(series)
    # Against the mean of recent scores the second 75 is still a rupture: the same one.
    assert summarise(series).raised()["rupture"] == 5
    assert open_since(flags, "rupture", 5) == 4
    # A change of form starts afresh: the run does not reach across it.
    switched = [*series[:5], Point(40, "wai-s-client", step=100 / 72)]
    assert open_since(analyse(switched), "rupture", 5) == 5


# --- marking from the chart -------------------------------------------------------------


def test_marking_takes_the_client_off_the_attention_list_and_stays_on_the_chart(
    therapist_a1: User, client_a1: Patient
) -> None:
    fall_from_the_top(therapist_a1, client_a1)
    assert attention_codes(therapist_a1) == ["A-001"]
    chart = reverse("assessments:client", args=[client_a1.pk])
    page = client_for(therapist_a1).get(chart).content.decode()
    assert "Mark as discussed" in page and "Not marked as discussed." in page

    response = mark(therapist_a1, client_a1, note="Talked about the missed session.")
    assert response.status_code == 302
    record = FlagDiscussion.objects.get()
    assert record.administration_id == latest_administration(client_a1)
    assert record.discussed_by == therapist_a1 and record.note.startswith("Talked")
    assert record.flags  # the codes shown when it was marked
    assert attention_codes(therapist_a1) == []
    assert [r.patient.code for r in caseload_overview(therapist_a1, flag="discussed")] == ["A-001"]
    # Still listed among all clients, its flags shown as discussed.
    caseload = client_for(therapist_a1).get(CASELOAD).content.decode()
    assert "flag-discussed" in caseload and "discussed " in caseload
    page = client_for(therapist_a1).get(chart).content.decode()
    assert "Mark as discussed" not in page
    assert page.count("Discussed on") >= 2  # the "flags now" box and the history row
    assert "Talked about the missed session." in page


def test_a_later_questionnaire_without_a_new_flag_keeps_it_discussed_a_new_flag_brings_it_back(
    therapist_a1: User, client_a1: Patient
) -> None:
    fall_from_the_top(therapist_a1, client_a1)
    mark(therapist_a1, client_a1)
    answer(therapist_a1, client_a1, 4, session=6)  # the same 75: nothing new
    assert attention_codes(therapist_a1) == []
    # Against the mean of recent scores the second 75 raises the same rupture again: the
    # chart's history shows it covered by the mark too, like the caseload.
    chart = client_for(therapist_a1).get(reverse("assessments:client", args=[client_a1.pk]))
    page = chart.content.decode()
    assert "Not marked as discussed." not in page and page.count("Discussed on") >= 3
    answer(therapist_a1, client_a1, 2, session=7)  # 75 → 25: a new fall, and low
    assert attention_codes(therapist_a1) == ["A-001"]
    row = caseload_overview(therapist_a1)[0]
    assert not row.discussed
    # The summary names the questionnaire that raised the new flag (by response id).
    latest = Response.objects.get(
        administration_id=latest_administration(client_a1), is_current=True
    )
    raised_at = {d["response_id"] for d in row.summary.flag_details.values()}
    assert latest.pk in raised_at


def test_a_second_mark_of_the_same_questionnaire_changes_nothing(
    therapist_a1: User, admin_a: User, client_a1: Patient
) -> None:
    fall_from_the_top(therapist_a1, client_a1)
    mark(therapist_a1, client_a1, note="first")
    response = mark(admin_a, client_a1, note="second")
    assert response.status_code == 302
    record = FlagDiscussion.objects.get()
    assert (record.note, record.discussed_by) == ("first", therapist_a1)
    assert AuditEvent.objects.filter(action="flags_discussed").count() == 1


def test_the_audit_line_names_the_flags_but_never_the_note(
    therapist_a1: User, client_a1: Patient
) -> None:
    fall_from_the_top(therapist_a1, client_a1)
    mark(therapist_a1, client_a1, note="Feels unheard since the move.")
    event = AuditEvent.objects.get(action="flags_discussed")
    assert event.patient == client_a1 and event.actor == therapist_a1
    assert event.detail["with_note"] is True and event.detail["flags"]
    assert "unheard" not in repr(event.detail)


def test_another_therapists_client_answers_404_and_nothing_is_marked(
    therapist_a1: User, therapist_a2: User, client_a1: Patient, admin_b: User
) -> None:
    fall_from_the_top(therapist_a1, client_a1)
    assert mark(therapist_a2, client_a1).status_code == 404
    assert mark(admin_b, client_a1).status_code == 404
    assert not FlagDiscussion.objects.exists()


def test_the_clinic_admin_may_mark_a_clients_flags(
    therapist_a1: User, admin_a: User, client_a1: Patient
) -> None:
    fall_from_the_top(therapist_a1, client_a1)
    assert mark(admin_a, client_a1).status_code == 302
    assert FlagDiscussion.objects.get().discussed_by == admin_a
    assert attention_codes(therapist_a1) == []


def test_a_page_opened_before_a_newer_questionnaire_marks_nothing(
    therapist_a1: User, client_a1: Patient
) -> None:
    fall_from_the_top(therapist_a1, client_a1)
    seen = latest_administration(client_a1)
    answer(therapist_a1, client_a1, 2, session=6)
    response = mark(therapist_a1, client_a1, administration=seen, follow=True)
    assert response.redirect_chain[0][1] == 302
    assert not FlagDiscussion.objects.exists()
    assert "A newer questionnaire has arrived" in response.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"administration": "abc", "note": ""},
        {"note": "no questionnaire named"},
        {"administration": "-4", "note": ""},
        {"administration": "1", "note": "x" * 2001},
    ],
)
def test_bad_input_is_explained_and_marks_nothing(
    therapist_a1: User, client_a1: Patient, data: dict[str, str]
) -> None:
    fall_from_the_top(therapist_a1, client_a1)
    response = client_for(therapist_a1).post(
        reverse("assessments:flags_discussed", args=[client_a1.pk]), data
    )
    assert response.status_code == 400
    assert "The flags were not marked" in response.content.decode()
    assert not FlagDiscussion.objects.exists()


def test_a_client_without_flags_has_nothing_to_mark(therapist_a1: User, client_a1: Patient) -> None:
    answer(therapist_a1, client_a1, 5, session=1)
    response = mark(therapist_a1, client_a1, follow=True)
    assert not FlagDiscussion.objects.exists()
    assert "no flag to mark" in response.content.decode()


def test_a_discussion_changes_nothing_of_the_scores(therapist_a1: User, client_a1: Patient) -> None:
    fall_from_the_top(therapist_a1, client_a1)
    score_fields = [
        "total_pomp", "total_mean", "goal_pomp", "task_pomp", "bond_pomp", "change",
        "change_rci", "change_reliable", "trend", "dropping", "rupture", "first_dip",
        "therapist_pomp", "gap", "questionnaires", "latest_id", "flag_details",
        "flag_raised_on",
    ]  # fmt: skip

    def snapshot() -> tuple[list[Any], list[Any]]:
        responses = list(Response.objects.order_by("pk").values())
        summary = AllianceSummary.objects.filter(patient=client_a1).values(*score_fields).get()
        return responses, [summary[f] for f in score_fields]

    before = snapshot()
    chart = reverse("assessments:client", args=[client_a1.pk])
    table_before = (
        client_for(therapist_a1).get(chart).content.decode().split('id="alliance-table"')[1]
    )
    mark(therapist_a1, client_a1, note="n")
    assert snapshot() == before
    table_after = (
        client_for(therapist_a1).get(chart).content.decode().split('id="alliance-table"')[1]
    )
    # Every figure is the same; only the words about the discussion were added.
    figures = [c for c in table_before.split("<td") if "table-numeric" in c]
    assert figures == [c for c in table_after.split("<td") if "table-numeric" in c]


# --- the clinic overview ----------------------------------------------------------------


def test_the_overview_shows_therapist_open_days_and_whether_discussed(
    admin_a: User, therapist_a1: User, client_a1: Patient
) -> None:
    fall_from_the_top(therapist_a1, client_a1)
    with time_machine.travel(timezone.now() + timedelta(days=5)):
        page = client_for(admin_a).get(OVERVIEW).content.decode()
        table = page.split('id="flagged-table"')[1].split("</table>")[0]
        assert "Tess Therapist" in table
        assert "5 days" in table
        assert "Not yet" in table
        mark(admin_a, client_a1)
        table = client_for(admin_a).get(OVERVIEW).content.decode().split('id="flagged-table"')[1]
        assert "by Ada Admin" in table.split("</table>")[0]


def test_not_discussed_within_14_days_with_frozen_time(
    admin_a: User, therapist_a1: User, therapist_a2: User, client_a1: Patient, client_a2: Patient
) -> None:
    fall_from_the_top(therapist_a1, client_a1)
    fall_from_the_top(therapist_a2, client_a2)
    today = timezone.localdate()

    def stale_codes() -> list[str]:
        overview = clinic_overview(admin_a, start=today, end=today, stale_only=True)
        return [r.patient.code for r in overview.flagged.object_list]

    assert stale_codes() == []  # raised today
    with time_machine.travel(timezone.now() + timedelta(days=STALE_DAYS)):
        assert stale_codes() == []  # exactly 14 days: still within
    with time_machine.travel(timezone.now() + timedelta(days=STALE_DAYS + 1)):
        assert stale_codes() == ["A-001", "A-002"]
        mark(therapist_a2, client_a2)
        assert stale_codes() == ["A-001"]
        page = client_for(admin_a).get(OVERVIEW + "?stale=1").content.decode()
        table = page.split('id="flagged-table"')[1].split("</table>")[0]
        assert "A-001" in table and "A-002" not in table
        assert "15 days" in table  # open for


# --- query counts ------------------------------------------------------------------------


def test_discussed_rows_cost_no_extra_query_on_the_caseload(
    therapist_a1: User, django_assert_num_queries: Any
) -> None:
    clinic = therapist_a1.clinic
    make_load(clinic=clinic, therapists=1, clients=60, questionnaires=8, prefix="Q")
    heavy = User.objects.get(clinic=clinic, role=Role.THERAPIST, email__startswith="therapist-")
    browser = client_for(heavy)
    browser.get(CASELOAD)
    # Built afresh each time (from the page cache it would read no client at all).
    freshness.bump()
    with django_assert_num_queries(8):
        browser.get(CASELOAD)
    flagged = [r for r in caseload_overview(heavy) if r.summary and r.needs_attention][:20]
    for row in flagged:
        FlagDiscussion.objects.create(
            clinic=clinic,
            patient=row.patient,
            administration_id=row.summary.latest.administration_id,
            response=row.summary.latest,
            flags=[f.code for f in row.flags],
            discussed_by=heavy,
        )
    refresh_alliance(patient_ids=[r.patient.pk for r in flagged])
    with django_assert_num_queries(8):
        response = browser.get(CASELOAD)
    assert response.content.decode().count("flag-discussed-label") >= 1
    # The "lowest 10 %" rule reads the clinic's cut-offs: one more query, still fixed.
    clinic.low_rule = "lowest_decile"
    clinic.save()
    with django_assert_num_queries(9):
        browser.get(CASELOAD)


def test_the_overview_costs_the_same_with_the_14_day_filter(
    admin_a: User, django_assert_max_num_queries: Any, django_assert_num_queries: Any
) -> None:
    make_load(clinic=admin_a.clinic, therapists=2, clients=40, questionnaires=6, prefix="Q")
    browser = client_for(admin_a)
    browser.get(OVERVIEW)
    # Every view measured here builds the overview (a new data version: the cached part
    # is not used); test_overview_cache pins the cached view.
    freshness.bump()
    with django_assert_max_num_queries(16) as few:
        browser.get(OVERVIEW)
    n = len(few.captured_queries)  # read now: the next request resets the query log
    # The load's flags are all fresh; age them by a month so the filtered list has rows.
    month_ago = timezone.localdate() - timedelta(days=30)
    AllianceSummary.objects.filter(flag_raised_on__isnull=False).update(flag_raised_on=month_ago)
    assert "flagged-table" in browser.get(OVERVIEW + "?stale=1").content.decode()
    freshness.bump()
    with django_assert_num_queries(n):
        browser.get(OVERVIEW + "?stale=1")
    make_load(clinic=admin_a.clinic, therapists=2, clients=80, questionnaires=6, prefix="R")
    with django_assert_num_queries(n):
        browser.get(OVERVIEW)


def test_a_discharged_client_cannot_be_marked(
    admin_a: User, therapist_a1: User, client_a1: Patient
) -> None:
    fall_from_the_top(therapist_a1, client_a1)
    seen = latest_administration(client_a1)
    Patient.objects.filter(pk=client_a1.pk).update(
        status="discharged", discharged_on=timezone.localdate()
    )
    response = mark(admin_a, client_a1, administration=seen, follow=True)
    assert not FlagDiscussion.objects.exists()
    assert "has been discharged; their flags stay" in response.content.decode()
