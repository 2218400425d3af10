"""Every grain of metric_time and of a model time dimension; start_time/end_time widened to whole periods."""

from __future__ import annotations

import datetime as dt

import pytest
from soundness_helpers import assert_same_rows, merge_sql

GRAINS = ["day", "week", "month", "quarter", "year"]


@pytest.mark.parametrize("grain", GRAINS)
def test_metric_time_grain(shop, grain):
    hand = (f"SELECT CAST(date_trunc('{grain}', ordered_at) AS DATE), count(order_id), sum(shipping) "
            "FROM orders GROUP BY 1")
    result = shop.check(hand, metrics=["order_count", "shipping"], group_by=[f"metric_time__{grain}"])
    for row in result.rows:
        assert row[0] is None or (isinstance(row[0], dt.date) and not isinstance(row[0], dt.datetime))


@pytest.mark.parametrize("grain", GRAINS)
def test_model_time_dimension_grain(shop, grain):
    hand = (f"SELECT CAST(date_trunc('{grain}', ordered_at) AS DATE), count(order_id) FROM orders GROUP BY 1")
    shop.check(hand, metrics=["order_count"], group_by=[f"order__ordered_at__{grain}"])


@pytest.mark.parametrize("grain", ["month", "year"])
def test_item_metric_by_order_time_differs_from_item_metric_time(shop, grain):
    by_order = (f"SELECT CAST(date_trunc('{grain}', o.ordered_at) AS DATE), sum(i.quantity) FROM order_items i "
                "LEFT JOIN orders o ON i.order_id = o.order_id GROUP BY 1")
    by_item = (f"SELECT CAST(date_trunc('{grain}', ordered_at) AS DATE), sum(quantity) FROM order_items "
               "GROUP BY 1")
    assert sorted(shop.sql(by_order), key=str) != sorted(shop.sql(by_item), key=str), "fixture trap"
    shop.check(by_order, metrics=["units"], group_by=[f"order__ordered_at__{grain}"])
    shop.check(by_item, metrics=["units"], group_by=[f"metric_time__{grain}"])


def test_metric_time_and_model_time_dimension_together(shop):
    hand = ("SELECT CAST(date_trunc('quarter', ordered_at) AS DATE), CAST(date_trunc('month', ordered_at) AS DATE), "
            "count(order_id) FROM orders GROUP BY 1, 2")
    shop.check(hand, metrics=["order_count"], group_by=["metric_time__quarter", "order__ordered_at__month"])


def test_boundary_values(shop):
    """Known answers on the year and ISO-week boundaries (not only agreement with SQL)."""
    week = dict((r[0], r[1]) for r in shop.query(metrics=["order_count"], group_by=["metric_time__week"]).rows)
    assert week[dt.date(2023, 12, 25)] == 1  # 2023-12-31 23:59:59 (Sunday)
    assert week[dt.date(2024, 1, 1)] == 2  # Monday 00:00:00 and Sunday 23:30
    assert week[dt.date(2024, 1, 8)] == 2  # Monday 00:30 and 09:00
    assert week[dt.date(2024, 12, 30)] == 4  # 2024-12-30, 2024-12-31, 2025-01-01, Sunday 2025-01-05
    assert week[None] == 1
    year = dict((r[0], r[1]) for r in shop.query(metrics=["order_count"], group_by=["metric_time__year"]).rows)
    assert year == {dt.date(2023, 1, 1): 1, dt.date(2024, 1, 1): 24, dt.date(2025, 1, 1): 2, None: 1}
    quarter = dict((r[0], r[1]) for r in
                   shop.query(metrics=["order_count"], group_by=["order__ordered_at__quarter"]).rows)
    assert quarter[dt.date(2024, 1, 1)] == 14 and quarter[dt.date(2024, 4, 1)] == 3


def test_day_grain_of_non_midnight_timestamps(shop):
    day = dict((r[0], r[1]) for r in shop.query(metrics=["order_count"], group_by=["metric_time__day"]).rows)
    assert day[dt.date(2024, 2, 29)] == 1 and day[dt.date(2024, 2, 20)] == 2
    assert dt.date(2024, 3, 1) in day


def test_time_dimension_of_dimension_model(shop):
    hand = ("SELECT CAST(date_trunc('month', c.signup_date) AS DATE), count(o.order_id) FROM orders o "
            "LEFT JOIN customers c ON o.customer_id = c.customer_id GROUP BY 1")
    shop.check(hand, metrics=["order_count"], group_by=["customer__signup_date__month"])


# -- start_time / end_time ---------------------------------------------------------------------------
def test_time_range_month_grain_widened(shop):
    hand = ("SELECT CAST(date_trunc('month', ordered_at) AS DATE), count(order_id) FROM orders "
            "WHERE ordered_at >= TIMESTAMP '2024-01-01' AND ordered_at < TIMESTAMP '2024-03-01' GROUP BY 1")
    result = shop.check(hand, metrics=["order_count"], group_by=["metric_time__month"],
                        start_time="2024-01-15", end_time="2024-02-10")
    assert {r[0] for r in result.rows} == {dt.date(2024, 1, 1), dt.date(2024, 2, 1)}


