"""Charts drawn on the server as SVG: no script, no third party, and they print.

Every chart has a table with the same figures next to it for screen readers; the SVG
itself is marked as an image with a short text alternative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from assessments.alliance.rules import PointFlags
from assessments.alliance.series import SeriesPoint
from assessments.alliance.wording import numbers

WIDTH, HEIGHT = 760, 320
LEFT, RIGHT, TOP, BOTTOM = 48, 44, 16, 56  # room for the last date label


@dataclass(frozen=True)
class Line:
    key: str
    label: str
    css: str  # stroke style: solid / dashed / dotted, set in alliance.css
    marker: str  # circle / square / triangle / diamond / ring


CLIENT_LINES = (
    Line("total_pomp", _("Total (client)"), "line-total", "circle"),
    Line("goal_pomp", _("Goal"), "line-goal", "square"),
    Line("task_pomp", _("Task"), "line-task", "triangle"),
    Line("bond_pomp", _("Bond"), "line-bond", "diamond"),
)
THERAPIST_LINE = Line("total_pomp", _("Total (therapist)"), "line-therapist", "ring")


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


def alliance_chart(
    client: Sequence[tuple[SeriesPoint, PointFlags]],
    therapist: Sequence[SeriesPoint],
    *,
    title: str,
) -> SafeString | None:
    """Total, goal, task and bond (POMP 0-100) by session date, with the therapist's
    total, and a marker at each possible rupture (filled) or repaired one (hollow)."""
    dates = [p.session_date for p, _ in client] + [p.session_date for p in therapist]
    if not dates:
        return None
    first, last = min(dates), max(dates)
    span = max((last - first).days, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(d: date) -> float:
        if first == last:
            return LEFT + plot_w / 2
        return LEFT + plot_w * (d - first).days / span

    def y(v: float) -> float:
        return TOP + plot_h * (1 - v / 100)

    parts = [
        format_html(
            '<svg class="alliance-chart" viewBox="0 0 {} {}" role="img" '
            'aria-labelledby="chart-title">'
            '<title id="chart-title">{}</title>',
            WIDTH,
            HEIGHT,
            title,
        )
    ]
    for v in range(0, 101, 25):
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(v):.1f}" y2="{y(v):.1f}"/>'
            f'<text class="axis" x="{LEFT - 8}" y="{y(v) + 4:.1f}" text-anchor="end">{v}</text>'
        )
    # Label each questionnaire's date and occasion below the axis (thinned when many).
    points = [p for p, _ in client]
    step = max(1, len(points) // 8)
    for p in points[::step]:
        parts.append(
            f'<text class="axis" x="{x(p.session_date):.1f}" y="{HEIGHT - BOTTOM + 18}" '
            f'text-anchor="middle">{escape(p.session_date.strftime("%d %b"))}</text>'
            f'<text class="axis axis-small" x="{x(p.session_date):.1f}" y="{HEIGHT - BOTTOM + 34}" '
            f'text-anchor="middle">{escape(p.occasion_label)}</text>'
        )
    # A change of form starts a new baseline: the lines break there (POMP puts forms on
    # one axis but does not equate them) and a dashed rule marks the break.
    runs: list[list[SeriesPoint]] = []
    for p, f in client:
        if not runs or f.new_baseline:
            runs.append([])
        runs[-1].append(p)
    for p in (run[0] for run in runs[1:]):
        bx = x(p.session_date)
        parts.append(
            f'<g class="form-break"><title>{escape(_("New form: a new baseline"))}</title>'
            f'<line x1="{bx:.1f}" x2="{bx:.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}"/>'
            f'<text class="axis axis-small" x="{bx + 3:.1f}" y="{TOP + 10}">'
            f"{escape(_('new form'))}</text></g>"
        )
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
    for p, f in client:
        if f.rupture:
            cx, cy = x(p.session_date), y(p.total_pomp or 0) + 16
            css = "rupture-marker repaired" if f.repaired else "rupture-marker"
            label = _("repaired rupture") if f.repaired else _("possible rupture")
            details = {**f.details, "marked": f.marked, "repaired": f.repaired}
            label = f"{label}: {numbers('rupture', details)}"
            parts.append(
                f'<g class="{css}"><title>{escape(label)}</title>'
                f'<polygon points="{cx:.1f},{cy + 6:.1f} {cx - 7:.1f},{cy - 6:.1f} '
                f'{cx + 7:.1f},{cy - 6:.1f}"/></g>'
            )
    parts.append("</svg>")
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 - every text is escaped


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
