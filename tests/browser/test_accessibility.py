"""The checks the accessibility statement names, in a real browser: the questionnaire
filled in with the keyboard alone, the kiosk at 200 % zoom, the questionnaire as the
browser's accessibility tree gives it to a screen reader, and the statement itself."""

from __future__ import annotations

import re
from typing import Any

import pytest

from assessments.models import Answer, Response
from assessments.questionnaires.kiosk import kiosk_enrol
from assessments.questionnaires.links import IssuedLink
from assessments.scoring.registry import get_registry
from assessments.views.client import KIOSK_COOKIE
from clinicians.models import User
from tests.browser.test_questionnaire import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCALE = ["Seldom", "Sometimes", "Fairly Often", "Very Often", "Always"]
# The answer for item n (1..12): every step of the scale, in an uneven order.
WANTED = {n: (n * 3) % 5 + 1 for n in range(1, 13)}


def _focused(page) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          const fieldset = el && el.closest('fieldset');
          return {
            tag: el ? el.tagName.toLowerCase() : '',
            type: el && el.type || '',
            name: el && el.name || '',
            text: el ? (el.innerText || '').trim() : '',
            legend: fieldset ? fieldset.querySelector('legend').innerText.trim() : '',
            outline: el && el.closest('label') ?
              getComputedStyle(el.closest('label')).outlineStyle : '',
          };
        }"""
    )


def tab_to(page, wanted, limit: int = 8) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Press Tab until `wanted(focused)` holds, as a keyboard user moves on."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = _focused(page)
        if wanted(now):
            return now
    raise AssertionError(f"Tab never reached the wanted element; last: {_focused(page)}")


def answer_with_the_keyboard(page) -> None:  # type: ignore[no-untyped-def]
    for n in range(1, 13):
        now = tab_to(page, lambda f, n=n: f["type"] == "radio" and f["legend"].startswith(f"{n}. "))
        # Keyboard focus is visible: the answer's row is outlined.
        assert now["outline"] == "solid", now
        page.keyboard.press("Space")  # chooses the focused (first) answer
        for _ in range(WANTED[n] - 1):
            page.keyboard.press("ArrowRight")  # moves to and chooses the next answer
        group = page.get_by_role("group", name=re.compile(rf"^{n}\. "))
        assert group.get_by_label(SCALE[WANTED[n] - 1]).is_checked()
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Send my answers")
    page.keyboard.press("Enter")


def assert_stored_as_chosen() -> None:
    response = Response.objects.get()
    stored = dict(Answer.objects.filter(response=response).values_list("item", "value"))
    assert stored == WANTED


def test_a_client_completes_the_questionnaire_with_the_keyboard_alone(  # type: ignore[no-untyped-def]
    page, issued: IssuedLink
) -> None:
    page.goto(f"/q/{issued.token}")
    answer_with_the_keyboard(page)
    page.wait_for_url("**/q-done/")
    assert page.get_by_role("heading", name="Thank you").is_visible()
    assert_stored_as_chosen()


def test_the_kiosk_fits_200_percent_zoom_and_works_with_the_keyboard_alone(  # type: ignore[no-untyped-def]
    browser, live_server, issued: IssuedLink, admin_a: User
) -> None:
    _device, token = kiosk_enrol(actor=admin_a, name="Tablet")
    # 200 % zoom of a 1280 px wide window: a 640 px CSS viewport at scale 2.
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 640, "height": 450}, device_scale_factor=2
    )
    context.add_cookies([{"name": KIOSK_COOKIE, "value": token, "url": live_server.url + "/kiosk"}])
    page = context.new_page()
    page.set_default_timeout(10_000)

    def fits() -> None:
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (page.url, overflow)

    page.goto("/kiosk")
    fits()
    assert_accessible(page)
    page.get_by_label("Your code").focus()
    page.keyboard.type(issued.short_code.lower())
    page.keyboard.press("Enter")
    page.wait_for_url("**/kiosk/questionnaire/")
    fits()
    assert_accessible(page)
    answer_with_the_keyboard(page)
    page.wait_for_url("**/kiosk/thanks/")
    fits()
    assert_accessible(page)
    assert_stored_as_chosen()
    page.wait_for_url(re.compile(r".*/kiosk$"), timeout=15_000)  # back to the start
    context.close()


def test_the_kiosk_fits_200_percent_zoom(  # type: ignore[no-untyped-def]
    browser, live_server, admin_a: User
) -> None:
    """The code page alone at 200 % of a narrower window (1024 px → 512 px CSS)."""
    _device, token = kiosk_enrol(actor=admin_a, name="Tablet")
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 512, "height": 384}, device_scale_factor=2
    )
    context.add_cookies([{"name": KIOSK_COOKIE, "value": token, "url": live_server.url + "/kiosk"}])
    page = context.new_page()
    page.goto("/kiosk")
    assert page.evaluate("document.documentElement.scrollWidth") <= 512
    context.close()


def _ax_nodes(page) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Chromium's own accessibility tree: what a screen reader is given."""
    cdp = page.context.new_cdp_session(page)
    return cdp.send("Accessibility.getFullAXTree")["nodes"]


