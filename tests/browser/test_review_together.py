"""Review together in a real browser: opened from the client's page, large type and
nothing but the client's own scores, the caseload out of reach, and back to the staff
pages only with the password. Checked with axe at phone and desktop widths.

Screenshots go to $CHART_SCREENSHOTS (default: the system temp dir).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from clinicians.models import Patient, User
from tests.browser.conftest import sign_in
from tests.browser.test_chart import MEASURE, many_close_sessions
from tests.browser.test_console import serious_problems
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("CHART_SCREENSHOTS", tempfile.gettempdir()))


@pytest.mark.parametrize("width", [390, 1366])
def test_a_therapist_reviews_the_alliance_with_the_client_and_comes_back(  # type: ignore[no-untyped-def]
    browser, live_server, therapist_a1: User, client_a1: Patient, width: int
) -> None:
    many_close_sessions(therapist_a1, client_a1)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in(page, therapist_a1.email, PASSWORD)
        page.goto(f"/clients/{client_a1.pk}/")
        page.get_by_role("link", name="Review together with the client").click()
        page.wait_for_url(f"**/clients/{client_a1.pk}/review/")
        page.screenshot(path=str(SHOTS / f"review-{width}.png"), full_page=True)

        assert page.get_by_role("heading", name="How we are working together").is_visible()
        big = page.evaluate(
            "() => parseFloat(getComputedStyle(document.querySelector('.review-number')).fontSize)"
        )
        body = page.evaluate(
            "() => parseFloat(getComputedStyle(document.querySelector('.review-intro')).fontSize)"
        )
        assert big >= 40 and body >= 20, (big, body)
        text = page.locator("main").inner_text()
        for absent in ("rupture", "Rupture", "Notes", "flag", "Dropping", "A-001", "Alice"):
            assert absent not in text, absent
        assert page.locator("nav").count() == 0  # no staff navigation
        m = page.evaluate(MEASURE)
        assert m["smallest"] >= 16, m  # the chart's text, large too
        assert m["width"] >= 0.95 * m["column"], m
        assert m["pageWidth"] <= m["viewport"], m
        assert serious_problems(page) == []

        # The caseload is out of reach: straight back to the review.
        page.goto("/caseload/")
        assert page.url.endswith(f"/clients/{client_a1.pk}/review/")

        page.get_by_label("Your staff password").fill("not my password")
        page.get_by_role("button", name="Back to staff view").click()
        page.wait_for_load_state()
        assert page.get_by_text("That password is not right. Please try again.").is_visible()
        assert serious_problems(page) == []

        page.get_by_label("Your staff password").fill(PASSWORD)
        page.get_by_role("button", name="Back to staff view").click()
        page.wait_for_url(f"**/clients/{client_a1.pk}/")
        assert page.get_by_role("heading", name="Alliance over time").is_visible()
        page.goto("/caseload/")
        assert page.url.endswith("/caseload/")
    finally:
        context.close()
