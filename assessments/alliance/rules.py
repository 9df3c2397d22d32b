"""Change and rupture rules: when does a series of alliance scores deserve a look?

Pure Python, no Django: plain numbers in, frozen dataclasses out. Every score here is
the total on the POMP scale (0-100), so that 5- and 7-point forms sit on one axis.
The facts behind the rules are in the WAI reference (Jacobson & Truax 1991 for
reliable change; Strauss et al., Stiles et al. 2004 for rupture detection; Eubanks,
Muran & Safran 2018 for repair). None of these flags is a diagnosis: each is a
prompt to talk with the client, and the wording shown to therapists says so.

The rules, with their defaults:

(a) Reliable change between consecutive questionnaires of the same form:
    RCI = (x2 - x1) / S_diff, S_diff = sqrt(2) * SD * sqrt(1 - r). |RCI| > 1.96 is a
    reliable change at p < .05. SD and r come from the clinic's own stored scores once
    it has MIN_NORM_RESPONSES complete questionnaires of that form (SD of the totals,
    Cronbach's alpha from the item answers); before that, DEFAULT_SD_POMP and
    DEFAULT_RELIABILITY.
(b) Rupture: a drop from the previous questionnaire larger than RUPTURE_SD times the
    client's own session-to-session variation (the SD of the changes between their
    earlier consecutive questionnaires), once there are at least MIN_HISTORY earlier
    questionnaires. The SD has a floor (MIN_CLIENT_SD_POMP, a tenth of the scale: on
    the 12-item WAI-SR one answer one step lower moves the total by about 2 POMP) so
    that a very steady client is not flagged for a few answers a step lower; the
    ceiling case is rule (c).
(c) First dip: the first score below the maximum (POMP < 100) after a run of at least
    CEILING_RUN maximal ones. With ceiling effects this small step carries the signal.
(d) Repair: a rupture after which the score returns to at least its level before the
    drop within REPAIR_WINDOW questionnaires is shown as repaired.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

RCI_CRITICAL = 1.96
MIN_NORM_RESPONSES = 30
DEFAULT_SD_POMP = 15.0
DEFAULT_RELIABILITY = 0.90
RUPTURE_SD = 1.0
MIN_HISTORY = 3
MIN_CLIENT_SD_POMP = 10.0
CEILING_RUN = 2
REPAIR_WINDOW = 2
MAX_POMP = 100.0


@dataclass(frozen=True)
class Norms:
    """Spread and reliability of one form's totals, for reliable change."""

    sd: float
    reliability: float
    n: int  # how many questionnaires they were estimated from; 0 for the defaults
    source: str  # "clinic" or "default"

    @property
    def s_diff(self) -> float:
        return math.sqrt(2.0) * self.sd * math.sqrt(max(0.0, 1.0 - self.reliability))


DEFAULT_NORMS = Norms(DEFAULT_SD_POMP, DEFAULT_RELIABILITY, 0, "default")


def norms_from(
    *, n: int, sd: float | None, alpha: float | None, minimum: int = MIN_NORM_RESPONSES
) -> Norms:
    """The clinic's own norms when there are enough data and they make sense."""
    if n < minimum or sd is None or alpha is None or sd <= 0 or not 0 < alpha < 1:
        return DEFAULT_NORMS
    return Norms(sd=sd, reliability=alpha, n=n, source="clinic")


def cronbach_alpha(item_variances: Sequence[float], total_variance: float) -> float | None:
    """Cronbach's alpha from the items' variances and the variance of their sum."""
    k = len(item_variances)
    if k < 2 or total_variance <= 0:
        return None
    return (k / (k - 1)) * (1.0 - sum(item_variances) / total_variance)


@dataclass(frozen=True)
class ReliableChange:
    delta: float
    rci: float
    reliable: bool

    @property
    def direction(self) -> str:
        if not self.reliable:
            return "none"
        return "up" if self.delta > 0 else "down"


