"""The chart's SVG on its own: the Low line and its words, x-axis labels that never
touch, and dates written as the table writes them."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings as django_settings
from django.template import Context, Template
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.alliance.chart_labels import overlaps, place, text_width, thin
from assessments.alliance.charts import CLIENT_LINES, alliance_chart, date_label, responsive_chart
from assessments.alliance.low import LOWEST_DECILE, LowRule
from assessments.alliance.rules import PointFlags
from assessments.alliance.series import SeriesPoint

START = date(2026, 11, 3)


def point(n: int, day: date, pomp: float = 75.0, form: str = "wai-sr-client") -> SeriesPoint:
    return SeriesPoint(
        response_id=n,
        administration_id=n,
        patient_id=1,
        rater="client",
        form_code=form,
        session_date=day,
        occasion="session",
        session_number=n,
        occasion_note="",
        submitted_at=timezone.make_aware(datetime(2026, 1, 1)),
        goal_mean=None,
        task_mean=None,
        bond_mean=None,
        total_mean=None,
        goal_pomp=pomp,
        task_pomp=pomp,
        bond_pomp=pomp,
        total_pomp=pomp,
        entered_by_id=None,
        channel="paper",
    )


def series(days: list[int], forms: list[str] | None = None) -> list[tuple[SeriesPoint, PointFlags]]:
    forms = forms or ["wai-sr-client"] * len(days)
    out = []
    for i, (d, form) in enumerate(zip(days, forms, strict=True)):
        new = i > 0 and form != forms[i - 1]
        out.append(
            (
                point(i + 1, START + timedelta(days=d), form=form),
                PointFlags(i, None, new_baseline=new),
            )
        )
    return out


def draw(points, low=None, **kw) -> str:  # type: ignore[no-untyped-def]
    svg = alliance_chart(points, [], title="Alliance", low=low, **kw)
    assert svg is not None
    return str(svg)


def x_labels(svg: str) -> list[tuple[float, str]]:
    return [
        (float(x), text)
        for x, text in re.findall(
            r'<text class="axis x-label" x="([\d.]+)"[^>]*>([^<]*)</text>', svg
        )
    ]


def test_the_low_line_is_drawn_at_the_clinics_threshold_with_its_words() -> None:
    svg = draw(series([0, 7, 14]), LowRule(60))
    assert 'class="low-line"' in svg and 'class="low-band"' in svg
    assert ">Low: below 60</text>" in svg
    # 60 POMP on the drawing's y axis: the line sits between the 50 and 75 grid lines.
    y60 = float(re.search(r'class="low-line"[^>]*y1="([\d.]+)"', svg).group(1))
    grid = [float(v) for v in re.findall(r'class="grid"[^>]*y1="([\d.]+)"', svg)]
    y50, y75 = grid[2], grid[3]
    assert y75 < y60 < y50
    assert abs((y50 - y60) / (y50 - y75) - 10 / 25) < 0.02


def test_a_lowest_tenth_rule_draws_each_forms_own_level() -> None:
    low = LowRule(60, LOWEST_DECILE, {"wai-sr-client": (42.0, 31)})
    svg = draw(series([0, 7, 14, 21], ["wai-sr-client"] * 2 + ["wai-s-client"] * 2), low)
    # The first form has its own cut-off (inclusive); the second falls back to 60.
    assert ">Low: 42 or below</text>" in svg
    assert ">Low: below 60</text>" in svg
    assert svg.count('class="low-line"') == 2


def test_without_a_rule_the_chart_draws_no_low_line() -> None:
    assert "low-line" not in draw(series([0, 7]))


def test_the_chart_writes_dates_as_the_table_does_in_each_language() -> None:
    days = [0, 30, 60]
    for language in ("en", "de", "es"):
        with translation.override(language):
            svg = draw(series(days), width=1100)
            table = Template('{{ d|date:"SHORT_DATE_FORMAT" }}')
            for d in days:
                day = START + timedelta(days=d)
                expected = table.render(Context({"d": day}))
                assert date_label(day) == expected
                assert f">{expected}</text>" in svg, (language, expected)
    with translation.override("en"):
        assert date_label(date(2026, 11, 9)) == "9 Nov 2026"


def test_close_sessions_keep_first_and_last_labels_and_never_collide() -> None:
    svg = draw(series([0, 1, 2, 3, 4, 30, 31, 60]), width=360, font_size=13.5)
    labels = x_labels(svg)
    dates = [t for _x, t in labels]
    assert dates[0] == "3 Nov 2026" and dates[-1] == "2 Jan 2027"
    assert len(labels) < 8  # thinned: the table keeps every date
    widths = [text_width(t, 13.5) for _x, t in labels]
    for (x1, _t1), w1, (x2, _t2), w2 in zip(labels, widths, labels[1:], widths[1:], strict=False):
        assert x1 + w1 / 2 < x2 - w2 / 2


def test_the_series_names_follow_the_language_of_the_request() -> None:
    # Built at import time: they must be lazy, or German pages would show English.
    with translation.override("de"):
        assert str(CLIENT_LINES[1].label) == "Ziele"


def test_each_drawing_of_the_responsive_chart_has_its_own_title_id() -> None:
    out = str(responsive_chart(series([0, 7]), [], title="Alliance", low=LowRule(60)))
    ids = re.findall(r'<title id="([^"]+)"', out)
    assert ids == ["chart-title-narrow", "chart-title-mid", "chart-title-wide"]


labels_input = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=1100, allow_nan=False),
        st.sampled_from(
            [
                "9 Nov 2026",
                "09.11.2026",
                "30 Dec 2026",
                "Session 11",
                "Intake",
                "Session 1, Session 2",
                "Discharge",
                "WWWWWW",
            ]
        ),
    ),
    min_size=0,
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(
    items=labels_input,
    font=st.sampled_from([12.0, 13.5, 14.5]),
    width=st.sampled_from([360, 720, 1100]),
)
def test_no_two_kept_labels_overlap_and_the_ends_stay_when_they_can(
    items: list[tuple[float, str]], font: float, width: int
) -> None:
    candidates = [place(min(x, width), (text,), font, 2, width - 2) for x, text in items]
    kept = thin(candidates)
    for i, a in enumerate(kept):
        for b in kept[i + 1 :]:
            assert not overlaps(a, b)
    if candidates:
        ordered = sorted(candidates, key=lambda c: c.tick)
        assert kept[0] == ordered[0]
        if len(ordered) > 1 and not overlaps(ordered[0], ordered[-1]):
            assert kept[-1] == ordered[-1]
    # Every kept label lies on the drawing (unless it is wider than the drawing itself).
    for label in kept:
        if label.width <= width - 4:
            assert label.left >= 2 - 1e-6 and label.right <= width - 2 + 1e-6


def test_the_low_label_moves_away_from_points_under_it() -> None:
    # The last two scores sit just above the line at the right end: the label goes left.
    points = [
        (point(i + 1, START + timedelta(days=7 * i), v), PointFlags(i, None))
        for i, v in enumerate([90, 90, 90, 64, 64])
    ]
    svg = draw(points, LowRule(60), width=720, font_size=14.5)
    label = re.search(r'<text class="low-label" x="([\d.]+)" y="[\d.]+" text-anchor="(\w+)"', svg)
    assert label is not None and label.group(2) == "start"


def test_the_low_label_halo_is_a_copy_under_it_not_a_stroke_over_it() -> None:
    # WeasyPrint (the PDF) ignores paint-order: a stroke halo on the label itself would
    # be painted over its letters. The halo is a copy drawn first, hidden from readers.
    points = [
        (point(i + 1, START + timedelta(days=7 * i), v), PointFlags(i, None))
        for i, v in enumerate([80, 78, 82])
    ]
    svg = draw(points, LowRule(60), width=720, font_size=14.5)
    halo = re.search(r'<text class="low-label-halo" (x="[\d.]+" y="[\d.]+") [^>]*aria-hidden', svg)
    label = re.search(r'<text class="low-label" (x="[\d.]+" y="[\d.]+")', svg)
    assert halo is not None and label is not None
    assert halo.group(1) == label.group(1) and halo.start() < label.start()
    css = (Path(django_settings.BASE_DIR) / "static/css/alliance.css").read_text()
    rule = re.search(r"\.low-label \{([^}]*)\}", css)
    assert rule is not None and "stroke" not in rule.group(1)


@settings(max_examples=80, deadline=None)
@given(
    offsets=st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=40),
    variant=st.sampled_from([(360, 13.5), (720, 14.5), (1100, 13.5), (760, 14.0)]),
)
def test_no_two_drawn_date_labels_overlap_for_any_series_of_sessions(
    offsets: list[int], variant: tuple[int, float]
) -> None:
    width, font = variant
    days = sorted(offsets)
    with translation.override("en"):
        svg = draw(series(days), LowRule(60), width=width, font_size=font)
    texts = re.findall(r'<text class="axis x-label[^"]*" x="([\d.]+)"[^>]*>([^<]*)</text>', svg)
    # Two lines per label (date, occasion) at the same x: a label is as wide as its widest.
    pairs = [(float(texts[i][0]), texts[i][1], texts[i + 1][1]) for i in range(0, len(texts), 2)]
    boxes = [
        (
            x - max(text_width(a, font), text_width(b, font)) / 2,
            x + max(text_width(a, font), text_width(b, font)) / 2,
        )
        for x, a, b in pairs
    ]
    for i, (l1, r1) in enumerate(boxes):
        for l2, r2 in boxes[i + 1 :]:
            assert r1 <= l2 or r2 <= l1, (boxes, days)
    first = date_label(START + timedelta(days=days[0]))
    assert pairs[0][1] == first  # the first date is always drawn
