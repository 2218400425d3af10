"""The status arithmetic, pure: windows, pace, forecast, attainment, thresholds, direction, roll-up."""

from __future__ import annotations

import datetime as dt
import doctest
import importlib
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metricslayer.kpi.status import (
    AT_RISK,
    ERROR,
    NO_DATA,
    NO_TARGET,
    NOT_STARTED,
    OFF_TRACK,
    ON_TRACK,
    StatusError,
    Window,
    assess,
    attainment,
    expected_by_now,
    forecast,
    status_of,
    trend,
    window_for,
    worst,
)
from metricslayer.spec.kpis import Thresholds

D = dt.date
T = Thresholds(0.9, 0.75)


@pytest.mark.parametrize("module", ["status", "expr", "shapley", "render", "check", "explain"])
def test_doctests(module):
    result = doctest.testmod(importlib.import_module(f"metricslayer.kpi.{module}"))
    assert result.failed == 0 and result.attempted > 0


def test_windows():
    assert window_for(D(2025, 3, 1), D(2025, 8, 31), None, D(2025, 5, 5)) == Window(D(2025, 3, 1), D(2025, 8, 31),
                                                                                   "deadline")
    assert window_for(None, None, "quarter", D(2025, 5, 5)) == Window(D(2025, 4, 1), D(2025, 6, 30), "quarter")
    assert window_for(None, None, "year", D(2024, 2, 29)) == Window(D(2024, 1, 1), D(2024, 12, 31), "year")
    assert window_for(None, None, None, D(2024, 2, 10)) == Window(D(2024, 2, 1), D(2024, 2, 29), "month")


def test_elapsed_share_counts_days_inclusive():
    w = Window(D(2025, 1, 1), D(2025, 12, 31), "deadline")
    assert w.elapsed(D(2025, 1, 1)) == pytest.approx(1 / 365)
    assert w.elapsed(D(2025, 3, 31)) == pytest.approx(90 / 365)
    assert w.elapsed(D(2024, 12, 1)) == 0.0 and w.elapsed(D(2026, 5, 1)) == 1.0
    assert w.cut(D(2026, 5, 1)) == D(2025, 12, 31)


def test_pace_is_linear_for_cumulative_and_flat_for_rates():
    assert expected_by_now(1200.0, "cumulative", 0.25) == 300.0
    assert expected_by_now(0.03, "rate", 0.25) == 0.03


@pytest.mark.parametrize("actual,expected,direction,ratio", [
    (90.0, 100.0, "increase", 0.9), (110.0, 100.0, "increase", 1.1),
    (125.0, 100.0, "decrease", 0.8), (80.0, 100.0, "decrease", 1.25), (0.0, 5.0, "decrease", math.inf)])
def test_attainment_by_direction(actual, expected, direction, ratio):
    assert attainment(actual, expected, direction) == pytest.approx(ratio)


def test_zero_target_is_an_error_not_a_crash():
    with pytest.raises(StatusError, match="target is 0"):
        attainment(5.0, 0.0, "increase")
    with pytest.raises(StatusError, match="target is 0"):
        attainment(5.0, 0.0, "decrease")


@pytest.mark.parametrize("ratio,expected", [(1.2, ON_TRACK), (0.9, ON_TRACK), (0.8999, AT_RISK), (0.75, AT_RISK),
                                            (0.7499, OFF_TRACK), (0.0, OFF_TRACK)])
def test_thresholds_are_inclusive_lower_bounds(ratio, expected):
    assert status_of(ratio, T) == expected


def test_custom_thresholds():
    assert status_of(0.85, Thresholds(0.95, 0.9)) == OFF_TRACK
    assert status_of(0.85, Thresholds(0.8, 0.5)) == ON_TRACK


def test_worst_ignores_non_statuses():
    assert worst([ON_TRACK, OFF_TRACK, AT_RISK]) == OFF_TRACK
    assert worst([NO_DATA, ERROR]) is None


def test_trend_is_least_squares():
    assert trend([1.0, 3.0, 5.0], 1) == pytest.approx(7.0)
    assert trend([2.0, 2.0, 2.0, 2.0], 10) == pytest.approx(2.0)
    assert trend([1.0, 2.0, 1.0, 2.0], 0) == pytest.approx(1.8)


