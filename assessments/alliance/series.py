"""A client's scored questionnaires as plain points, read in one query."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from ..models import Response, occasion_label

# The summary, the chart, exports and the API analyse the whole history, so that they
# show the same flags for the same questionnaire (HISTORY_POINTS = None). The rules
# themselves only look a few questionnaires back; the work per client stays linear.
HISTORY_POINTS: int | None = None


@dataclass(frozen=True)
class SeriesPoint:
    response_id: int
    administration_id: int
    patient_id: int
    rater: str
    form_code: str
    session_date: date
    occasion: str
    session_number: int | None
    occasion_note: str
    submitted_at: datetime
    goal_mean: float | None
    task_mean: float | None
    bond_mean: float | None
    total_mean: float | None
    goal_pomp: float | None
    task_pomp: float | None
    bond_pomp: float | None
    total_pomp: float | None
    entered_by_id: int | None
    channel: str

    @property
    def occasion_label(self) -> str:
        return occasion_label(self.occasion, self.session_number, self.occasion_note)

    @property
    def occasion_key(self) -> tuple[str, int | None, date]:
        return (self.occasion, self.session_number, self.session_date)


_FIELDS = {
    "response_id": F("id"),
    "administration_id_": F("administration_id"),
    "patient_id": F("administration__patient_id"),
    "rater": F("administration__rater"),
    "form_code": F("administration__form_code"),
    "session_date": F("administration__session_date"),
    "occasion": F("administration__occasion"),
    "session_number": F("administration__session_number"),
    "occasion_note": F("administration__occasion_note"),
}
_OWN = (
    "submitted_at",
    "goal_mean",
    "task_mean",
    "bond_mean",
    "total_mean",
    "goal_pomp",
    "task_pomp",
    "bond_pomp",
    "total_pomp",
    "entered_by_id",
    "channel",
)


def series_for(
    patient_ids: Iterable[int], *, last: int | None = HISTORY_POINTS
) -> dict[int, dict[str, list[SeriesPoint]]]:
    """Every client's scored questionnaires by rater, oldest first, in one query."""
    qs = Response.objects.filter(
        is_current=True, administration__patient_id__in=list(patient_ids)
    ).annotate(**_FIELDS)
    if last is not None:
        qs = qs.annotate(
            recent=Window(
                RowNumber(),
                partition_by=[F("administration__patient_id"), F("administration__rater")],
                order_by=[F("administration__session_date").desc(), F("submitted_at").desc()],
            )
        ).filter(recent__lte=last)
    rows = qs.values(*_FIELDS, *_OWN)
    out: dict[int, dict[str, list[SeriesPoint]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        row["administration_id"] = row.pop("administration_id_")
        point = SeriesPoint(**row)
        out[point.patient_id][point.rater].append(point)
    for by_rater in out.values():
        for points in by_rater.values():
            points.sort(key=lambda p: (p.session_date, p.submitted_at))
    return out
