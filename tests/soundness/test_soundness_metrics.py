"""Aggregations, ratios (zero denominators), derived metrics nested twice with alias and input filters.

MetricFlow semantics for a filtered input: each input is aggregated on its own and the inputs are joined on
the group-by keys, so a group where the filtered input has no rows gets NULL (there is no row, and no
fill_nulls_with), not 0. The hand-written SQL says so with NULLIF(count(...) FILTER (...), 0).
"""

from __future__ import annotations

import math

import pytest
from soundness_helpers import merge_sql

ORDERS_C = "FROM orders o LEFT JOIN customers c ON o.customer_id = c.customer_id"
AGGS = {
    "order_count": "count(o.order_id)",
    "buyers": "count(DISTINCT o.customer_id)",
    "avg_shipping": "avg(o.shipping)",
    "min_shipping": "min(o.shipping)",
    "max_shipping": "max(o.shipping)",
    "median_shipping": "quantile_cont(o.shipping, 0.5)",
    "p90_shipping": "quantile_cont(o.shipping, 0.9)",
    "p75_shipping_disc": "quantile_disc(o.shipping, 0.75)",
    "gift_orders": "sum(CASE WHEN o.is_gift THEN 1 ELSE 0 END)",
    "discount": "sum(o.discount)",
}


@pytest.mark.parametrize("metric", list(AGGS))
def test_aggregation_grand_total(shop, metric):
    shop.check(f"SELECT {AGGS[metric]} FROM orders o", metrics=[metric])


@pytest.mark.parametrize("metric", list(AGGS))
def test_aggregation_by_region(shop, metric):
    shop.check(f"SELECT c.region, {AGGS[metric]} {ORDERS_C} GROUP BY 1", metrics=[metric],
               group_by=["customer__region"])


def test_all_aggregations_by_month_in_one_query(shop):
    cols = ", ".join(AGGS.values())
    shop.check(f"SELECT CAST(date_trunc('month', o.ordered_at) AS DATE), {cols} FROM orders o GROUP BY 1",
               metrics=list(AGGS), group_by=["metric_time__month"])


def test_average_of_integers_is_not_truncated(shop):
    result = shop.query(metrics=["avg_shipping"])
    (expected,), = shop.sql("SELECT sum(shipping) / count(shipping) FROM orders")
    assert expected != int(expected), "fixture: the average is not a whole number"
    assert math.isclose(float(result.rows[0][0]), expected)


def test_min_of_timestamp(shop):
    shop.check(f"SELECT c.region, min(o.ordered_at) {ORDERS_C} GROUP BY 1",
               metrics=["first_order_at"], group_by=["customer__region"])


def test_count_distinct_with_item_metric_is_not_inflated(shop):
    hand = merge_sql(["k"], [
        (f"SELECT c.region AS k, count(DISTINCT o.customer_id) AS buyers {ORDERS_C} GROUP BY 1", ["buyers"]),
        ("SELECT c.region AS k, sum(i.quantity) AS units FROM order_items i LEFT JOIN orders o "
         "ON i.order_id = o.order_id LEFT JOIN customers c ON o.customer_id = c.customer_id GROUP BY 1", ["units"]),
    ])
    shop.check(hand, metrics=["buyers", "units"], group_by=["customer__region"])


# -- ratios -------------------------------------------------------------------------------------------
def test_ratio_zero_denominator_is_null(shop):
    result = shop.check(
        f"SELECT c.region, CAST(sum(o.shipping) AS DOUBLE) / NULLIF(sum(CASE WHEN o.is_gift THEN 1 ELSE 0 END), 0) "
        f"{ORDERS_C} GROUP BY 1", metrics=["shipping_per_gift"], group_by=["customer__region"])
    values = {r[0]: r[1] for r in result.rows}
    assert values["MEA"] is None  # 0 gift orders: NULL, not an error, not inf


def test_ratio_zero_denominator_by_month(shop):
    result = shop.check(
        "SELECT CAST(date_trunc('month', ordered_at) AS DATE), CAST(sum(shipping) AS DOUBLE) / "
        "NULLIF(sum(CASE WHEN is_gift THEN 1 ELSE 0 END), 0) FROM orders GROUP BY 1",
        metrics=["shipping_per_gift"], group_by=["metric_time__month"])
    assert any(r[1] is None for r in result.rows)
    assert all(r[1] is None or math.isfinite(r[1]) for r in result.rows)


def test_derived_division_by_zero_is_null_not_inf(shop):
    result = shop.check(
        f"SELECT c.region, CAST(sum(o.shipping) AS DOUBLE) / NULLIF(sum(CASE WHEN o.is_gift THEN 1 ELSE 0 END), 0) "
        f"{ORDERS_C} GROUP BY 1", metrics=["shipping_per_gift_derived"], group_by=["customer__region"])
    assert all(r[1] is None or math.isfinite(r[1]) for r in result.rows)


def test_ratio_with_numerator_filter(shop):
    shop.check(f"SELECT c.region, CAST(NULLIF(count(o.order_id) FILTER (WHERE o.status = 'returned'), 0) AS DOUBLE) "
               f"/ NULLIF(count(o.order_id), 0) {ORDERS_C} GROUP BY 1",
               metrics=["return_rate"], group_by=["customer__region"])


