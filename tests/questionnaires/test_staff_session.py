"""A client's questionnaire never runs inside a staff session (findings 5 and 12)."""

from __future__ import annotations

import pytest
from django.test import Client

from assessments.models import Response
from assessments.questionnaires.kiosk import kiosk_enrol
from assessments.questionnaires.links import IssuedLink
from assessments.views.client import KIOSK_COOKIE
from clinicians.models import AuditEvent, User
from tests.conftest import client_for

from .fixtures import all_answers, post_answers

pytestmark = pytest.mark.django_db


def test_a_client_link_opened_in_a_staff_browser_signs_the_staff_member_out_first(
    therapist_a1: User, issued: IssuedLink
) -> None:
    browser = client_for(therapist_a1)
    assert browser.get("/caseload/").status_code == 200
    opened = browser.get(f"/q/{issued.token}")
    assert opened.status_code == 302
    assert opened.url == "/q/"
    page = browser.get("/q/")
    assert page.status_code == 200
    assert "signed out of your staff account" in page.content.decode()
    assert AuditEvent.objects.filter(action="logout", actor=therapist_a1).exists()
    # The staff session is gone, before and after the client submits.
    assert browser.get("/caseload/").url.startswith("/accounts/login/")
    post_answers(browser, all_answers())
    assert Response.objects.filter(administration=issued.administration).count() == 1
    assert browser.get("/caseload/").url.startswith("/accounts/login/")


def test_a_dead_link_in_a_staff_browser_leaves_the_staff_session_alone(
    therapist_a1: User,
) -> None:
    browser = client_for(therapist_a1)
    assert browser.get("/q/not-a-real-token").status_code == 404
    assert browser.get("/caseload/").status_code == 200


def test_signing_in_as_staff_after_opening_a_link_does_not_carry_the_questionnaire(
    therapist_a1: User, issued: IssuedLink
) -> None:
    browser = Client()
    browser.get(f"/q/{issued.token}")
    assert browser.get("/q/").status_code == 200
    # Someone signs in as staff in the same browser: the questionnaire is closed to it.
    browser.force_login(therapist_a1)
    assert browser.get("/q/").status_code == 404
    assert post_answers(browser, all_answers()).status_code == 404
    assert not Response.objects.filter(administration=issued.administration).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_kiosk_reset_leaves_a_staff_session_alone(therapist_a1: User, method: str) -> None:
    browser = client_for(therapist_a1)
    response = getattr(browser, method)("/kiosk/reset/")
    assert response.status_code == 302
    assert browser.get("/caseload/").status_code == 200


def test_the_kiosk_reset_is_a_post_that_forgets_the_visit(
    admin_a: User, issued: IssuedLink
) -> None:
    _device, token = kiosk_enrol(actor=admin_a, name="Waiting room")
    tablet = Client()
    tablet.cookies[KIOSK_COOKIE] = token
    tablet.post("/kiosk", {"code": issued.administration.short_code})
    assert tablet.get("/kiosk/questionnaire/").status_code == 200
    # A GET (a link, a prefetch) changes nothing.
    assert tablet.get("/kiosk/reset/").url == "/kiosk"
    assert tablet.get("/kiosk/questionnaire/").status_code == 200
    assert tablet.post("/kiosk/reset/").url == "/kiosk"
    assert tablet.get("/kiosk/questionnaire/").url == "/kiosk"
