"""The change and rupture rules on series built by hand."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessments.alliance.rules import (
    DEFAULT_NORMS,
    MIN_CLIENT_SD_POMP,
    Norms,
    Point,
    analyse,
    cronbach_alpha,
    norms_from,
    reliable_change,
    summarise,
)


def series(*values: float, form: str = "wai-sr-client") -> list[Point]:
    return [Point(v, form) for v in values]


def test_a_flat_series_has_no_flag() -> None:
    flags = analyse(series(70, 70, 70, 70, 70, 70))
    assert not any(f.rupture or f.first_dip or (f.change and f.change.reliable) for f in flags)
    summary = summarise(series(70, 70, 70, 70))
    assert (summary.dropping, summary.rupture, summary.first_dip) == (False, False, False)


def test_a_drop_of_two_sds_is_a_rupture() -> None:
    # Earlier changes +10, -10, +10: their SD is 9.43. A fall of 20 is more than 2 SD.
    flags = analyse(series(60, 70, 60, 70, 50))
    assert flags[4].rupture
    assert not flags[4].repaired
    assert summarise(series(60, 70, 60, 70, 50)).rupture


def test_a_drop_within_the_clients_usual_variation_is_not_a_rupture() -> None:
    # Earlier changes swing by 20 (SD 18.9): a fall of 14 is ordinary for this client.
    assert not analyse(series(60, 80, 60, 80, 66))[4].rupture


def test_no_rupture_before_three_earlier_questionnaires() -> None:
    flags = analyse(series(90, 90, 40))
    assert not flags[2].rupture


def test_a_rupture_that_recovers_within_two_questionnaires_is_repaired() -> None:
    flags = analyse(series(75, 75, 75, 75, 50, 60, 76))
    assert flags[4].rupture
    assert flags[4].repaired
    assert not summarise(series(75, 75, 75, 75, 50, 60, 76)).rupture


def test_a_rupture_that_recovers_too_late_stays_unrepaired() -> None:
    flags = analyse(series(75, 75, 75, 75, 50, 60, 70, 80))
    assert flags[4].rupture
    assert not flags[4].repaired


def test_the_floor_keeps_a_never_moving_client_from_flagging_a_wobble() -> None:
    drop = MIN_CLIENT_SD_POMP - 1
    assert not analyse(series(80, 80, 80, 80 - drop))[3].rupture
    assert analyse(series(80, 80, 80, 80 - MIN_CLIENT_SD_POMP - 1))[3].rupture


def test_a_first_dip_after_a_ceiling_run() -> None:
    flags = analyse(series(100, 100, 95))
    assert flags[2].first_dip
    assert summarise(series(100, 100, 95)).first_dip
    assert not analyse(series(100, 95))[1].first_dip  # one maximal score is no run
    assert not analyse(series(100, 100, 100))[2].first_dip


def test_reliable_change_follows_jacobson_and_truax() -> None:
    norms = Norms(sd=10.0, reliability=0.84, n=100, source="clinic")
    s_diff = math.sqrt(2) * 10 * math.sqrt(0.16)
    change = reliable_change(80, 60, norms)
    assert change is not None
    assert change.rci == pytest.approx(-20 / s_diff)
    assert change.reliable
    assert change.direction == "down"
    small = reliable_change(80, 75, norms)
    assert small is not None and not small.reliable and small.direction == "none"


def test_a_single_questionnaire_gives_no_reliable_change_figure() -> None:
    assert analyse(series(70))[0].change is None
    assert summarise(series(70)).change is None


def test_change_is_only_measured_against_the_same_form() -> None:
    mixed = [Point(80, "wai-sr-client"), Point(40, "wai-36-client")]
    assert analyse(mixed)[1].change is None


def test_dropping_means_a_reliable_fall_at_the_latest_questionnaire() -> None:
    assert summarise(series(90, 50)).dropping
    assert not summarise(series(50, 90)).dropping


def test_clinic_norms_need_enough_questionnaires() -> None:
    assert norms_from(n=29, sd=12.0, alpha=0.9) == DEFAULT_NORMS
    assert norms_from(n=30, sd=12.0, alpha=0.9).source == "clinic"
    assert norms_from(n=500, sd=0.0, alpha=0.9) == DEFAULT_NORMS
    assert norms_from(n=500, sd=12.0, alpha=1.2) == DEFAULT_NORMS


def test_cronbachs_alpha_on_a_worked_example() -> None:
    # Two items with variance 1 each whose sum has variance 4: perfectly correlated.
    assert cronbach_alpha([1.0, 1.0], 4.0) == pytest.approx(1.0)
    # Uncorrelated: sum variance 2 → alpha 0.
    assert cronbach_alpha([1.0, 1.0], 2.0) == pytest.approx(0.0)
    assert cronbach_alpha([1.0], 1.0) is None


@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=30))
def test_rules_never_fail_and_a_rising_score_is_never_a_rupture(values: list[float]) -> None:
    flags = analyse(series(*values))
    assert len(flags) == len(values)
    for i, f in enumerate(flags):
        if f.rupture:
            assert values[i] < values[i - 1]
        if f.repaired:
            assert f.rupture
