"""The client page's cached body (assessments/views/client_body.py): every change shows on
the very next view, viewers never get a body rendered for someone it differs for, and
the page costs the same queries for 4 or 64 questionnaires, from the cache or not."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.client import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alliance_site import freshness
from assessments.models import Administration, AdministrationStatus, OccasionKind, Response
from assessments.questionnaires.links import (
    Occasion,
    administration_request,
    administration_revoke,
)
from assessments.questionnaires.submissions import response_correct
from assessments.schedules.models import OccasionState, ScheduledOccasion
from assessments.schedules.services import schedule_set, schedule_stop
from clinicians.models import Patient, Role, User
from clinicians.services.caseloads import case_assign
from tests.conftest import client_for, make_staff
from tests.schedules.conftest import weekly

from .test_caseload import rate

pytestmark = pytest.mark.django_db


def page(browser: Client, patient: Patient, **headers: Any) -> str:
    response = browser.get(f"/clients/{patient.pk}/", **headers)
    assert response.status_code == 200
    return response.content.decode()


def same_but_tokens(html: str) -> str:
    """The page without what differs on every view: the CSRF token (masked anew each
    time) and the session's seconds left."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'data-(idle|absolute)-left="\d+"', "", html)


def section(html: str, table_id: str) -> str:
    return html.split(f'id="{table_id}"')[1].split("</table>")[0]


def ask(actor: User, patient: Patient, session: int) -> Administration:
    occasion = Occasion(OccasionKind.SESSION, session, "", datetime.now(UTC).date())
    return administration_request(
        actor=actor, patient=patient, form_code="wai-sr-client", occasion=occasion
    ).administration


def test_a_second_view_reads_the_body_from_the_cache(
    therapist_a1: User, client_a1: Patient
) -> None:
    rate(therapist_a1, client_a1, [4, 4, 4, 4])
    browser = client_for(therapist_a1)
    first = page(browser, client_a1)
    with CaptureQueriesContext(connection) as hit:
        again = page(browser, client_a1)
    assert same_but_tokens(again) == same_but_tokens(first)
    # None of the body's reads: the scores, the norms, the schedule.
    body = ('FROM "assessments_response"', 'FROM "assessments_formnorms"', "assessments_schedule")
    assert [q["sql"] for q in hit.captured_queries if any(t in q["sql"] for t in body)] == []


def test_a_new_submission_shows_at_once(therapist_a1: User, client_a1: Patient) -> None:
    rate(therapist_a1, client_a1, [4, 4, 4, 4])
    browser = client_for(therapist_a1)
    assert section(page(browser, client_a1), "alliance-table").count("<tr>") == 5
    rate(therapist_a1, client_a1, [2])  # a fifth questionnaire
    html = page(browser, client_a1)
    assert section(html, "alliance-table").count("<tr>") == 6
    assert section(html, "questionnaires-table").count("<tr>") == 6
    assert html.count('<polyline class="series line-total"') == 3  # one per drawing


def test_a_correction_shows_at_once(therapist_a1: User, client_a1: Patient) -> None:
    rate(therapist_a1, client_a1, [4])
    browser = client_for(therapist_a1)
    assert "<strong>75</strong>" in section(page(browser, client_a1), "alliance-table")
    response = Response.objects.get(is_current=True, administration__patient=client_a1)
    response_correct(
        actor=therapist_a1,
        response=response,
        answers={i: 5 for i in range(1, 13)},
        reason="typed from the wrong sheet",
    )
    table = section(page(browser, client_a1), "alliance-table")
    assert "<strong>100</strong>" in table and "<strong>75</strong>" not in table


def test_flags_marked_discussed_show_at_once(therapist_a1: User, client_a1: Patient) -> None:
    rate(therapist_a1, client_a1, [4, 4, 4, 4, 2])  # a rupture at the fifth
    browser = client_for(therapist_a1)
    html = page(browser, client_a1)
    assert "Not marked as discussed." in section(html, "alliance-table")
    assert 'class="mark-discussed"' in html
    latest = Administration.objects.filter(patient=client_a1).order_by("-session_date").first()
    assert latest is not None
    browser.post(
        reverse("assessments:flags_discussed", args=[client_a1.pk]),
        {"administration": latest.pk, "note": "Talked it through"},
    )
    html = page(browser, client_a1)
    table = section(html, "alliance-table")
    assert "Discussed on" in table and "Talked it through" in table
    assert "Not marked as discussed." not in table
    assert 'class="mark-discussed"' not in html


