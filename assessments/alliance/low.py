"""What counts as "low": always the clinic's own choice, since no published cut-off exists.

Two choices (Console → Settings): totals below a fixed POMP threshold, or the lowest
10 % of this clinic's clients on the same form. The percentile comes from one
questionnaire per client (each client's latest complete one of that form), like the
norms for reliable change, and is used for a form only once MIN_CLIENTS distinct clients
have answered it; until then the fixed threshold applies and the page says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from clinicians.models import Clinic

from ..models import FormNorms, Rater, Response

MIN_CLIENTS = 30
LOWEST_SHARE = 0.10
THRESHOLD = "threshold"
LOWEST_DECILE = "lowest_decile"


def lowest_decile_cutoff(values: Sequence[float]) -> float | None:
    """The 10th percentile of one total per client (None for fewer than two values).

    A total at or below it is among the lowest tenth of the clinic's clients.
    """
    if len(values) < 2:
        return None
    # An observed total, not an interpolated one: interpolation between two nearly equal
    # floats can round up to the upper one and put more than a tenth at or below it.
    ordered = sorted(values)
    return ordered[math.floor(LOWEST_SHARE * (len(ordered) - 1))]


@dataclass(frozen=True)
class LowRule:
    """How one clinic judges "low", form by form."""

    threshold: float  # the fixed POMP threshold (also the fallback)
    mode: str = THRESHOLD
    cutoffs: dict[str, tuple[float, int]] = field(default_factory=dict)  # form → (cut, n)

    def is_low(self, form_code: str, pomp: float | None) -> bool:
        if pomp is None:
            return False
        if self.mode == LOWEST_DECILE and form_code in self.cutoffs:
            return pomp <= self.cutoffs[form_code][0]
        return pomp < self.threshold

    def q(self, prefix: str = "alliance__") -> Q:
        """The same rule as a database filter on AllianceSummary fields."""
        fixed = Q(**{f"{prefix}total_pomp__lt": self.threshold})
        if self.mode != LOWEST_DECILE or not self.cutoffs:
            return fixed
        out = fixed & ~Q(**{f"{prefix}form_code__in": list(self.cutoffs)})
        for form_code, (cut, _n) in self.cutoffs.items():
            out |= Q(**{f"{prefix}form_code": form_code, f"{prefix}total_pomp__lte": cut})
        return out

    def describe(self) -> list[str]:
        """What is in force, in words, for the caseload, chart and settings pages."""
        fixed = _(
            "“Low” means a total below %(t)s POMP, a threshold this clinic chose: "
            "no published cut-off exists for the WAI."
        ) % {"t": f"{self.threshold:g}"}
        if self.mode != LOWEST_DECILE:
            return [fixed]
        lines = [
            _(
                # xgettext:no-python-format
                "This clinic chose “low” to mean the lowest 10 % of its own clients on "
                "the same form (one questionnaire per client), not a published cut-off."
            )
        ]
        for form_code, (cut, n) in sorted(self.cutoffs.items()):
            lines.append(
                _("%(form)s: at or below %(cut)s POMP (from %(n)s clients).")
                % {"form": form_code, "cut": f"{cut:.0f}", "n": n}
            )
        lines.append(
            _(
                "Forms answered by fewer than %(min)s clients use the threshold of %(t)s "
                "POMP until then."
            )
            % {"min": MIN_CLIENTS, "t": f"{self.threshold:g}"}
        )
        return lines


def low_rule_for(clinic: Clinic) -> LowRule:
    """The clinic's rule; reads the stored cutoffs (one query) only when they are used."""
    threshold = float(clinic.low_pomp_threshold)
    if clinic.low_rule != LOWEST_DECILE:
        return LowRule(threshold)
    cutoffs = {
        n.form_code: (n.low_cutoff_pomp, n.low_cutoff_clients)
        for n in FormNorms.objects.filter(
            clinic=clinic, low_cutoff_clients__gte=MIN_CLIENTS, low_cutoff_pomp__isnull=False
        )
    }
    return LowRule(threshold, LOWEST_DECILE, cutoffs)


def refresh_low_cutoffs(*, clinic_id: int) -> dict[str, tuple[float | None, int]]:
    """Store each form's 10th percentile of its clients' latest complete totals."""
    latest = (
        Response.objects.filter(
            is_current=True,
            complete=True,
            total_pomp__isnull=False,
            administration__clinic_id=clinic_id,
            administration__rater=Rater.CLIENT,
        )
        .annotate(
            nth=Window(
                RowNumber(),
                partition_by=[F("administration__patient_id"), F("administration__form_code")],
                order_by=[F("administration__session_date").desc(), F("submitted_at").desc()],
            )
        )
        .filter(nth=1)
        .values_list("administration__form_code", "total_pomp")
    )
    by_form: dict[str, list[float]] = {}
    for form_code, pomp in latest:
        by_form.setdefault(form_code, []).append(pomp)
    out: dict[str, tuple[float | None, int]] = {}
    for form_code, values in by_form.items():
        cut = lowest_decile_cutoff(values)
        FormNorms.objects.update_or_create(
            clinic_id=clinic_id,
            form_code=form_code,
            create_defaults={
                "n": 0,
                "low_cutoff_pomp": cut,
                "low_cutoff_clients": len(values),
                "computed_at": timezone.now(),
            },
            defaults={"low_cutoff_pomp": cut, "low_cutoff_clients": len(values)},
        )
        out[form_code] = (cut, len(values))
    return out
