"""The `shop` dataset: a small, hand-made DuckDB database with deliberate traps, and its definitions.

Traps (each is used by at least one test):
- order_items fan out orders (0-3 items per order; order 4 has none; item 90 points at a missing order 999),
  so order-level measures joined naively to items double count.
- customers: 6 has a NULL region, 7 a NULL account, 8 a NULL tier; 9 (LATAM) has tickets but no orders,
  10 (MEA) orders but no tickets: a chasm trap between orders and support_tickets.
- orders 6 and 15 belong to customer 99, who is missing; order 24 has a NULL customer; order 25 a NULL
  ordered_at; order 27 a NULL shipping; order 26 a NULL is_gift; channel is NULL for some orders.
- timestamps that are not midnight, on year, quarter, month and ISO-week boundaries (2023-12-31 23:59:59,
  2024-01-01 00:00:00, Sunday 2024-01-07 23:30 / Monday 2024-01-08 00:30, leap day 2024-02-29 23:59,
  2024-12-30 (Monday of the week holding 2025-01-01), 2025-01-01 00:00:01).
- some items carry a timestamp a few minutes after their order's, across a month boundary, so the item's
  metric_time and the order's ordered_at fall in different months.
- accounts: 13 points at a missing territory 99, 14 has a NULL segment; territory 3 a NULL manager.
- customer_plans is an SCD type 2 table with exclusive valid_to, gaps, and a plan change on the same
  day as an order (order 8 at 2024-02-10 18:45 falls in the plan starting 2024-02-10).
- support ticket 7 belongs to a missing customer 77, ticket 11 to a NULL customer.
"""

from __future__ import annotations

import datetime as dt

import pytest
from soundness_helpers import Checker, write_project

T = dt.datetime
D = dt.date

TERRITORIES = [(1, "Alice"), (2, "Bob"), (3, None)]
ACCOUNTS = [(10, 1, "enterprise"), (11, 2, "smb"), (12, 1, "smb"), (13, 99, "mid"), (14, 3, None),
            (15, 2, "enterprise")]
CUSTOMERS = [
    (1, 10, "EU", "gold", D(2023, 11, 3)),
    (2, 11, "EU", "silver", D(2023, 12, 14)),
    (3, 12, "US", "gold", D(2024, 1, 5)),
    (4, 13, "US", "bronze", D(2024, 1, 20)),
    (5, 14, "APAC", "silver", D(2024, 2, 11)),
    (6, 15, None, "bronze", D(2024, 2, 28)),
    (7, None, "EU", "bronze", D(2024, 3, 9)),
    (8, 10, "APAC", None, D(2024, 3, 30)),
    (9, 11, "LATAM", "gold", D(2024, 4, 1)),
    (10, 12, "MEA", "silver", D(2024, 5, 1)),
]
# order_id, customer_id, ordered_at, status, channel, shipping, discount, is_gift
ORDERS = [
    (1, 1, T(2023, 12, 31, 23, 59, 59), "completed", "web", 5, 1.00, False),
    (2, 2, T(2024, 1, 1, 0, 0, 0), "completed", "web", 3, None, True),
    (3, 1, T(2024, 1, 7, 23, 30), "returned", "store", 0, None, False),
    (4, 3, T(2024, 1, 8, 0, 30), "completed", None, 7, 2.50, False),
    (5, 6, T(2024, 1, 15, 12, 0), "completed", "web", 2, None, True),
    (6, 99, T(2024, 1, 20, 8, 15), "completed", "web", 4, None, False),
    (7, 4, T(2024, 2, 1, 0, 0), "pending", "store", 6, 0.50, False),
    (8, 5, T(2024, 2, 10, 18, 45), "completed", "web", 1, None, False),
    (9, 7, T(2024, 2, 29, 23, 59), "completed", "app", 9, None, True),
    (10, 2, T(2024, 3, 1, 0, 0, 1), "returned", "app", 0, None, False),
    (11, 8, T(2024, 3, 31, 22, 0), "completed", "web", 5, 1.25, False),
    (12, 1, T(2024, 4, 1, 6, 0), "completed", "web", 3, None, False),
    (13, 3, T(2024, 5, 15, 10, 10), "pending", None, 8, None, True),
    (14, 6, T(2024, 6, 30, 23, 0), "completed", "store", 2, None, False),
    (15, 99, T(2024, 7, 4, 12, 0), "completed", "web", 6, None, False),
    (16, 10, T(2024, 8, 19, 9, 0), "completed", "app", 4, 3.00, False),
    (17, 4, T(2024, 9, 30, 19, 0), "returned", "web", 3, None, False),
    (18, 5, T(2024, 10, 1, 1, 0), "completed", "web", 7, None, True),
    (19, 5, T(2024, 11, 11, 11, 11), "completed", "store", 1, None, False),
    (20, 8, T(2024, 12, 30, 10, 0), "completed", "web", 5, None, False),
    (21, 2, T(2024, 12, 31, 23, 30), "completed", "app", 2, None, False),
    (22, 3, T(2025, 1, 1, 0, 0, 1), "completed", "web", 4, None, False),
    (23, 1, T(2025, 1, 5, 20, 0), "pending", "web", 6, None, False),
    (24, None, T(2024, 3, 10, 10, 0), "completed", "web", 3, None, False),
    (25, 6, None, "completed", "web", 2, None, False),
    (26, 10, T(2024, 2, 20, 14, 0), "completed", "web", 5, None, None),
    (27, 5, T(2024, 2, 20, 15, 0), "completed", "web", None, None, False),
    (28, 3, T(2024, 1, 8, 9, 0), "completed", "web", 3, None, False),
]
_ITEMS_PER_ORDER = [2, 1, 3, 0, 2, 1, 2, 3, 1, 2, 1, 3, 2, 1, 2, 1, 3, 1, 2, 2, 1, 3, 1, 2, 1, 2, 1, 2]
_PRODUCTS = ["widget", "gadget", "gizmo", None]


