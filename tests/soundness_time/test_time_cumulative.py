"""Cumulative metrics: trailing windows, grain-to-date, all-time, period_agg, start/end with lookback."""

from __future__ import annotations

import datetime as dt

import pytest
from clock_sql import at_grain, daily_cumulative, window_condition

FIRST = "(SELECT min(d) FROM f0)"
LAST = "(SELECT max(d) FROM f0)"


def _last_plus(days: int) -> str:
    return f"(SELECT max(d) + {days} FROM f0)"


END_OF_LAST_MONTH = "(SELECT CAST(last_day(max(d)) AS DATE) FROM f0)"


# -- by day, no time range --------------------------------------------------------------------------
@pytest.mark.parametrize(("metric", "agg"), [
    ("revenue_7d", "sum(amount)"),
    ("orders_7d", "count(order_id)"),
    ("buyers_7d", "count(DISTINCT customer_id)"),
    ("buyers_28d", "count(DISTINCT customer_id)"),
    ("avg_7d", "avg(amount)"),
    ("min_7d", "min(amount)"),
    ("max_7d", "max(amount)"),
    ("median_14d", "quantile_cont(amount, 0.5)"),
    ("p90_14d", "quantile_cont(amount, 0.9)"),
])
def test_trailing_window_by_day(clock, metric, agg):
    days = int(metric.rsplit("_", 1)[1].rstrip("d"))
    hand = daily_cumulative(agg, window_condition(days), FIRST, _last_plus(days - 1))
    clock.check(hand, metrics=[metric], group_by=["metric_time__day"])


def test_window_in_weeks_is_days(clock):
    hand = daily_cumulative("sum(amount)", window_condition(14), FIRST, _last_plus(13))
    clock.check(hand, metrics=["revenue_2w"], group_by=["metric_time__day"])


def test_window_of_one_month_by_day(clock):
    hand = daily_cumulative("sum(amount)", window_condition(interval="1 MONTH"), "DATE '2024-02-25'",
                            "DATE '2024-04-05'")
    clock.check(hand, metrics=["revenue_1m"], group_by=["metric_time__day"],
                start_time="2024-02-25", end_time="2024-04-05")


def test_month_to_date_by_day_runs_to_end_of_last_month(clock):
    hand = daily_cumulative("sum(amount)", window_condition(grain_to_date="month"), FIRST, END_OF_LAST_MONTH)
    result = clock.check(hand, metrics=["revenue_mtd"], group_by=["metric_time__day"])
    assert max(r[0] for r in result.rows) == dt.date(2025, 4, 30)


@pytest.mark.parametrize(("metric", "grain"), [("revenue_qtd", "quarter"), ("revenue_ytd", "year")])
def test_quarter_and_year_to_date_by_day(clock, metric, grain):
    hand = daily_cumulative("sum(amount)", window_condition(grain_to_date=grain), "DATE '2024-12-20'",
                            "DATE '2025-04-10'")
    clock.check(hand, metrics=[metric], group_by=["metric_time__day"], start_time="2024-12-20",
                end_time="2025-04-10")


def test_all_time_by_day(clock):
    hand = daily_cumulative("sum(amount)", window_condition(), FIRST, LAST)
    result = clock.check(hand, metrics=["revenue_all"], group_by=["metric_time__day"])
    total = clock.sql("SELECT sum(amount) FROM orders")[0][0]
    assert max(result.rows)[1] == total


def test_empty_month_has_no_trailing_rows_after_window(clock):
    """May 2024 has no orders: 7-day rows stop on 2024-05-07 (April 30's order + 6 days)."""
    rows = clock.query(metrics=["revenue_7d"], group_by=["metric_time__day"], start_time="2024-04-25",
                       end_time="2024-06-05").rows
    days = sorted(r[0] for r in rows)
    assert dt.date(2024, 5, 6) in days and dt.date(2024, 5, 7) not in days
    assert all(not (dt.date(2024, 5, 7) <= d < dt.date(2024, 6, 1)) for d in days)


def test_month_to_date_empty_month_produces_no_rows(clock):
    rows = clock.query(metrics=["revenue_mtd"], group_by=["metric_time__day"], start_time="2024-05-01",
                       end_time="2024-05-31").rows
    assert rows == []