def test_cumulative_forecast_extends_the_run_rate():
    # 100/day in every month -> a flat daily rate; 181 days done, 184 left of 2025
    history = [(D(2025, m, 1), 100.0 * [31, 28, 31, 30, 31, 30][m - 1]) for m in range(1, 7)]
    w = Window(D(2025, 1, 1), D(2025, 12, 31), "deadline")
    assert forecast("cumulative", 18100.0, w, D(2025, 6, 30), history) == pytest.approx(36500.0)


def test_cumulative_forecast_follows_a_growing_trend():
    history = [(D(2025, m, 1), 31.0 * m) for m in range(1, 7)]  # daily rate grows ~1/day each month
    w = Window(D(2025, 1, 1), D(2025, 12, 31), "deadline")
    flat = 1000.0 + 6.0 * 184
    assert forecast("cumulative", 1000.0, w, D(2025, 6, 30), history) > flat


def test_rate_forecast_and_finished_windows():
    history = [(D(2025, m, 1), 0.01 * m) for m in range(1, 7)]
    w = Window(D(2025, 1, 1), D(2025, 9, 30), "deadline")
    assert forecast("rate", 0.06, w, D(2025, 6, 30), history) == pytest.approx(0.09)
    assert forecast("rate", 0.06, Window(D(2025, 1, 1), D(2025, 6, 30), "deadline"), D(2025, 6, 30),
                    history) == 0.06
    assert forecast("rate", 0.06, w, D(2025, 6, 30), []) is None


def test_rate_forecast_never_goes_below_zero_for_positive_series():
    history = [(D(2025, m, 1), 0.06 - 0.01 * m) for m in range(1, 6)]
    w = Window(D(2025, 1, 1), D(2025, 12, 31), "deadline")
    assert forecast("rate", 0.01, w, D(2025, 5, 31), history) == 0.0


def test_assess_cumulative_on_pace():
    w = Window(D(2025, 1, 1), D(2025, 12, 31), "deadline")
    result = assess(36000.0, 120000.0, "cumulative", "increase", T, w, D(2025, 3, 31), [])
    assert result.expected == pytest.approx(120000 * 90 / 365)
    assert result.attainment == pytest.approx(36000 / (120000 * 90 / 365))
    assert result.achieved == pytest.approx(0.3) and result.status == ON_TRACK and result.forecast is None


def test_assess_decrease_rate():
    w = Window(D(2025, 4, 1), D(2025, 6, 30), "quarter")
    result = assess(60.0, 50.0, "rate", "decrease", T, w, D(2025, 5, 1), [])
    assert result.attainment == pytest.approx(50 / 60) and result.status == AT_RISK


def test_assess_special_cases():
    w = Window(D(2025, 4, 1), D(2025, 6, 30), "quarter")
    assert assess(1.0, 2.0, "rate", "increase", T, w, D(2025, 3, 1), []).status == NOT_STARTED
    no_data = assess(None, 2.0, "rate", "increase", T, w, D(2025, 5, 1), [])
    assert no_data.status == NO_DATA and "no data for 2025-04-01..2025-05-01" in no_data.message
    assert assess(1.0, None, "rate", "increase", T, w, D(2025, 5, 1), []).status == NO_TARGET
    zero = assess(1.0, 0.0, "rate", "increase", T, w, D(2025, 5, 1), [])
    assert zero.status == ERROR and "target is 0" in zero.message


@given(st.floats(0.01, 1e9), st.floats(0.01, 1e9), st.floats(0.1, 1.0), st.floats(0.0, 1.0))
def test_status_is_monotone_in_the_actual(actual, target, warn, crit_share):
    thresholds = Thresholds(warn, warn * crit_share)
    order = {OFF_TRACK: 0, AT_RISK: 1, ON_TRACK: 2}
    better = status_of(attainment(actual * 1.5, target, "increase"), thresholds)
    base = status_of(attainment(actual, target, "increase"), thresholds)
    assert order[better] >= order[base]
    lower = status_of(attainment(actual / 1.5, target, "decrease"), thresholds)
    assert order[lower] >= order[status_of(attainment(actual, target, "decrease"), thresholds)]