def test_a_new_link_and_its_withdrawal_show_at_once(therapist_a1: User, client_a1: Patient) -> None:
    rate(therapist_a1, client_a1, [4])
    browser = client_for(therapist_a1)
    assert "Waiting" not in section(page(browser, client_a1), "questionnaires-table")
    asked = ask(therapist_a1, client_a1, 2)
    table = section(page(browser, client_a1), "questionnaires-table")
    assert table.count("<tr>") == 3 and "Waiting" in table
    administration_revoke(actor=therapist_a1, administration=asked)
    table = section(page(browser, client_a1), "questionnaires-table")
    assert "Waiting" not in table and "Withdrawn" in table


def test_an_open_link_reads_expired_once_it_expires_without_any_write(
    therapist_a1: User, client_a1: Patient
) -> None:
    noon = datetime(2026, 6, 10, 10, 0, tzinfo=UTC)
    with time_machine.travel(noon, tick=False):
        asked = ask(therapist_a1, client_a1, 1)
        Administration.objects.filter(pk=asked.pk).update(expires_at=noon + timedelta(minutes=1))
        browser = client_for(therapist_a1)
        assert "Waiting" in section(page(browser, client_a1), "questionnaires-table")
        version = freshness.version()
    # Same day, same data version: only the entry's own end can retire it.
    with time_machine.travel(noon + timedelta(minutes=2), tick=False):
        table = section(page(browser, client_a1), "questionnaires-table")
        assert freshness.version() == version
    assert "Expired" in table and "Waiting" not in table


def test_a_schedule_set_and_stopped_shows_at_once(therapist_a1: User, client_a1: Patient) -> None:
    browser = client_for(therapist_a1)
    assert "No schedule" in page(browser, client_a1)
    schedule_set(
        actor=therapist_a1,
        patient=client_a1,
        values=weekly(),
        starts_on=datetime.now(UTC).date() + timedelta(days=1),
    )
    html = page(browser, client_a1)
    assert "Next scheduled questionnaires" in html and "No schedule" not in html
    schedule_stop(actor=therapist_a1, patient=client_a1)
    html = page(browser, client_a1)
    assert "No schedule" in html and "Next scheduled questionnaires" not in html


def test_after_a_transfer_the_old_therapist_is_refused_and_the_new_one_sees_it(
    admin_a: User, therapist_a1: User, therapist_a2: User, client_a1: Patient
) -> None:
    rate(therapist_a1, client_a1, [4, 4])
    old, new = client_for(therapist_a1), client_for(therapist_a2)
    assert "Tess Therapist" in page(old, client_a1)
    assert new.get(f"/clients/{client_a1.pk}/").status_code == 404
    case_assign(actor=admin_a, patient=client_a1, therapist=therapist_a2)
    assert old.get(f"/clients/{client_a1.pk}/").status_code == 404
    html = page(new, client_a1)
    assert "Therapist: Theo Therapist" in html
    assert section(html, "alliance-table").count("<tr>") == 3


def own_rating_offered(admin_a: User, therapist_a1: User, client_a1: Patient) -> None:
    """A schedule asking for the therapist's rating, with one questionnaire answered:
    its own therapist is offered "add your own rating"; the clinic admin is not."""
    schedule = schedule_set(
        actor=therapist_a1,
        patient=client_a1,
        values=weekly(with_therapist_rating=True),
        starts_on=datetime.now(UTC).date(),
    )
    rate(therapist_a1, client_a1, [4])
    done = Administration.objects.get(patient=client_a1, status=AdministrationStatus.COMPLETED)
    ScheduledOccasion.objects.create(
        schedule=schedule,
        due_at=datetime.now(UTC) - timedelta(days=1),
        state=OccasionState.SENT,
        administration=done,
    )


@pytest.mark.parametrize("therapist_first", [True, False])
def test_the_admin_and_the_therapist_never_get_each_others_body(
    admin_a: User, therapist_a1: User, client_a1: Patient, therapist_first: bool
) -> None:
    own_rating_offered(admin_a, therapist_a1, client_a1)
    views = [(therapist_a1, True), (admin_a, False)]
    for user, offered in views if therapist_first else reversed(views):
        html = page(client_for(user), client_a1)
        assert ("add your own rating" in html) is offered


