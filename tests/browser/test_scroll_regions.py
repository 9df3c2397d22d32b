"""A table's scroll region is a tab stop only while it scrolls: on a phone the caseload
becomes cards (nothing to scroll, so no empty stop), a wide table stays reachable, and
a resize moves the stop with it. Checked with axe at 390 px."""

from __future__ import annotations

import tempfile
from pathlib import Path

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


def test_the_access_request_with_schedules_passes_axe_at_390(  # type: ignore[no-untyped-def]
    page, settings, admin_a: User, therapist_a1: User, client_a1: Patient
) -> None:
    from tests.schedules.test_data_rights import two_occasions

    settings.EMAIL_BACKEND = "tests.schedules.mail.Backend"
    two_occasions(therapist_a1, client_a1)
    page.set_viewport_size(PHONE)
    sign_in(page, admin_a.email, PASSWORD)
    page.goto(f"/console/clients/{client_a1.pk}/access-request/")
    page.wait_for_load_state()
    settle(page)
    assert page.get_by_role("heading", name="Schedules").is_visible()
    assert page.get_by_role("region", name="Scheduled questionnaires").is_visible()
    assert serious_problems(page) == []
    # Every region still a tab stop scrolls; none that does is left out.
    stops = page.eval_on_selector_all(
        ".table-responsive[role=region]",
        "rs => rs.map(r => [r.scrollWidth > r.clientWidth, r.getAttribute('tabindex') === '0'])",
    )
    assert stops and all(scrolls == stop for scrolls, stop in stops)
    page.screenshot(
        path=str(Path(tempfile.gettempdir()) / "access-request-390.png"), full_page=True
    )
