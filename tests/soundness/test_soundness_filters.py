"""Query-level and metric-level filters, multi-hop filters, OR, IN, and metric filters (repeat purchase)."""

from __future__ import annotations

from soundness_helpers import merge_sql

ORDERS_C = "FROM orders o LEFT JOIN customers c ON o.customer_id = c.customer_id"
ITEMS_C = ("FROM order_items i LEFT JOIN orders o ON i.order_id = o.order_id "
           "LEFT JOIN customers c ON o.customer_id = c.customer_id")
REGION = "{{ Dimension('customer__region') }}"


def test_where_on_dimension_not_in_group_by(shop):
    shop.check(f"SELECT CAST(date_trunc('month', o.ordered_at) AS DATE), count(o.order_id) {ORDERS_C} "
               "WHERE c.region = 'EU' GROUP BY 1",
               metrics=["order_count"], group_by=["metric_time__month"], where=[f"{REGION} = 'EU'"])


def test_where_applies_to_every_model_of_the_query(shop):
    hand = merge_sql(["k"], [
        (f"SELECT o.status AS k, count(o.order_id) AS order_count {ORDERS_C} WHERE c.region = 'EU' GROUP BY 1",
         ["order_count"]),
        (f"SELECT o.status AS k, sum(i.quantity * i.price) AS revenue {ITEMS_C} WHERE c.region = 'EU' GROUP BY 1",
         ["revenue"]),
    ])
    shop.check(hand, metrics=["order_count", "revenue"], group_by=["order__status"], where=[f"{REGION} = 'EU'"])


def test_metric_filter_on_dimension_not_in_group_by(shop):
    shop.check(f"SELECT o.status, count(o.order_id) {ORDERS_C} WHERE c.region = 'EU' GROUP BY 1",
               metrics=["eu_orders"], group_by=["order__status"])


def test_metric_filter_next_to_unfiltered_metric(shop):
    hand = merge_sql(["k"], [
        ("SELECT channel AS k, count(order_id) AS n FROM orders GROUP BY 1", ["n"]),
        ("SELECT channel AS k, count(order_id) AS completed FROM orders WHERE status = 'completed' GROUP BY 1",
         ["completed"]),
        (f"SELECT o.channel AS k, count(o.order_id) AS eu {ORDERS_C} WHERE c.region = 'EU' GROUP BY 1", ["eu"]),
    ])
    shop.check(hand, metrics=["order_count", "completed_orders", "eu_orders"], group_by=["order__channel"])


def test_multi_hop_metric_filter_with_entity_path(shop):
    shop.check(f"SELECT i.product, sum(i.quantity * i.price) {ITEMS_C} WHERE c.region = 'EU' GROUP BY 1",
               metrics=["eu_revenue"], group_by=["order_item__product"])


def test_multi_hop_query_filter_with_entity_path_and_in_list(shop):
    shop.check(f"SELECT CAST(date_trunc('quarter', i.ordered_at) AS DATE), sum(i.quantity) {ITEMS_C} "
               "WHERE c.region IN ('EU', 'US') GROUP BY 1",
               metrics=["units"], group_by=["metric_time__quarter"],
               where=["{{ Dimension('customer__region', entity_path=['order']) }} IN ('EU', 'US')"])


def test_four_hop_filter(shop):
    shop.check("SELECT i.product, count(*) FROM order_items i LEFT JOIN orders o ON i.order_id = o.order_id "
               "LEFT JOIN customers c ON o.customer_id = c.customer_id LEFT JOIN accounts a "
               "ON c.account_id = a.account_id LEFT JOIN territories t ON a.territory_id = t.territory_id "
               "WHERE t.manager = 'Alice' GROUP BY 1",
               metrics=["item_count"], group_by=["order_item__product"],
               where=["{{ Dimension('territory__manager', entity_path=['order', 'customer', 'account']) }} = 'Alice'"])


def test_ored_filter(shop):
    shop.check(f"SELECT c.tier, count(o.order_id) {ORDERS_C} WHERE o.status = 'returned' OR c.region = 'APAC' "
               "GROUP BY 1",
               metrics=["order_count"], group_by=["customer__tier"],
               where=[f"{{{{ Dimension('order__status') }}}} = 'returned' OR {REGION} = 'APAC'"])


def test_two_where_items_are_anded_and_or_is_kept_together(shop):
    shop.check(f"SELECT c.region, count(o.order_id) {ORDERS_C} "
               "WHERE (o.channel = 'web' OR o.channel = 'app') AND o.status <> 'pending' GROUP BY 1",
               metrics=["order_count"], group_by=["customer__region"],
               where=["{{ Dimension('order__channel') }} = 'web' OR {{ Dimension('order__channel') }} = 'app'",
                      "{{ Dimension('order__status') }} <> 'pending'"])


