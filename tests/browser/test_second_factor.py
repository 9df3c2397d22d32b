"""The second factor in a real browser: set-up, a code, a recovery code, a reset.

Screenshots go to $SECOND_FACTOR_SCREENSHOTS (default: the system temp dir).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from clinicians.models import AuditEvent, User
from tests.browser import conftest as browser_conftest
from tests.browser.conftest import app_code, complete_second_factor, sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("SECOND_FACTOR_SCREENSHOTS", tempfile.gettempdir()))
WIDTHS = (390, 1366)


def check_page(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """No serious accessibility problem, nothing wider than the screen, at both widths."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        results = Axe().run(page)
        serious = [
            f"{v['id']}: {v['help']}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], (name, width, serious)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (name, width, overflow)
        page.screenshot(path=str(SHOTS / f"second-factor-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def password_step(page, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def sign_out(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url("**/accounts/login/")


def test_set_up_sign_in_with_a_code_and_a_recovery_code_then_an_admin_resets(  # type: ignore[no-untyped-def]
    page, admin_a: User, therapist_a1: User
) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    email = therapist_a1.email

    # --- first sign-in: the set-up page, then the recovery codes ----------------------
    password_step(page, email)
    assert page.url.endswith("/accounts/two-factor/setup/")
    assert page.get_by_role("heading", name="Set up your authenticator app").is_visible()
    assert page.get_by_role("img", name="QR code for your authenticator app").is_visible()
    check_page(page, "setup")
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Confirm and continue").click()
    assert page.get_by_text("That code does not match").is_visible()
    page.wait_for_timeout(1100)  # a wrong code makes the next try wait a second
    key = page.locator("#setup-key").inner_text()
    assert re.fullmatch(r"([A-Z2-7]{4} )+[A-Z2-7]{1,4}", key)  # base32, in groups
    browser_conftest._APP_KEYS[email] = key  # typed into the app
    browser_conftest._LAST_STEP.pop(email, None)
    page.get_by_label("Code").fill(app_code(email))
    page.get_by_role("button", name="Confirm and continue").click()
    page.wait_for_url("**/accounts/two-factor/recovery-codes/")
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    check_page(page, "recovery-codes")
    page.get_by_role("button", name="I have saved them").click()
    page.wait_for_url("**/caseload/")
    sign_out(page)

    # --- a later sign-in with the app's code ------------------------------------------
    password_step(page, email)
    assert page.url.endswith("/accounts/two-factor/")
    assert page.get_by_role("heading", name="Enter your sign-in code").is_visible()
    check_page(page, "code")
    complete_second_factor(page, email)
    assert page.url.endswith("/caseload/")
    sign_out(page)

    # --- a sign-in with a recovery code, which then is gone ---------------------------
    password_step(page, email)
    page.get_by_text("No phone with you?").click()
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/caseload/")
    assert page.get_by_text("9 recovery codes are left").is_visible()
    page.goto("/accounts/security/")
    check_page(page, "security")
    sign_out(page)
    password_step(page, email)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_text("That code does not match").is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/")

    # --- the admin resets the therapist's second factor -------------------------------
    sign_in(page, admin_a.email, PASSWORD)
    page.goto("/console/therapists/")
    page.get_by_role("link", name=f"Reset second factor of {therapist_a1.display_name}").click()
    check_page(page, "reset")
    page.get_by_role("button", name=f"Reset {therapist_a1.display_name}'s second factor").click()
    page.wait_for_url("**/console/therapists/")
    assert page.get_by_text("second factor is reset").is_visible()
    assert AuditEvent.objects.filter(action="second_factor_reset", actor=admin_a).exists()
    sign_out(page)

    # --- the therapist sets the app up again at the next sign-in -----------------------
    old_key = browser_conftest._APP_KEYS[email]
    password_step(page, email)
    assert page.url.endswith("/accounts/two-factor/setup/")
    complete_second_factor(page, email)
    assert page.url.endswith("/caseload/")
    assert browser_conftest._APP_KEYS[email] != old_key
    assert errors == []
