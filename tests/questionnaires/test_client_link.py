"""The client's link: open, fill in, submit exactly once, and every way it can fail."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from assessments.models import Administration, AdministrationStatus, Answer, Response
from assessments.questionnaires.links import IssuedLink, administration_revoke
from clinicians.models import AuditEvent, User

from .fixtures import all_answers, open_questionnaire, post_answers

pytestmark = pytest.mark.django_db


def test_the_raw_token_appears_nowhere_in_the_database(issued: IssuedLink) -> None:
    browser = open_questionnaire(issued.token)
    post_answers(browser, all_answers())
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from introspection
            for row in cursor.fetchall():
                assert issued.token not in repr(row), table


def test_opening_the_link_three_times_leaves_it_usable(issued: IssuedLink) -> None:
    for _ in range(3):
        open_questionnaire(issued.token)
    browser = open_questionnaire(issued.token)
    page = browser.get("/q/")
    assert page.status_code == 200
    assert "Tess Therapist" in page.content.decode()
    assert post_answers(browser, all_answers()).status_code == 302
    assert Response.objects.count() == 1


def test_the_page_shows_the_clinic_and_therapist_but_never_the_client(
    issued: IssuedLink,
) -> None:
    page = open_questionnaire(issued.token).get("/q/").content.decode()
    assert "Northside Therapy" in page
    assert "I believe Tess Therapist likes me." in page
    assert "Alice" not in page
    assert "A-001" not in page
    assert page.count('type="radio"') == 12 * 5
    assert page.count("<fieldset") == 12


def test_the_token_address_sends_no_referrer_and_nothing_is_indexed(
    issued: IssuedLink,
) -> None:
    browser = Client()
    first = browser.get(f"/q/{issued.token}")
    unknown = Client().get("/q/unknown-token")
    assert first["Referrer-Policy"] == "no-referrer"
    assert unknown["Referrer-Policy"] == "no-referrer"
    page = browser.get("/q/")
    assert issued.token not in page.content.decode()
    # No token past the redirect; same-origin keeps the form's CSRF origin check working.
    assert page["Referrer-Policy"] == "same-origin"
    for response in (first, unknown, page):
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        assert response["Cache-Control"] == "no-store"


def test_submitting_stores_answers_and_score_in_one_go(issued: IssuedLink) -> None:
    browser = open_questionnaire(issued.token)
    data = all_answers(value=4)
    data["item_3"] = "2"
    response = post_answers(browser, data)
    assert response.status_code == 302
    assert response.url == "/q-done/"
    assert "Thank you" in browser.get("/q-done/").content.decode()
    stored = Response.objects.get()
    assert stored.complete
    assert stored.answered == 12
    assert stored.bond_sum == 14  # 4 + 2 + 4 + 4
    assert stored.total_sum == 46
    assert stored.total_pomp == pytest.approx(100 * (46 / 12 - 1) / 4)
    assert dict(Answer.objects.values_list("item", "value"))[3] == 2
    administration = Administration.objects.get()
    assert administration.status == AdministrationStatus.COMPLETED
    assert AuditEvent.objects.filter(
        action="questionnaire_submitted", patient=administration.patient
    ).exists()


def test_a_missing_answer_is_pointed_out_and_given_answers_stay_selected(
    issued: IssuedLink,
) -> None:
    browser = open_questionnaire(issued.token)
    data = all_answers(value=5)
    del data["item_7"]
    response = post_answers(browser, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "One question still needs an answer." in page
    assert 'href="#q-7"' in page
    assert 'id="q-7-error"' in page
    assert page.count("checked") == 11
    assert Response.objects.count() == 0


def test_a_double_submit_stores_one_response_and_says_it_arrived(issued: IssuedLink) -> None:
    browser = open_questionnaire(issued.token)
    assert post_answers(browser, all_answers()).status_code == 302
    again = post_answers(browser, all_answers(value=1))
    assert again.status_code == 200
    assert "We already have your answers" in again.content.decode()
    assert Response.objects.count() == 1
    assert Response.objects.get().total_mean == 4


def test_two_tabs_store_one_response(issued: IssuedLink) -> None:
    tab1 = open_questionnaire(issued.token)
    tab2 = open_questionnaire(issued.token)
    assert post_answers(tab1, all_answers(value=3)).status_code == 302
    second = post_answers(tab2, all_answers(value=5))
    assert "We already have your answers" in second.content.decode()
    assert Response.objects.count() == 1


def test_after_submitting_the_form_cannot_be_seen_again(issued: IssuedLink) -> None:
    browser = open_questionnaire(issued.token)
    post_answers(browser, all_answers())
    page = browser.get("/q/").content.decode()
    assert "We already have your answers" in page
    assert 'type="radio"' not in page
    # The link itself now leads to the plain page.
    assert Client().get(f"/q/{issued.token}").status_code == 404


UNAVAILABLE = "This link does not work"


def test_an_unknown_link_gets_the_plain_page() -> None:
    response = Client().get("/q/not-a-real-token")
    assert response.status_code == 404
    assert UNAVAILABLE in response.content.decode()
    assert 'type="radio"' not in response.content.decode()


def test_an_expired_link_gets_the_same_plain_page(issued: IssuedLink) -> None:
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = Client().get(f"/q/{issued.token}")
    assert response.status_code == 404
    assert UNAVAILABLE in response.content.decode()


def test_a_withdrawn_link_gets_the_same_plain_page(issued: IssuedLink, therapist_a1: User) -> None:
    browser = open_questionnaire(issued.token)
    administration_revoke(actor=therapist_a1, administration=issued.administration)
    assert UNAVAILABLE in Client().get(f"/q/{issued.token}").content.decode()
    # A browser that opened it before the withdrawal cannot submit either.
    response = post_answers(browser, all_answers())
    assert UNAVAILABLE in response.content.decode()
    assert Response.objects.count() == 0


def test_the_questionnaire_page_without_a_session_is_the_plain_page() -> None:
    response = Client().get("/q/")
    assert response.status_code == 404
    assert UNAVAILABLE in response.content.decode()


def test_a_tampered_form_code_is_refused(issued: IssuedLink) -> None:
    browser = open_questionnaire(issued.token)
    response = post_answers(browser, all_answers(n=36), form_code="wai-36-client")
    assert response.status_code == 400
    assert "does not match the questionnaire" in response.content.decode()
    assert Response.objects.count() == 0


def test_an_unknown_item_number_is_refused(issued: IssuedLink) -> None:
    browser = open_questionnaire(issued.token)
    data = all_answers()
    data["item_13"] = "3"
    response = post_answers(browser, data)
    assert response.status_code == 400
    assert "do not match this questionnaire" in response.content.decode()
    assert Response.objects.count() == 0


@pytest.mark.parametrize("bad", ["6", "0", "-1", "3.5", "abc", "", "٣", "1e1", " 4"])
def test_a_bad_value_is_refused_with_a_message(issued: IssuedLink, bad: str) -> None:
    browser = open_questionnaire(issued.token)
    data = all_answers()
    data["item_5"] = bad
    response = post_answers(browser, data)
    assert response.status_code == 400
    assert 'id="q-5-error"' in response.content.decode()
    assert Response.objects.count() == 0


def test_an_oversized_body_is_refused_in_plain_words(issued: IssuedLink) -> None:
    browser = open_questionnaire(issued.token)
    data = all_answers()
    data["padding"] = "x" * 400_000
    response = post_answers(browser, data)
    assert response.status_code == 400
    assert "too large" in response.content.decode()
    assert Response.objects.count() == 0


def test_preferred_language_falls_back_to_english_without_a_translation(
    issued: IssuedLink,
) -> None:
    patient = issued.administration.patient
    patient.preferred_language = "xx"
    patient.save()
    page = open_questionnaire(issued.token).get("/q/").content.decode()
    assert "I believe Tess Therapist likes me." in page
