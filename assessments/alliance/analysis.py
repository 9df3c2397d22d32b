"""The one analysis of a client's alliance that every page, export and API reads:
alliance.rules on the stored questionnaires, with the clinic's norms."""

from __future__ import annotations

from collections.abc import Iterable

from assessments.alliance.rules import (
    Norms,
    Point,
    PointFlags,
    analyse,
    norms_from,
)
from assessments.alliance.series import SeriesPoint, series_for
from assessments.scoring.registry import get_registry

from ..models import Answer, FormNorms, Patient, Rater


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
