"""Fan-out, chasm traps, NULL groups, unmatched foreign keys, totals, dimension-only queries, order/limit."""

from __future__ import annotations

import pytest
from soundness_helpers import assert_same_rows, merge_sql

import metricslayer as ml

ORDERS_BY_REGION = """
    SELECT c.region AS k, count(o.order_id) AS order_count, sum(o.shipping) AS shipping
    FROM orders o LEFT JOIN customers c ON o.customer_id = c.customer_id GROUP BY 1"""
ITEMS_BY_REGION = """
    SELECT c.region AS k, sum(i.quantity * i.price) AS revenue, sum(i.quantity) AS units
    FROM order_items i LEFT JOIN orders o ON i.order_id = o.order_id
    LEFT JOIN customers c ON o.customer_id = c.customer_id GROUP BY 1"""
TICKETS_BY_REGION = """
    SELECT c.region AS k, count(t.ticket_id) AS ticket_count
    FROM support_tickets t LEFT JOIN customers c ON t.customer_id = c.customer_id GROUP BY 1"""


def test_order_level_metric_with_item_metric_by_region_does_not_double_count(shop):
    hand = merge_sql(["k"], [(ORDERS_BY_REGION, ["shipping", "order_count"]),
                             (ITEMS_BY_REGION, ["revenue", "units"])])
    shop.check(hand, metrics=["shipping", "order_count", "revenue", "units"], group_by=["customer__region"])


def test_order_level_metric_by_order_dimension_with_items_in_same_query(shop):
    hand = merge_sql(["k"], [
        ("SELECT status AS k, sum(shipping) AS shipping, count(order_id) AS order_count FROM orders GROUP BY 1",
         ["shipping", "order_count"]),
        ("SELECT o.status AS k, count(i.order_item_id) AS item_count FROM order_items i "
         "LEFT JOIN orders o ON i.order_id = o.order_id GROUP BY 1", ["item_count"]),
    ])
    shop.check(hand, metrics=["shipping", "order_count", "item_count"], group_by=["order__status"])


def test_order_level_metric_grouped_by_order_entity_with_items(shop):
    hand = merge_sql(["k"], [
        ("SELECT order_id AS k, sum(shipping) AS shipping FROM orders GROUP BY 1", ["shipping"]),
        ("SELECT order_id AS k, sum(quantity * price) AS revenue FROM order_items GROUP BY 1", ["revenue"]),
    ])
    shop.check(hand, metrics=["shipping", "revenue"], group_by=["order"])


def test_shipping_total_is_not_inflated_by_items(shop):
    # the number a naive orders JOIN order_items would inflate
    (naive,), = shop.sql("SELECT sum(o.shipping) FROM orders o JOIN order_items i ON i.order_id = o.order_id")
    (right,), = shop.sql("SELECT sum(shipping) FROM orders")
    assert naive != right
    result = shop.query(metrics=["shipping", "revenue"])
    assert float(result.rows[0][0]) == float(right)


def test_order_metric_by_item_level_dimension_is_rejected_not_fanned_out(shop):
    # orders cannot reach order_items (many items per order): asking for it must be an error
    with pytest.raises(ml.MetricsLayerError):
        shop.query(metrics=["shipping"], group_by=["order_item__product"])


def test_chasm_trap_orders_and_tickets_by_region(shop):
    hand = merge_sql(["k"], [(ORDERS_BY_REGION, ["order_count", "shipping"]),
                             (TICKETS_BY_REGION, ["ticket_count"])])
    result = shop.check(hand, metrics=["order_count", "shipping", "ticket_count"], group_by=["customer__region"])
    # exactly one NULL group holding the NULL region, the missing customers and the NULL foreign keys
    nulls = [r for r in result.rows if r[0] is None]
    assert len(nulls) == 1 and nulls[0][1] == 6 and nulls[0][3] == 3
    # LATAM has only tickets, MEA only orders
    by_region = {r[0]: r for r in result.rows}
    assert by_region["LATAM"][1] is None and by_region["LATAM"][3] == 2
    assert by_region["MEA"][3] is None


def test_chasm_trap_three_facts_by_region_and_tier(shop):
    def part(sql_from: str, metric_sql: str, name: str) -> tuple[str, list[str]]:
        return (f"SELECT c.region AS r, c.tier AS t, {metric_sql} AS {name} {sql_from} GROUP BY 1, 2", [name])

    hand = merge_sql(["r", "t"], [
        part("FROM orders o LEFT JOIN customers c ON o.customer_id = c.customer_id", "count(o.order_id)",
             "order_count"),
        part("FROM order_items i LEFT JOIN orders o ON i.order_id = o.order_id "
             "LEFT JOIN customers c ON o.customer_id = c.customer_id", "sum(i.quantity * i.price)", "revenue"),
        part("FROM support_tickets s LEFT JOIN customers c ON s.customer_id = c.customer_id",
             "count(s.ticket_id)", "ticket_count"),
    ])
    shop.check(hand, metrics=["order_count", "revenue", "ticket_count"],
               group_by=["customer__region", "customer__tier"])


