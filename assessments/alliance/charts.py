"""Charts drawn on the server as SVG: no script, no third party, and they print.

Every chart has a table with the same figures next to it for screen readers; the SVG
itself is marked as an image with a short text alternative.

SVG text scales with the drawing, so one drawing cannot be readable both on a phone and
across a desktop page. `responsive_chart` draws the same chart at three widths, each
with a font size that stays at 12 CSS px or more over the range of container widths it
is shown at (CSS container queries pick one; the others are not displayed).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from assessments.alliance.chart_labels import AxisLabel, place, thin
from assessments.alliance.chart_low import drawn_points, low_lines
from assessments.alliance.low import LowRule
from assessments.alliance.rules import PointFlags
from assessments.alliance.series import SeriesPoint
from assessments.alliance.wording import numbers

WIDTH = 760  # the single drawing's default width (the printable report uses it)
FONT_SIZE = 14.0
# name, width, height, font size (all in the drawing's units). Font sizes keep text at
# 12 CSS px or more from the smallest container each drawing is shown at (the
# breakpoints in alliance.css): 320/360 × 13.5, 600/720 × 14.5, 1000/1100 × 13.5.
VARIANTS = (("narrow", 360, 300, 13.5), ("mid", 720, 330, 14.5), ("wide", 1100, 380, 13.5))
# The review-together page reads from across a desk: 16 CSS px or more at any width.
REVIEW_VARIANTS = (("narrow", 360, 330, 18.5), ("mid", 720, 380, 19.5), ("wide", 1100, 440, 18))


@dataclass(frozen=True)
class Line:
    key: str
    label: str | Promise
    css: str  # stroke style: solid / dashed / dotted, set in alliance.css
    marker: str  # circle / square / triangle / diamond / ring


# Lazy: these are built at import time, before any request has chosen a language.
CLIENT_LINES = (
    Line("total_pomp", gettext_lazy("Total (client)"), "line-total", "circle"),
    Line("goal_pomp", gettext_lazy("Goal"), "line-goal", "square"),
    Line("task_pomp", gettext_lazy("Task"), "line-task", "triangle"),
    Line("bond_pomp", gettext_lazy("Bond"), "line-bond", "diamond"),
)
THERAPIST_LINE = Line("total_pomp", gettext_lazy("Total (therapist)"), "line-therapist", "ring")


def date_label(d: date) -> str:
    """The chart's date text: the same format as the table beside it, in the reader's
    language (English "9 Nov 2026", German "09.11.2026")."""
    return _date_label(d, get_language())


# The client page formats each session date three times (chart, scores, questionnaires)
# and Django's date_format parses its format every time. The language is part of the
# key: it chooses the format.
@functools.lru_cache(maxsize=8192)
def _date_label(d: date, language: str | None) -> str:
    return date_format(d, "SHORT_DATE_FORMAT")


def _marker(shape: str, x: float, y: float, css: str) -> str:
    if shape == "circle":
        return f'<circle class="{css}" cx="{x:.1f}" cy="{y:.1f}" r="4"/>'
    if shape == "ring":
        return f'<circle class="{css} marker-hollow" cx="{x:.1f}" cy="{y:.1f}" r="5"/>'
    if shape == "square":
        return f'<rect class="{css}" x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7"/>'
    if shape == "triangle":
        pts = f"{x:.1f},{y - 5:.1f} {x - 5:.1f},{y + 4:.1f} {x + 5:.1f},{y + 4:.1f}"
        return f'<polygon class="{css}" points="{pts}"/>'
    pts = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}"
    return f'<polygon class="{css}" points="{pts}"/>'


@dataclass(frozen=True)
class ChartText:
    """The chart's words, the same in every drawing of it: worked out once for the three
    widths of `responsive_chart` (dates and occasion names are formatted and translated,
    rupture tooltips composed)."""

    labels: list[tuple[date, tuple[str, str]]]  # per session date: its date and occasions
    ruptures: dict[int, str]  # index of a client point → its marker's tooltip
    new_form_title: str
    new_form: str


def chart_text(client: Sequence[tuple[SeriesPoint, PointFlags]]) -> ChartText:
    by_date: dict[date, list[str]] = {}
    for p, _f in client:
        names = by_date.setdefault(p.session_date, [])
        occasion = p.occasion_label
        if occasion not in names:
            names.append(occasion)
    ruptures = {}
    for i, (_p, f) in enumerate(client):
        if f.rupture:
            said = _("repaired rupture") if f.repaired else _("possible rupture")
            details = {**f.details, "marked": f.marked, "repaired": f.repaired}
            ruptures[i] = f"{said}: {numbers('rupture', details)}"
    return ChartText(
        labels=[(d, (date_label(d), ", ".join(names))) for d, names in sorted(by_date.items())],
        ruptures=ruptures,
        new_form_title=_("New form: a new baseline"),
        new_form=_("new form"),
    )


def axis_labels(
    labels: Sequence[tuple[date, tuple[str, str]]],
    x_of: dict[date, float],
    *,
    font_size: float,
    lo: float,
    hi: float,
) -> list[AxisLabel]:
    """The x-axis labels that fit: one per session date (its date, then its occasions),
    thinned by their estimated widths so that no two touch."""
    return thin([place(x_of[d], lines, font_size, lo, hi) for d, lines in labels])


def chart_title(code: str) -> str:
    """The chart's text alternative on the client page and in the report."""
    return _("Alliance over time for %(code)s, POMP 0 to 100; the table below has the figures.") % {
        "code": code
    }


