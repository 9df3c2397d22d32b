"""The client's chart in a real browser: it fills its column, its text stays at 12 CSS px
or more on a phone, its date labels never touch, and axe finds nothing serious.

Screenshots go to $CHART_SCREENSHOTS (default: the system temp dir).
"""

from __future__ import annotations

import itertools
import os
import tempfile
from pathlib import Path

import pytest

from clinicians.models import Patient, User
from tests.browser.conftest import sign_in
from tests.browser.test_console import serious_problems
from tests.conftest import PASSWORD
from tests.dashboards.test_flag_discussions import answer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("CHART_SCREENSHOTS", tempfile.gettempdir()))

# The visible drawing's rendered font size, its width against its column, and the
# screen boxes of its date labels.
MEASURE = """() => {
  const svg = [...document.querySelectorAll('svg.alliance-chart')]
    .find(s => getComputedStyle(s).display !== 'none');
  const box = svg.getBoundingClientRect();
  const scale = box.width / svg.viewBox.baseVal.width;
  const texts = [...svg.querySelectorAll('text')];
  const column = svg.closest('figure').parentElement;
  const cs = getComputedStyle(column);
  const inner = column.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  const labels = [...svg.querySelectorAll('text.x-label')].map(t => {
    const r = t.getBoundingClientRect();
    return [r.left, r.right, r.top];
  });
  return {
    variant: svg.getAttribute('class'),
    smallest: Math.min(...texts.map(t => parseFloat(getComputedStyle(t).fontSize) * scale)),
    width: box.width, column: inner, labels,
    pageWidth: document.documentElement.scrollWidth, viewport: window.innerWidth,
  };
}"""


def many_close_sessions(therapist: User, patient: Patient) -> None:
    """Twenty questionnaires, some a day apart: the case that made labels collide."""
    days = [120, 119, 118, 110, 100, 99, 90, 80, 70, 69, 68, 60, 50, 40, 30, 20, 12, 11, 2, 1]
    values = [4, 4, 5, 4, 3, 2, 3, 4, 4, 5, 4, 3, 3, 4, 2, 4, 5, 4, 3, 4]
    for n, (ago, value) in enumerate(zip(days, values, strict=True), start=1):
        answer(therapist, patient, value, session=n, days_ago=ago)


def check(page, name: str) -> dict:  # type: ignore[no-untyped-def]
    page.locator("figure.chart-figure").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"chart-{name}.png"), full_page=True)
    m = page.evaluate(MEASURE)
    assert m["smallest"] >= 12, m
    assert m["width"] >= 0.95 * m["column"], m
    assert m["pageWidth"] <= m["viewport"], m  # no sideways scrolling of the page
    by_row: dict[float, list[tuple[float, float]]] = {}
    for left, right, top in m["labels"]:
        by_row.setdefault(round(top), []).append((left, right))
    for row in by_row.values():
        row.sort()
        for (_l1, r1), (l2, _r2) in itertools.pairwise(row):
            assert r1 <= l2, (name, row)
    assert len(m["labels"]) >= 2  # the first and last dates at least
    assert serious_problems(page) == []
    return m


@pytest.mark.parametrize(
    ("width", "variant"), [(390, "chart-narrow"), (768, "chart-mid"), (1366, "chart-wide")]
)
def test_the_chart_fills_its_column_and_stays_readable(  # type: ignore[no-untyped-def]
    browser, live_server, therapist_a1: User, client_a1: Patient, width: int, variant: str
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
        m = check(page, f"{width}")
        assert variant in m["variant"]
        # The Low line is drawn with its words.
        assert page.locator(f"svg.{variant} text.low-label").text_content() == "Low: below 60"
    finally:
        context.close()


def test_the_chart_prints_in_black(page, therapist_a1: User, client_a1: Patient) -> None:  # type: ignore[no-untyped-def]
    many_close_sessions(therapist_a1, client_a1)
    sign_in(page, therapist_a1.email, PASSWORD)
    page.goto(f"/clients/{client_a1.pk}/")
    page.emulate_media(media="print")
    strokes = page.evaluate(
        """() => [...document.querySelectorAll('svg.alliance-chart polyline.series')]
             .map(p => getComputedStyle(p).stroke)"""
    )
    assert strokes and set(strokes) == {"rgb(0, 0, 0)"}
    dashes = page.evaluate(
        """() => new Set([...document.querySelectorAll('svg.chart-mid polyline.series')]
             .map(p => getComputedStyle(p).strokeDasharray)).size"""
    )
    assert dashes == 4  # total, goal, task, bond: four line patterns, no colour needed
    page.pdf(path=str(SHOTS / "chart-print.pdf"))
