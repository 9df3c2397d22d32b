"""A therapist acts on a flag in a real browser: sees the flagged client on the caseload,
opens the chart, marks the flag discussed with a note, and the client leaves the
attention list until a new flagged questionnaire brings them back. Then the same form
at phone width, checked with axe.

Screenshots go to $FLAG_SCREENSHOTS (default: the system temp dir).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from clinicians.models import Patient, User
from tests.browser.conftest import sign_in
from tests.browser.test_console import serious_problems
from tests.conftest import PASSWORD
from tests.dashboards.test_flag_discussions import answer, fall_from_the_top

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("FLAG_SCREENSHOTS", tempfile.gettempdir()))
ATTENTION = "/caseload/?flag=any"


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(SHOTS / f"flags-{name}.png"), full_page=True)


def attention_list(page) -> str:  # type: ignore[no-untyped-def]
    page.goto(ATTENTION)
    table = page.locator("table.caseload-table")
    return table.inner_text() if table.count() else ""


def test_a_therapist_marks_a_flag_discussed_and_a_new_flag_brings_the_client_back(  # type: ignore[no-untyped-def]
    page, therapist_a1: User, client_a1: Patient
) -> None:
    fall_from_the_top(therapist_a1, client_a1)
    sign_in(page, therapist_a1.email, PASSWORD)
    assert "A-001" in attention_list(page)
    shot(page, "caseload-before")

    page.get_by_role("link", name="A-001").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Flags now").is_visible()
    page.get_by_label("Note (optional)").fill("We talked about the change of room.")
    shot(page, "chart-form")
    page.get_by_role("button", name="Mark as discussed").click()
    page.wait_for_load_state()
    assert page.get_by_text("Marked as discussed.").is_visible()
    history = page.locator("#alliance-table").inner_text()
    assert "Discussed on" in history and "We talked about the change of room." in history
    shot(page, "chart-discussed")

    assert "A-001" not in attention_list(page)
    assert page.get_by_text("No client has this flag right now.").is_visible()
    page.goto("/caseload/")
    assert "Discussed" in page.locator("table.caseload-table").inner_text()

    answer(therapist_a1, client_a1, 2, session=6)  # 75 → 25: a new flag
    assert "A-001" in attention_list(page)
    shot(page, "caseload-back")


def test_the_mark_discussed_form_fits_a_phone_and_has_no_serious_accessibility_problem(  # type: ignore[no-untyped-def]
    phone_page, therapist_a1: User, client_a1: Patient
) -> None:
    fall_from_the_top(therapist_a1, client_a1)
    sign_in(phone_page, therapist_a1.email, PASSWORD)
    phone_page.goto(f"/clients/{client_a1.pk}/")
    form = phone_page.locator("form.mark-discussed")
    assert form.is_visible()
    assert serious_problems(phone_page) == []
    overflow = phone_page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 0:
        shot(phone_page, "phone-overflow")
        wide = phone_page.evaluate(
            "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
            " > document.documentElement.clientWidth + 1 && !e.closest('.table-responsive'))"
            ".slice(0, 5).map(e => e.outerHTML.slice(0, 120))"
        )
        raise AssertionError((overflow, wide))
    box = phone_page.get_by_role("button", name="Mark as discussed").bounding_box()
    assert box is not None and box["height"] >= 24 and box["x"] + box["width"] <= 360
    shot(phone_page, "phone-form")
    phone_page.get_by_role("button", name="Mark as discussed").click()
    phone_page.wait_for_load_state()
    assert phone_page.get_by_text("Marked as discussed.").is_visible()
    assert serious_problems(phone_page) == []
    shot(phone_page, "phone-discussed")