def test_metric_with_list_of_filters_including_or(shop):
    shop.check(f"SELECT CAST(date_trunc('year', o.ordered_at) AS DATE), count(o.order_id) {ORDERS_C} "
               "WHERE o.status <> 'pending' AND (c.region IN ('APAC', 'US') OR o.channel = 'app') GROUP BY 1",
               metrics=["big_or_apac_orders"], group_by=["metric_time__year"])


def test_in_list_and_is_null(shop):
    shop.check(f"SELECT o.status, count(o.order_id) {ORDERS_C} WHERE c.region IN ('EU', 'MEA') "
               "OR c.region IS NULL GROUP BY 1",
               metrics=["order_count"], group_by=["order__status"],
               where=[f"{REGION} IN ('EU', 'MEA') OR {REGION} IS NULL"])


def test_time_dimension_filter(shop):
    shop.check("SELECT channel, count(order_id) FROM orders "
               "WHERE CAST(date_trunc('month', ordered_at) AS DATE) >= DATE '2024-03-01' GROUP BY 1",
               metrics=["order_count"], group_by=["order__channel"],
               where=["{{ TimeDimension('metric_time', 'month') }} >= '2024-03-01'"])


def test_entity_filter(shop):
    shop.check("SELECT status, sum(shipping) FROM orders WHERE customer_id IN (1, 2, 99) GROUP BY 1",
               metrics=["shipping"], group_by=["order__status"],
               where=["{{ Entity('customer') }} IN (1, 2, 99)"])


def test_query_filter_combined_with_metric_filter(shop):
    shop.check(f"SELECT o.channel, count(o.order_id) {ORDERS_C} WHERE c.region = 'EU' AND o.status = 'completed' "
               "GROUP BY 1",
               metrics=["completed_orders"], group_by=["order__channel"], where=[f"{REGION} = 'EU'"])


# -- metric filters: repeat purchases ------------------------------------------------------------------
REPEAT = "o.customer_id IN (SELECT customer_id FROM orders GROUP BY 1 HAVING count(order_id) > 1)"


def test_repeat_orders_metric(shop):
    shop.check(f"SELECT c.region, count(o.order_id) {ORDERS_C} WHERE {REPEAT} GROUP BY 1",
               metrics=["repeat_orders"], group_by=["customer__region"])


def test_repeat_buyers_metric(shop):
    shop.check(f"SELECT c.region, count(DISTINCT o.customer_id) {ORDERS_C} WHERE {REPEAT} GROUP BY 1",
               metrics=["repeat_buyers"], group_by=["customer__region"])


def test_repeat_orders_grand_total_and_by_month(shop):
    shop.check(f"SELECT count(o.order_id) FROM orders o WHERE {REPEAT}", metrics=["repeat_orders"])
    shop.check(f"SELECT CAST(date_trunc('month', o.ordered_at) AS DATE), count(o.order_id) FROM orders o "
               f"WHERE {REPEAT} GROUP BY 1", metrics=["repeat_orders"], group_by=["metric_time__month"])


def test_metric_filter_in_query_where(shop):
    shop.check(f"SELECT o.status, sum(o.shipping) FROM orders o WHERE {REPEAT} GROUP BY 1",
               metrics=["shipping"], group_by=["order__status"],
               where=["{{ Metric('order_count', group_by=['customer']) }} > 1"])


def test_metric_filter_on_other_model(shop):
    # tickets of customers with more than one order
    shop.check("SELECT s.priority, count(s.ticket_id) FROM support_tickets s WHERE s.customer_id IN "
               "(SELECT customer_id FROM orders GROUP BY 1 HAVING count(order_id) > 1) GROUP BY 1",
               metrics=["ticket_count"], group_by=["ticket__priority"],
               where=["{{ Metric('order_count', group_by=['customer']) }} > 1"])


def test_metric_filtered_metric_next_to_other_model(shop):
    hand = merge_sql(["k"], [
        (f"SELECT c.region AS k, count(o.order_id) AS repeat_orders {ORDERS_C} WHERE {REPEAT} GROUP BY 1",
         ["repeat_orders"]),
        ("SELECT c.region AS k, count(s.ticket_id) AS ticket_count FROM support_tickets s "
         "LEFT JOIN customers c ON s.customer_id = c.customer_id GROUP BY 1", ["ticket_count"]),
    ])
    shop.check(hand, metrics=["repeat_orders", "ticket_count"], group_by=["customer__region"])


def test_where_and_time_range_together(shop):
    shop.check(f"SELECT c.region, count(o.order_id) {ORDERS_C} WHERE c.region = 'EU' "
               "AND o.ordered_at >= TIMESTAMP '2024-01-01' AND o.ordered_at < TIMESTAMP '2024-02-01' GROUP BY 1",
               metrics=["order_count"], group_by=["customer__region"], where=[f"{REGION} = 'EU'"],
               start_time="2024-01-01", end_time="2024-01-31")
