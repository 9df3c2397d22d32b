"""The chart page's history: each client questionnaire with its flags, the discussion
that covered them, the therapist's rating of the same session (and whether the two
forms pair), and the client's current flags for the "mark as discussed" form."""

from __future__ import annotations

from dataclasses import dataclass

from assessments.alliance.dashboards import CaseloadRow, rows_for
from assessments.alliance.discussions import covering_discussions
from assessments.alliance.low import LowRule, low_rule_for
from assessments.alliance.rules import PointFlags
from assessments.alliance.summaries import SeriesPoint, client_chart_series
from assessments.scoring.registry import get_registry
from clinicians.models import Clinic, Patient

from ..models import FlagDiscussion, Rater


@dataclass(frozen=True)
class HistoryRow:
    point: SeriesPoint
    flags: PointFlags
    codes: tuple[str, ...]  # flags raised at this questionnaire, "low" included
    discussion: FlagDiscussion | None  # the one that covered them
    own: SeriesPoint | None  # the therapist's rating of the same session
    paired: bool  # `own` is on the form built to pair with the client's

    @property
    def gap(self) -> float | None:
        """Therapist minus client, only between forms built to pair."""
        if not self.paired or self.own is None or self.own.total_pomp is None:
            return None
        return self.own.total_pomp - (self.point.total_pomp or 0.0)

    @property
    def marked_here(self) -> bool:
        return self.discussion is not None and (
            self.discussion.administration_id == self.point.administration_id
        )


@dataclass(frozen=True)
class ClientHistory:
    by_rater: dict[str, list[SeriesPoint]]
    client_points: list[tuple[SeriesPoint, PointFlags]]
    therapist_points: list[SeriesPoint]
    rows: list[HistoryRow]  # newest first
    # The client's flags now, as the caseload shows them (None when not asked for: the
    # client page reads them itself, outside its cached part).
    current: CaseloadRow | None
    low: LowRule
    unpaired: bool  # a therapist rating exists but none is on a paired form


def client_history(
    patient: Patient, clinic: Clinic, *, low: LowRule | None = None, with_current: bool = True
) -> ClientHistory:
    """`clinic` is the patient's (the viewer's own, already loaded for the page); `low`
    its rule when the caller has it already (a query when the clinic uses its lowest
    tenth)."""
    low = low or low_rule_for(clinic)
    by_rater, client_points = client_chart_series(patient)
    therapist_points = [p for p in by_rater.get(Rater.THERAPIST, []) if p.total_pomp is not None]
    discussions = {
        d.administration_id: d
        for d in FlagDiscussion.objects.filter(patient=patient).select_related("discussed_by")
    }
    codes = [
        tuple(f.kinds()) + (("low",) if low.is_low(p.form_code, p.total_pomp) else ())
        for p, f in client_points
    ]
    covered = covering_discussions(
        [(p.administration_id, c) for (p, _f), c in zip(client_points, codes, strict=True)],
        discussions,
        [f for _p, f in client_points],
    )
    registry = get_registry()
    own_by_occasion = {p.occasion_key: p for p in therapist_points}
    rows = []
    for (p, f), c, d in zip(client_points, codes, covered, strict=True):
        own = own_by_occasion.get(p.occasion_key)
        paired = own is not None and registry.are_paired(p.form_code, own.form_code)
        rows.append(HistoryRow(p, f, c, d, own, paired))
    rows.reverse()
    current = None
    if with_current:
        current = rows_for(Patient.objects.filter(pk=patient.pk), clinic, low)[0]
    return ClientHistory(
        by_rater=by_rater,
        client_points=client_points,
        therapist_points=therapist_points,
        rows=rows,
        current=current,
        low=low,
        unpaired=any(r.own is not None and not r.paired for r in rows),
    )
