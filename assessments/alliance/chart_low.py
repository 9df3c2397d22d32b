"""The clinic's Low level on the alliance chart: a shaded band up to it and a line
labelled in words, per charted form (see low.py for what "low" means)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.html import escape
from django.utils.translation import gettext as _

from assessments.alliance.chart_labels import text_width
from assessments.alliance.low import LOWEST_DECILE, LowRule
from assessments.alliance.series import SeriesPoint


@dataclass(frozen=True)
class LowLevel:
    """The Low line for one stretch of the chart (one form)."""

    form_code: str
    cut: float
    inclusive: bool  # lowest-tenth cut-offs include the cut; a fixed threshold does not

    @property
    def label(self) -> str:
        if self.inclusive:
            return _("Low: %(cut)s or below") % {"cut": f"{self.cut:.0f}"}
        return _("Low: below %(cut)s") % {"cut": f"{self.cut:g}"}


def low_level(low: LowRule, form_code: str) -> LowLevel:
    """What "low" means for `form_code` under the clinic's rule (see low.py)."""
    if low.mode == LOWEST_DECILE and form_code in low.cutoffs:
        return LowLevel(form_code, low.cutoffs[form_code][0], True)
    return LowLevel(form_code, low.threshold, False)


def low_lines(
    runs: list[list[SeriesPoint]],
    low: LowRule,
    x: Callable[[date], float],
    y: Callable[[float], float],
    lo: float,
    hi: float,
    font_size: float,
    occupied: Drawn,
) -> str:
    """A shaded band up to each form's Low level and a line with its label in words
    (the band and the text tell it apart from the series without colour)."""
    levels = [low_level(low, run[-1].form_code) for run in runs]
    # One level for the whole chart when every form has the same one (the usual case).
    spans: list[tuple[float, float, LowLevel]] = []
    for i, level in enumerate(levels):
        start = lo if i == 0 else x(runs[i][0].session_date)
        end = hi if i == len(runs) - 1 else x(runs[i + 1][0].session_date)
        if spans and spans[-1][2].cut == level.cut and spans[-1][2].inclusive == level.inclusive:
            spans[-1] = (spans[-1][0], end, level)
        else:
            spans.append((start, end, level))
    out = []
    for start, end, level in spans:
        ly = y(level.cut)
        floor = y(0)
        text = escape(level.label)
        out.append(
            f'<g class="low-level"><title>{text}</title>'
            f'<rect class="low-band" x="{start:.1f}" y="{ly:.1f}" width="{end - start:.1f}" '
            f'height="{floor - ly:.1f}"/>'
            f'<line class="low-line" x1="{start:.1f}" x2="{end:.1f}" y1="{ly:.1f}" y2="{ly:.1f}"/>'
        )
        spot = _low_label_spot(level, start, end, ly, font_size, occupied)
        if spot is not None:
            tx, ty, anchor = spot
            # The white halo is a copy drawn first, not a stroke under `paint-order`:
            # the PDF renderer ignores paint-order and would paint the stroke over the
            # letters, leaving the label white on white.
            place = f'x="{tx:.1f}" y="{ty:.1f}" text-anchor="{anchor}"'
            out.append(
                f'<text class="low-label-halo" {place} aria-hidden="true">{text}</text>'
                f'<text class="low-label" {place}>{text}</text>'
            )
        out.append("</g>")
    return "".join(out)


@dataclass(frozen=True)
class Drawn:
    """Every marker of a drawing and the lines between them, so that a label can be put
    where no line or marker runs under it."""

    points: list[tuple[float, float]]
    segments: list[tuple[float, float, float, float]]  # x0, y0, x1, y1

    def any_within(self, left: float, right: float, top: float, bottom: float) -> bool:
        """Whether a marker, or a sample along a line (every 4 units), is in the box.

        Samples are made only for the lines that reach the box's width: a label box is
        small, and a line of 60 questionnaires has hundreds of samples."""
        if any(left <= px <= right and top <= py <= bottom for px, py in self.points):
            return True
        for x0, y0, x1, y1 in self.segments:
            if max(x0, x1) < left - 1 or min(x0, x1) > right + 1:
                continue  # every sample lies between the line's ends (1 unit for rounding)
            steps = int(max(abs(x1 - x0), abs(y1 - y0)) // 4)
            for i in range(1, steps):
                px, py = x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps
                if left <= px <= right and top <= py <= bottom:
                    return True
        return False


def drawn_points(
    groups: Sequence[Sequence[SeriesPoint]],
    x: Callable[[date], float],
    y: Callable[[float], float],
    keys: Sequence[str],
) -> Drawn:
    """Every marker and the lines between them."""
    points: list[tuple[float, float]] = []
    segments: list[tuple[float, float, float, float]] = []
    for group in groups:
        for key in keys:
            pts = [(x(p.session_date), y(v)) for p in group if (v := getattr(p, key)) is not None]
            points.extend(pts)
            segments.extend((x0, y0, x1, y1) for (x0, y0), (x1, y1) in itertools.pairwise(pts))
    return Drawn(points, segments)


def _low_label_spot(
    level: LowLevel,
    start: float,
    end: float,
    ly: float,
    font_size: float,
    occupied: Drawn,
) -> tuple[float, float, str] | None:
    """Where the Low label goes: at the right or left end of its line, above or below
    it, wherever no data point sits under the text (the right end above when every
    place has one; the label has a white halo). None when the span is too short."""
    w = text_width(level.label, font_size)
    if w > end - start - 8:
        return None
    above, below = ly - 5, ly + font_size + 2
    rows = [above, below] if level.cut < 88 else [below]
    if level.cut <= 12:
        rows = [above]
    spots = [(tx, ty, a) for ty in rows for tx, a in ((end - 4, "end"), (start + 4, "start"))]

    def clear(spot: tuple[float, float, str]) -> bool:
        tx, ty, anchor = spot
        x0 = tx - w if anchor == "end" else tx
        return not occupied.any_within(x0 - 6, x0 + w + 6, ty - font_size - 6, ty + 6)

    return next((spot for spot in spots if clear(spot)), spots[0])
