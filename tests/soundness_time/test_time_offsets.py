"""Derived metrics with offset_window / offset_to_grain: MoM, YoY, WoW, month ends and leap years."""

from __future__ import annotations

import datetime as dt

import pytest
from clock_sql import by_period, daily_cumulative, spine, window_condition

import metricslayer as ml

DAILY = by_period("day")


def _shifted(grain: str, interval: str) -> str:
    return f"SELECT CAST(k + INTERVAL {interval} AS DATE) AS k, v FROM ({by_period(grain)})"


def _growth(grain: str, interval: str, expr: str, where: str = "TRUE") -> str:
    return (f"WITH cur AS ({by_period(grain)}), prev AS ({_shifted(grain, interval)}) "
            f"SELECT * FROM (SELECT coalesce(cur.k, prev.k) AS k, {expr} AS v "
            f"FROM cur FULL OUTER JOIN prev ON cur.k = prev.k) WHERE {where}")


def _lookup(lo: str, hi: str, key_of_day: str) -> str:
    """Day D reads the daily value at `key_of_day` (an expression of s.d); rows only where that has data."""
    return (f"WITH daily AS ({DAILY}), s AS ({spine(lo, hi)}) "
            f"SELECT s.d, daily.v FROM s JOIN daily ON daily.k = CAST({key_of_day} AS DATE)")


# -- month-multiple offsets at coarse grains shift whole periods ----------------------------------------
@pytest.mark.parametrize(("metric", "grain", "interval"), [
    ("revenue_prev_month", "month", "1 MONTH"),
    ("revenue_prev_quarter", "month", "3 MONTH"),
    ("revenue_prev_quarter", "quarter", "3 MONTH"),
    ("revenue_prev_year", "month", "1 YEAR"),
    ("revenue_prev_year", "quarter", "1 YEAR"),
    ("revenue_prev_year", "year", "1 YEAR"),
])
def test_offset_shifts_whole_periods(clock, metric, grain, interval):
    clock.check(_shifted(grain, interval), metrics=[metric], group_by=[f"metric_time__{grain}"])


def test_march_shows_all_of_february_including_leap_day(clock):
    rows = dict(clock.query(metrics=["revenue_prev_month"], group_by=["metric_time__month"]).rows)
    february = clock.sql("SELECT sum(amount) FROM orders WHERE ordered_at >= '2024-02-01' "
                         "AND ordered_at < '2024-03-01'")[0][0]
    assert rows[dt.date(2024, 3, 1)] == february
    assert dt.date(2024, 6, 1) not in rows  # May 2024 is empty
    assert rows[dt.date(2024, 5, 1)] == clock.sql(
        "SELECT sum(amount) FROM orders WHERE ordered_at >= '2024-04-01' AND ordered_at < '2024-05-01'")[0][0]


def test_month_over_month_growth(clock):
    clock.check(_growth("month", "1 MONTH", "(cur.v - prev.v) / prev.v"), metrics=["revenue_mom"],
                group_by=["metric_time__month"])


def test_growth_is_null_without_previous_month(clock):
    rows = dict(clock.query(metrics=["revenue_mom"], group_by=["metric_time__month"]).rows)
    assert rows[dt.date(2023, 12, 1)] is None  # first month
    assert rows[dt.date(2024, 6, 1)] is None  # after the empty May
    assert rows[dt.date(2024, 5, 1)] is None  # April's value, no May revenue


def test_year_over_year(clock):
    clock.check(_growth("month", "1 YEAR", "cur.v - prev.v"), metrics=["revenue_yoy"],
                group_by=["metric_time__month"])


def test_offset_with_time_range_looks_back_before_start(clock):
    hand = _growth("month", "1 MONTH", "(cur.v - prev.v) / prev.v",
                   where="k BETWEEN DATE '2024-03-01' AND DATE '2024-07-01'")
    clock.check(hand, metrics=["revenue_mom"], group_by=["metric_time__month"], start_time="2024-03-10",
                end_time="2024-07-02")


def test_fill_nulls_on_offset_input(clock):
    clock.check(_growth("month", "1 MONTH", "cur.v - coalesce(prev.v, 0)"), metrics=["revenue_vs_filled_prev"],
                group_by=["metric_time__month"])


def test_offset_with_nullable_dimension(clock):
    per = ("SELECT CAST(date_trunc('month', ordered_at) AS DATE) AS k, channel, sum(amount) AS v FROM orders "
           "GROUP BY 1, 2")
    hand = f"SELECT CAST(k + INTERVAL 1 MONTH AS DATE), channel, v FROM ({per})"
    clock.check(hand, metrics=["revenue_prev_month"], group_by=["metric_time__month", "order__channel"])


# -- day grain -------------------------------------------------------------------------------------
def test_month_offset_at_day_grain_clamps_month_ends(clock):
    hand = _lookup("DATE '2024-01-01'", "DATE '2025-05-31'", "s.d - INTERVAL 1 MONTH")
    clock.check(hand, metrics=["revenue_prev_month"], group_by=["metric_time__day"], start_time="2024-01-01",
                end_time="2025-05-31")


