"""Small display helpers for scores."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django import template
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def num(value: float | None, places: int = 1) -> str:
    """A score for display; an unscored value shows as a dash, never as 0."""
    if value is None:
        return "—"
    # In the page's language: 3.50 in English, 3,50 in German and Spanish.
    return number_format(value, decimal_pos=int(places))


@register.filter
def score_parts(response: Any) -> list[tuple[str, SimpleNamespace]]:
    parts = []
    for key, label in (
        ("goal", _("Goal")),
        ("task", _("Task")),
        ("bond", _("Bond")),
        ("total", _("Total")),
    ):
        parts.append(
            (
                label,
                SimpleNamespace(
                    sum=getattr(response, f"{key}_sum"),
                    mean=getattr(response, f"{key}_mean"),
                    pomp=getattr(response, f"{key}_pomp"),
                ),
            )
        )
    return parts


@register.filter
def form_title(registry: Any, code: str) -> str:
    """The short title of a form code; the bare code if the form is no longer loaded."""
    return registry.get(code).short_title if code in registry else code


@register.filter
def form_scale(registry: Any, code: str) -> str:
    """A form's answer scale as "1–5", so a mean is never read on another form's scale;
    empty if the form is no longer loaded."""
    if code not in registry:
        return ""
    scale = registry.get(code).scale
    return f"{scale.min}–{scale.max}"


@register.filter
def spark(values: list[float] | None) -> str:
    from assessments.alliance.charts import sparkline

    return sparkline(values or [])


@register.filter
def signed(value: float | None, places: int = 0) -> str:
    """A change with its sign and an arrow, so direction is not told by colour alone."""
    if value is None:
        return "—"
    rounded = round(value, int(places))
    if rounded > 0:
        return f"▲ +{number_format(rounded, decimal_pos=int(places))}"
    if rounded < 0:
        return f"▼ −{number_format(abs(rounded), decimal_pos=int(places))}"
    return "0"


@register.simple_tag(takes_context=True)
def query_with(context: Any, **changes: Any) -> str:
    """The current query string with some parameters changed (for sort and filter links)."""
    params = context["request"].GET.copy()
    params.pop("page", None)  # a new sort or filter starts on page 1
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + params.urlencode()


@register.filter
def days_ago(day: Any) -> int:
    """Whole days from a date to today (0 for today or the future)."""
    if day is None:
        return 0
    return max(0, (timezone.localdate() - day).days)


@register.filter
def norms_used(clients: int | None) -> str:
    """Which norms a change was measured with ("estimated from 214 clients of this
    clinic" / "default until 30 clients have answered")."""
    from assessments.alliance.wording import norms_text

    return norms_text(int(clients or 0))


@register.filter
def flag_words(flags: Any) -> list[tuple[str, str, str]]:
    """A chart point's flags as (code, prompt, numbers), for the table and markers."""
    from assessments.alliance.wording import numbers, prompts

    said = prompts()
    details = dict(getattr(flags, "details", {}) or {})
    if getattr(flags, "rupture", False):
        details = {**details, "marked": flags.marked, "repaired": flags.repaired}
    return [
        (
            code,
            said["repaired" if code == "rupture" and flags.repaired else code],
            numbers(code, details),
        )
        for code in flags.kinds()
    ]
