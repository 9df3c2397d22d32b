"""The kiosk's idle reset is a POST sent by kiosk.js, and it forgets the visit."""

from __future__ import annotations

import pytest

from assessments.questionnaires.kiosk import kiosk_enrol
from assessments.questionnaires.links import IssuedLink
from assessments.views.client import KIOSK_COOKIE
from clinicians.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_idle_reset_posts_and_the_tablet_forgets_the_visit(  # type: ignore[no-untyped-def]
    browser, live_server, issued: IssuedLink, admin_a: User
) -> None:
    _device, token = kiosk_enrol(actor=admin_a, name="Tablet")
    context = browser.new_context(base_url=live_server.url)
    context.add_cookies([{"name": KIOSK_COOKIE, "value": token, "url": live_server.url + "/kiosk"}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    methods: list[str] = []
    page.on("request", lambda r: methods.append(r.method) if "/kiosk/reset/" in r.url else None)
    page.goto("/kiosk")
    page.get_by_label("Your code").fill(issued.short_code)
    page.get_by_role("button", name="Start").click()
    page.wait_for_url("**/kiosk/questionnaire/")
    # What the script does when the tablet comes back to a page the browser kept (the
    # same reset as after two idle minutes).
    page.evaluate("window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))")
    page.wait_for_url("**/kiosk")
    assert methods == ["POST"]
    page.goto("/kiosk/questionnaire/")
    assert page.url.endswith("/kiosk")  # the visit is forgotten
    assert errors == []
    context.close()