def _value(node: dict[str, Any], key: str) -> Any:
    return (node.get(key) or {}).get("value")


def test_each_question_is_a_named_group_of_named_answers_in_the_tree(  # type: ignore[no-untyped-def]
    page, issued: IssuedLink
) -> None:
    page.goto(f"/q/{issued.token}")
    nodes = _ax_nodes(page)
    by_id = {n["nodeId"]: n for n in nodes}

    def radios_under(node: dict[str, Any]) -> list[dict[str, Any]]:
        found, todo = [], list(node.get("childIds", []))
        while todo:
            child = by_id.get(todo.pop(0))
            if child is None:
                continue
            if _value(child, "role") == "radio":
                found.append(child)
            todo.extend(child.get("childIds", []))
        return found

    groups = [
        n
        for n in nodes
        if _value(n, "role") in ("group", "radiogroup")
        and re.match(r"^\d+\. ", _value(n, "name") or "")
    ]
    form = get_registry().get("wai-sr-client")
    assert len(groups) == form.item_count == 12
    for number, group in enumerate(groups, start=1):
        name = _value(group, "name")
        assert name.startswith(f"{number}. "), name
        # The item's own words (the therapist's name filled in where the form has one).
        words = form.item(number).text.split("{therapist}")
        assert all(part.strip() in name for part in words if part.strip()), (name, words)
        radios = radios_under(group)
        assert [_value(r, "name") for r in radios] == SCALE, name
        for radio in radios:
            props = {p["name"]: p["value"].get("value") for p in radio.get("properties", [])}
            assert props.get("focusable") is True
            # Nothing sent yet: no answer is announced as "invalid".
            assert props.get("invalid") in (None, "false"), props
            assert props.get("checked") in ("false", False)
    send = [
        n for n in nodes if _value(n, "role") == "button" and _value(n, "name") == "Send my answers"
    ]
    assert len(send) == 1
    heading = [n for n in nodes if _value(n, "role") == "heading"]
    assert _value(heading[0], "name") == "How is your therapy going?"

    # Sent with question 12 unanswered: only its answers are now announced as invalid,
    # and its group is described by the message that says why.
    for number in range(1, 12):
        page.get_by_role("group", name=re.compile(rf"^{number}\. ")).get_by_label("Always").check()
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_load_state()
    invalid = [
        _value(n, "name")
        for n in _ax_nodes(page)
        if _value(n, "role") == "radio"
        and any(
            p["name"] == "invalid" and p["value"].get("value") == "true"
            for p in n.get("properties", [])
        )
    ]
    assert sorted(invalid) == sorted(SCALE)  # five answers: question 12 alone
    twelve = page.get_by_role("group", name=re.compile(r"^12\. "))
    assert twelve.get_attribute("aria-describedby") == "q-12-error"


def test_the_statement_has_no_serious_accessibility_problem_at_two_widths(  # type: ignore[no-untyped-def]
    page, phone_page
) -> None:
    for p in (page, phone_page):
        p.goto("/accessibility/")
        assert p.get_by_role("heading", name="Accessibility statement").is_visible()
        assert_accessible(p)
        width = p.viewport_size["width"]
        assert p.evaluate("document.documentElement.scrollWidth") <= width