def test_month_to_date_keeps_going_on_empty_days(clock):
    rows = dict(clock.query(metrics=["revenue_mtd"], group_by=["metric_time__day"], start_time="2024-02-01",
                            end_time="2024-02-29").rows)
    assert len(rows) == 29
    assert rows[dt.date(2024, 2, 29)] == clock.sql(
        "SELECT sum(amount) FROM orders WHERE ordered_at >= '2024-02-01' AND ordered_at < '2024-03-01'")[0][0]


# -- start/end never cut the lookback -------------------------------------------------------------------
@pytest.mark.parametrize(("metric", "agg", "days"), [
    ("revenue_7d", "sum(amount)", 7), ("buyers_28d", "count(DISTINCT customer_id)", 28),
    ("avg_7d", "avg(amount)", 7), ("median_14d", "quantile_cont(amount, 0.5)", 14),
])
def test_window_lookback_across_year_boundary(clock, metric, agg, days):
    hand = daily_cumulative(agg, window_condition(days), "DATE '2024-01-01'", "DATE '2024-01-10'")
    result = clock.check(hand, metrics=[metric], group_by=["metric_time__day"], start_time="2024-01-01",
                         end_time="2024-01-10")
    assert min(r[0] for r in result.rows) == dt.date(2024, 1, 1)


def test_window_first_day_sees_six_days_before(clock):
    value = dict(clock.query(metrics=["revenue_7d"], group_by=["metric_time__day"], start_time="2025-01-01",
                             end_time="2025-01-01").rows)
    expected = clock.sql("SELECT sum(amount) FROM orders WHERE ordered_at >= '2024-12-26' "
                         "AND ordered_at < '2025-01-02'")[0][0]
    assert value == {dt.date(2025, 1, 1): expected}


def test_month_to_date_with_range_starting_mid_month(clock):
    hand = daily_cumulative("sum(amount)", window_condition(grain_to_date="month"), "DATE '2024-02-20'",
                            "DATE '2024-03-03'")
    clock.check(hand, metrics=["revenue_mtd"], group_by=["metric_time__day"], start_time="2024-02-20",
                end_time="2024-03-03")


def test_all_time_with_range_sees_everything_before(clock):
    hand = daily_cumulative("sum(amount)", window_condition(), "DATE '2024-06-25'", "DATE '2024-07-05'")
    clock.check(hand, metrics=["revenue_all"], group_by=["metric_time__day"], start_time="2024-06-25",
                end_time="2024-07-05")


def test_start_time_with_timestamp_non_midnight(clock):
    hand = daily_cumulative("sum(amount)", window_condition(7), "DATE '2024-02-28'", "DATE '2024-03-02'")
    clock.check(hand, metrics=["revenue_7d"], group_by=["metric_time__day"], start_time="2024-02-28T13:00:00",
                end_time="2024-03-02T01:00:00")


# -- coarser grains: period_agg ----------------------------------------------------------------------
@pytest.mark.parametrize(("metric", "period_agg", "days"), [
    ("revenue_7d", "first", 7), ("revenue_7d_last", "last", 7), ("revenue_7d_avg", "average", 7),
])
@pytest.mark.parametrize("grain", ["week", "month", "quarter"])
def test_window_period_agg(clock, metric, period_agg, days, grain):
    daily = daily_cumulative("sum(amount)", window_condition(days), FIRST, _last_plus(days - 1))
    clock.check(at_grain(daily, grain, period_agg), metrics=[metric], group_by=[f"metric_time__{grain}"])


@pytest.mark.parametrize(("metric", "period_agg"), [("revenue_mtd", "first"), ("revenue_mtd_last", "last")])
def test_month_to_date_by_month(clock, metric, period_agg):
    daily = daily_cumulative("sum(amount)", window_condition(grain_to_date="month"), FIRST, END_OF_LAST_MONTH)
    clock.check(at_grain(daily, "month", period_agg), metrics=[metric], group_by=["metric_time__month"])


def test_month_to_date_last_equals_month_total(clock):
    got = dict(clock.query(metrics=["revenue_mtd_last"], group_by=["metric_time__month"]).rows)
    totals = dict(clock.sql("SELECT CAST(date_trunc('month', ordered_at) AS DATE), sum(amount) FROM orders "
                            "GROUP BY 1"))
    assert got == totals


@pytest.mark.parametrize(("metric", "period_agg"), [("revenue_all", "first"), ("revenue_all_last", "last")])
def test_all_time_by_month(clock, metric, period_agg):
    daily = daily_cumulative("sum(amount)", window_condition(), FIRST, LAST)
    clock.check(at_grain(daily, "month", period_agg), metrics=[metric], group_by=["metric_time__month"])