def test_chasm_trap_by_month(shop):
    hand = merge_sql(["m"], [
        ("SELECT CAST(date_trunc('month', ordered_at) AS DATE) AS m, count(order_id) AS order_count "
         "FROM orders GROUP BY 1", ["order_count"]),
        ("SELECT CAST(date_trunc('month', opened_at) AS DATE) AS m, count(ticket_id) AS ticket_count "
         "FROM support_tickets GROUP BY 1", ["ticket_count"]),
    ])
    shop.check(hand, metrics=["order_count", "ticket_count"], group_by=["metric_time__month"])


def test_null_dimension_is_its_own_group_single_model(shop):
    shop.check("SELECT channel, count(order_id), sum(shipping) FROM orders GROUP BY 1",
               metrics=["order_count", "shipping"], group_by=["order__channel"])


def test_null_dimension_values_in_two_dimensions(shop):
    shop.check("SELECT c.tier, o.channel, count(o.order_id) FROM orders o "
               "LEFT JOIN customers c ON o.customer_id = c.customer_id GROUP BY 1, 2",
               metrics=["order_count"], group_by=["customer__tier", "order__channel"])


def test_unmatched_foreign_keys_are_kept_in_the_null_group(shop):
    result = shop.check("SELECT c.region, count(o.order_id), sum(o.shipping) FROM orders o "
                        "LEFT JOIN customers c ON o.customer_id = c.customer_id GROUP BY 1",
                        metrics=["order_count", "shipping"], group_by=["customer__region"])
    (total,), = shop.sql("SELECT count(*) FROM orders")
    assert sum(r[1] for r in result.rows) == total


def test_unmatched_item_order_is_kept(shop):
    shop.check("SELECT o.status, sum(i.quantity), count(i.order_item_id) FROM order_items i "
               "LEFT JOIN orders o ON i.order_id = o.order_id GROUP BY 1",
               metrics=["units", "item_count"], group_by=["order__status"])


def test_null_group_by_entity(shop):
    shop.check("SELECT customer_id, count(order_id) FROM orders GROUP BY 1",
               metrics=["order_count"], group_by=["customer"])


def test_grand_total_across_models(shop):
    hand = ("SELECT (SELECT count(order_id) FROM orders), (SELECT sum(shipping) FROM orders), "
            "(SELECT sum(quantity * price) FROM order_items), (SELECT count(ticket_id) FROM support_tickets)")
    result = shop.check(hand, metrics=["order_count", "shipping", "revenue", "ticket_count"])
    assert len(result.rows) == 1


def test_grand_total_single_metric(shop):
    shop.check("SELECT count(order_id) FROM orders", metrics=["order_count"])


def test_dimension_only_query_gives_distinct_values(shop):
    shop.check("SELECT DISTINCT region FROM customers", group_by=["customer__region"])


def test_dimension_only_query_two_dimensions(shop):
    shop.check("SELECT DISTINCT region, tier FROM customers", group_by=["customer__region", "customer__tier"])


def test_dimension_only_query_on_fact_dimension(shop):
    shop.check("SELECT DISTINCT status FROM orders", group_by=["order__status"])


def test_order_by_metric_desc_with_limit(shop):
    hand = ("SELECT c.region, sum(o.shipping) AS s FROM orders o LEFT JOIN customers c "
            "ON o.customer_id = c.customer_id GROUP BY 1 ORDER BY s DESC LIMIT 2")
    expected = shop.sql(hand)
    everything = shop.sql(hand.replace(" LIMIT 2", ""))
    assert everything[1][1] != everything[2][1], "fixture: no tie at the cut"
    result = shop.query(metrics=["shipping"], group_by=["customer__region"], order_by=["-shipping"], limit=2)
    assert_same_rows(result.rows, expected, ordered=True, sql=result.sql)


def test_order_by_time_with_limit(shop):
    hand = ("SELECT CAST(date_trunc('month', ordered_at) AS DATE) AS m, count(order_id) FROM orders "
            "WHERE ordered_at IS NOT NULL GROUP BY 1 ORDER BY m LIMIT 4")
    result = shop.query(metrics=["order_count"], group_by=["metric_time__month"],
                        order_by=["metric_time__month"], limit=4)
    assert_same_rows(result.rows, shop.sql(hand), ordered=True, sql=result.sql)


def test_order_by_two_metrics_from_two_models(shop):
    hand = merge_sql(["k"], [(ORDERS_BY_REGION, ["order_count"]), (TICKETS_BY_REGION, ["ticket_count"])])
    hand = f"SELECT * FROM ({hand}) ORDER BY order_count DESC NULLS LAST, ticket_count DESC LIMIT 2"
    expected = shop.sql(hand)
    result = shop.query(metrics=["order_count", "ticket_count"], group_by=["customer__region"],
                        order_by=["-order_count", "-ticket_count"], limit=2)
    assert_same_rows(result.rows, expected, ordered=True, sql=result.sql)
