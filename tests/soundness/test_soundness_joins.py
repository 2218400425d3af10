"""Multi-hop dimensions (3 and 4 hops) and SCD type 2 joins on the validity window."""

from __future__ import annotations

from soundness_helpers import merge_sql

ITEM_CHAIN = """FROM order_items i LEFT JOIN orders o ON i.order_id = o.order_id
    LEFT JOIN customers c ON o.customer_id = c.customer_id LEFT JOIN accounts a ON c.account_id = a.account_id
    LEFT JOIN territories t ON a.territory_id = t.territory_id"""
PLAN_JOIN = """LEFT JOIN customer_plans p ON o.customer_id = p.customer_id AND o.ordered_at >= p.valid_from
    AND (o.ordered_at < p.valid_to OR p.valid_to IS NULL)"""


def test_three_hop_dimension(shop):
    shop.check(f"SELECT a.segment, sum(i.quantity * i.price), sum(i.quantity) {ITEM_CHAIN} GROUP BY 1",
               metrics=["revenue", "units"], group_by=["order__customer__account__segment"])


def test_four_hop_dimension(shop):
    shop.check(f"SELECT t.manager, sum(i.quantity * i.price) {ITEM_CHAIN} GROUP BY 1",
               metrics=["revenue"], group_by=["order__customer__account__territory__manager"])


def test_four_hop_dimension_with_order_metric_in_same_query(shop):
    hand = merge_sql(["k"], [
        (f"SELECT t.manager AS k, sum(i.quantity * i.price) AS revenue {ITEM_CHAIN} GROUP BY 1", ["revenue"]),
        ("SELECT t.manager AS k, sum(o.shipping) AS shipping FROM orders o "
         "LEFT JOIN customers c ON o.customer_id = c.customer_id LEFT JOIN accounts a ON c.account_id = a.account_id "
         "LEFT JOIN territories t ON a.territory_id = t.territory_id GROUP BY 1", ["shipping"]),
    ])
    # the same territory manager is 4 hops from items and 3 from orders: ask by the short name
    shop.check(hand, metrics=["revenue", "shipping"], group_by=["territory__manager"])


def test_multi_hop_mixed_with_one_hop(shop):
    shop.check(f"SELECT a.segment, o.status, i.product, count(i.order_item_id) {ITEM_CHAIN} GROUP BY 1, 2, 3",
               metrics=["item_count"],
               group_by=["order__customer__account__segment", "order__status", "order_item__product"])


def test_three_hop_from_orders(shop):
    shop.check("SELECT t.manager, count(o.order_id) FROM orders o LEFT JOIN customers c "
               "ON o.customer_id = c.customer_id LEFT JOIN accounts a ON c.account_id = a.account_id "
               "LEFT JOIN territories t ON a.territory_id = t.territory_id GROUP BY 1",
               metrics=["order_count"], group_by=["customer__account__territory__manager"])


def test_scd_type2_join_on_validity_window(shop):
    result = shop.check(f"SELECT p.plan, count(o.order_id), sum(o.shipping) FROM orders o {PLAN_JOIN} GROUP BY 1",
                        metrics=["order_count", "shipping"], group_by=["customer__plan"])
    (total,), = shop.sql("SELECT count(*) FROM orders")
    assert sum(r[1] for r in result.rows) == total


def test_scd_type2_with_regular_dimension(shop):
    shop.check(f"SELECT p.plan, c.region, count(o.order_id) FROM orders o {PLAN_JOIN} "
               "LEFT JOIN customers c ON o.customer_id = c.customer_id GROUP BY 1, 2",
               metrics=["order_count"], group_by=["customer__plan", "customer__region"])


def test_scd_type2_with_month(shop):
    shop.check(f"SELECT p.plan, CAST(date_trunc('month', o.ordered_at) AS DATE), count(o.order_id) "
               f"FROM orders o {PLAN_JOIN} GROUP BY 1, 2",
               metrics=["order_count"], group_by=["customer__plan", "metric_time__month"])


def test_scd_type2_from_tickets_uses_their_time(shop):
    shop.check("SELECT p.plan, count(s.ticket_id) FROM support_tickets s LEFT JOIN customer_plans p "
               "ON s.customer_id = p.customer_id AND s.opened_at >= p.valid_from "
               "AND (s.opened_at < p.valid_to OR p.valid_to IS NULL) GROUP BY 1",
               metrics=["ticket_count"], group_by=["customer__plan"])


def test_scd_type2_filter(shop):
    shop.check(f"SELECT c.region, count(o.order_id) FROM orders o {PLAN_JOIN} "
               "LEFT JOIN customers c ON o.customer_id = c.customer_id WHERE p.plan = 'enterprise' GROUP BY 1",
               metrics=["order_count"], group_by=["customer__region"],
               where=["{{ Dimension('customer__plan') }} = 'enterprise'"])


def test_scd_type2_two_facts_each_on_its_own_time(shop):
    hand = merge_sql(["k"], [
        (f"SELECT p.plan AS k, count(o.order_id) AS order_count FROM orders o {PLAN_JOIN} GROUP BY 1",
         ["order_count"]),
        ("SELECT p.plan AS k, count(s.ticket_id) AS ticket_count FROM support_tickets s LEFT JOIN customer_plans p "
         "ON s.customer_id = p.customer_id AND s.opened_at >= p.valid_from "
         "AND (s.opened_at < p.valid_to OR p.valid_to IS NULL) GROUP BY 1", ["ticket_count"]),
    ])
    shop.check(hand, metrics=["order_count", "ticket_count"], group_by=["customer__plan"])


def test_dimension_model_measure_next_to_fact_measure(shop):
    hand = merge_sql(["k"], [
        ("SELECT c.region AS k, count(o.order_id) AS order_count FROM orders o "
         "LEFT JOIN customers c ON o.customer_id = c.customer_id GROUP BY 1", ["order_count"]),
        ("SELECT region AS k, count(DISTINCT customer_id) AS customer_total FROM customers GROUP BY 1",
         ["customer_total"]),
    ])
    shop.check(hand, metrics=["order_count", "customer_total"], group_by=["customer__region"])
