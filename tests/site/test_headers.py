"""Security headers on every page; no caching of anything the app renders."""

from __future__ import annotations

import pytest
from django.test import Client

from clinicians.models import User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_staff_pages_are_never_cached(therapist_a1: User) -> None:
    response = client_for(therapist_a1).get("/caseload/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_the_content_security_policy_allows_no_inline_script_or_other_origin() -> None:
    response = Client().get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    directives = dict(
        ([*part.strip().split(" ", 1), ""])[:2] for part in policy.split(";") if part.strip()
    )
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "http" not in policy  # no third-party origin at all


def test_the_usual_security_headers_are_sent() -> None:
    response = Client().get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_bootstrap_is_served_by_the_app_itself() -> None:
    page = Client().get("/accounts/login/").content.decode()
    assert '<link rel="stylesheet" href="/static/bootstrap/css/bootstrap.min.css">' in page
    assert "cdn" not in page.lower()
    css = Client().get("/static/bootstrap/css/bootstrap.min.css")
    assert css.status_code == 200
    assert b"Bootstrap" in b"".join(css.streaming_content)


def test_unknown_pages_answer_404_in_plain_words() -> None:
    response = Client().get("/no/such/page/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_a_crash_answers_500_in_plain_words(rf) -> None:  # type: ignore[no-untyped-def]
    from alliance_site.views import error_500

    response = error_500(rf.get("/"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
