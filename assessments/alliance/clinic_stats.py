"""The clinic overview's table by therapist: caseload, questionnaires sent and completed
in a period, and the spread of their clients' latest totals.

Three queries whatever the clinic's size: the therapists, one grouped row per
therapist for the caseload (count, median and quartiles computed by PostgreSQL's
`percentile_cont`), and the kept sent/completed counts summed over the period's days
(`counts.keep.totals`: at most therapists × days rows, not every questionnaire).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Count, FloatField, QuerySet

from clinicians.models import Clinic, Patient, Role, User

from .counts import keep as sent_counts


@dataclass
class TherapistStats:
    therapist: User
    active_clients: int = 0
    sent: int = 0
    completed: int = 0
    # The latest totals of the active clients who have one: how many, and their median
    # and quartiles (None when there are none).
    scored: int = 0
    median: float | None = None
    quartiles: tuple[float, float] | None = None

    @property
    def completion_rate(self) -> float | None:
        return 100.0 * self.completed / self.sent if self.sent else None

    @property
    def spread(self) -> tuple[float, float] | None:
        """The middle half (first to third quartile) of the latest totals."""
        return self.quartiles if self.scored >= 2 else None


class Percentile(Aggregate):
    """PostgreSQL's continuous percentile (linear interpolation between the two nearest
    values: the same as `statistics.quantiles(method="inclusive")`); NULLs ignored."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: str, fraction: float, **extra: Any) -> None:
        # A number of ours, never input: interpolated as a literal.
        super().__init__(expression, fraction=float(fraction), **extra)


def _caseload_in_sql(active: QuerySet[Patient]) -> dict[int, tuple[int, int, tuple]]:
    rows = (
        active.values("assignments__therapist_id")
        .annotate(
            clients=Count("pk"),
            scored=Count("alliance__total_pomp"),
            q1=Percentile("alliance__total_pomp", 0.25),
            median=Percentile("alliance__total_pomp", 0.5),
            q3=Percentile("alliance__total_pomp", 0.75),
        )
        .values_list("assignments__therapist_id", "clients", "scored", "q1", "median", "q3")
    )
    return {t: (n, scored, (q1, median, q3)) for t, n, scored, q1, median, q3 in rows}


def _caseload_in_python(active: QuerySet[Patient]) -> dict[int, tuple[int, int, tuple]]:
    """The same figures where the database has no percentile_cont (SQLite)."""
    clients: dict[int, int] = defaultdict(int)
    pomps: dict[int, list[float]] = defaultdict(list)
    rows = active.values_list("assignments__therapist_id", "alliance__total_pomp")
    for therapist_id, pomp in rows:
        clients[therapist_id] += 1
        if pomp is not None:
            pomps[therapist_id].append(pomp)
    out = {}
    for therapist_id, n in clients.items():
        values = pomps[therapist_id]
        if len(values) >= 2:
            q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
        elif values:
            q1 = median = q3 = values[0]
        else:
            q1 = median = q3 = None
        out[therapist_id] = (n, len(values), (q1, median, q3))
    return out


def therapist_stats(
    clinic: Clinic, active: QuerySet[Patient], start: date, end: date
) -> list[TherapistStats]:
    """One row per active therapist of the clinic, by name. `active`: the clients the
    viewer may see who are active (the caseload columns count only those)."""
    therapists = list(
        User.objects.filter(clinic=clinic, role=Role.THERAPIST, is_active=True).order_by(
            "display_name", "email"
        )
    )
    if not therapists:
        return []
    current = active.filter(assignments__ended_at__isnull=True)
    caseloads = (
        _caseload_in_sql(current)
        if connection.vendor == "postgresql"
        else _caseload_in_python(current)
    )
    sent = sent_counts.totals(clinic, start, end)
    stats = []
    for therapist in therapists:
        clients, scored, (q1, median, q3) = caseloads.get(therapist.pk, (0, 0, (None,) * 3))
        sent_n, done_n = sent.get(therapist.pk, (0, 0))
        stats.append(
            TherapistStats(
                therapist,
                active_clients=clients,
                sent=sent_n,
                completed=done_n,
                scored=scored,
                median=median,
                quartiles=(q1, q3) if q1 is not None and q3 is not None else None,
            )
        )
    return stats
