"""Change, rupture, repair and first-dip rules: when does a series deserve a look?

Pure Python, no Django: plain numbers in, frozen dataclasses out. Scores are totals on
the POMP scale (0-100). POMP is a linear rescaling of each form's own range; it does not
equate forms, so every comparison here stays within one form rated by one side. The
rules, their sources and their calibration are in docs/alliance-rules.md. None of these
flags is a diagnosis: each is a prompt to talk with the client.

(1) Same form only. A series is cut into segments of consecutive questionnaires of the
    same form and rater; a change of form starts a new baseline, and nothing compares
    across the break.
(2) Norms: SD of totals and Cronbach's alpha from one questionnaire per client (the
    clinic's own, once MIN_NORM_CLIENTS clients have one of that form), and the clinic's
    pooled within-client SD of session-to-session changes; defaults before that.
(3) Possible rupture: a fall that is a reliable change (Jacobson & Truax 1991) and larger
    than the stricter (larger) of the client's own variation (sample SD of up to
    RECENT_CHANGES earlier changes, once there are MIN_CLIENT_CHANGES) and the clinic's
    pooled SD of changes (Gumz et al. 2012, combining Strauss et al. and Stiles et al.
    2004). Beyond MARKED_SD times that variation it is marked. The new score is compared
    with the mean of the last BASELINE_SCORES scores of the segment, with the standard
    error of that mean, once there are more than MIN_CLIENT_CHANGES earlier scores;
    before that with the previous score. bench/bench_flags.py measures both comparisons:
    only the mean meets the targets (BASELINE = "mean").
(4) Repaired: within REPAIR_WINDOW later questionnaires of the segment, a score no
    longer reliably below the pre-drop level (RCI against it > -RCI_CRITICAL).
(5) First dip: after at least CEILING_RUN ceiling scores (within one answer's step of
    the top), the first score that falls by more than one answer's step.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal

RCI_CRITICAL = 1.96
MIN_NORM_CLIENTS = 30
DEFAULT_SD_POMP = 15.0
DEFAULT_RELIABILITY = 0.90
# sqrt(2) * 15 * sqrt(1 - .90) = 6.7: what the default norms predict for the spread of
# changes of a client whose alliance does not move; rounded up.
DEFAULT_CHANGE_SD_POMP = 7.0
MIN_CLIENT_CHANGES = 4
RECENT_CHANGES = 8
MARKED_SD = 2.0
CEILING_RUN = 2
REPAIR_WINDOW = 3
BASELINE_SCORES = 4
MAX_POMP = 100.0
EPS = 1e-6

Baseline = Literal["previous", "mean"]
BASELINE: Baseline = "mean"

RUPTURE = "rupture"
DROPPING = "dropping"
FIRST_DIP = "first_dip"


@dataclass(frozen=True)
class Norms:
    """What a change is measured against, for one form."""

    sd: float  # SD of totals, one questionnaire per client
    reliability: float  # Cronbach's alpha of the total
    clients: int  # clients they were estimated from; 0 for the defaults
    source: str  # "clinic" or "default"
    change_sd: float = DEFAULT_CHANGE_SD_POMP  # pooled within-client SD of changes
    change_clients: int = 0  # clients the change SD was pooled from; 0 = default

    @cached_property
    def s_diff(self) -> float:
        """Standard error of the difference of two scores (Jacobson & Truax 1991)."""
        return math.sqrt(2.0) * self.sd * math.sqrt(max(0.0, 1.0 - self.reliability))

    @property
    def change_source(self) -> str:
        return "clinic" if self.change_clients else "default"


DEFAULT_NORMS = Norms(DEFAULT_SD_POMP, DEFAULT_RELIABILITY, 0, "default")


def norms_from(
    *,
    clients: int,
    sd: float | None,
    alpha: float | None,
    change_sd: float | None = None,
    change_clients: int = 0,
    minimum: int = MIN_NORM_CLIENTS,
) -> Norms:
    """The clinic's own norms where there are enough clients and they make sense; each
    part falls back to its default on its own."""
    own = clients >= minimum and sd is not None and sd > 0 and alpha is not None
    own = own and 0 < alpha < 1  # type: ignore[operator]
    base = (
        Norms(sd=sd, reliability=alpha, clients=clients, source="clinic")  # type: ignore[arg-type]
        if own
        else DEFAULT_NORMS
    )
    if change_clients >= minimum and change_sd is not None and change_sd > 0:
        return Norms(
            base.sd, base.reliability, base.clients, base.source, change_sd, change_clients
        )
    return base


def cronbach_alpha(item_variances: Sequence[float], total_variance: float) -> float | None:
    """Cronbach's alpha from the items' variances and the variance of their sum."""
    k = len(item_variances)
    if k < 2 or total_variance <= 0:
        return None
    return (k / (k - 1)) * (1.0 - sum(item_variances) / total_variance)


def sample_sd(values: Sequence[float]) -> float | None:
    n = len(values)
    if n < 2:
        return None
    # Plain floats: statistics.stdev works in exact fractions, which is slow here.
    mean = sum(values) / n
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))


def pooled_change_sd(series: Iterable[Sequence[float]]) -> tuple[float | None, int]:
    """Pooled within-client SD of session-to-session changes, and how many clients gave
    at least two changes. Each series is one client's scores on one form, in order."""
    squares, df, clients = 0.0, 0, 0
    for values in series:
        changes = [b - a for a, b in itertools.pairwise(values)]
        if len(changes) < 2:
            continue
        mean = sum(changes) / len(changes)
        squares += sum((c - mean) ** 2 for c in changes)
        df += len(changes) - 1
        clients += 1
    return (math.sqrt(squares / df) if df else None), clients


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
    """One questionnaire: total POMP, form, rater; optionally the POMP of one answer one
    step on one item (for the first dip) and the keyed answers (to name dropped items)."""

    pomp: float
    form: str
    rater: str = "client"
    step: float = 0.0
    items: tuple[int | None, ...] = ()


