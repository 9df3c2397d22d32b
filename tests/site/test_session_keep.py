"""The sign-out warning's endpoint: GET tells how long is left without extending the
session, POST ("Stay signed in") extends the idle limit but never the 12-hour one."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from clinicians.models import Patient, User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/accounts/session/keep/"
IDLE = 30 * 60


def _signed_in(user: User, at: float) -> Client:
    c = client_for(user)
    session = c.session
    session["session_started"] = at
    session["session_last_seen"] = at
    session.save()
    return c


def _last_seen(c: Client) -> float:
    return float(c.session["session_last_seen"])


def test_get_tells_the_time_left_and_does_not_extend(therapist_a1: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        c = _signed_in(therapist_a1, start.timestamp())
    # 25 minutes later: past the "last seen" throttle, so a page would refresh it.
    with time_machine.travel(start + timedelta(minutes=25), tick=False):
        response = c.get(URL)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert response.json() == {
            "idle_seconds_left": 5 * 60,
            "absolute_seconds_left": 12 * 3600 - 25 * 60,
        }
        assert _last_seen(c) == start.timestamp()
    # Still only the original use counts: 31 minutes after it the session is over.
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        assert c.get("/caseload/").status_code == 302


def test_post_counts_as_use_and_extends_the_idle_limit(therapist_a1: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        c = _signed_in(therapist_a1, start.timestamp())
    later = start + timedelta(minutes=28)
    with time_machine.travel(later, tick=False):
        response = c.post(URL)
        assert response.status_code == 200
        assert response.json()["idle_seconds_left"] == IDLE
        assert _last_seen(c) == later.timestamp()
    with time_machine.travel(start + timedelta(minutes=50), tick=False):
        assert c.get("/caseload/").status_code == 200


def test_post_never_extends_the_twelve_hour_limit(therapist_a1: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        c = _signed_in(therapist_a1, start.timestamp())
    for minutes in range(20, 12 * 60 - 10, 20):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert c.post(URL).status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=-1), tick=False):
        assert c.post(URL).json()["absolute_seconds_left"] == 60
    with time_machine.travel(start + timedelta(hours=12, minutes=1), tick=False):
        response = c.post(URL)
        assert response.status_code == 401
        assert "_auth_user_id" not in c.session


def test_after_the_idle_limit_the_endpoint_answers_401_and_leaves_the_message(
    therapist_a1: User,
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        c = _signed_in(therapist_a1, start.timestamp())
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        response = c.get(URL)
        assert response.status_code == 401
        assert response.json() == {"signed_out": True}
        assert "_auth_user_id" not in c.session
        # The sign-in page the script then shows says why.
        login = c.get("/accounts/login/")
        assert "You were signed out after 30 minutes without use." in login.content.decode()


def test_anonymous_is_sent_to_sign_in_and_gets_no_figures() -> None:
    for method in ("get", "post"):
        response = getattr(Client(), method)(URL)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")


def test_a_session_without_its_second_factor_is_refused(therapist_a1: User) -> None:
    c = client_for(therapist_a1, second_factor=False)
    before = c.session.get("session_last_seen")
    for method in ("get", "post"):
        response = getattr(c, method)(URL)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/two-factor/")
    assert c.session.get("session_last_seen") == before or before is None


def test_post_needs_the_csrf_token(therapist_a1: User) -> None:
    c = client_for(therapist_a1)
    c.handler.enforce_csrf_checks = True
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        session = c.session
        session["session_last_seen"] = session["session_started"] = start.timestamp()
        session.save()
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        refused = c.post(URL)
        assert refused.status_code == 403
        assert b"idle_seconds_left" not in refused.content
        page = c.get("/caseload/")
        token = c.cookies["csrftoken"].value
        assert page.status_code == 200
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        response = c.post(URL, HTTP_X_CSRFTOKEN=token)
        assert response.status_code == 200
        assert response.json()["idle_seconds_left"] == IDLE


def test_other_methods_are_refused(therapist_a1: User) -> None:
    assert client_for(therapist_a1).put(URL).status_code == 405


def test_any_clinics_staff_get_their_own_sessions_figures(
    admin_b: User, therapist_a1: User, client_a1: Patient
) -> None:
    # The endpoint shows no data of any clinic: only the session's own clock.
    for user in (admin_b, therapist_a1):
        data = client_for(user).get(URL).json()
        assert set(data) == {"idle_seconds_left", "absolute_seconds_left"}
        assert client_a1.code not in str(data)


def test_in_review_mode_the_warning_still_works(therapist_a1: User, client_a1: Patient) -> None:
    c = client_for(therapist_a1)
    assert c.get(f"/clients/{client_a1.pk}/review/").status_code == 200
    assert c.post(URL).status_code == 200
    # Everything else still goes back to the review.
    assert c.get("/caseload/").url.endswith(f"/clients/{client_a1.pk}/review/")


def test_staff_pages_and_the_review_page_carry_the_warning(
    therapist_a1: User, client_a1: Patient
) -> None:
    c = client_for(therapist_a1)
    page = c.get("/caseload/").content.decode()
    assert 'id="session-timeout"' in page
    assert 'data-warn-seconds="120"' in page
    assert "You will be signed out in about 2 minutes because the page has not been used." in page
    assert "js/session-timeout" in page
    review = c.get(f"/clients/{client_a1.pk}/review/").content.decode()
    assert 'id="session-timeout"' in review
    # Not on the sign-in page, nor for a session still waiting for its second factor.
    assert 'id="session-timeout"' not in Client().get("/accounts/login/").content.decode()