def test_month_offset_month_end_known_values(clock):
    rows = dict(clock.query(metrics=["revenue_prev_month"], group_by=["metric_time__day"],
                            start_time="2024-03-01", end_time="2025-04-30").rows)
    day = dict(clock.sql(DAILY))
    for d in (29, 30, 31):  # 2024 is a leap year: March 29/30/31 all read February 29
        assert rows[dt.date(2024, 3, d)] == day[dt.date(2024, 2, 29)]
    assert rows[dt.date(2024, 3, 28)] == day[dt.date(2024, 2, 28)]
    for d in (28, 29, 30, 31):  # 2025: March 28..31 all read February 28
        assert rows[dt.date(2025, 3, d)] == day[dt.date(2025, 2, 28)]
    assert rows[dt.date(2024, 3, 1)] == day[dt.date(2024, 2, 1)]
    assert dt.date(2024, 5, 31) in rows and rows[dt.date(2024, 5, 31)] == day[dt.date(2024, 4, 30)]


def test_month_offset_at_day_grain_without_range(clock):
    hand = _lookup("(SELECT min(k) FROM daily)", "(SELECT max(k) + 40 FROM daily)", "s.d - INTERVAL 1 MONTH")
    clock.check(hand, metrics=["revenue_prev_month"], group_by=["metric_time__day"])


def test_year_offset_at_day_grain_from_leap_year(clock):
    hand = _lookup("DATE '2025-02-01'", "DATE '2025-03-31'", "s.d - INTERVAL 1 YEAR")
    clock.check(hand, metrics=["revenue_prev_year"], group_by=["metric_time__day"], start_time="2025-02-01",
                end_time="2025-03-31")


@pytest.mark.parametrize(("metric", "days"), [("revenue_prev_week", 7), ("revenue_prev_day", 1)])
def test_day_offsets_at_day_grain(clock, metric, days):
    hand = f"SELECT k + {days}, v FROM ({DAILY})"
    clock.check(hand, metrics=[metric], group_by=["metric_time__day"])


def test_week_over_week_by_day_with_range(clock):
    hand = (f"WITH cur AS ({DAILY}), prev AS (SELECT k + 7 AS k, v FROM ({DAILY})) "
            "SELECT * FROM (SELECT coalesce(cur.k, prev.k) AS k, cur.v - prev.v FROM cur "
            "FULL OUTER JOIN prev ON cur.k = prev.k) WHERE k BETWEEN DATE '2024-12-25' AND DATE '2025-01-10'")
    clock.check(hand, metrics=["revenue_wow"], group_by=["metric_time__day"], start_time="2024-12-25",
                end_time="2025-01-10")


def test_seven_day_offset_at_week_grain(clock):
    hand = f"SELECT k + 7, v FROM ({by_period('week')})"
    clock.check(hand, metrics=["revenue_prev_week"], group_by=["metric_time__week"])


def test_offset_to_grain_month_at_day_grain(clock):
    hand = _lookup("DATE '2024-01-15'", "DATE '2024-07-10'", "date_trunc('month', s.d)")
    result = clock.check(hand, metrics=["revenue_month_start"], group_by=["metric_time__day"],
                         start_time="2024-01-15", end_time="2024-07-10")
    days = {r[0] for r in result.rows}
    assert dt.date(2024, 2, 29) in days and dt.date(2024, 1, 14) not in days


def test_offset_of_cumulative_metric_looks_back_before_range(clock):
    mtd = daily_cumulative("sum(amount)", window_condition(grain_to_date="month"), "DATE '2024-01-01'",
                           "DATE '2024-03-31'")
    days = spine("DATE '2024-03-01'", "DATE '2024-03-15'")
    hand = (f"WITH m AS ({mtd}), s AS ({days}) "
            "SELECT s.d, m.v FROM s JOIN m ON m.d = s.d - 7")
    clock.check(hand, metrics=["mtd_prev_week"], group_by=["metric_time__day"], start_time="2024-03-01",
                end_time="2024-03-15")


# -- unsupported combinations -----------------------------------------------------------------------
@pytest.mark.parametrize(("metric", "grain"), [
    ("revenue_prev_week", "month"), ("revenue_prev_week", "quarter"), ("revenue_prev_month", "week"),
    ("revenue_prev_quarter", "year"), ("revenue_prev_month", "quarter"), ("revenue_prev_month", "year"),
])
def test_offset_at_non_dividing_grain_is_unsupported(clock, metric, grain):
    with pytest.raises(ml.UnsupportedError):
        clock.query(metrics=[metric], group_by=[f"metric_time__{grain}"])


@pytest.mark.parametrize("group_by", [[], ["order__channel"]])
def test_offset_without_metric_time_is_an_error(clock, group_by):
    with pytest.raises(ml.MetricsLayerError):
        clock.query(metrics=["revenue_mom"], group_by=group_by)
