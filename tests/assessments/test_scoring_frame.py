"""score_frame(): the vectorised twin of score() on pandas DataFrames."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from assessments.scoring.definitions import Form
from assessments.scoring.frame import score_frame
from assessments.scoring.registry import Registry
from assessments.scoring.sheet import SCORE_COLUMNS, ScoringError, score

REGISTRY = Registry.load()
FIGURES = [c for c in SCORE_COLUMNS if c not in ("answered", "complete", "error")]
WAI_SR_ROW = [5, 4, 3, 2, 1, 5, 4, 3, 2, 1, 5, 4]  # scored by hand in test_scoring.py


def table(rows: list[list[object]], dtype: object = None, **extra: list[object]) -> pd.DataFrame:
    columns = {f"item_{n}": [row[n - 1] for row in rows] for n in range(1, len(rows[0]) + 1)}
    return pd.DataFrame({**extra, **columns}, dtype=dtype)


def test_it_returns_the_score_columns_in_order_on_the_input_index() -> None:
    df = table([WAI_SR_ROW, WAI_SR_ROW])
    df.index = pd.Index(["a", "b"], name="sheet")
    result = score_frame("wai-sr-client", df)
    assert list(result.columns) == list(SCORE_COLUMNS)
    assert result.index.equals(df.index)
    assert result.loc["a", "goal_sum"] == 15
    assert result.loc["a", "total_pomp"] == 56.25


def test_it_gives_the_same_figures_as_the_hand_worked_example() -> None:
    row = score_frame("wai-sr-client", table([WAI_SR_ROW])).iloc[0]
    assert (row["goal_sum"], row["goal_mean"], row["goal_pomp"]) == (15, 3.75, 68.75)
    assert (row["task_sum"], row["task_mean"], row["task_pomp"]) == (14, 3.5, 62.5)
    assert (row["bond_sum"], row["bond_mean"], row["bond_pomp"]) == (10, 2.5, 37.5)
    assert (row["total_sum"], row["total_mean"], row["total_pomp"]) == (39, 3.25, 56.25)
    assert (row["answered"], row["complete"], row["error"]) == (12, True, None)


def test_it_ignores_other_columns() -> None:
    df = table([WAI_SR_ROW], client=["C-17"], item_note=["late"])
    assert score_frame("wai-sr-client", df).iloc[0]["total_sum"] == 39


def test_it_keeps_a_duplicated_index() -> None:
    df = table([WAI_SR_ROW, WAI_SR_ROW, WAI_SR_ROW])
    df.index = pd.Index([7, 7, 8])
    result = score_frame("wai-sr-client", df)
    assert list(result.index) == [7, 7, 8]
    assert list(result["total_sum"]) == [39, 39, 39]


@pytest.mark.parametrize(
    "dtype", ["int64", "int8", "uint8", "float64", "float32", "Int64", "Float64", "object", "str"]
)
def test_it_reads_every_column_type_alike(dtype: str) -> None:
    rows = [WAI_SR_ROW, [None if n == 4 else v for n, v in enumerate(WAI_SR_ROW, 1)]]
    if dtype in ("int64", "int8", "uint8"):
        rows = rows[:1]  # an integer column has no gaps
    if dtype == "str":
        rows = [["" if v is None else str(v) for v in row] for row in rows]
    result = score_frame("wai-sr-client", table(rows, dtype=dtype))
    assert result.iloc[0]["total_sum"] == 39
    assert result.iloc[0]["error"] is None
    if len(rows) > 1:
        assert result.iloc[1]["goal_sum"] == (5 + 3 + 5) * 4 / 3
        assert result.iloc[1]["answered"] == 11


def test_text_cells_may_carry_spaces_and_decimal_zeros() -> None:
    row = [" 5", "4 ", "3.0", "2", "1", "5", "4", "3", "2", "1", "5", "  "]
    result = score_frame("wai-sr-client", table([row], dtype="str")).iloc[0]
    assert result["error"] is None
    assert result["answered"] == 11


def test_a_row_with_an_invalid_answer_gets_a_message_and_no_scores() -> None:
    rows = [WAI_SR_ROW, [9 if n == 4 else v for n, v in enumerate(WAI_SR_ROW, 1)], WAI_SR_ROW]
    result = score_frame("wai-sr-client", table(rows))
    bad = result.iloc[1]
    assert bad["error"] == "item 4: 9 is outside 1–5"
    assert bad[FIGURES].isna().all()
    assert bad["answered"] is pd.NA
    assert bad["complete"] is pd.NA
    assert list(result["total_sum"].iloc[[0, 2]]) == [39, 39]
    assert list(result["error"].iloc[[0, 2]]) == [None, None]


def test_its_messages_match_those_of_score() -> None:
    row = [0, 3.5, 8, "x", True, math.inf, 1e9, -1, 5, 5, 5, 5]
    message = score_frame("wai-sr-client", table([row], dtype=object)).iloc[0]["error"]
    assert message == (
        "item 1: 0 is outside 1–5; item 2: 3.5 is not a whole number; "
        "item 3: 8 is outside 1–5; item 4: 'x' is not a whole number; "
        "item 5: True is not a whole number; item 6: inf is not a whole number; "
        "item 7: 1000000000 is outside 1–5; item 8: -1 is outside 1–5"
    )
    with pytest.raises(ScoringError) as caught:
        score("wai-sr-client", {1: 0, 2: 3.5, 3: 8, 4: "x", 5: True, 6: math.inf, 7: 10**9, 8: -1})
    assert str(caught.value) == message


@pytest.mark.parametrize("value", [300.0, -129.0, 1e20, -math.inf, 0.5, 5.000001])
def test_floats_beyond_small_integers_are_invalid(value: float) -> None:
    rows = [[value, *WAI_SR_ROW[1:]]]
    assert score_frame("wai-sr-client", table(rows)).iloc[0]["error"].startswith("item 1: ")


@pytest.mark.parametrize("value", [0, 6, -1, 2**40])
def test_integers_beyond_the_scale_are_invalid(value: int) -> None:
    rows = [[value, *WAI_SR_ROW[1:]]]
    result = score_frame("wai-sr-client", table(rows, dtype="int64")).iloc[0]
    assert result["error"] == f"item 1: {value} is outside 1–5"


def test_booleans_are_never_answers() -> None:
    df = table([WAI_SR_ROW, WAI_SR_ROW])
    df["item_3"] = [True, False]
    errors = score_frame("wai-sr-client", df)["error"].tolist()
    assert errors == ["item 3: True is not a whole number", "item 3: False is not a whole number"]
    mixed = table([WAI_SR_ROW, WAI_SR_ROW], dtype=object)
    mixed["item_3"] = [1, True]  # pandas would otherwise count True as 1
    assert score_frame("wai-sr-client", mixed)["error"].tolist() == [
        None,
        "item 3: True is not a whole number",
    ]


def test_unhashable_cells_are_invalid_not_a_crash() -> None:
    df = table([WAI_SR_ROW, WAI_SR_ROW], dtype=object)
    df["item_2"] = [[4], 4]
    assert score_frame("wai-sr-client", df)["error"].tolist() == [
        "item 2: [4] is not a whole number",
        None,
    ]


def test_an_empty_table_gives_an_empty_result() -> None:
    df = pd.DataFrame({f"item_{n}": pd.Series([], dtype=float) for n in range(1, 13)})
    result = score_frame("wai-sr-client", df)
    assert list(result.columns) == list(SCORE_COLUMNS)
    assert len(result) == 0


@pytest.mark.parametrize(
    ("rename", "message"),
    [
        ({"item_3": "q3", "item_7": "q7"}, "the table lacks the item columns item_3, item_7"),
        ({"item_3": "item_03"}, "the column item_03 should be named item_3"),
        ({"item_3": "item_13"}, "the table has a column item_13, but wai-sr-client has items 1–12"),
        ({"item_3": "item_4"}, "the column item_4 appears twice"),
    ],
)
def test_it_rejects_a_table_without_the_right_item_columns(
    rename: dict[str, str], message: str
) -> None:
    df = table([WAI_SR_ROW]).rename(columns=rename)
    with pytest.raises(ScoringError) as caught:
        score_frame("wai-sr-client", df)
    assert str(caught.value) == message


def test_it_rejects_an_unknown_form_and_a_non_table() -> None:
    with pytest.raises(ScoringError, match="unknown form 'wai-99'"):
        score_frame("wai-99", table([WAI_SR_ROW]))
    with pytest.raises(ScoringError, match="needs a pandas DataFrame"):
        score_frame("wai-sr-client", [WAI_SR_ROW])  # type: ignore[arg-type]


# --- agreement with score() on many random rows ------------------------------------------------
def random_answers(form: Form, rows: int, seed: int) -> np.ndarray:
    """Answers as floats (NaN = missing), with many gaps and some invalid values."""
    rng = np.random.default_rng(seed)
    lo, hi = form.scale.min, form.scale.max
    values = rng.integers(lo, hi + 1, size=(rows, form.item_count)).astype(np.float64)
    # Each row its own gap rate, so every missing-data boundary is crossed many times.
    rate = rng.choice([0.0, 0.05, 0.1, 0.2, 0.25, 0.3, 0.5, 1.0], size=(rows, 1))
    values[rng.random(values.shape) < rate] = np.nan
    bad = np.flatnonzero(rng.random(rows) < 0.03)
    odd = [lo - 1, hi + 1, 0, -5, 100, 2.5, 1e9, math.inf, -math.inf]
    values[bad, rng.integers(0, form.item_count, size=bad.size)] = rng.choice(odd, size=bad.size)
    return values


def scalar_answer(value: float) -> int | float | None:
    if math.isnan(value):
        return None
    return int(value) if value.is_integer() else value


@pytest.mark.parametrize("code", sorted(REGISTRY.codes()))
def test_score_and_score_frame_agree_on_100_000_random_rows(code: str) -> None:
    form = REGISTRY.get(code)
    values = random_answers(form, 100_000, seed=len(code))
    df = pd.DataFrame({f"item_{n}": values[:, n - 1] for n in range(1, form.item_count + 1)})
    result = score_frame(form, df)

    expected = np.full((len(df), len(FIGURES) + 2), np.nan)
    errors: list[str | None] = []
    numbers = range(1, form.item_count + 1)
    for row, cells in enumerate(values.tolist()):
        try:
            scored = score(form, {n: scalar_answer(v) for n, v in zip(numbers, cells, strict=True)})
        except ScoringError as exc:
            errors.append(str(exc))
            continue
        errors.append(None)
        figures = [
            getattr(part, figure)
            for part in (scored.goal, scored.task, scored.bond, scored.total)
            for figure in ("sum", "mean", "pomp")
        ]
        figures += [scored.total.answered, scored.complete]
        expected[row] = [np.nan if f is None else f for f in figures]

    for column, name in enumerate([*FIGURES, "answered", "complete"]):
        got = result[name].to_numpy(dtype=np.float64, na_value=np.nan)
        np.testing.assert_array_equal(got, expected[:, column], err_msg=name)  # bit for bit
    assert result["error"].tolist() == errors
    # The random rows really do cover the cases.
    assert result["error"].notna().sum() > 1000
    assert result["complete"].eq(True).sum() > 1000
    assert result["total_sum"].isna().sum() > result["error"].notna().sum() + 1000
    assert (result["complete"].eq(False) & result["total_sum"].notna()).sum() > 1000


def test_text_and_numbers_give_the_same_scores() -> None:
    form = REGISTRY.get("wai-36-client")
    values = random_answers(form, 5_000, seed=5)
    numeric = pd.DataFrame({f"item_{n}": values[:, n - 1] for n in range(1, 37)})
    text = numeric.apply(lambda col: col.map(lambda v: "" if math.isnan(v) else f"{v:g}"))
    text = text.astype("str")
    from_numbers, from_text = score_frame(form, numeric), score_frame(form, text)
    pd.testing.assert_frame_equal(
        from_numbers.drop(columns="error"), from_text.drop(columns="error")
    )
    assert from_numbers["error"].isna().equals(from_text["error"].isna())
