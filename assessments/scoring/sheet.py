"""Scoring the Working Alliance Inventory: plain values in, frozen dataclasses out.

Pure Python on purpose (no Django, no pandas): the web app, the command line and the
tests share this one implementation of the scoring rule. `score_frame()`, the vectorised
twin for pandas DataFrames, lives in `assessments.scoring.frame`, which imports this module
(never the reverse, so scalar scoring never pays for importing pandas).

The rule (see docs/scoring.md and the reference):

* an answer is an integer in [scale min, scale max]; anything else is rejected;
* keyed value: v, or min + max - v for a reverse-keyed item;
* a subscale with n items and a answered is scored when n - a <= floor(n / 4); then
  mean = average keyed value, sum = mean * n (prorated), pomp = 100 (mean - min) / (max - min);
* the total is scored only when all three subscales are: sum = the three sums,
  mean = sum / N, pomp from that mean.

Figures are full-precision floats; nothing is rounded here (display rounds). Each one is
computed with as few roundings as possible - sum = s * n / a rather than (s / a) * n - so
that a complete answer sheet gives exact integer sums, exact 0 and 100 at the ends, and
the vectorised twin gives bit-identical results.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assessments.scoring.definitions import SUBSCALES, Form, Scale
from assessments.scoring.registry import get_registry

if TYPE_CHECKING:
    pass

# The vectorised result's columns, in order (also the CSV output's score columns).
FIGURE_COLUMNS: tuple[str, ...] = tuple(
    f"{part}_{figure}" for part in (*SUBSCALES, "total") for figure in ("sum", "mean", "pomp")
)
SCORE_COLUMNS: tuple[str, ...] = (*FIGURE_COLUMNS, "answered", "complete", "error")


class ScoringError(ValueError):
    """Input that cannot be scored; the message is meant for a person."""


@dataclass(frozen=True)
class SubscaleScore:
    sum: float | None
    mean: float | None
    pomp: float | None
    answered: int
    items: int

    @property
    def scored(self) -> bool:
        return self.mean is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "sum": self.sum,
            "mean": self.mean,
            "pomp": self.pomp,
            "answered": self.answered,
            "items": self.items,
        }


@dataclass(frozen=True)
class ScoreResult:
    form: str
    goal: SubscaleScore
    task: SubscaleScore
    bond: SubscaleScore
    total: SubscaleScore
    complete: bool
    prorated: bool

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `manage.py score`: None (null) where unscored."""
        return {
            "form": self.form,
            "complete": self.complete,
            "prorated": self.prorated,
            "goal": self.goal.to_dict(),
            "task": self.task.to_dict(),
            "bond": self.bond.to_dict(),
            "total": self.total.to_dict(),
        }


def resolve_form(form: str | Form) -> Form:
    """A Form object as given, or the default registry's form of that code."""
    if isinstance(form, Form):
        return form
    registry = get_registry()
    if isinstance(form, str) and form in registry:
        return registry.get(form)
    known = ", ".join(sorted(registry.codes()))
    raise ScoringError(f"unknown form {form!r} (known forms: {known})")


def min_answered(items: int) -> int:
    """Fewest answered items for a subscale of `items` items to be scored."""
    return items - items // 4


