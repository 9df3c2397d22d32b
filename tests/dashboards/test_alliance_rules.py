"""The change, rupture, repair and first-dip rules on series built by hand, at their
boundaries, with the default norms (SD 15 POMP, alpha .90: S_diff = 6.708) unless said."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.alliance.rules import (
    DEFAULT_CHANGE_SD_POMP,
    DEFAULT_NORMS,
    MIN_NORM_CLIENTS,
    Norms,
    Point,
    analyse,
    cronbach_alpha,
    norms_from,
    pooled_change_sd,
    reliable_change,
    summarise,
)

SR = "wai-sr-client"
STEP = 100 / 48  # WAI-SR: 12 items on a 5-point scale; one answer one step = 2.083 POMP
S_DIFF = math.sqrt(2) * 15 * math.sqrt(0.1)


def series(*values: float, form: str = SR, step: float = STEP) -> list[Point]:
    return [Point(v, form, step=step) for v in values]


def kinds(values: list[Point]) -> list[tuple[str, ...]]:
    return [f.kinds() for f in analyse(values)]


# --- possible rupture --------------------------------------------------------------


def test_a_flat_series_has_no_flag() -> None:
    assert kinds(series(70, 70, 70, 70, 70, 70)) == [()] * 6
    summary = summarise(series(70, 70, 70, 70))
    assert summary.raised() == {}


def test_a_fall_that_is_not_a_reliable_change_is_not_a_rupture() -> None:
    # Its change score is -12 / 6.708 = -1.79: within measurement error.
    flags = analyse(series(90, 92, 91, 90, 78))
    assert flags[4].kinds() == ()
    assert flags[4].details["rci"] == pytest.approx(-12 / S_DIFF)


def test_the_reliable_change_boundary_on_a_short_series() -> None:
    limit = 1.96 * S_DIFF  # 13.15 POMP; the clinic's default SD of changes (7) is lower
    assert analyse(series(80, 80 - limit + 0.05))[1].kinds() == ()
    assert analyse(series(80, 80 - limit - 0.05))[1].kinds() == ("rupture",)


def test_with_a_history_the_new_score_is_compared_with_the_mean_of_the_last_four() -> None:
    # Mean of 92, 91, 90, 91 = 91; the SE of (new - mean of 4) is S_diff * sqrt(1.25 / 2).
    flags = analyse(series(90, 92, 91, 90, 91, 78))
    d = flags[5].details
    assert d["compared_with"] == 4
    assert d["level"] == pytest.approx(91)
    assert d["rci"] == pytest.approx(-13 / (S_DIFF * math.sqrt(0.625)))
    assert flags[5].rupture  # while -13 against the previous score alone is not reliable
    assert abs(flags[5].change.rci) < 1.96  # type: ignore[union-attr]


def test_a_fall_within_the_clients_own_variation_is_dropping_not_a_rupture() -> None:
    # Changes of +-30: the client's own SD (about 32) is far above the clinic's 7.
    values = series(50, 80, 50, 80, 50, 80, 45)  # 20 below the mean of the last four
    f = analyse(values)[6]
    assert f.details["own_sd"] > 30
    assert f.kinds() == ("dropping",)
    assert summarise(values).raised() == {"dropping": 6}


def test_the_stricter_variation_comes_from_the_clinic_when_the_client_is_steady() -> None:
    norms = {SR: Norms(15.0, 0.9, 100, "clinic", change_sd=12.0, change_clients=100)}
    # A steady client, then a fall of 14 against the previous score (k = 1: factor 1):
    # reliable (> 13.15), but not larger than the clinic's SD of changes (12)? It is.
    assert analyse(series(80, 80, 66), norms)[2].rupture
    # A fall of 13.5 is reliable; with an SD of changes of 14 it is not beyond it.
    wide = {SR: Norms(15.0, 0.9, 100, "clinic", change_sd=14.0, change_clients=100)}
    assert analyse(series(80, 80, 66.5), wide)[2].kinds() == ("dropping",)


def test_a_fall_beyond_two_sd_of_the_variation_is_marked() -> None:
    assert analyse(series(80, 80 - 2 * DEFAULT_CHANGE_SD_POMP - 0.1))[1].marked
    assert not analyse(series(80, 80 - 1.96 * S_DIFF - 0.1))[1].marked


def test_the_client_sd_needs_four_changes_and_is_a_sample_sd() -> None:
    three = analyse(series(60, 70, 60, 70, 40))[4].details
    assert three["own_sd"] is None
    four = analyse(series(60, 70, 60, 70, 60, 30))[5].details
    assert four["own_sd"] == pytest.approx(math.sqrt(4 * 100 / 3))


# --- repair ------------------------------------------------------------------------


def test_a_rupture_that_comes_back_within_measurement_error_is_repaired() -> None:
    flags = analyse(series(90, 70, 89.5))
    assert flags[1].rupture
    assert flags[1].repaired and flags[1].repaired_at == 2
    assert summarise(series(90, 70, 89.5)).rupture is None


def test_repair_is_measured_against_the_pre_drop_level_at_its_boundary() -> None:
    limit = 1.96 * S_DIFF
    assert analyse(series(90, 60, 90 - limit + 0.05))[1].repaired
    assert not analyse(series(90, 60, 90 - limit - 0.05))[1].repaired


def test_repair_counts_within_the_next_three_questionnaires_only() -> None:
    assert analyse(series(90, 60, 62, 61, 89))[1].repaired
    late = analyse(series(90, 60, 62, 61, 63, 89))
    assert late[1].rupture and not late[1].repaired


def test_an_open_rupture_stays_on_the_summary_for_its_repair_window() -> None:
    assert summarise(series(90, 60)).rupture == 1
    assert summarise(series(90, 60, 62, 61, 63)).rupture == 1
    assert summarise(series(90, 60, 62, 61, 63, 62)).rupture is None


def test_a_reliable_rise_never_shows_an_open_rupture() -> None:
    summary = summarise(series(90, 50, 70))  # +20 is reliable; still below 90 - 13.15
    assert summary.change is not None and summary.change.direction == "up"
    assert summary.rupture is None


# --- first dip ---------------------------------------------------------------------


def test_one_answer_one_step_lower_after_top_scores_is_not_a_first_dip() -> None:
    assert kinds(series(100, 100, 100 - STEP)) == [(), (), ()]


def test_a_fall_after_a_ceiling_run_is_a_first_dip_and_names_the_items() -> None:
    top = tuple([5] * 12)
    near = (5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 4)  # 97.9
    low = (5, 4, 5, 4, 5, 4, 4, 5, 4, 5, 4, 4)  # 89.6 after 97.9
    values = [
        Point(100, SR, step=STEP, items=top),
        Point(100, SR, step=STEP, items=top),
        Point(100 - STEP, SR, step=STEP, items=near),
        Point(100 - 5 * STEP, SR, step=STEP, items=low),
    ]
    flags = analyse(values)
    assert not flags[2].first_dip
    assert flags[3].first_dip
    assert flags[3].details["dropped_items"] == (2, 4, 6, 7, 9, 11)
    assert summarise(values).first_dip == 3


def test_first_dip_boundaries_one_step_and_two_ceiling_scores() -> None:
    assert analyse(series(100, 100, 100 - 2 * STEP))[2].first_dip  # two answers lower
    assert not analyse(series(100, 100 - 2 * STEP))[1].first_dip  # one top score is no run
    assert not analyse(series(100, 97, 95))[2].first_dip  # 97 is below the ceiling band


# --- same form only ----------------------------------------------------------------


def test_a_change_of_form_starts_a_new_baseline() -> None:
    mixed = [Point(75, SR, step=STEP), Point(62.5, "wai-s-client", step=100 / 72)]
    flags = analyse(mixed)
    assert flags[1].kinds() == ()
    assert flags[1].change is None
    assert flags[1].new_baseline
    assert summarise(mixed).raised() == {}


def test_a_rupture_before_a_change_of_form_is_no_longer_open() -> None:
    values = [*series(90, 60), Point(60, "wai-s-client")]
    assert summarise(values).rupture is None


# --- norms -------------------------------------------------------------------------


def test_reliable_change_follows_jacobson_and_truax() -> None:
    norms = Norms(sd=10.0, reliability=0.84, clients=100, source="clinic")
    s_diff = math.sqrt(2) * 10 * math.sqrt(0.16)
    change = reliable_change(80, 60, norms)
    assert change is not None
    assert change.rci == pytest.approx(-20 / s_diff)
    assert change.reliable and change.direction == "down"
    small = reliable_change(80, 75, norms)
    assert small is not None and not small.reliable and small.direction == "none"


def test_clinic_norms_need_thirty_clients_each_part_on_its_own() -> None:
    assert norms_from(clients=MIN_NORM_CLIENTS - 1, sd=12.0, alpha=0.9) == DEFAULT_NORMS
    own = norms_from(clients=MIN_NORM_CLIENTS, sd=12.0, alpha=0.9)
    assert own.source == "clinic" and own.clients == MIN_NORM_CLIENTS
    assert own.change_source == "default"
    assert norms_from(clients=500, sd=0.0, alpha=0.9) == DEFAULT_NORMS
    assert norms_from(clients=500, sd=12.0, alpha=1.2) == DEFAULT_NORMS
    both = norms_from(clients=10, sd=12.0, alpha=0.9, change_sd=9.0, change_clients=40)
    assert both.source == "default" and both.change_sd == 9.0
    assert norms_from(clients=10, sd=1, alpha=0.9, change_sd=9.0, change_clients=29).change_sd == (
        DEFAULT_CHANGE_SD_POMP
    )


def test_pooled_change_sd_is_within_clients() -> None:
    # Client A changes +10, -10 (mean 0); client B +2, +4, +6 (mean 4).
    sd, clients = pooled_change_sd([[50, 60, 50], [10, 12, 16, 22], [70, 71]])
    assert clients == 2  # the third gave a single change
    assert sd == pytest.approx(math.sqrt((100 + 100 + 4 + 0 + 4) / (1 + 2)))


def test_cronbachs_alpha_on_a_worked_example() -> None:
    assert cronbach_alpha([1.0, 1.0], 4.0) == pytest.approx(1.0)
    assert cronbach_alpha([1.0, 1.0], 2.0) == pytest.approx(0.0)
    assert cronbach_alpha([1.0], 1.0) is None


# --- properties --------------------------------------------------------------------

scores = st.floats(0, 100, allow_nan=False)


# No deadline: the machine running the suite may be busy; these are about correctness.
@settings(deadline=None)
@given(st.lists(scores, min_size=1, max_size=40))
def test_rules_never_fail_and_flags_are_consistent(values: list[float]) -> None:
    flags = analyse(series(*values))
    assert [f.index for f in flags] == list(range(len(values)))
    for i, f in enumerate(flags):
        if f.rupture or f.dropping:
            assert f.details["level"] > values[i]
            assert not (f.rupture and f.dropping)
        if f.repaired:
            assert f.rupture and f.repaired_at is not None and f.repaired_at > i
        if f.marked:
            assert f.rupture


@settings(deadline=None)
@given(st.lists(scores, min_size=2, max_size=40))
def test_a_reliable_rise_never_carries_an_open_rupture(values: list[float]) -> None:
    summary = summarise(series(*values))
    if summary.change is not None and summary.change.direction == "up":
        assert summary.rupture is None


@settings(deadline=None)
@given(st.lists(scores, min_size=1, max_size=15), st.lists(scores, min_size=1, max_size=15))
def test_a_form_switch_never_creates_a_flag(before: list[float], after: list[float]) -> None:
    mixed = series(*before) + series(*after, form="wai-s-client", step=100 / 72)
    flags = analyse(mixed)
    switch = flags[len(before)]
    assert switch.kinds() == () and switch.change is None and switch.new_baseline
    # The new form's questionnaires are judged as if the earlier ones did not exist.
    alone = analyse(series(*after, form="wai-s-client", step=100 / 72))
    assert [f.kinds() for f in flags[len(before) :]] == [f.kinds() for f in alone]