def test_time_range_day_grain_end_is_inclusive(shop):
    hand = ("SELECT CAST(date_trunc('day', ordered_at) AS DATE), count(order_id) FROM orders "
            "WHERE ordered_at >= TIMESTAMP '2024-01-08' AND ordered_at < TIMESTAMP '2024-02-11' GROUP BY 1")
    result = shop.check(hand, metrics=["order_count"], group_by=["metric_time__day"],
                        start_time="2024-01-08", end_time="2024-02-10")
    assert dt.date(2024, 2, 10) in {r[0] for r in result.rows}  # the order at 18:45 on the end day


def test_time_range_week_grain_widened_to_monday_sunday(shop):
    hand = ("SELECT CAST(date_trunc('week', ordered_at) AS DATE), count(order_id) FROM orders "
            "WHERE ordered_at >= TIMESTAMP '2024-01-01' AND ordered_at < TIMESTAMP '2024-01-15' GROUP BY 1")
    shop.check(hand, metrics=["order_count"], group_by=["metric_time__week"],
               start_time="2024-01-03", end_time="2024-01-09")


def test_time_range_quarter_and_year_grain(shop):
    hand = ("SELECT CAST(date_trunc('quarter', ordered_at) AS DATE), sum(shipping) FROM orders "
            "WHERE ordered_at >= TIMESTAMP '2024-01-01' AND ordered_at < TIMESTAMP '2024-07-01' GROUP BY 1")
    shop.check(hand, metrics=["shipping"], group_by=["metric_time__quarter"],
               start_time="2024-02-15", end_time="2024-05-01")
    hand = ("SELECT CAST(date_trunc('year', ordered_at) AS DATE), sum(shipping) FROM orders "
            "WHERE ordered_at >= TIMESTAMP '2024-01-01' AND ordered_at < TIMESTAMP '2026-01-01' GROUP BY 1")
    shop.check(hand, metrics=["shipping"], group_by=["metric_time__year"],
               start_time="2024-12-31", end_time="2025-01-01")


def test_time_range_without_time_group_by(shop):
    hand = ("SELECT count(order_id) FROM orders "
            "WHERE ordered_at >= TIMESTAMP '2024-02-10' AND ordered_at < TIMESTAMP '2024-02-11'")
    result = shop.check(hand, metrics=["order_count"], start_time="2024-02-10", end_time="2024-02-10")
    assert result.rows[0][0] == 1


def test_time_range_two_models(shop):
    lo, hi = "TIMESTAMP '2024-01-01'", "TIMESTAMP '2024-04-01'"
    hand = merge_sql(["m"], [
        ("SELECT CAST(date_trunc('month', ordered_at) AS DATE) AS m, count(order_id) AS order_count "
         f"FROM orders WHERE ordered_at >= {lo} AND ordered_at < {hi} GROUP BY 1", ["order_count"]),
        ("SELECT CAST(date_trunc('month', opened_at) AS DATE) AS m, count(ticket_id) AS ticket_count "
         f"FROM support_tickets WHERE opened_at >= {lo} AND opened_at < {hi} GROUP BY 1", ["ticket_count"]),
    ])
    shop.check(hand, metrics=["order_count", "ticket_count"], group_by=["metric_time__month"],
               start_time="2024-01-31", end_time="2024-03-02")


def test_time_range_with_region_group_by(shop):
    hand = ("SELECT c.region, count(o.order_id) FROM orders o LEFT JOIN customers c "
            "ON o.customer_id = c.customer_id WHERE o.ordered_at >= TIMESTAMP '2024-03-01' "
            "AND o.ordered_at < TIMESTAMP '2025-01-01' GROUP BY 1")
    shop.check(hand, metrics=["order_count"], group_by=["customer__region"],
               start_time="2024-03-01", end_time="2024-12-31")


def test_bare_metric_time_is_day(shop):
    result = shop.query(metrics=["order_count"], group_by=["metric_time"])
    assert result.columns == ["metric_time__day", "order_count"]
    assert_same_rows(result.rows, shop.sql("SELECT CAST(date_trunc('day', ordered_at) AS DATE), count(order_id) "
                                           "FROM orders GROUP BY 1"), sql=result.sql)


def test_time_range_with_times_of_day_widened_to_whole_days(shop):
    result = shop.check("SELECT count(order_id) FROM orders WHERE ordered_at >= TIMESTAMP '2024-02-10' "
                        "AND ordered_at < TIMESTAMP '2024-02-11'", metrics=["order_count"],
                        start_time="2024-02-10T19:00:00", end_time="2024-02-10T19:00:00")
    assert result.rows == [(1,)]
