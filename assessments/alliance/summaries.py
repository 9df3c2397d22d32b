"""Each client's alliance over time: the series, the clinic's norms, and the summary row
that dashboards read. Recomputed on every write that changes a client's scores."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from assessments.alliance.discussions import attention_values, discussions_by_patient
from assessments.alliance.low import refresh_low_cutoffs
from assessments.alliance.rules import Norms, Point, analyse, cronbach_alpha, norms_from, summarise
from assessments.scoring.registry import get_registry

from ..models import (
    AllianceSummary,
    Answer,
    FormNorms,
    Patient,
    Rater,
    Response,
    occasion_label,
)

TREND_POINTS = 10
# The rules look at most this far back: enough for a client's own variation, and a
# bound on the work per client however long the therapy.
HISTORY_POINTS = 30
NORM_SAMPLE = 2000


def gap_threshold() -> float:
    return float(getattr(settings, "ALLIANCE_GAP_POMP", 20))


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


def clinic_norms(clinic_id: int) -> dict[str, Norms]:
    return {
        n.form_code: norms_from(n=n.n, sd=n.sd_pomp, alpha=n.alpha)
        for n in FormNorms.objects.filter(clinic_id=clinic_id)
    }


def rule_points(points: list[SeriesPoint]) -> list[Point]:
    return [Point(p.total_pomp, p.form_code) for p in points if p.total_pomp is not None]


def _summary_values(
    client: list[SeriesPoint],
    therapist: list[SeriesPoint],
    norms: dict[str, Norms],
    discussions: dict[int, int] | None = None,
) -> dict[str, object]:
    scored = [p for p in client if p.total_pomp is not None]
    values: dict[str, object] = {"questionnaires": len(client)}
    if not scored:
        return values
    latest = scored[-1]
    summary = summarise(rule_points(scored), norms)
    values.update(
        attention_values(
            [(p.administration_id, p.session_date) for p in scored],
            analyse(rule_points(scored), norms),
            discussions or {},
        )
    )
    values.update(
        latest_id=latest.response_id,
        form_code=latest.form_code,
        session_date=latest.session_date,
        occasion_label=latest.occasion_label,
        completed_at=latest.submitted_at,
        total_mean=latest.total_mean,
        total_pomp=latest.total_pomp,
        goal_pomp=latest.goal_pomp,
        task_pomp=latest.task_pomp,
        bond_pomp=latest.bond_pomp,
        change=summary.change.delta if summary.change else None,
        change_rci=summary.change.rci if summary.change else None,
        change_reliable=bool(summary.change and summary.change.reliable),
        trend=[round(p.total_pomp, 1) for p in scored[-TREND_POINTS:]],
        dropping=summary.dropping,
        rupture=summary.rupture,
        first_dip=summary.first_dip,
    )
    own = [p for p in therapist if p.total_pomp is not None]
    if own:
        mine = own[-1]
        values["therapist_pomp"] = mine.total_pomp
        # A gap only between forms built to pair item by item (same items, same key):
        # between other forms the two totals are shown side by side, not compared.
        registry = get_registry()
        same = [
            p
            for p in scored
            if p.occasion_key == mine.occasion_key
            and registry.are_paired(p.form_code, mine.form_code)
        ]
        values["gap"] = mine.total_pomp - same[-1].total_pomp if same else None
    return values


_RESET = {
    "latest_id": None,
    "form_code": "",
    "session_date": None,
    "occasion_label": "",
    "completed_at": None,
    "total_mean": None,
    "total_pomp": None,
    "goal_pomp": None,
    "task_pomp": None,
    "bond_pomp": None,
    "change": None,
    "change_rci": None,
    "change_reliable": False,
    "trend": [],
    "dropping": False,
    "rupture": False,
    "first_dip": False,
    "therapist_pomp": None,
    "gap": None,
    "questionnaires": 0,
    "flag_administration_id": None,
    "flag_raised_on": None,
    "discussion_id": None,
    "discussed_latest": False,
}


def refresh_alliance(*, patient_ids: Iterable[int]) -> int:
    """Recompute the summary rows of these clients (idempotent; safe to run any time)."""
    ids = list(patient_ids)
    if not ids:
        return 0
    clinics = dict(Patient.objects.filter(pk__in=ids).values_list("pk", "clinic_id"))
    series = series_for(ids)
    norms_by_clinic = {cid: clinic_norms(cid) for cid in set(clinics.values())}
    discussions = discussions_by_patient(ids)
    now = timezone.now()
    existing = {s.patient_id: s for s in AllianceSummary.objects.filter(patient_id__in=ids)}
    to_create, to_update = [], []
    for pid in ids:
        by_rater = series.get(pid, {})
        values = {
            **_RESET,
            **_summary_values(
                by_rater.get(Rater.CLIENT, []),
                by_rater.get(Rater.THERAPIST, []),
                norms_by_clinic[clinics[pid]],
                discussions.get(pid, {}),
            ),
            "updated_at": now,
        }
        row = existing.get(pid) or AllianceSummary(patient_id=pid, clinic_id=clinics[pid])
        for key, value in values.items():
            setattr(row, key, value)
        (to_update if row.pk else to_create).append(row)
    fields = [*_RESET, "updated_at"]
    with transaction.atomic():
        AllianceSummary.objects.bulk_create(to_create, batch_size=1000)
        if len(to_update) == 1:
            # The common case (one client after a submission): a plain UPDATE is several
            # times cheaper to build than bulk_update's CASE expressions.
            to_update[0].save(update_fields=fields)
        elif to_update:
            AllianceSummary.objects.bulk_update(to_update, fields, batch_size=1000)
    return len(ids)


def refresh_norms(*, clinic_id: int) -> list[FormNorms]:
    """Estimate each form's SD (of total POMP) and Cronbach's alpha from the clinic's
    most recent complete client questionnaires; see alliance.rules for when they count."""
    out = []
    forms = (
        Response.objects.filter(
            is_current=True,
            complete=True,
            administration__clinic_id=clinic_id,
            administration__rater=Rater.CLIENT,
        )
        .values_list("administration__form_code", flat=True)
        .distinct()
    )
    for form_code in sorted(set(forms)):
        sample = list(
            Response.objects.filter(
                is_current=True,
                complete=True,
                administration__clinic_id=clinic_id,
                administration__rater=Rater.CLIENT,
                administration__form_code=form_code,
            )
            .order_by("-submitted_at")
            .values_list("id", "total_pomp", "total_sum")[:NORM_SAMPLE]
        )
        sd = statistics.pstdev([p for _, p, _ in sample]) if len(sample) >= 2 else None
        totals = [t for _, _, t in sample]
        items: dict[int, list[int]] = defaultdict(list)
        for item, value in Answer.objects.filter(
            response_id__in=[i for i, _, _ in sample]
        ).values_list("item", "value"):
            if value is not None:
                items[item].append(value)
        alpha = None
        if len(totals) >= 2 and all(len(v) >= 2 for v in items.values()):
            alpha = cronbach_alpha(
                [statistics.pvariance(v) for v in items.values()], statistics.pvariance(totals)
            )
        row, _ = FormNorms.objects.update_or_create(
            clinic_id=clinic_id,
            form_code=form_code,
            defaults={
                "n": len(sample),
                "sd_pomp": sd,
                "alpha": alpha,
                "computed_at": timezone.now(),
            },
        )
        out.append(row)
    # The "lowest 10 %" choice for low rests on the same one-questionnaire-per-client idea.
    refresh_low_cutoffs(clinic_id=clinic_id)
    return out


def client_chart_series(patient: Patient) -> tuple[dict[str, list[SeriesPoint]], list]:
    """A client's whole history for the chart, with the rule flags of each client point."""
    by_rater = series_for([patient.pk], last=None).get(patient.pk, {})
    client = [p for p in by_rater.get(Rater.CLIENT, []) if p.total_pomp is not None]
    flags = analyse(rule_points(client), clinic_norms(patient.clinic_id))
    return by_rater, list(zip(client, flags, strict=True))
