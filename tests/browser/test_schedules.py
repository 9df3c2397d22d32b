"""A therapist sets a schedule from the client page in a real browser; the schedule
form, the client page and the caseload pass axe at 1366 and 390 px and fit a phone.

Screenshots go to $SCHEDULE_SCREENSHOTS (default: the system temp dir).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from assessments.schedules.models import Schedule
from clinicians.models import Patient, User
from tests.browser.conftest import sign_in
from tests.browser.test_console import serious_problems
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("SCHEDULE_SCREENSHOTS", tempfile.gettempdir()))


def overflow(page) -> int:  # type: ignore[no-untyped-def]
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_a_therapist_sets_a_schedule_from_the_client_page(  # type: ignore[no-untyped-def]
    page, therapist_a1: User, client_a1: Patient
) -> None:
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, therapist_a1.email, PASSWORD)
    page.goto(f"/clients/{client_a1.pk}/")
    page.get_by_role("link", name="Set a schedule").click()
    page.wait_for_load_state()
    assert serious_problems(page) == []
    # A wrong time first: a plain message, nothing saved.
    page.get_by_label("Every").fill("2")
    page.locator("#id_weekday").select_option(label="Thursday")
    page.get_by_label("At (clinic time)").fill("07:45")
    page.get_by_label("A number of times").check()
    page.get_by_role("spinbutton", name="Number of times").fill("300")
    page.get_by_role("button", name="Save the schedule").click()
    page.wait_for_load_state()
    assert page.get_by_text(
        "Enter the number of times as a whole number from 1 to 100."
    ).is_visible()
    assert not Schedule.objects.exists()
    assert serious_problems(page) == []
    page.get_by_role("spinbutton", name="Number of times").fill("6")
    page.screenshot(path=str(SHOTS / "schedule-form-1366.png"), full_page=True)
    page.get_by_role("button", name="Save the schedule").click()
    page.wait_for_load_state()
    assert page.get_by_text("The schedule was saved.").is_visible()
    section = page.locator("section.schedule-section").inner_text()
    assert "Every 2 weeks on Thursday at 07:45" in section and "6 times" in section
    schedule = Schedule.objects.get(status="active")
    assert (schedule.every, schedule.weekday, schedule.times) == (2, 3, 6)
    assert serious_problems(page) == []
    page.screenshot(path=str(SHOTS / "schedule-client-1366.png"), full_page=True)
    page.goto("/caseload/")
    assert "07:45" in page.locator("table.caseload-table").inner_text()
    assert serious_problems(page) == []
    page.screenshot(path=str(SHOTS / "schedule-caseload-1366.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    for url in (f"/clients/{client_a1.pk}/", f"/clients/{client_a1.pk}/schedule/"):
        page.goto(url)
        assert serious_problems(page) == [], url
        assert overflow(page) <= 0, url
    page.screenshot(path=str(SHOTS / "schedule-form-390.png"), full_page=True)
    page.get_by_role("button", name="Stop the schedule").click()
    page.wait_for_load_state()
    assert page.get_by_text("The schedule was stopped.").is_visible()
    assert not Schedule.objects.filter(status="active").exists()


def test_the_clinic_default_schedule_page_passes_axe(  # type: ignore[no-untyped-def]
    page, admin_a: User
) -> None:
    sign_in(page, admin_a.email, PASSWORD)
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto("/console/schedule/")
        assert serious_problems(page) == [], width
        assert overflow(page) <= 0, width
    page.get_by_label("Give each new client this schedule").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert page.get_by_text("The default schedule was saved.").is_visible()
