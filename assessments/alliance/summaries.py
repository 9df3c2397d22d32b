"""Each client's alliance over time: the series, the clinic's norms, and the summary row
that dashboards read. Recomputed on every write that changes a client's scores."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from assessments.alliance.rules import Norms, Point, analyse, cronbach_alpha, norms_from, summarise

from ..models import (
    AllianceSummary,
    Answer,
    Clinic,
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
    client: list[SeriesPoint], therapist: list[SeriesPoint], norms: dict[str, Norms]
) -> dict[str, object]:
    scored = [p for p in client if p.total_pomp is not None]
    values: dict[str, object] = {"questionnaires": len(client)}
    if not scored:
        return values
    latest = scored[-1]
    summary = summarise(rule_points(scored), norms)
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
        same = [p for p in scored if p.occasion_key == mine.occasion_key]
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
}


def refresh_alliance(*, patient_ids: Iterable[int]) -> int:
    """Recompute the summary rows of these clients (idempotent; safe to run any time).

    Safe against itself and against submissions running at the same moment: missing
    rows are inserted with ON CONFLICT DO NOTHING (two runs meeting a new client never
    collide), then every row is locked (in patient order, so two runs cannot deadlock)
    *before* the responses are read. A submission refreshes its client the same way in
    its own transaction, so whichever locks second reads the other's committed answers
    and a newer summary is never overwritten with an older one.
    """
    ids = sorted(set(patient_ids))
    if not ids:
        return 0
    clinics = dict(Patient.objects.filter(pk__in=ids).values_list("pk", "clinic_id"))
    ids = [pid for pid in ids if pid in clinics]
    norms_by_clinic = {cid: clinic_norms(cid) for cid in set(clinics.values())}
    fields = [*_RESET, "updated_at"]
    # No savepoint inside a submission's transaction: the locks are what matters here.
    with transaction.atomic(savepoint=False):
        existing = _locked_rows(ids, clinics)
        series = series_for(ids)
        now = timezone.now()
        rows = []
        for pid in ids:
            by_rater = series.get(pid, {})
            values = {
                **_RESET,
                **_summary_values(
                    by_rater.get(Rater.CLIENT, []),
                    by_rater.get(Rater.THERAPIST, []),
                    norms_by_clinic[clinics[pid]],
                ),
                "updated_at": now,
            }
            row = existing[pid]
            for key, value in values.items():
                setattr(row, key, value)
            rows.append(row)
        if len(rows) == 1:
            # The common case (one client after a submission): a plain UPDATE is several
            # times cheaper to build than bulk_update's CASE expressions.
            rows[0].save(update_fields=fields)
        else:
            AllianceSummary.objects.bulk_update(rows, fields, batch_size=1000)
    return len(ids)


def _locked_rows(ids: list[int], clinics: dict[int, int]) -> dict[int, AllianceSummary]:
    """Each client's summary row, made if missing, locked until the transaction ends."""
    rows = {
        s.patient_id: s
        for s in AllianceSummary.objects.select_for_update()
        .filter(patient_id__in=ids)
        .order_by("patient_id")
    }
    missing = [pid for pid in ids if pid not in rows]
    if missing:
        AllianceSummary.objects.bulk_create(
            [AllianceSummary(patient_id=pid, clinic_id=clinics[pid]) for pid in missing],
            batch_size=1000,
            ignore_conflicts=True,
        )
        rows.update(
            {
                s.patient_id: s
                for s in AllianceSummary.objects.select_for_update()
                .filter(patient_id__in=missing)
                .order_by("patient_id")
            }
        )
    return rows


# Two nightly refreshes of one clinic wait for each other (advisory lock, PostgreSQL):
# the norms' update_or_create is not safe to race, and the second run's work would be
# wasted. The key's first half names this lock among the app's advisory locks.
_ADVISORY_NAMESPACE = 0x41_6C_6C  # "All"


@contextmanager
def clinic_refresh_lock(clinic_id: int) -> Iterator[None]:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)", [_ADVISORY_NAMESPACE, clinic_id]
                )
        yield


def refresh_clinic(clinic_id: int, *, batch: int = 2000) -> tuple[int, list[FormNorms]]:
    """The nightly work for one clinic: its norms, then every client's summary."""
    with clinic_refresh_lock(clinic_id):
        norms = refresh_norms(clinic_id=clinic_id)
    ids = list(
        Patient.objects.filter(clinic_id=clinic_id).order_by("pk").values_list("pk", flat=True)
    )
    for start in range(0, len(ids), batch):
        # One transaction per batch, so submissions wait on at most one batch's locks.
        with clinic_refresh_lock(clinic_id):
            refresh_alliance(patient_ids=ids[start : start + batch])
    return len(ids), norms


def refresh_all() -> list[str]:
    """Every clinic's nightly refresh; one line per clinic for the log."""
    lines = []
    for clinic_id, slug in Clinic.objects.order_by("pk").values_list("pk", "slug"):
        count, norms = refresh_clinic(clinic_id)
        described = ", ".join(
            f"{n.form_code} n={n.n} sd={n.sd_pomp or 0:.1f} alpha={n.alpha or 0:.2f}" for n in norms
        )
        lines.append(f"{slug}: {count} clients; norms: {described or 'none'}")
    return lines


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
    return out


def client_chart_series(patient: Patient) -> tuple[dict[str, list[SeriesPoint]], list]:
    """A client's whole history for the chart, with the rule flags of each client point."""
    by_rater = series_for([patient.pk], last=None).get(patient.pk, {})
    client = [p for p in by_rater.get(Rater.CLIENT, []) if p.total_pomp is not None]
    flags = analyse(rule_points(client), clinic_norms(patient.clinic_id))
    return by_rater, list(zip(client, flags, strict=True))
