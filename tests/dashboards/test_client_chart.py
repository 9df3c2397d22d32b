"""A client's page: the chart, its table, rupture markers, and the questionnaires."""

from __future__ import annotations

import pytest

from alliance_site import freshness
from assessments.models import Rater
from clinicians.models import Patient, User
from tests.conftest import client_for

from .test_caseload import rate

pytestmark = pytest.mark.django_db


def test_the_chart_and_its_table_tell_the_same_story(
    therapist_a1: User, client_a1: Patient
) -> None:
    rate(therapist_a1, client_a1, [4, 4, 4, 4, 2, 4])  # a rupture, repaired next time
    rate(therapist_a1, client_a1, [6], rater=Rater.THERAPIST)
    page = client_for(therapist_a1).get(f"/clients/{client_a1.pk}/").content.decode()
    # Drawn at three widths (narrow, mid, wide); the stylesheet shows the one that fits.
    assert page.count('<svg class="alliance-chart chart-') == 3
    assert 'role="img"' in page
    assert "Alliance over time for A-001" in page  # the chart's text alternative
    # Five series in each drawing: client total, goal, task, bond, therapist's total.
    assert page.count('<polyline class="series') == 5 * 3
    assert "line-therapist" in page
    assert 'class="rupture-marker repaired"' in page
    assert "repaired rupture: 50.0 POMP below" in page  # the marker's tooltip
    table = page.split('id="alliance-table"')[1].split("</table>")[0]
    assert table.count("<tr>") == 7  # header + six questionnaires
    assert "Repaired rupture" in table
    assert "▼ −50" in table  # 75 → 25
    assert "Session 6" in table


def test_an_unrepaired_rupture_is_marked_as_possible(
    therapist_a1: User, client_a1: Patient
) -> None:
    rate(therapist_a1, client_a1, [4, 4, 4, 4, 2])
    page = client_for(therapist_a1).get(f"/clients/{client_a1.pk}/").content.decode()
    assert 'class="rupture-marker"' in page
    table = page.split('id="alliance-table"')[1].split("</table>")[0]
    assert (
        "<strong>Possible rupture</strong> (marked): Worth asking about the relationship" in table
    )
    assert "50.0 POMP below the previous score (RCI \u22127.45" in table
    assert "Default norms until 30 clients have answered this form." in table


def test_a_client_without_scores_gets_a_plain_empty_state(
    therapist_a1: User, client_a1: Patient
) -> None:
    page = client_for(therapist_a1).get(f"/clients/{client_a1.pk}/").content.decode()
    assert "There are no scores to chart yet." in page
    assert '<svg class="alliance-chart' not in page
    assert "Ask for a questionnaire" in page


def test_the_client_page_marks_reverse_keyed_items_and_who_entered_answers(
    therapist_a1: User, client_a1: Patient
) -> None:
    rate(therapist_a1, client_a1, [6], rater=Rater.THERAPIST)
    browser = client_for(therapist_a1)
    page = browser.get(f"/clients/{client_a1.pk}/").content.decode()
    link = page.split('href="/questionnaires/')[1].split('"')[0]
    detail = browser.get(f"/questionnaires/{link}").content.decode()
    assert detail.count('<abbr title="reverse-keyed">R</abbr>') == 2  # items 4 and 10
    assert "Entered by Tess Therapist" in detail


def test_the_client_page_costs_the_same_queries_for_6_or_60_questionnaires(
    therapist_a1: User, client_a1: Patient, django_assert_num_queries, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    rate(therapist_a1, client_a1, [4] * 6)
    browser = client_for(therapist_a1)
    browser.get(f"/clients/{client_a1.pk}/")
    # As any write does: nothing cached so far is current, the whole page is rendered
    # (test_client_page_cache.py pins the views that read its body from the cache).
    freshness.bump()
    with django_assert_max_num_queries(16) as few:
        browser.get(f"/clients/{client_a1.pk}/")
    rate(therapist_a1, client_a1, [3] * 54)
    with django_assert_num_queries(len(few.captured_queries)):
        response = browser.get(f"/clients/{client_a1.pk}/")
    table = response.content.decode().split('id="alliance-table"')[1].split("</table>")[0]
    assert table.count("<tr>") == 61  # header + sixty questionnaires