def alliance_chart(
    client: Sequence[tuple[SeriesPoint, PointFlags]],
    therapist: Sequence[SeriesPoint],
    *,
    title: str,
    low: LowRule | None = None,
    width: int = WIDTH,
    height: int | None = None,
    font_size: float = FONT_SIZE,
    css_class: str = "",
    title_id: str = "chart-title",
    ruptures: bool = True,
    text: ChartText | None = None,
) -> SafeString | None:
    """Total, goal, task and bond (POMP 0-100) by session date, with the therapist's
    total, a marker at each possible rupture (filled) or repaired one (hollow; none
    with `ruptures=False`), and, given the clinic's `low` rule, the Low line of each
    charted form. `text`: `chart_text(client)`, when the caller draws several widths."""
    dates = [p.session_date for p, _f in client] + [p.session_date for p in therapist]
    if not dates:
        return None
    text = text or chart_text(client)
    height = height or round(min(max(width * 0.42, 280), 400))
    left, right, top = round(font_size * 3), 14, 14
    bottom = round(font_size * 2.9 + 10)  # two lines of axis text under the ticks
    first, last = min(dates), max(dates)
    span = max((last - first).days, 1)
    plot_w, plot_h = width - left - right, height - top - bottom
    base = height - bottom

    def x(d: date) -> float:
        if first == last:
            return left + plot_w / 2
        return left + plot_w * (d - first).days / span

    def y(v: float) -> float:
        return top + plot_h * (1 - v / 100)

    parts = [
        format_html(
            '<svg class="alliance-chart{}" viewBox="0 0 {} {}" font-size="{}" role="img" '
            'aria-labelledby="{}"><title id="{}">{}</title>',
            f" {css_class}" if css_class else "",
            width,
            height,
            f"{font_size:g}",
            title_id,
            title_id,
            title,
        )
    ]
    for v in range(0, 101, 25):
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(v):.1f}" '
            f'y2="{y(v):.1f}"/><text class="axis" x="{left - 6}" y="{y(v) + font_size / 3:.1f}" '
            f'text-anchor="end">{v}</text>'
        )
    # A change of form starts a new baseline: the lines break there (POMP puts forms on
    # one axis but does not equate them) and a dashed rule marks the break.
    runs: list[list[SeriesPoint]] = []
    for p, f in client:
        if not runs or f.new_baseline:
            runs.append([])
        runs[-1].append(p)
    if low is not None and runs:
        keys = [line.key for line in CLIENT_LINES]
        occupied = drawn_points([[q for q, _f in client], list(therapist)], x, y, keys)
        parts.append(low_lines(runs, low, x, y, left, width - right, font_size, occupied))
    for p in (run[0] for run in runs[1:]):
        bx = x(p.session_date)
        parts.append(
            f'<g class="form-break"><title>{escape(text.new_form_title)}</title>'
            f'<line x1="{bx:.1f}" x2="{bx:.1f}" y1="{top}" y2="{base}"/>'
            f'<text class="axis" x="{bx + 3:.1f}" y="{top + font_size:.1f}">'
            f"{escape(text.new_form)}</text></g>"
        )
    # Every questionnaire gets a tick; the labels that fit get a longer one and text.
    x_of = {p.session_date: x(p.session_date) for p, _f in client}
    for tick in sorted(set(x_of.values())):
        parts.append(
            f'<line class="tick" x1="{tick:.1f}" x2="{tick:.1f}" y1="{base}" y2="{base + 3}"/>'
        )
    labels = axis_labels(text.labels, x_of, font_size=font_size, lo=2, hi=width - 2)
    parts.append('<g class="x-labels">')
    for label in labels:
        parts.append(
            f'<line class="tick" x1="{label.tick:.1f}" x2="{label.tick:.1f}" y1="{base}" '
            f'y2="{base + 6}"/><text class="axis x-label" x="{label.x:.1f}" '
            f'y="{base + 6 + font_size * 1.1:.1f}" text-anchor="middle">'
            f"{escape(label.lines[0])}</text>"
            f'<text class="axis x-label x-occasion" x="{label.x:.1f}" '
            f'y="{base + 6 + font_size * 2.3:.1f}" text-anchor="middle">'
            f"{escape(label.lines[1])}</text>"
        )
    parts.append("</g>")
    for line in CLIENT_LINES:
        for run in runs:
            pts = [
                (x(p.session_date), y(getattr(p, line.key)))
                for p in run
                if getattr(p, line.key) is not None
            ]
            parts.append(_polyline(pts, line))
    own = [(x(p.session_date), y(p.total_pomp)) for p in therapist if p.total_pomp is not None]
    parts.append(_polyline(own, THERAPIST_LINE))
    for i, (p, f) in enumerate(client):
        if ruptures and f.rupture:
            cx, cy = x(p.session_date), min(y(p.total_pomp or 0) + 16, base - 7)
            css = "rupture-marker repaired" if f.repaired else "rupture-marker"
            parts.append(
                f'<g class="{css}"><title>{escape(text.ruptures[i])}</title>'
                f'<polygon points="{cx:.1f},{cy + 6:.1f} {cx - 7:.1f},{cy - 6:.1f} '
                f'{cx + 7:.1f},{cy - 6:.1f}"/></g>'
            )
    parts.append("</svg>")
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 - every text is escaped


