"""Each client's alliance summary row, which the dashboards read: recomputed on every
write that changes a client's scores, from the same analysis as the chart
(alliance.analysis), so that caseload and chart show the same flags."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction
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

from ..models import AllianceSummary, Clinic, FormNorms, Patient, Rater

# Other modules import these from here.
__all__ = [
    "HISTORY_POINTS",
    "SeriesPoint",
    "client_chart_series",
    "clinic_norms",
    "flag_details",
    "flags_for_responses",
    "gap_threshold",
    "refresh_all",
    "refresh_alliance",
    "refresh_clinic",
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


def refresh_alliance(
    *, patient_ids: Iterable[int], clinic_of: Mapping[int, int] | None = None
) -> int:
    """Recompute the summary rows of these clients (idempotent; safe to run any time).

    Safe against itself and against submissions running at the same moment: missing
    rows are inserted with ON CONFLICT DO NOTHING (two runs meeting a new client never
    collide), then every row is locked (in patient order, so two runs cannot deadlock)
    *before* the responses are read. A submission refreshes its client the same way in
    its own transaction, so whichever locks second reads the other's committed answers
    and a newer summary is never overwritten with an older one.

    `clinic_of` (patient id -> clinic id), when the caller has the clients' rows at
    hand (a submission), saves reading them again.
    """
    ids = sorted(set(patient_ids))
    if not ids:
        return 0
    if clinic_of is not None and all(pid in clinic_of for pid in ids):
        clinics = {pid: clinic_of[pid] for pid in ids}
    else:
        clinics = dict(Patient.objects.filter(pk__in=ids).values_list("pk", "clinic_id"))
        ids = [pid for pid in ids if pid in clinics]
    norms_by_clinic = {cid: clinic_norms(cid) for cid in set(clinics.values())}
    fields = [*_RESET, "updated_at"]
    # No savepoint inside a submission's transaction: the locks are what matters here.
    with transaction.atomic(savepoint=False):
        existing = _locked_rows(ids, clinics)
        series = series_for(ids, last=None)
        discussions = discussions_by_patient(ids)
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
                    discussions.get(pid, {}),
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
    # Only the keys: every other field is overwritten, so nothing else is read (the
    # JSON of the flags and trend is not decoded for nothing).
    rows = {
        s.patient_id: s
        for s in AllianceSummary.objects.select_for_update()
        .filter(patient_id__in=ids)
        .only("pk", "patient_id")
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
                .only("pk", "patient_id")
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
            f"{n.form_code} clients={n.n} sd={n.sd_pomp or 0:.1f} "
            f"alpha={n.alpha or 0:.2f} change_sd={n.change_sd_pomp or 0:.1f}"
            for n in norms
        )
        lines.append(f"{slug}: {count} clients; norms: {described or 'none'}")
    return lines
