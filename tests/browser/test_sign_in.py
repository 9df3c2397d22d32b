from __future__ import annotations

import pytest

from clinicians.models import User
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_therapist_signs_in_and_out_in_a_real_browser(page, therapist_a1: User) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, therapist_a1.email, PASSWORD)
    assert page.url.endswith("/caseload/")
    assert page.get_by_role("heading", name="My caseload").is_visible()
    # No script error and no CSP violation on the page.
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.reload()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/")
    assert errors == []


def test_a_wrong_password_shows_a_message_in_the_browser(page, admin_a: User) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, admin_a.email, "wrong-password")
    assert page.get_by_text("do not match an active account").is_visible()
    assert page.url.endswith("/accounts/login/")