def responsive_chart(
    client: Sequence[tuple[SeriesPoint, PointFlags]],
    therapist: Sequence[SeriesPoint],
    *,
    title: str,
    low: LowRule | None = None,
    variants: Sequence[tuple[str, int, int, float]] = VARIANTS,
    ruptures: bool = True,
) -> SafeString | None:
    """The chart drawn at each of `variants`' widths, for a page to show the one that
    fits its container (see `.chart-figure` in alliance.css)."""
    drawings = []
    text = chart_text(client)
    for name, width, height, font_size in variants:
        svg = alliance_chart(
            client,
            therapist,
            title=title,
            low=low,
            width=width,
            height=height,
            font_size=font_size,
            css_class=f"chart-{name}",
            title_id=f"chart-title-{name}",
            ruptures=ruptures,
            text=text,
        )
        if svg is None:
            return None
        drawings.append(svg)
    return mark_safe("".join(drawings))  # noqa: S308 - each drawing is escaped already


def _polyline(pts: list[tuple[float, float]], line: Line) -> str:
    if not pts:
        return ""
    coords = " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)
    markers = "".join(_marker(line.marker, a, b, f"marker {line.css}") for a, b in pts)
    return f'<g><polyline class="series {line.css}" points="{coords}"/>{markers}</g>'


def sparkline(values: Sequence[float], *, width: int = 96, height: int = 24) -> SafeString:
    """A small trend line for a caseload row; decorative (the row has the numbers)."""
    if len(values) < 2:
        return mark_safe("")
    n = len(values)
    pts = " ".join(
        f"{2 + (width - 4) * i / (n - 1):.1f},{2 + (height - 4) * (1 - v / 100):.1f}"
        for i, v in enumerate(values)
    )
    last_x = width - 2
    last_y = 2 + (height - 4) * (1 - values[-1] / 100)
    return mark_safe(  # noqa: S308 - numbers only
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" aria-hidden="true" focusable="false">'
        f'<polyline points="{pts}"/><circle cx="{last_x}" cy="{last_y:.1f}" r="2.5"/></svg>'
    )
