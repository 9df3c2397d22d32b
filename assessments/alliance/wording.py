"""The words shown with a flag: a prompt (never a verdict) and the numbers behind it.

One place for the caseload, the clinic overview, the client's chart and its table, so
that the same flag reads the same everywhere. `details` is what
`summaries.flag_numbers()` stores (and `rules.PointFlags.details` holds).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assessments.alliance.rules import MIN_NORM_CLIENTS


def prompts() -> dict[str, str]:
    return {
        "rupture": _(
            "Worth asking about the relationship: a sharper fall than this client's "
            "usual ups and downs."
        ),
        "dropping": _("Worth checking in: a fall larger than measurement error."),
        "first_dip": _("Worth a question: the first fall after top scores."),
        "repaired": _(
            "The score came back after a sharper fall: worth noticing together what helped."
        ),
    }


def norms_text(clients: int) -> str:
    """Which norms a change was measured with."""
    if clients:
        return ngettext(
            "norms estimated from %(n)s client of this clinic",
            "norms estimated from %(n)s clients of this clinic",
            clients,
        ) % {"n": clients}
    return _("default norms until %(n)s clients have answered this form") % {"n": MIN_NORM_CLIENTS}


def _num(value: Any, digits: int = 1) -> str:
    return f"{float(value):.{digits}f}".replace("-", "\u2212")


def numbers(code: str, details: Mapping[str, Any]) -> str:
    """The figures behind one flag, in a sentence or two."""
    if not details:
        return ""
    parts: list[str] = []
    if code in ("rupture", "dropping") and "drop" in details:
        k = int(details.get("compared_with", 1))
        against = (
            _("the previous score") if k == 1 else _("the mean of the last %(k)s scores") % {"k": k}
        )
        parts.append(
            _("%(drop)s POMP below %(against)s (RCI %(rci)s; reliable beyond %(rel)s).")
            % {
                "drop": _num(details["drop"]),
                "against": against,
                "rci": _num(details["rci"], 2),
                "rel": _num(details.get("reliable_threshold", 0)),
            }
        )
        variation = details.get("variation")
        if variation is not None:
            clinic = _("the clinic's") if details.get("change_norms_clients") else _("the default")
            if details.get("own_sd") is not None:
                source = _("the larger of this client's own and %(clinic)s") % {"clinic": clinic}
            else:
                source = clinic
            parts.append(
                _("Usual variation (%(source)s): %(var)s POMP.")
                % {"source": source, "var": _num(variation)}
            )
        if code == "rupture" and details.get("marked"):
            parts.append(_("More than twice the usual variation."))
        if code == "rupture" and details.get("repaired"):
            parts.append(_("Repaired: a later score came back within measurement error."))
    if code == "first_dip" and "dip" in details:
        parts.append(
            _("%(dip)s POMP lower; one answer one step lower is %(step)s.")
            % {"dip": _num(details["dip"]), "step": _num(details.get("step", 0))}
        )
        items = details.get("dropped_items")
        if items:
            parts.append(
                ngettext("Item %(items)s was lower.", "Items %(items)s were lower.", len(items))
                % {"items": ", ".join(str(i) for i in items)}
            )
    if "norms_clients" in details:
        parts.append(norms_text(int(details["norms_clients"])).capitalize() + ".")
    return " ".join(parts)