def test_window_by_month_with_range_widened_and_lookback(clock):
    daily = daily_cumulative("sum(amount)", window_condition(7), "DATE '2024-01-01'", "DATE '2024-03-31'")
    clock.check(at_grain(daily, "month", "first"), metrics=["revenue_7d"], group_by=["metric_time__month"],
                start_time="2024-01-15", end_time="2024-03-10")


def test_distinct_count_by_month_first_day(clock):
    daily = daily_cumulative("count(DISTINCT customer_id)", window_condition(28), FIRST, _last_plus(27))
    clock.check(at_grain(daily, "month", "first"), metrics=["buyers_28d"], group_by=["metric_time__month"])


# -- filters and other dimensions -------------------------------------------------------------------------
def test_metric_filter_applies_inside_window(clock):
    hand = daily_cumulative("sum(amount)", window_condition(7), FIRST, _last_plus(6),
                            fact_filter="channel = 'web'")
    clock.check(hand, metrics=["web_revenue_7d"], group_by=["metric_time__day"])


def test_metric_filter_on_joined_dimension_mtd(clock):
    hand = daily_cumulative("sum(amount)", window_condition(grain_to_date="month"), "DATE '2024-01-01'",
                            "DATE '2024-04-30'", fact_filter="customer__region = 'EU'")
    clock.check(hand, metrics=["eu_revenue_mtd"], group_by=["metric_time__day"], start_time="2024-01-01",
                end_time="2024-04-30")


def test_query_where_applies_inside_window(clock):
    hand = daily_cumulative("sum(amount)", window_condition(7), "DATE '2024-01-01'", "DATE '2024-02-15'",
                            fact_filter="channel = 'app'")
    clock.check(hand, metrics=["revenue_7d"], group_by=["metric_time__day"],
                where=["{{ Dimension('order__channel') }} = 'app'"], start_time="2024-01-01",
                end_time="2024-02-15")


@pytest.mark.parametrize(("metric", "agg", "cond"), [
    ("revenue_7d", "sum(amount)", window_condition(7)),
    ("buyers_7d", "count(DISTINCT customer_id)", window_condition(7)),
    ("revenue_mtd", "sum(amount)", window_condition(grain_to_date="month")),
])
def test_window_by_day_and_nullable_dimension(clock, metric, agg, cond):
    dims = ["order__channel"]
    hand = daily_cumulative(agg, cond, "DATE '2024-01-01'", "DATE '2024-03-31'", dims=dims)
    clock.check(hand, metrics=[metric], group_by=["metric_time__day", *dims], start_time="2024-01-01",
                end_time="2024-03-31")


def test_window_by_day_and_joined_region_with_null(clock):
    dims = ["customer__region"]
    hand = daily_cumulative("sum(amount)", window_condition(7), "DATE '2024-12-20'", "DATE '2025-01-10'",
                            dims=dims)
    clock.check(hand, metrics=["revenue_7d"], group_by=["metric_time__day", *dims], start_time="2024-12-20",
                end_time="2025-01-10")


def test_window_by_month_and_dimension_first_day_per_group(clock):
    dims = ["order__channel"]
    daily = daily_cumulative("sum(amount)", window_condition(7), "DATE '2024-01-01'", "DATE '2024-06-30'",
                             dims=dims)
    clock.check(at_grain(daily, "month", "first", dims), metrics=["revenue_7d"],
                group_by=["metric_time__month", *dims], start_time="2024-01-01", end_time="2024-06-30")


def test_cumulative_next_to_simple_metric(clock):
    daily = daily_cumulative("sum(amount)", window_condition(7), "DATE '2024-02-20'", "DATE '2024-03-10'")
    hand = ("WITH c AS (" + daily + "), s AS (SELECT CAST(ordered_at AS DATE) AS d, count(*) AS n FROM orders "
            "WHERE ordered_at >= '2024-02-20' AND ordered_at < '2024-03-11' GROUP BY 1) "
            "SELECT coalesce(c.d, s.d), c.v, s.n FROM c FULL OUTER JOIN s ON c.d = s.d")
    clock.check(hand, metrics=["revenue_7d", "order_count"], group_by=["metric_time__day"],
                start_time="2024-02-20", end_time="2024-03-10")