@dataclass(frozen=True)
class PointFlags:
    index: int
    change: ReliableChange | None  # against the previous questionnaire of the segment
    rupture: bool = False
    marked: bool = False  # a rupture beyond MARKED_SD times the variation
    repaired: bool = False
    repaired_at: int | None = None  # index of the questionnaire that repaired it
    dropping: bool = False  # a reliable fall that is not a rupture
    first_dip: bool = False
    new_baseline: bool = False  # first of its segment after a change of form
    details: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def kinds(self) -> tuple[str, ...]:
        """The flag codes raised at this questionnaire."""
        out = []
        if self.rupture:
            out.append(RUPTURE)
        if self.dropping:
            out.append(DROPPING)
        if self.first_dip:
            out.append(FIRST_DIP)
        return tuple(out)


def segments(series: Sequence[Point]) -> list[int]:
    """For each point, the index where its segment (same form, same rater) starts."""
    starts: list[int] = []
    for i, p in enumerate(series):
        prev = series[i - 1] if i else None
        same = prev is not None and prev.form == p.form and prev.rater == p.rater
        starts.append(starts[-1] if same else i)
    return starts


def _baseline(earlier: Sequence[float], baseline: Baseline) -> tuple[float, int]:
    """The level a new score is compared with, and how many scores it averages. The mean
    needs a history long enough to know the client's own variation (the same
    MIN_CLIENT_CHANGES changes); a short series is compared with its previous score."""
    long_enough = len(earlier) > MIN_CLIENT_CHANGES
    k = min(BASELINE_SCORES, len(earlier)) if baseline == "mean" and long_enough else 1
    recent = earlier[-k:]
    return sum(recent) / k, k


