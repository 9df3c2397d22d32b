"""score(): examples worked out by hand, every missing-data boundary, and invalid input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assessments.scoring.registry import Registry
from assessments.scoring.sheet import ScoreResult, ScoringError, SubscaleScore, score

WAI_SR_ALL = {n: None for n in range(1, 13)}  # start from nothing answered
# Answers for WAI-SR items 1..12 (scale 1-5, no reverse items).
WAI_SR_EXAMPLE = dict(enumerate([5, 4, 3, 2, 1, 5, 4, 3, 2, 1, 5, 4], start=1))
# WAI-S client (scale 1-7): everything 6, except the reverse-keyed goal items 4 and 10.
WAI_S_EXAMPLE = {n: 6 for n in range(1, 13)} | {4: 2, 10: 1}


def figures(part: SubscaleScore) -> tuple:
    return (part.sum, part.mean, part.pomp, part.answered, part.items)


# --- worked examples ---------------------------------------------------------------------------
def test_it_scores_a_complete_wai_sr_sheet() -> None:
    result = score("wai-sr-client", WAI_SR_EXAMPLE)
    # goal = items 4, 6, 8, 11 = 2 + 5 + 3 + 5 = 15; pomp = 100 (3.75 - 1) / 4
    assert figures(result.goal) == (15, 3.75, 68.75, 4, 4)
    # task = items 1, 2, 10, 12 = 5 + 4 + 1 + 4 = 14
    assert figures(result.task) == (14, 3.5, 62.5, 4, 4)
    # bond = items 3, 5, 7, 9 = 3 + 1 + 4 + 2 = 10
    assert figures(result.bond) == (10, 2.5, 37.5, 4, 4)
    assert figures(result.total) == (39, 3.25, 56.25, 12, 12)
    assert result.complete is True
    assert result.prorated is False
    assert result.form == "wai-sr-client"


def test_it_reverses_the_reverse_keyed_items() -> None:
    result = score("wai-s-client", WAI_S_EXAMPLE)
    # goal: 4R (2 -> 6) + 6 + 10R (1 -> 7) + 6 = 25
    assert figures(result.goal) == (25, 6.25, 87.5, 4, 4)
    assert figures(result.task) == (24, 6, pytest.approx(500 / 6), 4, 4)
    assert figures(result.bond) == (24, 6, pytest.approx(500 / 6), 4, 4)
    # total 73 of 12 items; pomp = 100 (73 - 12) / (6 * 12)
    assert figures(result.total) == (73, pytest.approx(73 / 12), pytest.approx(6100 / 72), 12, 12)


def test_it_reverses_every_reverse_keyed_item_of_the_wai_36() -> None:
    # All answers 7: each reverse item counts 1. Goal has 6 of 12 reversed, task 5, bond 3.
    result = score("wai-36-client", {n: 7 for n in range(1, 37)})
    assert result.goal.sum == 6 * 1 + 6 * 7
    assert result.task.sum == 5 * 1 + 7 * 7
    assert result.bond.sum == 3 * 1 + 9 * 7
    assert result.total.sum == 48 + 54 + 66
    assert result.goal.pomp == 50


def test_a_form_object_can_be_scored_directly() -> None:
    form = Registry.load().get("wai-sr-client")
    assert score(form, WAI_SR_EXAMPLE) == score("wai-sr-client", WAI_SR_EXAMPLE)


def test_numpy_integers_are_answers() -> None:
    answers = {np.int64(n): np.int8(v) for n, v in WAI_SR_EXAMPLE.items()}
    assert score("wai-sr-client", answers) == score("wai-sr-client", WAI_SR_EXAMPLE)


# --- missing answers -------------------------------------------------------------------------
def test_one_missing_item_of_four_is_prorated() -> None:
    answers = WAI_S_EXAMPLE | {6: None}
    result = score("wai-s-client", answers)
    # goal answered: 4R (-> 6), 10R (-> 7), 11 (6) = 19 over 3 items
    assert result.goal.answered == 3
    assert result.goal.mean == 19 / 3
    assert result.goal.sum == 19 * 4 / 3
    assert result.goal.pomp == (19 - 3) * 100 / (6 * 3)
    assert result.total.sum == 19 * 4 / 3 + 24 + 24
    assert result.total.answered == 11
    assert result.complete is False
    assert result.prorated is True


def test_a_left_out_item_counts_as_missing() -> None:
    answers = {n: v for n, v in WAI_S_EXAMPLE.items() if n != 6}
    assert score("wai-s-client", answers) == score("wai-s-client", WAI_S_EXAMPLE | {6: None})


def test_two_missing_items_of_four_leave_the_subscale_and_total_unscored() -> None:
    result = score("wai-sr-client", WAI_SR_EXAMPLE | {4: None, 6: None})
    assert figures(result.goal) == (None, None, None, 2, 4)
    assert figures(result.total) == (None, None, None, 10, 12)
    assert result.task.sum == 14  # the other subscales are still scored
    assert result.complete is False
    assert result.prorated is False


def test_three_missing_items_of_twelve_are_prorated() -> None:
    answers = {n: 4 for n in range(1, 37)} | {3: None, 6: None, 9: None}  # goal items
    result = score("wai-36-client", answers)
    assert result.goal.answered == 9
    assert result.goal.mean == 4
    assert result.goal.sum == 48
    assert result.prorated is True


def test_four_missing_items_of_twelve_leave_the_subscale_unscored() -> None:
    answers = {n: 4 for n in range(1, 37)} | {3: None, 6: None, 9: None, 10: None}
    result = score("wai-36-client", answers)
    assert figures(result.goal) == (None, None, None, 8, 12)
    assert result.total.sum is None
    assert result.task.sum == 48
    assert result.prorated is False


def test_the_missing_rule_applies_to_each_subscale_separately() -> None:
    # One missing in each four-item subscale: 3 missing in all, all scored.
    answers = WAI_SR_EXAMPLE | {4: None, 1: None, 3: None}
    result = score("wai-sr-client", answers)
    assert all(part.sum is not None for part in (result.goal, result.task, result.bond))
    assert result.total.answered == 9
    assert result.prorated is True


def test_an_empty_sheet_scores_nothing() -> None:
    for answers in ({}, WAI_SR_ALL):
        result = score("wai-sr-client", answers)
        for part in (result.goal, result.task, result.bond, result.total):
            assert (part.sum, part.mean, part.pomp, part.answered) == (None, None, None, 0)
        assert (result.complete, result.prorated) == (False, False)


def test_the_result_is_frozen() -> None:
    result = score("wai-sr-client", WAI_SR_EXAMPLE)
    with pytest.raises(AttributeError):
        result.complete = False  # type: ignore[misc]


def test_to_dict_gives_the_json_shape_with_null_where_unscored() -> None:
    result = score("wai-sr-client", WAI_SR_EXAMPLE | {4: None, 6: None})
    data = json.loads(json.dumps(result.to_dict()))
    assert list(data) == ["form", "complete", "prorated", "goal", "task", "bond", "total"]
    assert data["goal"] == {"sum": None, "mean": None, "pomp": None, "answered": 2, "items": 4}
    assert data["task"] == {"sum": 14, "mean": 3.5, "pomp": 62.5, "answered": 4, "items": 4}
    assert data["total"]["sum"] is None
    assert isinstance(result, ScoreResult)


# --- invalid input -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("form", "answers", "message"),
    [
        ("wai-99", {}, "unknown form 'wai-99' (known forms: wai-36-client"),
        (None, {}, "unknown form None"),
        ("wai-sr-client", {13: 3}, "wai-sr-client has no item 13 (its items are 1–12)"),
        ("wai-sr-client", {0: 3}, "wai-sr-client has no item 0"),
        ("wai-sr-client", {"3": 3}, "item numbers must be whole numbers, not '3'"),
        ("wai-sr-client", {True: 3}, "item numbers must be whole numbers, not True"),
        ("wai-sr-client", {4: 9}, "item 4: 9 is outside 1–5"),
        ("wai-sr-client", {4: 0}, "item 4: 0 is outside 1–5"),
        ("wai-36-client", {36: 8}, "item 36: 8 is outside 1–7"),
        ("wai-sr-client", {4: 3.5}, "item 4: 3.5 is not a whole number"),
        ("wai-sr-client", {4: "3"}, "item 4: '3' is not a whole number"),
        ("wai-sr-client", {4: True}, "item 4: True is not a whole number"),
        ("wai-sr-client", {4: np.bool_(False)}, "item 4: False is not a whole number"),
        ("wai-sr-client", {4: float("nan")}, "item 4: nan is not a whole number"),
        ("wai-sr-client", {4: 3.0}, "item 4: 3.0 is a float; give answers as whole numbers (int)"),
        ("wai-sr-client", [3, 4], "answers must map item numbers to answers"),
    ],
)
def test_it_rejects_invalid_input_with_a_readable_message(
    form: str, answers: object, message: str
) -> None:
    with pytest.raises(ScoringError) as caught:
        score(form, answers)  # type: ignore[arg-type]
    assert message in str(caught.value)


def test_it_rejects_an_answer_above_the_scale() -> None:
    with pytest.raises(ScoringError, match=r"^item 2: 6 is outside 1–5$"):
        score("wai-sr-client", {1: 5, 2: 6})


def test_it_lists_every_problem_in_one_message() -> None:
    with pytest.raises(ScoringError) as caught:
        score("wai-sr-client", {7: 0, 2: 9, 20: 1})
    assert str(caught.value) == (
        "wai-sr-client has no item 20 (its items are 1–12); "
        "item 2: 9 is outside 1–5; item 7: 0 is outside 1–5"
    )


def test_a_scoring_error_is_a_value_error() -> None:
    assert issubclass(ScoringError, ValueError)
