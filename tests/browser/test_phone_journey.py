"""A therapist's day on a 390 px phone: the flagged clients show on the caseload without
scrolling sideways, the chart opens, a questionnaire is asked for, and the flag is
marked discussed. Each page is checked with axe and for sideways overflow.

Screenshots go to $PHONE_SCREENSHOTS when it is set.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from assessments.models import Administration
from clinicians.models import Patient, User
from tests.browser.conftest import sign_in
from tests.browser.test_console import serious_problems
from tests.conftest import PASSWORD, make_client
from tests.dashboards.test_flag_discussions import answer, fall_from_the_top

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("PHONE_SCREENSHOTS")


def check(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """No serious accessibility problem, and nothing wider than the phone."""
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"phone-{name}.png"), full_page=True)
    assert serious_problems(page) == [], name
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], (name, width)


def test_a_therapist_on_a_phone_sees_the_flags_opens_a_chart_asks_and_marks_discussed(  # type: ignore[no-untyped-def]
    browser, live_server, therapist_a1: User, client_a1: Patient
) -> None:
    fall_from_the_top(therapist_a1, client_a1)  # a reliable fall: flagged
    steady = make_client(therapist_a1.clinic, "A-002", therapist_a1)
    for n in (1, 2):
        answer(therapist_a1, steady, 4, session=n, days_ago=14 - 7 * n)
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, therapist_a1.email, PASSWORD)

    # --- the caseload: one card per client, the flags on top, all within the screen ---
    page.wait_for_url("**/caseload/")
    flagged = page.locator("tr.caseload-row", has=page.get_by_role("link", name="A-001"))
    badges = flagged.locator(".col-flags .flag")
    assert badges.count() >= 1
    flags_box = flagged.locator(".col-flags").bounding_box()
    code_box = flagged.get_by_role("link", name="A-001").bounding_box()
    assert flags_box and code_box
    assert flags_box["y"] < code_box["y"], "the flags come first on the card"
    for i in range(badges.count()):
        box = badges.nth(i).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # The card lays out the scores as labelled values, not as a table row off-screen.
    total = flagged.locator(".col-total")
    assert total.locator(".cell-label").is_visible()
    total_box = total.bounding_box()
    assert total_box and total_box["x"] + total_box["width"] <= PHONE["width"]
    # The steady client has no flags: no empty flag line on their card.
    quiet = page.locator("tr.caseload-row", has=page.get_by_role("link", name="A-002"))
    assert not quiet.locator(".col-flags").is_visible()
    check(page, "1-caseload")

    page.get_by_label("Show", exact=True).select_option("any")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    attention = page.locator("table.caseload-table")
    assert attention.get_by_role("link", name="A-001").is_visible()
    assert attention.get_by_role("link", name="A-002").count() == 0
    check(page, "2-attention")

    # --- the chart ------------------------------------------------------------------
    attention.get_by_role("link", name="A-001").click()
    page.wait_for_url(f"**/clients/{client_a1.pk}/")
    assert page.get_by_role("heading", name="Flags now").is_visible()
    assert page.locator("figure.chart-figure svg").first.is_visible()
    check(page, "3-chart")

    # --- ask for a questionnaire ----------------------------------------------------
    page.get_by_role("link", name="Ask for a questionnaire").click()
    page.wait_for_load_state()
    check(page, "4-ask")
    page.get_by_role("button", name="Make the link").click()
    page.wait_for_url(re.compile(r".*/questionnaires/\d+/$"))
    assert "/q/" in page.get_by_label("Questionnaire link").input_value()
    assert Administration.objects.filter(patient=client_a1, status="open").count() == 1
    check(page, "5-link")

    # --- back to the chart: mark the flag discussed ---------------------------------
    page.get_by_role("link", name="A-001").first.click()
    page.wait_for_url(f"**/clients/{client_a1.pk}/")
    page.get_by_label("Note (optional)").fill("Talked about the missed session.")
    button = page.get_by_role("button", name="Mark as discussed")
    box = button.bounding_box()
    assert box and box["height"] >= 24 and box["x"] + box["width"] <= PHONE["width"]
    button.click()
    page.wait_for_load_state()
    assert page.get_by_text("Marked as discussed.").is_visible()
    check(page, "6-discussed")

    page.goto("/caseload/?flag=any")
    assert page.locator("table.caseload-table").count() == 0
    assert page.get_by_text("No client has this flag right now.").is_visible()
    context.close()
