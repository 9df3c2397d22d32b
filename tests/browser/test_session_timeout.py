"""The warnings before a time limit (WCAG 2.2.1), with the limits shortened.

Staff: the idle sign-out warns with a dialog, "Stay signed in" extends the session on
the server, and with no answer the page ends on the sign-in page with the reason.
Screenshots go to $CHART_SCREENSHOTS (default: the system temp dir).
Kiosk: "Are you still there?" before the visit is forgotten; "Continue" or any input
keeps the answers. The limits are settings and module constants, read per request, so
the live server thread (same process) sees the test's values.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest

from assessments.questionnaires.kiosk import kiosk_enrol
from assessments.questionnaires.links import IssuedLink
from assessments.views import client as client_views
from assessments.views.client import KIOSK_COOKIE
from clinicians.models import Patient, User
from tests.browser.conftest import sign_in
from tests.browser.test_console import serious_problems
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("CHART_SCREENSHOTS", tempfile.gettempdir()))
IDLE = 40
WARN = 25

_SERVER_LEFT = """async () => {
  const r = await fetch('/accounts/session/keep/', {headers: {Accept: 'application/json'}});
  return (await r.json()).idle_seconds_left;
}"""


def _focused_action(page) -> str | None:  # type: ignore[no-untyped-def]
    return page.evaluate("() => document.activeElement.getAttribute('data-action')")


def test_the_idle_warning_extends_on_request_and_otherwise_signs_out(  # type: ignore[no-untyped-def]
    page, settings, therapist_a1: User
) -> None:
    settings.SESSION_IDLE_SECONDS = IDLE
    settings.SESSION_IDLE_WARNING_SECONDS = WARN
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, therapist_a1.email, PASSWORD)
    page.goto("/caseload/")
    page.get_by_role("link", name="Exports").focus()
    focused = page.evaluate("() => document.activeElement.outerHTML")
    assert focused.startswith("<a")
    dialog = page.get_by_role("alertdialog", name="Are you still there?")
    assert not dialog.is_visible()

    # The warning opens WARN seconds before the end, with the focus on "Stay signed in".
    dialog.wait_for(state="visible", timeout=(IDLE - WARN + 10) * 1000)
    assert "signed out in less than a minute" in dialog.inner_text()
    assert _focused_action(page) == "stay"
    before = page.evaluate(_SERVER_LEFT)
    assert 0 < before <= WARN  # asking did not extend the session
    # Phone width first: back at desktop width the link focused before is visible again.
    for width, height in ((390, 844), (1366, 900)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"session-warning-{width}.png"))
        assert serious_problems(page) == [], width
        box = dialog.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width

    # Enter on the focused button: the server counts it as use; the focus comes back.
    page.keyboard.press("Enter")
    dialog.wait_for(state="hidden")
    after = page.evaluate(_SERVER_LEFT)
    assert after > before and after >= IDLE - 3
    assert page.url.endswith("/caseload/")
    assert page.evaluate("() => document.activeElement.outerHTML") == focused

    # No answer this time: at the end, the sign-in page says why.
    dialog.wait_for(state="visible", timeout=(IDLE - WARN + 10) * 1000)
    page.wait_for_url("**/accounts/login/?next=%2Fcaseload%2F", timeout=(WARN + 10) * 1000)
    assert "You were signed out after 1 minute without use." in page.locator("main").inner_text()
    # The browser logs the endpoint's 401 (the answer that the session is over); no
    # script error besides.
    assert [e for e in errors if "status of 401" not in e] == []
    assert len(errors) <= 1


def test_the_review_page_warns_and_stays_in_review_mode(  # type: ignore[no-untyped-def]
    page, settings, therapist_a2: User, client_a2: Patient
) -> None:
    settings.SESSION_IDLE_SECONDS = 30
    settings.SESSION_IDLE_WARNING_SECONDS = 25
    sign_in(page, therapist_a2.email, PASSWORD)
    page.goto(f"/clients/{client_a2.pk}/review/")
    dialog = page.get_by_role("alertdialog", name="Are you still there?")
    dialog.wait_for(state="visible", timeout=20_000)
    assert _focused_action(page) == "stay"
    assert serious_problems(page) == []
    before = page.evaluate(_SERVER_LEFT)
    page.get_by_role("button", name="Stay signed in").click()
    dialog.wait_for(state="hidden")
    assert page.evaluate(_SERVER_LEFT) > before
    # Still the review: the warning's endpoint is open in review mode, nothing else.
    assert page.url.endswith(f"/clients/{client_a2.pk}/review/")
    page.goto("/caseload/")
    assert page.url.endswith(f"/clients/{client_a2.pk}/review/")


def test_the_twelve_hour_limit_is_announced_but_not_extended(  # type: ignore[no-untyped-def]
    page, settings, admin_a: User
) -> None:
    # The absolute limit shortened to 40 s; the idle one out of the way.
    settings.SESSION_ABSOLUTE_SECONDS = 40
    settings.SESSION_IDLE_WARNING_SECONDS = 25
    sign_in(page, admin_a.email, PASSWORD)
    page.goto("/console/")
    dialog = page.get_by_role("alertdialog", name="Are you still there?")
    dialog.wait_for(state="visible", timeout=25_000)
    assert "cannot be extended" in dialog.inner_text()
    assert not page.get_by_role("button", name="Stay signed in").is_visible()
    assert _focused_action(page) == "close"
    assert serious_problems(page) == []
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.url.endswith("/console/")
    page.wait_for_url("**/accounts/login/?next=%2Fconsole%2F", timeout=35_000)
    assert "12-hour limit" in page.locator("main").inner_text()


def test_the_kiosk_asks_before_it_forgets_the_visit(  # type: ignore[no-untyped-def]
    browser, live_server, monkeypatch, issued: IssuedLink, admin_a: User
) -> None:
    monkeypatch.setattr(client_views, "KIOSK_IDLE_SECONDS", 12)
    monkeypatch.setattr(client_views, "KIOSK_WARNING_SECONDS", 8)
    _device, token = kiosk_enrol(actor=admin_a, name="Tablet")
    context = browser.new_context(base_url=live_server.url, has_touch=True)
    context.add_cookies([{"name": KIOSK_COOKIE, "value": token, "url": live_server.url + "/kiosk"}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/kiosk")
    page.get_by_label("Your code").fill(issued.short_code)
    page.get_by_role("button", name="Start").click()
    page.wait_for_url("**/kiosk/questionnaire/")
    first = page.locator("input[name=item_1]").nth(3)
    first.check()
    prompt = page.get_by_role("alertdialog", name="Are you still there?")

    # Four quiet seconds: the prompt, with "Continue" focused and its text read out.
    started = time.monotonic()
    prompt.wait_for(state="visible")
    assert 3 <= time.monotonic() - started <= 8
    assert "starts again in 8 seconds" in prompt.inner_text()
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Continue"
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"kiosk-prompt-{width}.png"))
        assert serious_problems(page) == [], width
    prompt.get_by_role("button", name="Continue").click()
    prompt.wait_for(state="hidden")
    assert first.is_checked()

    # Any key also continues.
    prompt.wait_for(state="visible")
    page.keyboard.press("Shift")
    prompt.wait_for(state="hidden")
    assert page.url.endswith("/kiosk/questionnaire/") and first.is_checked()

    # No answer: the existing reset runs and the visit is forgotten.
    prompt.wait_for(state="visible")
    page.wait_for_url("**/kiosk", timeout=15_000)
    page.goto("/kiosk/questionnaire/")
    assert page.url.endswith("/kiosk")
    assert errors == []
    context.close()