def test_two_languages_never_get_each_others_body(admin_a: User, client_a1: Patient) -> None:
    rate(admin_a, client_a1, [4, 4])
    ask(admin_a, client_a1, 3)
    # No language of their own: the browser's decides, so nothing is written between the
    # two views (a write would retire the cached body anyway).
    assert admin_a.language == ""
    browser = client_for(admin_a)
    english = page(browser, client_a1, HTTP_ACCEPT_LANGUAGE="en")
    german = page(browser, client_a1, HTTP_ACCEPT_LANGUAGE="de")
    assert "Alliance over time" in english and "Waiting" in english
    assert "Allianz im Verlauf" in german and "Wartet" in german
    assert "Alliance over time" not in german
    assert "Allianz im Verlauf" not in page(browser, client_a1, HTTP_ACCEPT_LANGUAGE="en")


def queries(browser: Client, patient: Patient) -> int:
    with CaptureQueriesContext(connection) as ctx:
        page(browser, patient)
    return len(ctx.captured_queries)


def test_the_same_queries_for_4_or_64_questionnaires_cached_or_not(
    admin_a: User, therapist_a1: User, client_a1: Patient
) -> None:
    therapist, admin = client_for(therapist_a1), client_for(admin_a)
    for browser in (therapist, admin):
        page(browser, client_a1)  # a session's first view does a little more, once
    counts: dict[int, list[int]] = {}
    for n, values in ((4, [4, 4, 4, 3]), (64, [4, 3] * 30)):
        rate(therapist_a1, client_a1, values)
        assert section(page(therapist, client_a1), "alliance-table").count("<tr>") == n + 1
        freshness.bump()  # as any write does: the next view renders the body
        counts[n] = [
            queries(therapist, client_a1),  # miss
            queries(therapist, client_a1),  # hit
            queries(admin, client_a1),  # hit (the admin's own body: made now)
            queries(admin, client_a1),  # hit
        ]
    # A view from the cache: the session, its user, their second factor and clinic (the
    # middleware) and the audit line; the client's part above the body is the viewer's
    # own cached part, so the client is not read at all. A miss adds the head's three
    # (the client with their flags, their open questionnaires, the next link to expire)
    # and the body's seven: the client and clinic
    # again (read after the data version), the scores, the norms, the discussions, the
    # questionnaires, the schedule and its occasions. The clinic admin's first view
    # also reads who the therapist is (a therapist is the therapist of every client
    # they can open).
    assert counts[4] == counts[64] == [15, 5, 16, 5]


def test_an_admin_in_another_language_is_a_different_staff_member(
    clinic_a: Any, therapist_a1: User, client_a1: Patient
) -> None:
    """Staff languages set in the profile (not the browser's) key the body too."""
    rate(therapist_a1, client_a1, [4])
    german = make_staff(clinic_a, "greta@northside.test", Role.ADMIN, "Greta Admin")
    german.language = "de"
    german.save(update_fields=["language"])
    english = make_staff(clinic_a, "erin@northside.test", Role.ADMIN, "Erin Admin")
    assert "Alliance over time" in page(client_for(english), client_a1)
    assert "Allianz im Verlauf" in page(client_for(german), client_a1)


def test_the_cached_mark_form_carries_this_requests_token_and_posts(
    therapist_a1: User, client_a1: Patient
) -> None:
    from assessments.models import FlagDiscussion
    from assessments.views.chart import CSRF_STAND_IN

    rate(therapist_a1, client_a1, [5, 5, 5, 5, 1])  # a sharp drop: flags to discuss
    browser = client_for(therapist_a1)
    browser.handler.enforce_csrf_checks = True
    first, second = page(browser, client_a1), page(browser, client_a1)  # built, cached
    assert same_but_tokens(first) == same_but_tokens(second)
    assert CSRF_STAND_IN not in first + second
    form = second[second.index('class="mark-discussed"') :]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    administration = re.search(r'name="administration" value="(\d+)"', form)
    assert token and administration
    answer = browser.post(
        reverse("assessments:flags_discussed", args=[client_a1.pk]),
        {"csrfmiddlewaretoken": token.group(1), "administration": administration.group(1)},
    )
    assert answer.status_code == 302
    assert FlagDiscussion.objects.filter(patient=client_a1).count() == 1
    assert 'class="mark-discussed"' not in page(browser, client_a1)  # and seen at once