# --- answers and their messages ----------------------------------------------------------
# The wording is shared with the vectorised path so that both report a bad answer alike.
def show_value(value: object) -> str:
    """A value as a person would recognise it in a message."""
    # numpy's bool_ and str_ are matched by name: this module does not import numpy.
    if isinstance(value, bool) or type(value).__name__ in ("bool", "bool_"):
        return str(bool(value))
    if isinstance(value, str):
        return repr(str(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        number = float(value)
        if number.is_integer() and abs(number) < 1e15:
            return str(int(number))
        return repr(number)
    return repr(value)


def out_of_range(number: int, value: int, scale: Scale) -> str:
    return f"item {number}: {show_value(value)} is outside {scale.min}–{scale.max}"


def not_whole(number: int, value: object) -> str:
    return f"item {number}: {show_value(value)} is not a whole number"


def _answer_problem(number: int, value: object, scale: Scale) -> str | None:
    # bool is an int subclass, but True is not an answer on a frequency scale.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer():
            return f"item {number}: {value!r} is a float; give answers as whole numbers (int)"
        return not_whole(number, value)
    if not scale.min <= int(value) <= scale.max:
        return out_of_range(number, int(value), scale)
    return None


def validated_answers(form: Form, answers: Mapping[int, int | None]) -> list[int | None]:
    """The answers as a list by item (None = missing), or ScoringError naming every problem."""
    if not isinstance(answers, Mapping):
        raise ScoringError("answers must map item numbers to answers")
    count = form.item_count
    lo, hi = form.scale.min, form.scale.max
    values: list[int | None] = [None] * count
    key_problems: list[str] = []
    value_problems: list[tuple[int, str]] = []
    for key, value in answers.items():
        # Plain ints take the first branch; the isinstance checks (slow for ABCs) only
        # run for everything else. This loop is most of score()'s time.
        if type(key) is not int:
            if isinstance(key, bool) or not isinstance(key, numbers.Integral):
                key_problems.append(f"item numbers must be whole numbers, not {key!r}")
                continue
            key = int(key)
        if not 1 <= key <= count:
            key_problems.append(f"{form.code} has no item {key} (its items are 1–{count})")
        elif value is None:
            continue
        elif type(value) is int and lo <= value <= hi:
            values[key - 1] = value
        elif problem := _answer_problem(key, value, form.scale):
            value_problems.append((key, problem))
        else:
            values[key - 1] = int(value)  # an int subclass such as numpy.int64
    if key_problems or value_problems:
        ordered = [problem for _, problem in sorted(value_problems)]
        raise ScoringError("; ".join(key_problems + ordered))
    return values


# --- the rule ----------------------------------------------------------------------------
def subscale_score(keyed_sum: int, answered: int, items: int, scale: Scale) -> SubscaleScore:
    """Figures for one subscale from the sum of its answered keyed values."""
    if answered < min_answered(items):
        return SubscaleScore(None, None, None, answered, items)
    span = scale.max - scale.min
    return SubscaleScore(
        sum=keyed_sum * items / answered,
        mean=keyed_sum / answered,
        pomp=(keyed_sum - scale.min * answered) * 100 / (span * answered),
        answered=answered,
        items=items,
    )


def total_score(parts: list[SubscaleScore], scale: Scale) -> SubscaleScore:
    items = sum(p.items for p in parts)
    answered = sum(p.answered for p in parts)
    if any(p.sum is None for p in parts):
        return SubscaleScore(None, None, None, answered, items)
    total = 0.0
    for part in parts:  # goal, task, bond, in that order, as the vectorised path adds them
        assert part.sum is not None
        total += part.sum
    span = scale.max - scale.min
    return SubscaleScore(
        sum=total,
        mean=total / items,
        pomp=(total - scale.min * items) * 100 / (span * items),
        answered=answered,
        items=items,
    )


def score(form: str | Form, answers: Mapping[int, int | None]) -> ScoreResult:
    """Score one answer sheet: `answers` maps item number to an int, or None if missing.

    Items left out of `answers` count as missing. Raises ScoringError for an unknown
    form, an unknown item, or an answer that is not a whole number on the form's scale.
    """
    definition = resolve_form(form)
    values = validated_answers(definition, answers)
    scale = definition.scale
    flip = scale.min + scale.max
    parts: list[SubscaleScore] = []
    for name in SUBSCALES:
        keyed_sum = answered = 0
        items = definition.subscale_items[name]
        for item in items:
            value = values[item.number - 1]
            if value is not None:
                keyed_sum += flip - value if item.reverse else value
                answered += 1
        parts.append(subscale_score(keyed_sum, answered, len(items), scale))
    total = total_score(parts, scale)
    complete = total.answered == total.items
    return ScoreResult(
        form=definition.code,
        goal=parts[0],
        task=parts[1],
        bond=parts[2],
        total=total,
        complete=complete,
        prorated=not complete and total.sum is not None,
    )
