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

from assessments.alliance.rules import (
    DEFAULT_NORMS,
    MIN_NORM_CLIENTS,
    Norms,
    Point,
    PointFlags,
    analyse,
    cronbach_alpha,
    norms_from,
    pooled_change_sd,
    summary_of,
)
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
# The summary, the chart, exports and the API analyse the whole history, so that they
# show the same flags for the same questionnaire (HISTORY_POINTS = None). The rules
# themselves only look a few questionnaires back; the work per client stays linear.
HISTORY_POINTS: int | None = None
# The pooled SD of changes reads at most this many recent questionnaires per client.
CHANGE_SAMPLE = 12


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
        n.form_code: norms_from(
            clients=n.n,
            sd=n.sd_pomp,
            alpha=n.alpha,
            change_sd=n.change_sd_pomp,
            change_clients=n.change_clients,
        )
        for n in FormNorms.objects.filter(clinic_id=clinic_id)
    }


def answer_step(form_code: str) -> float:
    """POMP points of one answer one step on one item of this form (0 if unknown)."""
    registry = get_registry()
    if form_code not in registry:
        return 0.0
    form = registry.get(form_code)
    span = (form.scale.max - form.scale.min) * form.item_count
    return 100.0 / span if span else 0.0


def rule_points(points: list[SeriesPoint]) -> list[Point]:
    steps: dict[str, float] = {}
    out = []
    for p in points:
        if p.total_pomp is None:
            continue
        if p.form_code not in steps:
            steps[p.form_code] = answer_step(p.form_code)
        out.append(Point(p.total_pomp, p.form_code, p.rater, steps[p.form_code]))
    return out


def keyed_answers(response_ids: list[int], forms: dict[int, str]) -> dict[int, tuple]:
    """Keyed answers (reverse items turned round) of a few responses, to name the items
    that dropped at a first dip: one query, run only when a first dip was found."""
    registry = get_registry()
    out: dict[int, list[int | None]] = {}
    for rid in response_ids:
        code = forms[rid]
        out[rid] = [None] * (registry.get(code).item_count if code in registry else 0)
    for rid, item, value in Answer.objects.filter(response_id__in=response_ids).values_list(
        "response_id", "item", "value"
    ):
        code = forms[rid]
        if value is None or code not in registry or not 1 <= item <= len(out[rid]):
            continue
        form = registry.get(code)
        flip = form.scale.min + form.scale.max
        out[rid][item - 1] = flip - value if form.item(item).reverse else value
    return {rid: tuple(v) for rid, v in out.items()}


def flag_numbers(flags: PointFlags, point: SeriesPoint) -> dict[str, object]:
    """The numbers behind a point's flags, as stored on the summary (JSON-safe), with
    the questionnaire (response) that raised them."""
    return {"response_id": point.response_id, "kinds": list(flags.kinds()), **flag_details(flags)}


def flag_details(flags: PointFlags) -> dict[str, object]:
    """The numbers behind a point's flags, as shown in tooltips and the API (JSON-safe)."""
    d = flags.details
    out: dict[str, object] = {}
    for key in (
        "drop",
        "rci",
        "threshold",
        "reliable_threshold",
        "variation",
        "own_sd",
        "clinic_change_sd",
        "compared_with",
        "level",
        "norms_source",
        "norms_clients",
        "change_norms_clients",
        "dip",
        "step",
    ):
        value = d.get(key)
        if value is not None:
            out[key] = round(value, 2) if isinstance(value, float) else value
    if "dropped_items" in d:
        out["dropped_items"] = list(d["dropped_items"])
    if flags.rupture:
        out["marked"] = flags.marked
        out["repaired"] = flags.repaired
    return out


def analyse_points(
    points: list[SeriesPoint], norms: dict[str, Norms], *, name_items: Iterable[int] = ()
) -> list[PointFlags]:
    """The one analysis every page, export and API reads: the rules on a client's scored
    questionnaires (one rater, oldest first), naming dropped items at `name_items`."""
    flags = analyse(rule_points(points), norms)
    dips = [i for i in name_items if 0 < i < len(flags) and flags[i].first_dip]
    if not dips:
        return flags
    needed = sorted({points[j].response_id for i in dips for j in (i - 1, i)})
    items = keyed_answers(needed, {p.response_id: p.form_code for p in points})
    with_items = [
        Point(r.pomp, r.form, r.rater, r.step, items.get(p.response_id, ()))
        for r, p in zip(rule_points(points), points, strict=True)
    ]
    return analyse(with_items, norms)


def _summary_values(
    client: list[SeriesPoint], therapist: list[SeriesPoint], norms: dict[str, Norms]
) -> dict[str, object]:
    scored = [p for p in client if p.total_pomp is not None]
    values: dict[str, object] = {"questionnaires": len(client)}
    if not scored:
        return values
    latest = scored[-1]
    flags = analyse_points(scored, norms, name_items=[len(scored) - 1])
    summary = summary_of(rule_points(scored), flags)
    latest_norms = norms.get(latest.form_code, DEFAULT_NORMS)
    details = {
        code: flag_numbers(flags[index], scored[index]) for code, index in summary.raised().items()
    }
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
    "flag_details": {},
    "norms_clients": 0,
    "therapist_pomp": None,
    "gap": None,
    "questionnaires": 0,
}


