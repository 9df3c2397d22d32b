"""Playwright driving Debian's Chromium against the live test server.

In CI a missing browser fails the run; on a developer machine without Chromium the
browser tests are skipped with a reason.
"""

from __future__ import annotations

import os
import shutil
import time
from base64 import b32decode
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django_otp.oath import TOTP

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls
# are still plain synchronous code, so Django's async guard does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is required in CI and was not found at {CHROMIUM}.")
        pytest.skip(f"Chromium not found at {CHROMIUM}; install Debian's chromium package.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


# The authenticator app of each test user, as a phone would keep it: the key read off
# the set-up page, and the last 30-second step whose code was used. The server refuses a
# step's code twice, so a second sign-in within one step waits for the next step
# (production settings unchanged: no wider tolerance, no reuse).
_APP_KEYS: dict[str, str] = {}
_LAST_STEP: dict[str, int] = {}
TOTP_STEP = 30


def app_code(email: str) -> str:
    """The code the user's app shows now, waiting for a fresh step if need be."""
    key = _APP_KEYS[email.lower()]
    step = int(time.time()) // TOTP_STEP
    last = _LAST_STEP.get(email.lower(), -1)
    if step <= last:
        time.sleep((last + 1) * TOTP_STEP - time.time() + 0.2)
        step = int(time.time()) // TOTP_STEP
    _LAST_STEP[email.lower()] = step
    compact = key.replace(" ", "")
    secret = b32decode(compact + "=" * (-len(compact) % 8))
    app = TOTP(secret, step=TOTP_STEP)
    app.time = step * TOTP_STEP + 1  # the code of exactly this step
    return f"{app.token():06d}"


def sign_in(page, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    """Sign in as a person would: password, then the second factor.

    The first time, the set-up page's key is read (as if typed into an app), a code
    confirmed and the recovery codes acknowledged; later, the code page gets the app's
    current code. Lands where a normal sign-in lands. A refused password stays put.
    """
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    complete_second_factor(page, email)


def complete_second_factor(page, email: str) -> None:  # type: ignore[no-untyped-def]
    path = urlsplit(page.url).path
    if path == "/accounts/two-factor/setup/":
        _APP_KEYS[email.lower()] = page.locator("#setup-key").inner_text().strip()
        _LAST_STEP.pop(email.lower(), None)  # a new key: a new app
        page.get_by_label("Code").fill(app_code(email))
        page.get_by_role("button", name="Confirm and continue").click()
        page.wait_for_url("**/accounts/two-factor/recovery-codes/")
        page.get_by_role("button", name="I have saved them").click()
        page.wait_for_load_state()
    elif path == "/accounts/two-factor/":
        assert email.lower() in _APP_KEYS, f"no app set up for {email} in this run"
        page.get_by_label("Code").fill(app_code(email))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()
