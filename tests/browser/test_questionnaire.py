"""A client fills in the questionnaire on a phone; the therapist finds the score.

Also: axe-core finds no serious or critical accessibility problem on any client page,
at a phone's width and at 200% zoom.
"""

from __future__ import annotations

import os
import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from assessments.models import Response
from assessments.questionnaires.kiosk import kiosk_enrol
from assessments.questionnaires.links import IssuedLink
from assessments.views.client import KIOSK_COOKIE
from clinicians.models import User
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("ALLIANCE_SCREENSHOTS")  # a folder, to look at the pages


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def item(page, number: int):  # type: ignore[no-untyped-def]
    """The fieldset of one question, found by its legend as a screen reader would."""
    return page.get_by_role("group", name=re.compile(rf"^{number}\. "))


def assert_accessible(page) -> None:  # type: ignore[no-untyped-def]
    results = Axe().run(page)
    serious = [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []


def test_a_client_answers_on_a_phone_and_the_therapist_sees_the_score(
    phone_page, page, issued: IssuedLink, therapist_a1: User
) -> None:  # type: ignore[no-untyped-def]
    phone = phone_page
    phone.goto(f"/q/{issued.token}")
    assert phone.url.endswith("/q/"), phone.content()[:3000]  # the token left the address bar
    shot(phone, "client-questionnaire")
    assert_accessible(phone)
    # Nothing overflows the 360 px screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    # Send with one item unanswered: the page points at it and keeps the rest.
    for number in range(1, 12):
        item(phone, number).get_by_label("Very Often").check()
    phone.get_by_role("button", name="Send my answers").click()
    assert phone.get_by_text("One question still needs an answer.").is_visible()
    assert item(phone, 12).get_by_text("Please choose an answer for this question.").is_visible()
    assert item(phone, 1).get_by_label("Very Often").is_checked()
    shot(phone, "client-missing")
    assert_accessible(phone)

    # Keyboard only for the last item: focus its first option, arrow to "Always".
    item(phone, 12).get_by_label("Seldom").focus()
    for _ in range(4):
        phone.keyboard.press("ArrowRight")
    assert item(phone, 12).get_by_label("Always").is_checked()
    phone.get_by_role("button", name="Send my answers").click()
    phone.wait_for_url("**/q-done/")
    assert phone.get_by_role("heading", name="Thank you").is_visible()
    assert_accessible(phone)
    assert Response.objects.count() == 1

    # The therapist signs in and finds the score on the client's page.
    sign_in(page, therapist_a1.email, PASSWORD)
    page.goto(f"/clients/{issued.administration.patient_id}/")
    # The chart is there with its text alternative, and its table reads the same score.
    assert page.get_by_role("img", name=re.compile("Alliance over time for A-001")).is_visible()
    chart_row = page.locator("#alliance-table").get_by_role("row").filter(has_text="Session 3")
    assert "77" in chart_row.inner_text()  # total POMP: (49 / 12 - 1) / 4 = 77 %
    row = page.locator("#questionnaires-table").get_by_role("row").filter(has_text="Session 3")
    assert "Completed" in row.inner_text()
    assert "4.08" in row.inner_text()  # 11 × 4 + 5 = 49 / 12
    row.get_by_role("link", name="Open").click()
    assert page.get_by_role("cell", name="4.08").first.is_visible()
    shot(page, "therapist-administration")


def test_the_client_pages_are_accessible_at_200_percent_zoom(
    browser, live_server, issued: IssuedLink
) -> None:  # type: ignore[no-untyped-def]
    # 200% zoom of a 1280 px window = a 640 px CSS viewport at scale 2.
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 640, "height": 800}, device_scale_factor=2
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"/q/{issued.token}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 640
    assert_accessible(page)
    shot(page, "client-zoom-200")
    page.goto("/q/nothing-here")
    assert page.get_by_role("heading", name="This link does not work").is_visible()
    assert_accessible(page)
    context.close()


def test_the_kiosk_takes_a_code_and_returns_to_the_start(
    browser, live_server, issued: IssuedLink, admin_a: User
) -> None:  # type: ignore[no-untyped-def]
    _device, token = kiosk_enrol(actor=admin_a, name="Tablet")
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 800, "height": 1280}, has_touch=True
    )
    context.add_cookies([{"name": KIOSK_COOKIE, "value": token, "url": live_server.url + "/kiosk"}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/kiosk")
    assert_accessible(page)
    shot(page, "kiosk-code")
    page.get_by_label("Your code").fill("zzzzzz")
    page.get_by_role("button", name="Start").click()
    assert page.get_by_text("That code does not work").is_visible()
    page.get_by_label("Your code").fill(issued.short_code.lower())
    page.get_by_role("button", name="Start").click()
    page.wait_for_url("**/kiosk/questionnaire/")
    for number in range(1, 13):
        item(page, number).get_by_label("Very Often").check()
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_url("**/kiosk/thanks/")
    page.go_back()
    # Whatever the browser shows now, it is not the answered form.
    assert page.locator("input[type=radio]:checked").count() == 0
    assert Response.objects.get().total_mean == 4
    context.close()


def test_a_therapist_asks_for_a_questionnaire_in_two_clicks_and_copies_the_link(
    browser, live_server, therapist_a1: User, client_a1
) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, therapist_a1.email, PASSWORD)
    page.goto(f"/clients/{client_a1.pk}/")
    page.get_by_role("link", name="Ask for a questionnaire").click()
    page.get_by_role("button", name="Make the link").click()
    page.wait_for_url(re.compile(r".*/questionnaires/\d+/$"))
    link = page.get_by_label("Questionnaire link").input_value()
    assert "/q/" in link
    assert page.get_by_role("img", name="QR code of the questionnaire link").is_visible()
    page.get_by_role("button", name="Copy").click()
    page.get_by_text("Link copied.").wait_for()  # the clipboard answers asynchronously
    assert page.evaluate("navigator.clipboard.readText()") == link
    shot(page, "therapist-link")
    context.close()