def _items() -> list[tuple]:
    rows, item_id = [], 1
    for order, n in zip(ORDERS, _ITEMS_PER_ORDER):
        order_id, ordered_at = order[0], order[2]
        for k in range(n):
            at = ordered_at
            if ordered_at is not None and k == 1 and order_id in (9, 11, 21):
                at = ordered_at + dt.timedelta(hours=3)  # the 2nd item lands in the next month (and year)
            quantity = (order_id + k) % 4  # some zero quantities
            price = round(1.5 + ((order_id * 7 + k * 3) % 11) * 1.25, 2)
            rows.append((item_id, order_id, at, _PRODUCTS[(order_id + k) % 4], quantity, price))
            item_id += 1
    rows.append((90, 999, T(2024, 3, 3, 3, 3), "widget", 2, 4.00))  # its order is missing
    return rows


ORDER_ITEMS = _items()
TICKETS = [
    (1, 1, T(2024, 1, 3, 10, 0), "high"),
    (2, 1, T(2024, 2, 4, 11, 0), "low"),
    (3, 2, T(2024, 1, 20, 9, 0), "low"),
    (4, 6, T(2024, 3, 5, 12, 0), "high"),
    (5, 9, T(2024, 4, 2, 8, 0), "high"),
    (6, 9, T(2024, 4, 3, 8, 0), "low"),
    (7, 77, T(2024, 5, 5, 5, 0), None),
    (8, 3, T(2024, 5, 16, 10, 0), "low"),
    (9, 5, T(2024, 6, 1, 0, 0), "high"),
    (10, 8, T(2024, 12, 31, 23, 0), "low"),
    (11, None, T(2025, 1, 2, 9, 0), "high"),
    (12, 4, T(2024, 2, 29, 10, 0), "low"),
]
PLANS = [
    (1, "free", D(2023, 1, 1), D(2024, 1, 1)),
    (1, "pro", D(2024, 1, 1), None),
    (2, "free", D(2023, 6, 1), D(2024, 6, 1)),
    (2, "pro", D(2024, 6, 1), D(2024, 12, 31)),
    (2, "enterprise", D(2024, 12, 31), None),
    (3, "pro", D(2024, 1, 1), None),
    (4, "free", D(2024, 1, 1), D(2024, 3, 1)),
    (5, "pro", D(2024, 1, 1), D(2024, 2, 10)),
    (5, "enterprise", D(2024, 2, 10), None),
    (7, "free", D(2024, 1, 1), None),
    (8, "pro", D(2024, 3, 31), D(2024, 4, 1)),
    (10, "free", D(2024, 1, 1), D(2024, 8, 19)),
    (10, "pro", D(2024, 8, 19), None),
]

