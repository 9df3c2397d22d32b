"""The refusal and not-found pages: signed-in staff keep their navigation (the way back
is one tap away on a phone); anyone else gets the plain layout with nothing about a
clinic on it."""

from __future__ import annotations

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


def test_another_clinics_client_is_not_found_inside_the_staff_layout(
    admin_b: User, client_a1: Patient
) -> None:
    response = client_for(admin_b).get(f"/clients/{client_a1.pk}/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "We could not find that page" in page and SIGN_OUT in page
    assert client_a1.code not in page and "Northside Therapy" not in page


def test_without_a_signed_in_staff_user_the_error_pages_stay_plain(
    therapist_a1: User,
) -> None:
    anonymous = client_for(None).get("/no-such-page/")
    assert anonymous.status_code == 404
    assert SIGN_OUT not in anonymous.content.decode()
    # A password without its second factor shows nothing of the clinic either.
    half = client_for(therapist_a1, second_factor=False).get("/no-such-page/")
    assert half.status_code == 404
    page = half.content.decode()
    assert SIGN_OUT not in page and "Northside Therapy" not in page
