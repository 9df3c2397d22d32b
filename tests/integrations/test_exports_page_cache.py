"""The exports page's empty form is served from the shared page cache (the suite runs
with it on): the same for a clinic and role, changed by the next write, never another
clinic's or role's, and never holding a CSRF token of its own."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clinicians.models import User
from tests.conftest import client_for, make_staff

pytestmark = pytest.mark.django_db

EXPORTS = reverse("integrations:exports")


def test_a_new_therapist_is_offered_on_the_next_view(admin_a: User, therapist_a1: User) -> None:
    browser = client_for(admin_a)
    page = browser.get(EXPORTS).content.decode()
    assert "Tess Therapist" in page and "Nina New" not in page
    make_staff(admin_a.clinic, "nina@northside.test", "therapist", "Nina New")
    assert "Nina New" in browser.get(EXPORTS).content.decode()


def test_no_clinic_or_role_gets_anothers_form(
    admin_a: User, therapist_a1: User, admin_b: User
) -> None:
    assert "Tess Therapist" in client_for(admin_a).get(EXPORTS).content.decode()
    assert "Tess Therapist" not in client_for(admin_b).get(EXPORTS).content.decode()
    mine = client_for(therapist_a1).get(EXPORTS).content.decode()
    assert 'name="therapist"' not in mine  # a therapist exports their own caseload


def export_form(page: str) -> str:
    return page.split("data-export-form>")[1].split("</form>")[0]


def test_each_view_has_its_own_csrf_token_outside_the_cached_form(admin_a: User) -> None:
    first = export_form(client_for(admin_a).get(EXPORTS).content.decode())
    second = export_form(client_for(admin_a).get(EXPORTS).content.decode())
    assert first.count('name="csrfmiddlewaretoken"') == 1
    assert first != second  # the token: the cached rest is the same
    rest = [
        f.split('name="csrfmiddlewaretoken" value="')[1].split('"', 1)[1] for f in (first, second)
    ]
    assert rest[0] == rest[1]
