"""Each client's alliance summary row, which the dashboards read: recomputed on every
write that changes a client's scores, from the same analysis as the chart
(alliance.analysis), so that caseload and chart show the same flags."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from assessments.alliance.analysis import (
    analyse_points,
    client_chart_series,
    clinic_norms,
    flag_details,
    flag_numbers,
    flags_for_responses,
    rule_points,
)
from assessments.alliance.discussions import (
    attention_values,
    discussions_by_patient,
    open_since,
)
from assessments.alliance.norms import refresh_norms
from assessments.alliance.rules import DEFAULT_NORMS, Norms, summary_of
from assessments.alliance.series import HISTORY_POINTS, SeriesPoint, series_for
from assessments.scoring.registry import get_registry

from ..models import AllianceSummary, Patient, Rater

# Other modules import these from here.
__all__ = [
    "HISTORY_POINTS",
    "SeriesPoint",
    "client_chart_series",
    "clinic_norms",
    "flag_details",
    "flags_for_responses",
    "gap_threshold",
    "refresh_alliance",
    "refresh_norms",
    "series_for",
]

TREND_POINTS = 10


def gap_threshold() -> float:
    return float(getattr(settings, "ALLIANCE_GAP_POMP", 20))


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
    flags = analyse_points(scored, norms, name_items=[len(scored) - 1])
    summary = summary_of(rule_points(scored), flags)
    latest_norms = norms.get(latest.form_code, DEFAULT_NORMS)
    raised = summary.raised()
    since = {code: open_since(flags, code, index) for code, index in raised.items()}
    details = {
        code: {
            **flag_numbers(flags[index], scored[index]),
            "since_response_id": scored[since[code]].response_id,
        }
        for code, index in raised.items()
    }
    # Discussions cover the flags shown now, from the questionnaires where they were
    # first raised (flag_details' since_response_id).
    values.update(
        attention_values(
            [(p.administration_id, p.session_date) for p in scored],
            since.values(),
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
        dropping=summary.dropping is not None,
        rupture=summary.rupture is not None,
        first_dip=summary.first_dip is not None,
        flag_details=details,
        norms_clients=latest_norms.clients,
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
    "flag_details": {},
    "norms_clients": 0,
    "therapist_pomp": None,
    "gap": None,
    "questionnaires": 0,
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
    series = series_for(ids, last=None)
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