def refresh_alliance(*, patient_ids: Iterable[int]) -> int:
    """Recompute the summary rows of these clients (idempotent; safe to run any time)."""
    ids = list(patient_ids)
    if not ids:
        return 0
    clinics = dict(Patient.objects.filter(pk__in=ids).values_list("pk", "clinic_id"))
    series = series_for(ids, last=None)
    norms_by_clinic = {cid: clinic_norms(cid) for cid in set(clinics.values())}
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
    """Estimate each form's norms from the clinic's client questionnaires: SD of totals
    and Cronbach's alpha from one complete questionnaire per client (their latest), and
    the pooled within-client SD of session-to-session changes (each client's last
    CHANGE_SAMPLE scores, consecutive questionnaires of the same form only). Whether
    they count (MIN_NORM_CLIENTS clients) is decided in alliance.rules."""
    rows = (
        Response.objects.filter(
            is_current=True,
            administration__clinic_id=clinic_id,
            administration__rater=Rater.CLIENT,
            total_pomp__isnull=False,
        )
        .order_by("administration__patient_id", "administration__session_date", "submitted_at")
        .values_list(
            "id",
            "administration__patient_id",
            "administration__form_code",
            "total_pomp",
            "total_sum",
            "complete",
        )
    )
    latest: dict[str, dict[int, tuple[int, float, float]]] = defaultdict(dict)
    runs: dict[str, list[list[float]]] = defaultdict(list)
    last_key: tuple[int, str] | None = None
    for rid, pid, form_code, pomp, total, complete in rows.iterator(chunk_size=5000):
        if complete:
            latest[form_code][pid] = (rid, pomp, total)  # ordered: the last one wins
        # A change of form (or of client) starts a new run: changes stay within one form.
        if (pid, form_code) != last_key:
            runs[form_code].append([])
            last_key = (pid, form_code)
        runs[form_code][-1].append(pomp)
    out = []
    for form_code in sorted(set(latest) | set(runs)):
        sample = list(latest.get(form_code, {}).values())
        pomps = [p for _, p, _ in sample]
        totals = [t for _, _, t in sample]
        sd = statistics.stdev(pomps) if len(pomps) >= 2 else None
        items: dict[int, list[int]] = defaultdict(list)
        if len(sample) >= MIN_NORM_CLIENTS:
            for item, value in Answer.objects.filter(
                response_id__in=[i for i, _, _ in sample]
            ).values_list("item", "value"):
                if value is not None:
                    items[item].append(value)
        alpha = None
        if len(totals) >= 2 and items and all(len(v) >= 2 for v in items.values()):
            alpha = cronbach_alpha(
                [statistics.variance(v) for v in items.values()], statistics.variance(totals)
            )
        change_sd, change_clients = pooled_change_sd(
            run[-CHANGE_SAMPLE:] for run in runs.get(form_code, [])
        )
        row, _ = FormNorms.objects.update_or_create(
            clinic_id=clinic_id,
            form_code=form_code,
            defaults={
                "n": len(sample),
                "sd_pomp": sd,
                "alpha": alpha,
                "change_sd_pomp": change_sd,
                "change_clients": change_clients,
                "computed_at": timezone.now(),
            },
        )
        out.append(row)
    return out


def client_chart_series(patient: Patient) -> tuple[dict[str, list[SeriesPoint]], list]:
    """A client's whole history for the chart, with the rule flags of each client point
    (the same analysis as the caseload summary), and dropped items named at first dips."""
    by_rater = series_for([patient.pk], last=None).get(patient.pk, {})
    client = [p for p in by_rater.get(Rater.CLIENT, []) if p.total_pomp is not None]
    norms = clinic_norms(patient.clinic_id)
    probe = analyse(rule_points(client), norms)
    flags = analyse_points(client, norms, name_items=[f.index for f in probe if f.first_dip])
    return by_rater, list(zip(client, flags, strict=True))


def flags_for_responses(patient_ids: Iterable[int]) -> dict[int, PointFlags]:
    """Each current scored client-rated response's flags, keyed by response id, for
    exports and the API: the same analysis as the chart and the caseload. A fixed number
    of queries: the series, the clinics' norms, and the answers at first dips."""
    ids = list(patient_ids)
    if not ids:
        return {}
    clinics = dict(Patient.objects.filter(pk__in=ids).values_list("pk", "clinic_id"))
    norms_by_clinic: dict[int, dict[str, Norms]] = {cid: {} for cid in set(clinics.values())}
    for n in FormNorms.objects.filter(clinic_id__in=list(norms_by_clinic)):
        norms_by_clinic[n.clinic_id][n.form_code] = norms_from(
            clients=n.n,
            sd=n.sd_pomp,
            alpha=n.alpha,
            change_sd=n.change_sd_pomp,
            change_clients=n.change_clients,
        )
    analysed = []
    needed: set[int] = set()
    for pid, by_rater in series_for(ids, last=None).items():
        client = [p for p in by_rater.get(Rater.CLIENT, []) if p.total_pomp is not None]
        norms = norms_by_clinic.get(clinics.get(pid, 0), {})
        flags = analyse(rule_points(client), norms)
        dips = [f.index for f in flags if f.first_dip and f.index > 0]
        needed.update(client[j].response_id for i in dips for j in (i - 1, i))
        analysed.append((client, norms, flags, bool(dips)))
    items = keyed_answers(sorted(needed), _forms_of(analysed)) if needed else {}
    out: dict[int, PointFlags] = {}
    for client, norms, flags, has_dips in analysed:
        if has_dips:
            flags = analyse(
                [
                    Point(r.pomp, r.form, r.rater, r.step, items.get(p.response_id, ()))
                    for r, p in zip(rule_points(client), client, strict=True)
                ],
                norms,
            )
        for point, f in zip(client, flags, strict=True):
            out[point.response_id] = f
    return out


def _forms_of(analysed: list) -> dict[int, str]:
    return {p.response_id: p.form_code for client, *_ in analysed for p in client}