def test_ratio_across_models(shop):
    hand = merge_sql(["k"], [
        ("SELECT o.status AS k, sum(i.quantity * i.price) AS rev FROM order_items i "
         "LEFT JOIN orders o ON i.order_id = o.order_id GROUP BY 1", ["rev"]),
        ("SELECT status AS k, count(order_id) AS n FROM orders GROUP BY 1", ["n"]),
    ])
    shop.check(f"SELECT k, CAST(rev AS DOUBLE) / NULLIF(n, 0) FROM ({hand})",
               metrics=["revenue_per_order"], group_by=["order__status"])


def test_ratio_zero_units(shop):
    shop.check("SELECT product, CAST(sum(quantity * price) AS DOUBLE) / NULLIF(sum(quantity), 0) "
               "FROM order_items GROUP BY 1", metrics=["revenue_per_unit"], group_by=["order_item__product"])


# -- derived ------------------------------------------------------------------------------------------
def test_integer_division_is_not_truncated(shop):
    result = shop.check("SELECT CAST(sum(CASE WHEN is_gift THEN 1 ELSE 0 END) AS DOUBLE) / count(order_id) "
                        "FROM orders", metrics=["gift_share"])
    assert 0 < result.rows[0][0] < 1
    by_status = shop.query(metrics=["completed_share"], group_by=["order__channel"])
    assert any(0 < r[1] < 1 for r in by_status.rows)


def test_derived_with_alias_and_input_filter(shop):
    shop.check("SELECT channel, CAST(NULLIF(count(order_id) FILTER (WHERE status = 'completed'), 0) AS DOUBLE) "
               "/ count(order_id) FROM orders GROUP BY 1",
               metrics=["completed_share"], group_by=["order__channel"])


PER_REGION = f"""SELECT c.region AS k, CAST(sum(o.shipping) AS DOUBLE) / NULLIF(count(o.order_id), 0) AS spo,
    CAST(NULLIF(count(o.order_id) FILTER (WHERE o.status = 'completed'), 0) AS DOUBLE) / NULLIF(count(o.order_id), 0) AS share
    {ORDERS_C} GROUP BY 1"""
ITEMS_PER_REGION = """SELECT c.region AS k, count(i.order_item_id) AS items FROM order_items i
    LEFT JOIN orders o ON i.order_id = o.order_id LEFT JOIN customers c ON o.customer_id = c.customer_id
    GROUP BY 1"""


def test_derived_of_ratio_and_derived(shop):
    shop.check(f"SELECT k, spo * share FROM ({PER_REGION})", metrics=["weighted_spo"], group_by=["customer__region"])


def test_derived_nested_twice(shop):
    hand = merge_sql(["k"], [(PER_REGION.replace(" GROUP BY 1", " GROUP BY 1"), ["spo", "share"]),
                             (f"SELECT c.region AS k, count(o.order_id) AS n {ORDERS_C} GROUP BY 1", ["n"]),
                             (ITEMS_PER_REGION, ["items"])])
    shop.check(f"SELECT k, 100 * spo * share - CAST(items AS DOUBLE) / NULLIF(n, 0) FROM ({hand})",
               metrics=["weighted_spo_pct"], group_by=["customer__region"])


def test_derived_nested_twice_grand_total(shop):
    (spo, share, n), = shop.sql("SELECT CAST(sum(shipping) AS DOUBLE) / count(order_id), "
                                "CAST(NULLIF(count(order_id) FILTER (WHERE status = 'completed'), 0) AS DOUBLE) / count(order_id), "
                                "count(order_id) FROM orders")
    (items,), = shop.sql("SELECT count(*) FROM order_items")
    result = shop.query(metrics=["weighted_spo_pct", "weighted_spo", "items_per_order"])
    got = result.rows[0]
    assert math.isclose(got[0], 100 * spo * share - items / n)
    assert math.isclose(got[1], spo * share)
    assert math.isclose(got[2], items / n)


def test_input_filter_on_nested_derived_reaches_every_measure(shop):
    eu = (f"SELECT o.status AS k, CAST(sum(o.shipping) AS DOUBLE) / NULLIF(count(o.order_id), 0) AS spo, "
          "CAST(NULLIF(count(o.order_id) FILTER (WHERE o.status = 'completed'), 0) AS DOUBLE) / NULLIF(count(o.order_id), 0) "
          f"AS share {ORDERS_C} WHERE c.region = 'EU' GROUP BY 1")
    shop.check(f"SELECT k, spo * share + 0 FROM ({eu})", metrics=["eu_weighted_spo"], group_by=["order__status"])


def test_derived_with_its_inputs_and_query_filter(shop):
    hand = (f"SELECT o.channel, CAST(NULLIF(count(o.order_id) FILTER (WHERE o.status = 'completed'), 0) AS DOUBLE) "
            f"/ count(o.order_id), count(o.order_id) {ORDERS_C} WHERE c.region <> 'EU' GROUP BY 1")
    shop.check(hand, metrics=["completed_share", "order_count"], group_by=["order__channel"],
               where=["{{ Dimension('customer__region') }} <> 'EU'"])