def analyse(
    series: Sequence[Point],
    norms: Mapping[str, Norms] | None = None,
    *,
    baseline: Baseline = BASELINE,
) -> list[PointFlags]:
    """Flags for every point of a client's series (oldest first), one per point."""
    norms = norms or {}
    starts = segments(series)
    values = [p.pomp for p in series]
    found: list[dict[str, Any]] = []
    for i, point in enumerate(series):
        s = starts[i]
        # Every rule looks at most RECENT_CHANGES + 1 scores back (the baseline, the
        # client's changes, the ceiling run): a window keeps the work linear.
        earlier = values[max(s, i - RECENT_CHANGES - 1) : i]
        form_norms = norms.get(point.form, DEFAULT_NORMS)
        info: dict[str, Any] = {
            "new_baseline": i > 0 and s == i,
            "norms_source": form_norms.source,
            "norms_clients": form_norms.clients,
            "change_norms_source": form_norms.change_source,
            "change_norms_clients": form_norms.change_clients,
        }
        found.append(info)
        if not earlier:
            continue
        info["change"] = reliable_change(earlier[-1], point.pomp, form_norms)
        level, k = _baseline(earlier, baseline)
        # SE of (new score - mean of k scores) is SEM * sqrt(1 + 1/k); for k = 1 it is
        # S_diff. The variation criterion is put on the same scale.
        factor = math.sqrt((1.0 + 1.0 / k) / 2.0)
        se = form_norms.s_diff * factor
        if se <= 0:
            continue
        drop = level - point.pomp
        rci = -drop / se
        # Only the recent changes count: a long therapy costs no more per questionnaire.
        changes = [b - a for a, b in itertools.pairwise(earlier)]
        own_sd = sample_sd(changes) if len(changes) >= MIN_CLIENT_CHANGES else None
        variation = max(own_sd or 0.0, form_norms.change_sd)
        info.update(
            level=level,
            compared_with=k,
            drop=drop,
            rci=rci,
            se=se,
            reliable_threshold=RCI_CRITICAL * se,
            own_sd=own_sd,
            clinic_change_sd=form_norms.change_sd,
            variation=variation * factor,
            threshold=max(RCI_CRITICAL * se, variation * factor),
        )
        reliable_fall = rci < -RCI_CRITICAL
        info["rupture"] = reliable_fall and drop > variation * factor
        info["marked"] = info["rupture"] and drop > MARKED_SD * variation * factor
        info["dropping"] = reliable_fall and not info["rupture"]
        step = point.step
        if (
            step > 0
            and len(earlier) >= CEILING_RUN
            and all(v >= MAX_POMP - step - EPS for v in earlier[-CEILING_RUN:])
            and earlier[-1] - point.pomp > step + EPS
        ):
            info["first_dip"] = True
            info["dip"] = earlier[-1] - point.pomp
            info["step"] = step
            before = series[i - 1].items
            if before and point.items:
                info["dropped_items"] = tuple(
                    n
                    for n, (a, b) in enumerate(zip(before, point.items, strict=False), start=1)
                    if a is not None and b is not None and b < a
                )
    flags: list[PointFlags] = []
    for i, info in enumerate(found):
        repaired_at = None
        if info.get("rupture"):
            for j in range(i + 1, min(len(series), i + 1 + REPAIR_WINDOW)):
                if starts[j] != starts[i]:
                    break
                if (values[j] - info["level"]) / info["se"] > -RCI_CRITICAL:
                    repaired_at = j
                    break
        details = {k: v for k, v in info.items() if k not in _FLAG_KEYS}
        if repaired_at is not None:
            details["repaired_at"] = repaired_at
        flags.append(
            PointFlags(
                index=i,
                change=info.get("change"),
                rupture=bool(info.get("rupture")),
                marked=bool(info.get("marked")),
                repaired=repaired_at is not None,
                repaired_at=repaired_at,
                dropping=bool(info.get("dropping")),
                first_dip=bool(info.get("first_dip")),
                new_baseline=bool(info["new_baseline"]),
                details=MappingProxyType(details),
            )
        )
    return flags


_FLAG_KEYS = frozenset({"change", "rupture", "marked", "dropping", "first_dip", "new_baseline"})


@dataclass(frozen=True)
class SeriesSummary:
    """What the caseload row needs: the latest questionnaire's change, and each flag
    shown for the client with the index of the questionnaire that raised it."""

    change: ReliableChange | None
    dropping: int | None = None  # a reliable fall at the latest questionnaire
    rupture: int | None = None  # an open rupture (see open_rupture)
    first_dip: int | None = None  # at the latest questionnaire
    flags: tuple[PointFlags, ...] = ()

    def raised(self) -> dict[str, int]:
        """Flag code -> index of the questionnaire that raised it."""
        out = {RUPTURE: self.rupture, DROPPING: self.dropping, FIRST_DIP: self.first_dip}
        return {k: v for k, v in out.items() if v is not None}


def open_rupture(flags: Sequence[PointFlags], starts: Sequence[int]) -> int | None:
    """The rupture still open at the latest questionnaire: raised in the current segment
    at most REPAIR_WINDOW questionnaires ago, not repaired, and the latest score is not
    a reliable rise (a client climbing back is not flagged as in rupture)."""
    if not flags:
        return None
    last = len(flags) - 1
    latest = flags[-1]
    if latest.change is not None and latest.change.direction == "up":
        return None
    for i in range(last, max(starts[last], last - REPAIR_WINDOW) - 1, -1):
        if flags[i].rupture and not flags[i].repaired:
            return i
    return None


def summarise(
    series: Sequence[Point],
    norms: Mapping[str, Norms] | None = None,
    *,
    baseline: Baseline = BASELINE,
) -> SeriesSummary:
    return summary_of(series, analyse(series, norms, baseline=baseline))


def summary_of(series: Sequence[Point], flags: Sequence[PointFlags]) -> SeriesSummary:
    """The caseload's view of flags already worked out by analyse() for `series`."""
    if not flags:
        return SeriesSummary(None)
    last = flags[-1]
    rupture = open_rupture(flags, segments(series))
    return SeriesSummary(
        change=last.change,
        dropping=last.index if last.dropping and rupture is None else None,
        rupture=rupture,
        first_dip=last.index if last.first_dip else None,
        flags=tuple(flags),
    )
