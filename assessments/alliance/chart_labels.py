"""Which x-axis labels a chart can draw without two of them touching.

Pure: text in, positions out. The server cannot measure text, so widths are estimated
from the font size with generous per-character factors (wider than the system sans
fonts really are), and a label is only drawn where its whole box fits beside its
neighbours. The table below the chart keeps every date; the axis only has to orient.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

GAP = 8.0  # empty space between two drawn labels, in the chart's units

# Em widths, rounded up from common sans-serif fonts (Segoe UI, Roboto, DejaVu Sans,
# Helvetica): a label estimated too wide is merely dropped; too narrow would collide.
_NARROW = set(" .,:;'!|/()-·ijlrtfI1")
_WIDE = set("mwMW@%")


def text_width(text: str, font_size: float) -> float:
    """An upper estimate of `text`'s drawn width at `font_size`."""
    return _ems(text) * font_size


# Cached: the chart is drawn at three font sizes with the same labels.
@functools.lru_cache(maxsize=4096)
def _ems(text: str) -> float:
    em = 0.0
    for ch in text:
        if ch in _NARROW:
            em += 0.4
        elif ch in _WIDE:
            em += 0.95
        elif ch.isupper():
            em += 0.75
        else:
            em += 0.62
    return em


@dataclass(frozen=True)
class AxisLabel:
    tick: float  # where the data is
    x: float  # the centre the text is drawn at (moved inwards at the chart's edges)
    lines: tuple[str, ...]
    width: float

    @property
    def left(self) -> float:
        return self.x - self.width / 2

    @property
    def right(self) -> float:
        return self.x + self.width / 2


def place(tick: float, lines: Sequence[str], font_size: float, lo: float, hi: float) -> AxisLabel:
    """A label centred on its tick, moved inwards so that it stays within [lo, hi]."""
    width = max((text_width(t, font_size) for t in lines), default=0.0)
    x = tick
    if x - width / 2 < lo:
        x = lo + width / 2
    if x + width / 2 > hi:
        x = hi - width / 2
    return AxisLabel(tick, x, tuple(lines), width)


def overlaps(a: AxisLabel, b: AxisLabel, gap: float = GAP) -> bool:
    return a.left < b.right + gap and b.left < a.right + gap


def thin(labels: Sequence[AxisLabel], gap: float = GAP) -> list[AxisLabel]:
    """The labels to draw, left to right: the first always, the last whenever it does
    not touch the first, and between them each one that touches none already kept
    nor the last. (Every kept label is checked, not just the previous one: a long label
    moved in from an edge can reach past a shorter neighbour.)"""
    ordered = sorted(labels, key=lambda label: label.tick)
    if len(ordered) <= 1:
        return list(ordered)
    first, last = ordered[0], ordered[-1]
    end = last if not overlaps(first, last, gap) else None
    kept = [first]
    for label in ordered[1:-1]:
        if any(overlaps(k, label, gap) for k in kept):
            continue
        if end is not None and overlaps(label, end, gap):
            continue
        kept.append(label)
    if end is not None:
        kept.append(end)
    return kept
