"""A table's scroll region is a tab stop only while it scrolls: on a phone the caseload
becomes cards (nothing to scroll, so no empty stop), a wide table stays reachable, and
a resize moves the stop with it. Checked with axe at 390 px."""

from __future__ import annotations

import pytest

from clinicians.models import Patient, User
from tests.browser.conftest import sign_in
from tests.browser.test_console import serious_problems
from tests.conftest import PASSWORD
from tests.dashboards.test_flag_discussions import fall_from_the_top

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
CASELOAD_REGION = ".table-responsive:has(table.caseload-table)"
CHART_TABLE_REGION = ".table-responsive:has(#alliance-table)"


def region_state(page, selector: str) -> tuple[bool, str | None]:  # type: ignore[no-untyped-def]
    """Whether the region scrolls sideways, and its tabindex."""
    return page.eval_on_selector(
        selector,
        "r => [r.scrollWidth > r.clientWidth, r.getAttribute('tabindex')]",
    )


def settle(page) -> None:  # type: ignore[no-untyped-def]
    # The script updates on the next animation frame after a resize.
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def test_only_scrolling_regions_are_tab_stops(  # type: ignore[no-untyped-def]
    page, therapist_a1: User, client_a1: Patient
) -> None:
    fall_from_the_top(therapist_a1, client_a1)
    page.set_viewport_size(PHONE)
    sign_in(page, therapist_a1.email, PASSWORD)

    page.goto("/caseload/")
    page.wait_for_load_state()
    settle(page)
    assert region_state(page, CASELOAD_REGION) == [False, None]
    region = page.locator(CASELOAD_REGION)
    assert region.get_attribute("role") == "region" and region.get_attribute("aria-label")
    assert serious_problems(page) == []

    page.goto(f"/clients/{client_a1.pk}/")
    page.wait_for_load_state()
    settle(page)
    assert region_state(page, CHART_TABLE_REGION) == [True, "0"]
    page.locator(CHART_TABLE_REGION).focus()
    assert page.evaluate("() => document.activeElement.matches('.table-responsive')")
    assert serious_problems(page) == []

    # Wide enough for the whole table: no longer a stop; narrow again: a stop again.
    page.locator("a").first.focus()
    page.set_viewport_size(DESKTOP)
    settle(page)
    assert region_state(page, CHART_TABLE_REGION) == [False, None]
    page.set_viewport_size(PHONE)
    settle(page)
    assert region_state(page, CHART_TABLE_REGION) == [True, "0"]
