"""Small display helpers for scores."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def num(value: float | None, places: int = 1) -> str:
    """A score for display; an unscored value shows as a dash, never as 0."""
    if value is None:
        return "—"
    return f"{value:.{int(places)}f}"


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
