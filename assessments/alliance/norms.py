"""The clinic's own norms per form, re-estimated nightly (`refresh_alliance`)."""

from __future__ import annotations

import statistics
from collections import defaultdict

from django.utils import timezone

from assessments.alliance.low import refresh_low_cutoffs
from assessments.alliance.rules import MIN_NORM_CLIENTS, cronbach_alpha, pooled_change_sd

from ..models import Answer, FormNorms, Rater, Response

# The pooled SD of changes reads at most this many recent questionnaires per client.
CHANGE_SAMPLE = 12


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
    # The "lowest 10 %" choice for low rests on the same one-questionnaire-per-client idea.
    refresh_low_cutoffs(clinic_id=clinic_id)
    return out
