"""Acting on flags: a therapist or the clinic admin marks a client's flags "discussed".

The record is tied to the client questionnaire that carried the flags when they were
marked. A discussion covers every flag raised at or before that questionnaire, so the
client leaves the caseload's attention list until a LATER questionnaire raises a new
flag. Where each rule flag shown now was raised comes from the rules themselves
(`SeriesSummary.raised()`, stored per flag in the summary's `flag_details` with the
questionnaire where its unbroken run began, `since_response_id`); "low" and
"different views" describe the latest questionnaire, so only a discussion marked on the
latest one covers them. The chart's history names each questionnaire's flags with
`PointFlags.kinds()`.

What the caseload needs is stored on the client's summary row (`attention_values`), so
its page costs the same number of queries whatever the history.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from assessments.alliance.rules import PointFlags

from ..models import FlagDiscussion

# Flags a questionnaire raises (and a discussion can cover). "Overdue" is about a
# missing questionnaire: only a new questionnaire answers it.
RULE_FLAGS = ("rupture", "dropping", "first_dip")
LATEST_FLAGS = ("low", "gap")
QUESTIONNAIRE_FLAGS = (*RULE_FLAGS, *LATEST_FLAGS)


def open_since(flags: Sequence[PointFlags], code: str, index: int) -> int:
    """Where the flag `code` shown at questionnaire `index` began: the first of the
    unbroken run of questionnaires of the same form that raised the same code up to it.

    Rupture and dropping compare a score with the mean of recent scores, so a client who
    stays down raises the same flag again at the next questionnaire: that is the flag
    still open, not a new one. A discussion marked during the run covers it, and the
    overview counts its open days from the run's first questionnaire.
    """
    start = index
    while start > 0 and not flags[start].new_baseline and code in flags[start - 1].kinds():
        start -= 1
    return start


def attention_values(
    points: Sequence[tuple[int, date]],
    raised: Iterable[int],
    discussions: dict[int, int],
) -> dict[str, object]:
    """The summary fields for one client's series (oldest first).

    `points` are (administration id, session date) of the scored client questionnaires,
    `raised` the indices of the questionnaires where the rule flags shown now were first
    raised (`open_since` of `SeriesSummary.raised()`; stored per flag in `flag_details`
    as `since_response_id`),
    `discussions` administration id → discussion id of the client's discussions.
    """
    raised = max(raised, default=None)
    marked = [i for i, (admin_id, _at) in enumerate(points) if admin_id in discussions]
    covering = max((i for i in marked if raised is None or i >= raised), default=None)
    return {
        "flag_raised_on": points[raised][1] if raised is not None else None,
        "discussion_id": discussions[points[covering][0]] if covering is not None else None,
        "discussed_latest": covering is not None and covering == len(points) - 1,
    }


def discussions_by_patient(patient_ids: Sequence[int]) -> dict[int, dict[int, int]]:
    """patient id → {administration id: discussion id}, in one query."""
    out: dict[int, dict[int, int]] = {}
    for pk, patient_id, administration_id in FlagDiscussion.objects.filter(
        patient_id__in=list(patient_ids)
    ).values_list("pk", "patient_id", "administration_id"):
        out.setdefault(patient_id, {})[administration_id] = pk
    return out


def is_discussed(codes: Sequence[str], *, discussion_id: int | None, latest: bool) -> bool:
    """Whether every questionnaire flag in `codes` is covered by a discussion."""
    open_codes = [c for c in codes if c in QUESTIONNAIRE_FLAGS]
    if not open_codes:
        return False
    return all(
        (code in RULE_FLAGS and discussion_id is not None) or (code in LATEST_FLAGS and latest)
        for code in open_codes
    )


def covering_discussions(
    points: Sequence[tuple[int, Sequence[str]]],
    discussions: dict[int, FlagDiscussion],
    flags: Sequence[PointFlags] | None = None,
) -> list[FlagDiscussion | None]:
    """For the chart's history: for each questionnaire (administration id, flag codes),
    the discussion that covered its flags, or None when it raised no flag or none was
    marked since. A discussion covers them when marked at or after the questionnaire
    where each of its rule flags began (`open_since`, given the rules' `flags` for the
    same points) and at or after the questionnaire itself for the others (low): the same
    rule as the caseload's."""
    out: list[FlagDiscussion | None] = []
    for i, (_admin_id, codes) in enumerate(points):
        if not codes:
            out.append(None)
            continue
        begins = [
            open_since(flags, c, i) if flags is not None and c in RULE_FLAGS else i for c in codes
        ]
        later = (discussions.get(a) for a, _c in points[max(begins) :])
        out.append(next((d for d in later if d is not None), None))
    return out