def reliable_change(before: float, after: float, norms: Norms) -> ReliableChange | None:
    if norms.s_diff <= 0:
        return None
    delta = after - before
    rci = delta / norms.s_diff
    return ReliableChange(delta=delta, rci=rci, reliable=abs(rci) > RCI_CRITICAL)


@dataclass(frozen=True)
class Point:
    """One questionnaire in a client's series: its total POMP and its form."""

    pomp: float
    form: str


@dataclass(frozen=True)
class PointFlags:
    index: int
    change: ReliableChange | None  # against the previous questionnaire of the same form
    rupture: bool
    repaired: bool
    first_dip: bool

    def kinds(self) -> tuple[str, ...]:
        """The flag codes raised at this questionnaire ("rupture", "dropping", "first_dip").

        A repaired rupture raises nothing: it is history, not a reason to look now.
        """
        out: list[str] = []
        if self.rupture and not self.repaired:
            out.append("rupture")
        elif self.change is not None and self.change.reliable and self.change.delta < 0:
            out.append("dropping")
        if self.first_dip:
            out.append("first_dip")
        return tuple(out)


def _client_sd(values: Sequence[float]) -> float:
    """SD of the session-to-session changes, with a floor for very steady clients."""
    changes = [b - a for a, b in itertools.pairwise(values)]
    if len(changes) < 2:
        return MIN_CLIENT_SD_POMP
    # Plain floats: statistics.pstdev works in exact fractions, which is slow and runs
    # once per point of every client's series.
    mean = sum(changes) / len(changes)
    sd = math.sqrt(sum((c - mean) ** 2 for c in changes) / len(changes))
    return max(sd, MIN_CLIENT_SD_POMP)


def analyse(series: Sequence[Point], norms: dict[str, Norms] | None = None) -> list[PointFlags]:
    """Flags for every point of a client's series (oldest first)."""
    norms = norms or {}
    values = [p.pomp for p in series]
    ruptures: set[int] = set()
    for i in range(MIN_HISTORY, len(values)):
        earlier = values[:i]
        drop = values[i - 1] - values[i]
        if drop > RUPTURE_SD * _client_sd(earlier):
            ruptures.add(i)
    flags: list[PointFlags] = []
    for i, point in enumerate(series):
        change = None
        previous_same_form = next(
            (j for j in range(i - 1, -1, -1) if series[j].form == point.form), None
        )
        if previous_same_form is not None:
            change = reliable_change(
                series[previous_same_form].pomp,
                point.pomp,
                norms.get(point.form, DEFAULT_NORMS),
            )
        repaired = False
        if i in ruptures:
            level_before = values[i - 1]
            later = values[i + 1 : i + 1 + REPAIR_WINDOW]
            repaired = any(v >= level_before for v in later)
        first_dip = (
            i >= CEILING_RUN
            and point.pomp < MAX_POMP
            and all(v >= MAX_POMP for v in values[i - CEILING_RUN : i])
        )
        flags.append(PointFlags(i, change, i in ruptures, repaired, first_dip))
    return flags


@dataclass(frozen=True)
class SeriesSummary:
    """What the caseload row needs about the latest questionnaire."""

    change: ReliableChange | None
    dropping: bool  # a reliable fall at the latest questionnaire
    rupture: bool  # an unrepaired rupture at one of the last REPAIR_WINDOW + 1 points
    first_dip: bool  # at the latest questionnaire


def summarise(series: Sequence[Point], norms: dict[str, Norms] | None = None) -> SeriesSummary:
    if not series:
        return SeriesSummary(None, False, False, False)
    flags = analyse(series, norms)
    last = flags[-1]
    recent = flags[-(REPAIR_WINDOW + 1) :]
    open_rupture = any(f.rupture and not f.repaired for f in recent)
    dropping = bool(last.change and last.change.reliable and last.change.delta < 0)
    return SeriesSummary(last.change, dropping, open_rupture, last.first_dip)
