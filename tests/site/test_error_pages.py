"""The refusal page: signed-in staff keep their navigation (the way back is one tap away
on a phone); anyone else gets the plain layout with nothing about a clinic on it. The
not-found page stays plain for everyone."""

from __future__ import annotations

from typing import Any

import pytest

from clinicians.models import Patient, User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

SIGN_OUT = 'action="/accounts/logout/"'


def test_a_therapist_refused_a_console_page_keeps_the_staff_navigation(
    therapist_a1: User,
) -> None:
    response = client_for(therapist_a1).get("/console/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "This page is not for your account" in page
    assert SIGN_OUT in page
    assert 'href="/caseload/"' in page and "Northside Therapy" in page
    assert 'href="/console/"' not in page  # the therapist's navigation, not the admin's


def test_an_admin_refused_the_caseload_gets_the_admins_navigation(admin_a: User) -> None:
    page = client_for(admin_a).get("/caseload/").content.decode()
    assert SIGN_OUT in page and 'href="/console/"' in page


def test_not_found_stays_plain_so_another_clinics_client_answers_like_a_missing_one(
    admin_b: User, client_a1: Patient
) -> None:
    c = client_for(admin_b)
    theirs = c.get(f"/clients/{client_a1.pk}/")
    missing = c.get("/clients/987654321/")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.content == missing.content
    assert SIGN_OUT not in theirs.content.decode()


def test_without_a_verified_staff_user_the_refusal_page_stays_plain(
    rf: Any, therapist_a1: User
) -> None:
    from django.contrib.auth.models import AnonymousUser

    from alliance_site.views import error_403

    request = rf.get("/console/")
    request.user = AnonymousUser()
    assert SIGN_OUT not in error_403(request).content.decode()
    # A password without its second factor shows nothing of the clinic either.
    request.user = therapist_a1
    therapist_a1.is_verified = lambda: False  # type: ignore[method-assign]
    page = error_403(request).content.decode()
    assert SIGN_OUT not in page and "Northside Therapy" not in page
    therapist_a1.is_verified = lambda: True  # type: ignore[method-assign]
    assert SIGN_OUT in error_403(request).content.decode()