SHOP_TABLES = {
    "territories": ("territory_id INTEGER, manager VARCHAR", TERRITORIES),
    "accounts": ("account_id INTEGER, territory_id INTEGER, segment VARCHAR", ACCOUNTS),
    "customers": ("customer_id INTEGER, account_id INTEGER, region VARCHAR, tier VARCHAR, signup_date DATE",
                  CUSTOMERS),
    "orders": ("order_id INTEGER, customer_id INTEGER, ordered_at TIMESTAMP, status VARCHAR, channel VARCHAR, "
               "shipping INTEGER, discount DECIMAL(6,2), is_gift BOOLEAN", ORDERS),
    "order_items": ("order_item_id INTEGER, order_id INTEGER, ordered_at TIMESTAMP, product VARCHAR, "
                    "quantity INTEGER, price DECIMAL(8,2)", ORDER_ITEMS),
    "support_tickets": ("ticket_id INTEGER, customer_id INTEGER, opened_at TIMESTAMP, priority VARCHAR",
                        TICKETS),
    "customer_plans": ("customer_id INTEGER, plan VARCHAR, valid_from DATE, valid_to DATE", PLANS),
}

SHOP_DEFINITIONS = """\
semantic_models:
  - name: territories
    model: ref('territories')
    entities:
      - {name: territory, type: primary, expr: territory_id}
    dimensions:
      - {name: manager, type: categorical}

  - name: accounts
    node_relation: {schema_name: main, alias: accounts}
    entities:
      - {name: account, type: primary, expr: account_id}
      - {name: territory, type: foreign, expr: territory_id}
    dimensions:
      - {name: segment, type: categorical}

  - name: customers
    model: ref('customers')
    defaults: {agg_time_dimension: signup_date}
    entities:
      - {name: customer, type: primary, expr: customer_id}
      - {name: account, type: foreign, expr: account_id}
    dimensions:
      - {name: region, type: categorical}
      - {name: tier, type: categorical}
      - {name: signup_date, type: time, type_params: {time_granularity: day}}
    measures:
      - {name: customer_total, agg: count_distinct, expr: customer_id}

  - name: orders
    model: ref('orders')
    defaults: {agg_time_dimension: ordered_at}
    entities:
      - {name: order, type: primary, expr: order_id}
      - {name: customer, type: foreign, expr: customer_id}
    dimensions:
      - {name: ordered_at, type: time, type_params: {time_granularity: day}}
      - {name: status, type: categorical}
      - {name: channel, type: categorical}
    measures:
      - {name: order_count, agg: count, expr: order_id}
      - {name: shipping_total, agg: sum, expr: shipping}
      - {name: discount_total, agg: sum, expr: discount}
      - {name: gift_orders, agg: sum_boolean, expr: is_gift}
      - {name: avg_shipping, agg: average, expr: shipping}
      - {name: min_shipping, agg: min, expr: shipping}
      - {name: max_shipping, agg: max, expr: shipping}
      - {name: median_shipping, agg: median, expr: shipping}
      - name: p90_shipping
        agg: percentile
        expr: shipping
        agg_params: {percentile: 0.9}
      - name: p75_shipping_disc
        agg: percentile
        expr: shipping
        agg_params: {percentile: 0.75, use_discrete_percentile: true}
      - {name: buyers, agg: count_distinct, expr: customer_id}
      - {name: first_order_at, agg: min, expr: ordered_at}

  - name: order_items
    model: ref('order_items')
    defaults: {agg_time_dimension: ordered_at}
    entities:
      - {name: order_item, type: primary, expr: order_item_id}
      - {name: order, type: foreign, expr: order_id}
    dimensions:
      - {name: ordered_at, type: time, type_params: {time_granularity: day}}
      - {name: product, type: categorical}
    measures:
      - {name: revenue, agg: sum, expr: quantity * price}
      - {name: units, agg: sum, expr: quantity}
      - {name: item_count, agg: count, expr: order_item_id}

  - name: support_tickets
    model: ref('support_tickets')
    defaults: {agg_time_dimension: opened_at}
    entities:
      - {name: ticket, type: primary, expr: ticket_id}
      - {name: customer, type: foreign, expr: customer_id}
    dimensions:
      - {name: opened_at, type: time, type_params: {time_granularity: day}}
      - {name: priority, type: categorical}
    measures:
      - {name: ticket_count, agg: count, expr: ticket_id}

  - name: customer_plans
    model: ref('customer_plans')
    entities:
      - {name: customer, type: natural, expr: customer_id}
    dimensions:
      - {name: plan, type: categorical}
      - name: valid_from
        type: time
        type_params: {time_granularity: day, validity_params: {is_start: true}}
      - name: valid_to
        type: time
        type_params: {time_granularity: day, validity_params: {is_end: true}}

metrics:
  - {name: order_count, type: simple, type_params: {measure: order_count}}
  - {name: shipping, type: simple, type_params: {measure: shipping_total}}
  - {name: discount, type: simple, type_params: {measure: discount_total}}
  - {name: gift_orders, type: simple, type_params: {measure: gift_orders}}
  - {name: avg_shipping, type: simple, type_params: {measure: avg_shipping}}
  - {name: min_shipping, type: simple, type_params: {measure: min_shipping}}
  - {name: max_shipping, type: simple, type_params: {measure: max_shipping}}
  - {name: median_shipping, type: simple, type_params: {measure: median_shipping}}
  - {name: p90_shipping, type: simple, type_params: {measure: p90_shipping}}
  - {name: p75_shipping_disc, type: simple, type_params: {measure: p75_shipping_disc}}
  - {name: buyers, type: simple, type_params: {measure: buyers}}
  - {name: revenue, type: simple, type_params: {measure: revenue}}
  - {name: units, type: simple, type_params: {measure: units}}
  - {name: item_count, type: simple, type_params: {measure: item_count}}
  - {name: ticket_count, type: simple, type_params: {measure: ticket_count}}
  - {name: customer_total, type: simple, type_params: {measure: customer_total}}
  - {name: first_order_at, type: simple, type_params: {measure: first_order_at}}

  - name: completed_orders
    type: simple
    type_params: {measure: order_count}
    filter: "{{ Dimension('order__status') }} = 'completed'"
  - name: eu_orders
    type: simple
    type_params: {measure: order_count}
    filter: "{{ Dimension('customer__region') }} = 'EU'"
  - name: eu_revenue
    type: simple
    type_params: {measure: revenue}
    filter: "{{ Dimension('customer__region', entity_path=['order']) }} = 'EU'"
  - name: big_or_apac_orders
    type: simple
    type_params: {measure: order_count}
    filter:
      - "{{ Dimension('order__status') }} <> 'pending'"
      - "{{ Dimension('customer__region') }} IN ('APAC', 'US') OR {{ Dimension('order__channel') }} = 'app'"
  - name: repeat_orders
    type: simple
    type_params: {measure: order_count}
    filter: "{{ Metric('order_count', group_by=['customer']) }} > 1"
  - name: repeat_buyers
    type: simple
    type_params: {measure: buyers}
    filter: "{{ Metric('order_count', group_by=['customer']) }} > 1"

  - name: shipping_per_order
    type: ratio
    type_params: {numerator: shipping, denominator: order_count}
  - name: shipping_per_gift
    type: ratio
    type_params: {numerator: shipping, denominator: gift_orders}
  - name: return_rate
    type: ratio
    type_params:
      numerator: {name: order_count, filter: "{{ Dimension('order__status') }} = 'returned'"}
      denominator: order_count
  - name: revenue_per_order
    type: ratio
    type_params: {numerator: revenue, denominator: order_count}
  - name: revenue_per_unit
    type: ratio
    type_params: {numerator: revenue, denominator: units}

  - name: gift_share
    type: derived
    type_params:
      expr: gift_orders / order_count
      metrics: [{name: gift_orders}, {name: order_count}]
  - name: shipping_per_gift_derived
    type: derived
    type_params:
      expr: s / g
      metrics: [{name: shipping, alias: s}, {name: gift_orders, alias: g}]
  - name: completed_share
    type: derived
    type_params:
      expr: done / total
      metrics:
        - {name: order_count, alias: done, filter: "{{ Dimension('order__status') }} = 'completed'"}
        - {name: order_count, alias: total}
  - name: weighted_spo
    type: derived
    type_params:
      expr: spo * share
      metrics:
        - {name: shipping_per_order, alias: spo}
        - {name: completed_share, alias: share}
  - name: weighted_spo_pct
    type: derived
    type_params:
      expr: 100 * weighted_spo - items_per_order
      metrics:
        - {name: weighted_spo}
        - {name: items_per_order}
  - name: items_per_order
    type: derived
    type_params:
      expr: item_count / order_count
      metrics: [{name: item_count}, {name: order_count}]
  - name: eu_weighted_spo
    type: derived
    type_params:
      expr: w + 0
      metrics:
        - {name: weighted_spo, alias: w, filter: "{{ Dimension('customer__region') }} = 'EU'"}
"""


@pytest.fixture(scope="session")
def shop(tmp_path_factory):
    root = write_project(tmp_path_factory.mktemp("shop"), SHOP_DEFINITIONS, SHOP_TABLES)
    checker = Checker(root)
    yield checker
    checker.close()
