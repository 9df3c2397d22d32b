"""Properties of the scoring rule that must hold for every form and every answer sheet."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.scoring.definitions import Form
from assessments.scoring.frame import score_frame
from assessments.scoring.registry import Registry
from assessments.scoring.sheet import ScoreResult, ScoringError, score

FORMS = Registry.load().forms()
Sheet = tuple[Form, dict[int, int | None]]


@st.composite
def sheets(draw: st.DrawFn) -> Sheet:
    form = draw(st.sampled_from(FORMS))
    n = form.item_count
    values = draw(st.lists(st.integers(form.scale.min, form.scale.max), min_size=n, max_size=n))
    # Mostly few gaps, so that scored, prorated and unscored sheets all turn up.
    missing = draw(st.sets(st.integers(1, n), max_size=draw(st.sampled_from([0, 2, n // 4, n]))))
    return form, {k: None if k in missing else v for k, v in enumerate(values, start=1)}


def parts(result: ScoreResult) -> dict[str, object]:
    return {"goal": result.goal, "task": result.task, "bond": result.bond, "total": result.total}


@given(sheets())
def test_scored_figures_stay_within_the_scale(sheet: Sheet) -> None:
    form, answers = sheet
    lo, hi = form.scale.min, form.scale.max
    for part in parts(score(form, answers)).values():
        if part.mean is None:
            continue
        assert lo <= part.mean <= hi
        assert lo * part.items <= part.sum <= hi * part.items
        assert 0 <= part.answered <= part.items


@given(sheets())
def test_pomp_stays_within_0_and_100(sheet: Sheet) -> None:
    form, answers = sheet
    for part in parts(score(form, answers)).values():
        if part.pomp is not None:
            assert 0 <= part.pomp <= 100


@given(sheets())
def test_sum_equals_mean_times_items(sheet: Sheet) -> None:
    form, answers = sheet
    for part in parts(score(form, answers)).values():
        if part.sum is not None:
            assert part.sum == pytest.approx(part.mean * part.items, rel=1e-12)


@given(sheets())
def test_mirrored_answers_mirror_every_score(sheet: Sheet) -> None:
    form, answers = sheet
    flip = form.scale.min + form.scale.max
    mirrored = {k: None if v is None else flip - v for k, v in answers.items()}
    result, opposite = parts(score(form, answers)), parts(score(form, mirrored))
    for name, part in result.items():
        other = opposite[name]
        assert part.answered == other.answered
        assert (part.mean is None) == (other.mean is None)
        if part.mean is not None:
            assert other.mean == pytest.approx(flip - part.mean, rel=1e-12)
            assert other.pomp == pytest.approx(100 - part.pomp, abs=1e-9)


@given(sheets())
def test_complete_and_prorated_follow_the_answers(sheet: Sheet) -> None:
    form, answers = sheet
    result = score(form, answers)
    answered = sum(v is not None for v in answers.values())
    assert result.total.answered == answered
    assert result.complete == (answered == form.item_count)
    assert result.prorated == (not result.complete and result.total.sum is not None)
    assert result.total.items == form.item_count


def keyed_extreme(form: Form, highest: bool) -> dict[int, int]:
    top, bottom = form.scale.max, form.scale.min
    return {
        item.number: (bottom if item.reverse else top)
        if highest
        else (top if item.reverse else bottom)
        for item in form.items
    }


@pytest.mark.parametrize("form", FORMS, ids=lambda form: form.code)
def test_the_highest_keyed_answers_score_pomp_100_and_the_lowest_0(form: Form) -> None:
    for highest, expected in ((True, 100), (False, 0)):
        result = score(form, keyed_extreme(form, highest))
        for part in parts(result).values():
            assert part.pomp == expected
            assert part.mean == (form.scale.max if highest else form.scale.min)


@given(st.sampled_from(FORMS), st.booleans(), st.data())
def test_extreme_answers_reach_the_ends_even_with_gaps(
    form: Form, highest: bool, data: st.DataObject
) -> None:
    answers: dict[int, int | None] = dict(keyed_extreme(form, highest))
    for number in data.draw(st.sets(st.integers(1, form.item_count), max_size=form.item_count)):
        answers[number] = None
    for part in parts(score(form, answers)).values():
        if part.pomp is not None:
            assert part.pomp == (100 if highest else 0)


# Any cell a table might hold: answers, gaps, and things that are not answers.
cells = st.one_of(
    st.integers(-2, 9),
    st.none(),
    st.just(math.nan),
    st.floats(allow_nan=False),
    st.sampled_from([2.5, math.inf, 1e300, "x", True]),
)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(FORMS), st.data())
def test_the_vectorised_path_agrees_with_score_on_any_table(
    form: Form, data: st.DataObject
) -> None:
    rows = data.draw(
        st.lists(
            st.lists(cells, min_size=form.item_count, max_size=form.item_count),
            min_size=1,
            max_size=8,
        )
    )
    table = pd.DataFrame(rows, columns=[f"item_{n}" for n in range(1, form.item_count + 1)])
    result = score_frame(form, table)
    for position, row in enumerate(rows):
        scored = result.iloc[position]
        answers = {n: scalar_answer(v) for n, v in enumerate(row, start=1)}
        try:
            expected = score(form, answers)
        except ScoringError:
            assert isinstance(scored["error"], str)
            assert scored.drop("error").isna().all()
            continue
        assert scored["error"] is None
        for name, part in parts(expected).items():
            for figure in ("sum", "mean", "pomp"):
                value = getattr(part, figure)
                assert (
                    np.isnan(scored[f"{name}_{figure}"])
                    if value is None
                    else scored[f"{name}_{figure}"] == value
                )
        assert scored["answered"] == expected.total.answered
        assert scored["complete"] == expected.complete


def scalar_answer(value: object) -> object:
    """What a caller of score() would pass for a table cell (NaN -> None, 3.0 -> 3)."""
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) < 2**53:
            return int(value)
    return value
