"""The `clock` dataset: small hand-made DuckDB data with calendar traps, and the definitions over it.

Traps (each is used by at least one test):
- orders on month ends (2024-01-31 23:59, 2024-02-28, leap day 2024-02-29 23:59:59, 2024-03-29/30/31,
  2024-04-30 23:00, 2025-02-28, 2025-03-28..31), on the year boundary (2023-12-27 .. 2024-01-06,
  2024-12-26 .. 2025-01-03), at times that are not midnight (00:00:01, 23:59:59).
- empty months (May 2024 and September 2024 have no orders) and many empty days.
- customers: 3 has a NULL region; some orders have a NULL customer or a NULL channel.
- visits/purchases (conversion funnel): several visits of one customer on one day at different times, a
  purchase earlier in the day than the visit it is attributed to (days are compared), visits exactly 7 and
  6 days before a purchase, two visits at the same timestamp with different sources, purchases without a
  visit, NULL customers and NULL sources, a funnel crossing the year boundary.
- balances (semi-additive): snapshots on different days per customer, a customer without a snapshot on the
  month's last snapshot day, a month where customers' last snapshots differ.
- monthly_targets has a month-grained time dimension (a day query is an error).
"""

from __future__ import annotations

import datetime as dt

T = dt.datetime
D = dt.date

CUSTOMERS = [(1, "EU"), (2, "US"), (3, None), (4, "EU"), (5, "APAC")]

_TRAP_TIMES = [
    T(2023, 12, 27, 23, 59, 59), T(2023, 12, 31, 23, 59, 59), T(2024, 1, 1, 0, 0, 0), T(2024, 1, 3, 12, 0),
    T(2024, 1, 3, 18, 30), T(2024, 1, 6, 6, 0), T(2024, 1, 30, 14, 0), T(2024, 1, 31, 23, 59),
    T(2024, 2, 1, 0, 0, 1), T(2024, 2, 28, 8, 0), T(2024, 2, 28, 20, 0), T(2024, 2, 29, 12, 0),
    T(2024, 2, 29, 23, 59, 59), T(2024, 3, 1, 0, 0, 1), T(2024, 3, 29, 10, 0), T(2024, 3, 30, 11, 0),
    T(2024, 3, 31, 22, 0), T(2024, 4, 1, 6, 0), T(2024, 4, 30, 23, 0), T(2024, 6, 30, 23, 30),
    T(2024, 8, 31, 12, 0), T(2024, 10, 1, 0, 0, 1), T(2024, 12, 26, 9, 0), T(2024, 12, 31, 23, 59, 59),
    T(2025, 1, 1, 0, 0, 1), T(2025, 1, 3, 15, 0), T(2025, 1, 31, 8, 0), T(2025, 2, 28, 17, 0),
    T(2025, 3, 1, 9, 0), T(2025, 3, 28, 9, 0), T(2025, 3, 29, 9, 0), T(2025, 3, 31, 21, 0),
]


def _filler_times() -> list[dt.datetime]:
    """About 70 more orders spread with a fixed LCG, none in May or September 2024."""
    out, state, day = [], 12345, T(2023, 12, 20, 7, 0)
    while day < T(2025, 4, 12):
        state = (state * 1103515245 + 12345) % 2**31
        step = 1 + state % 9
        day = day + dt.timedelta(days=step, hours=(state >> 8) % 13, minutes=(state >> 4) % 60)
        if day.year == 2024 and day.month in (5, 9):
            continue
        if day < T(2025, 4, 12):
            out.append(day)
    return out


def _orders() -> list[tuple]:
    times = sorted(_TRAP_TIMES + _filler_times())
    customers = [1, 2, 3, 4, 5, None, 1, 2, 4]
    channels = ["web", "app", None, "web", "store"]
    rows = []
    for i, at in enumerate(times):
        order_id = i + 1
        amount = 1 + (order_id * 7) % 23
        rows.append((order_id, customers[order_id % len(customers)], at, amount, channels[order_id % len(channels)]))
    return rows


ORDERS = _orders()

# visit_id, customer_id, visited_at, source
VISITS = [
    (1, 1, T(2024, 1, 1, 9, 0), "ads"),
    (2, 1, T(2024, 1, 1, 15, 0), "seo"),  # later the same day: the purchase at 10:00 goes to this visit
    (3, 2, T(2024, 1, 2, 10, 0), "ads"),
    (4, 2, T(2024, 1, 2, 10, 0), "seo"),  # same timestamp: tie broken by group-by values
    (5, 3, T(2024, 1, 3, 8, 0), None),
    (6, 4, T(2024, 1, 5, 23, 59, 59), "ads"),  # purchase 2024-01-12: exactly 7 days, outside the window
    (7, 4, T(2024, 1, 6, 0, 0, 1), "seo"),  # purchase 2024-01-13: 7 days, outside; 2024-01-12: 6 days, inside
    (8, 5, T(2024, 1, 10, 12, 0), "ads"),
    (9, 5, T(2024, 1, 12, 12, 0), "ads"),
    (10, 1, T(2024, 2, 27, 10, 0), "seo"),  # crosses the leap day
    (11, 2, T(2024, 2, 29, 23, 0), "ads"),
    (12, None, T(2024, 3, 1, 10, 0), "ads"),
    (13, 3, T(2024, 3, 2, 10, 0), "seo"),
    (14, 1, T(2024, 12, 28, 10, 0), "ads"),  # funnel across the year boundary
    (15, 2, T(2024, 12, 31, 23, 0), None),
    (16, 4, T(2025, 1, 2, 7, 0), "seo"),
    (17, 5, T(2025, 1, 2, 8, 0), "ads"),
    (18, 5, T(2025, 1, 2, 9, 0), "seo"),
    (19, 3, T(2025, 1, 20, 9, 0), "ads"),
    (20, 1, T(2024, 3, 10, 9, 0), "ads"),
    (21, 1, T(2024, 3, 12, 9, 0), "seo"),
    (22, 2, T(2024, 3, 20, 9, 0), "ads"),
]
# purchase_id, customer_id, purchased_at, amount, source
PURCHASES = [
    (1, 1, T(2024, 1, 1, 10, 0), 10, "seo"),  # same day as visits 1 and 2 (before visit 2): visit 2
    (2, 2, T(2024, 1, 4, 9, 0), 20, "ads"),  # visits 3/4 tie at the same timestamp
    (3, 3, T(2024, 1, 3, 7, 0), 5, None),  # before visit 5 in the day: attributed
    (4, 4, T(2024, 1, 12, 23, 0), 7, "seo"),  # visit 6 is exactly 7 days before; visit 7 6 days: visit 7
    (5, 4, T(2024, 1, 13, 0, 30), 8, "seo"),  # visit 7 is 7 days before: no base event
    (6, 5, T(2024, 1, 13, 1, 0), 9, "ads"),  # visits 8 and 9: latest is 9
    (7, 5, T(2024, 1, 16, 1, 0), 3, "ads"),  # visit 9 (4 days)
    (8, 1, T(2024, 3, 1, 0, 0, 1), 11, "seo"),  # visit 10, across the leap day (3 days)
    (9, 2, T(2024, 3, 6, 5, 0), 4, "ads"),  # visit 11 (6 days)
    (10, None, T(2024, 3, 1, 12, 0), 6, "ads"),  # NULL customer: never attributed
    (11, 3, T(2024, 3, 2, 9, 0), 2, "ads"),  # visit 13 same day, other source
    (12, 1, T(2025, 1, 2, 0, 30), 12, "ads"),  # visit 14 (5 days, across the year boundary)
    (13, 2, T(2025, 1, 6, 11, 0), 5, "seo"),  # visit 15 (6 days)
    (14, 5, T(2025, 1, 2, 8, 30), 6, "ads"),  # visits 17, 18 the same day: 18 (latest timestamp)
    (15, 5, T(2025, 1, 8, 8, 30), 1, "seo"),  # visit 18 (6 days)
    (16, 4, T(2025, 2, 1, 8, 0), 9, "seo"),  # no visit within 7 days
    (17, 1, T(2024, 3, 12, 10, 0), 4, "ads"),  # visit 21 (seo) latest; with constant source -> visit 20
    (18, 1, T(2024, 3, 13, 10, 0), 4, "seo"),  # visit 21
    (19, 2, T(2024, 3, 26, 10, 0), 8, "ads"),  # visit 22 (6 days)
    (20, 2, T(2024, 3, 27, 10, 0), 8, "ads"),  # visit 22: 7 days, outside
    (21, 3, T(2025, 1, 25, 9, 0), 3, "seo"),  # visit 19 (5 days), other source
]
# customer_id, snapshot_date, balance
BALANCES = [
    (1, D(2024, 1, 15), 100), (1, D(2024, 1, 31), 120), (2, D(2024, 1, 20), 50), (2, D(2024, 1, 30), 70),
    (3, D(2024, 1, 31), 30), (1, D(2024, 2, 29), 130), (2, D(2024, 2, 29), 80), (3, D(2024, 2, 10), 35),
    (4, D(2024, 2, 1), 10), (4, D(2024, 2, 28), 15), (1, D(2024, 3, 1), 131), (2, D(2024, 3, 31), 90),
    (5, D(2024, 3, 31), 5), (5, D(2024, 3, 15), 4), (1, D(2024, 4, 30), 140), (3, D(2024, 4, 2), 33),
    (4, D(2024, 4, 30), 17), (2, D(2024, 4, 15), 95), (5, D(2024, 4, 29), 1000),
]
MONTHLY_TARGETS = [(D(2024, 1, 1), 500), (D(2024, 2, 1), 600), (D(2024, 3, 1), 700)]

CLOCK_TABLES = {
    "customers": ("customer_id INTEGER, region VARCHAR", CUSTOMERS),
    "orders": ("order_id INTEGER, customer_id INTEGER, ordered_at TIMESTAMP, amount INTEGER, channel VARCHAR",
               ORDERS),
    "visits": ("visit_id INTEGER, customer_id INTEGER, visited_at TIMESTAMP, source VARCHAR", VISITS),
    "purchases": ("purchase_id INTEGER, customer_id INTEGER, purchased_at TIMESTAMP, amount INTEGER, "
                  "source VARCHAR", PURCHASES),
    "balances": ("customer_id INTEGER, snapshot_date DATE, balance INTEGER", BALANCES),
    "monthly_targets": ("target_month DATE, target INTEGER", MONTHLY_TARGETS),
}

CLOCK_DEFINITIONS = """\
semantic_models:
  - name: customers
    model: ref('customers')
    entities: [{name: customer, type: primary, expr: customer_id}]
    dimensions: [{name: region, type: categorical}]

  - name: orders
    model: ref('orders')
    defaults: {agg_time_dimension: ordered_at}
    entities:
      - {name: order, type: primary, expr: order_id}
      - {name: customer, type: foreign, expr: customer_id}
    dimensions:
      - {name: ordered_at, type: time, type_params: {time_granularity: day}}
      - {name: channel, type: categorical}
    measures:
      - {name: revenue, agg: sum, expr: amount}
      - {name: order_count, agg: count, expr: order_id}
      - {name: buyers, agg: count_distinct, expr: customer_id}
      - {name: avg_amount, agg: average, expr: amount}
      - {name: min_amount, agg: min, expr: amount}
      - {name: max_amount, agg: max, expr: amount}
      - {name: median_amount, agg: median, expr: amount}
      - {name: p90_amount, agg: percentile, expr: amount, agg_params: {percentile: 0.9}}

  - name: visits
    model: ref('visits')
    defaults: {agg_time_dimension: visited_at}
    entities:
      - {name: visit, type: primary, expr: visit_id}
      - {name: customer, type: foreign, expr: customer_id}
    dimensions:
      - {name: visited_at, type: time, type_params: {time_granularity: day}}
      - {name: source, type: categorical}
    measures:
      - {name: visit_count, agg: count, expr: visit_id}
      - {name: visitors, agg: count_distinct, expr: customer_id}

  - name: purchases
    model: ref('purchases')
    defaults: {agg_time_dimension: purchased_at}
    entities:
      - {name: purchase, type: primary, expr: purchase_id}
      - {name: customer, type: foreign, expr: customer_id}
    dimensions:
      - {name: purchased_at, type: time, type_params: {time_granularity: day}}
      - {name: purchase_source, type: categorical, expr: source}
    measures:
      - {name: purchase_count, agg: count, expr: purchase_id}
      - {name: purchase_amount, agg: sum, expr: amount}

  - name: balances
    model: ref('balances')
    defaults: {agg_time_dimension: snapshot_date}
    entities:
      - {name: customer, type: foreign, expr: customer_id}
    dimensions:
      - {name: snapshot_date, type: time, type_params: {time_granularity: day}}
    measures:
      - name: balance_end
        agg: sum
        expr: balance
        non_additive_dimension: {name: snapshot_date, window_choice: max, window_groupings: [customer]}
      - name: balance_start
        agg: sum
        expr: balance
        non_additive_dimension: {name: snapshot_date, window_choice: min, window_groupings: [customer]}
      - name: balance_last_day
        agg: sum
        expr: balance
        non_additive_dimension: {name: snapshot_date, window_choice: max}
      - {name: balance_rows, agg: count, expr: balance}

  - name: monthly_targets
    model: ref('monthly_targets')
    defaults: {agg_time_dimension: target_month}
    entities:
      - {name: target_row, type: primary, expr: target_month}
    dimensions:
      - {name: target_month, type: time, type_params: {time_granularity: month}}
    measures:
      - {name: target, agg: sum, expr: target}

metrics:
  - {name: revenue, type: simple, type_params: {measure: revenue}}
  - {name: order_count, type: simple, type_params: {measure: order_count}}
  - {name: visit_count, type: simple, type_params: {measure: visit_count}}
  - {name: purchase_count, type: simple, type_params: {measure: purchase_count}}
  - {name: target, type: simple, type_params: {measure: target}}
  - {name: balance_end, type: simple, type_params: {measure: balance_end}}
  - {name: balance_start, type: simple, type_params: {measure: balance_start}}
  - {name: balance_last_day, type: simple, type_params: {measure: balance_last_day}}
  - {name: balance_rows, type: simple, type_params: {measure: balance_rows}}

  # -- cumulative ---------------------------------------------------------------------------------
  - {name: revenue_7d, type: cumulative, type_params: {measure: revenue, cumulative_type_params: {window: 7 days}}}
  - name: revenue_7d_last
    type: cumulative
    type_params: {measure: revenue, cumulative_type_params: {window: 7 days, period_agg: last}}
  - name: revenue_7d_avg
    type: cumulative
    type_params: {measure: revenue, cumulative_type_params: {window: 7 days, period_agg: average}}
  - {name: revenue_2w, type: cumulative, type_params: {measure: revenue, cumulative_type_params: {window: 2 weeks}}}
  - {name: revenue_1m, type: cumulative, type_params: {measure: revenue, cumulative_type_params: {window: 1 month}}}
  - name: revenue_mtd
    type: cumulative
    type_params: {measure: revenue, cumulative_type_params: {grain_to_date: month}}
  - name: revenue_mtd_last
    type: cumulative
    type_params: {measure: revenue, cumulative_type_params: {grain_to_date: month, period_agg: last}}
  - name: revenue_qtd
    type: cumulative
    type_params: {measure: revenue, cumulative_type_params: {grain_to_date: quarter}}
  - name: revenue_ytd
    type: cumulative
    type_params: {measure: revenue, cumulative_type_params: {grain_to_date: year}}
  - {name: revenue_all, type: cumulative, type_params: {measure: revenue}}
  - name: revenue_all_last
    type: cumulative
    type_params: {measure: revenue, cumulative_type_params: {period_agg: last}}
  - {name: orders_7d, type: cumulative, type_params: {measure: order_count, cumulative_type_params: {window: 7 days}}}
  - {name: buyers_7d, type: cumulative, type_params: {measure: buyers, cumulative_type_params: {window: 7 days}}}
  - name: buyers_28d
    type: cumulative
    type_params: {measure: buyers, cumulative_type_params: {window: 28 days}}
  - {name: buyers_mtd, type: cumulative, type_params: {measure: buyers, cumulative_type_params: {grain_to_date: month}}}
  - {name: avg_7d, type: cumulative, type_params: {measure: avg_amount, cumulative_type_params: {window: 7 days}}}
  - {name: min_7d, type: cumulative, type_params: {measure: min_amount, cumulative_type_params: {window: 7 days}}}
  - {name: max_7d, type: cumulative, type_params: {measure: max_amount, cumulative_type_params: {window: 7 days}}}
  - name: median_14d
    type: cumulative
    type_params: {measure: median_amount, cumulative_type_params: {window: 14 days}}
  - {name: p90_14d, type: cumulative, type_params: {measure: p90_amount, cumulative_type_params: {window: 14 days}}}
  - name: web_revenue_7d
    type: cumulative
    type_params: {measure: revenue, cumulative_type_params: {window: 7 days}}
    filter: "{{ Dimension('order__channel') }} = 'web'"
  - name: eu_revenue_mtd
    type: cumulative
    type_params: {measure: revenue, cumulative_type_params: {grain_to_date: month}}
    filter: "{{ Dimension('customer__region') }} = 'EU'"

  # -- derived offsets ----------------------------------------------------------------------------
  - name: revenue_prev_month
    type: derived
    type_params:
      expr: rev_lm
      metrics: [{name: revenue, alias: rev_lm, offset_window: 1 month}]
  - name: revenue_mom
    type: derived
    type_params:
      expr: (revenue - rev_lm) / rev_lm
      metrics: [{name: revenue}, {name: revenue, alias: rev_lm, offset_window: 1 month}]
  - name: revenue_prev_quarter
    type: derived
    type_params:
      expr: rev_lq
      metrics: [{name: revenue, alias: rev_lq, offset_window: 3 months}]
  - name: revenue_prev_year
    type: derived
    type_params:
      expr: rev_ly
      metrics: [{name: revenue, alias: rev_ly, offset_window: 1 year}]
  - name: revenue_yoy
    type: derived
    type_params:
      expr: revenue - rev_ly
      metrics: [{name: revenue}, {name: revenue, alias: rev_ly, offset_window: 1 year}]
  - name: revenue_prev_week
    type: derived
    type_params:
      expr: rev_lw
      metrics: [{name: revenue, alias: rev_lw, offset_window: 7 days}]
  - name: revenue_wow
    type: derived
    type_params:
      expr: revenue - rev_lw
      metrics: [{name: revenue}, {name: revenue, alias: rev_lw, offset_window: 7 days}]
  - name: revenue_prev_day
    type: derived
    type_params:
      expr: rev_ld
      metrics: [{name: revenue, alias: rev_ld, offset_window: 1 day}]
  - name: revenue_month_start
    type: derived
    type_params:
      expr: rev_ms
      metrics: [{name: revenue, alias: rev_ms, offset_to_grain: month}]
  - name: mtd_prev_week
    type: derived
    type_params:
      expr: mtd_lw
      metrics: [{name: revenue_mtd, alias: mtd_lw, offset_window: 7 days}]
  - name: revenue_vs_filled_prev
    type: derived
    type_params:
      expr: revenue - rev_lm
      metrics: [{name: revenue}, {name: revenue, alias: rev_lm, offset_window: 1 month, fill_nulls_with: 0}]

  # -- conversion ---------------------------------------------------------------------------------
  - name: visit_to_purchase_rate
    type: conversion
    type_params:
      conversion_type_params:
        base_measure: {name: visit_count}
        conversion_measure: {name: purchase_count, fill_nulls_with: 0}
        entity: customer
        window: 7 days
        calculation: conversion_rate
  - name: visit_to_purchase
    type: conversion
    type_params:
      conversion_type_params:
        base_measure: {name: visit_count}
        conversion_measure: {name: purchase_count}
        entity: customer
        window: 7 days
        calculation: conversions
  - name: converted_amount
    type: conversion
    type_params:
      conversion_type_params:
        base_measure: {name: visit_count}
        conversion_measure: {name: purchase_amount}
        entity: customer
        window: 7 days
        calculation: conversions
  - name: same_source_conversions
    type: conversion
    type_params:
      conversion_type_params:
        base_measure: {name: visit_count}
        conversion_measure: {name: purchase_count}
        entity: customer
        window: 7 days
        calculation: conversions
        constant_properties:
          - {base_property: source, conversion_property: purchase_source}
  - name: visit_to_purchase_rate_3d
    type: conversion
    type_params:
      conversion_type_params:
        base_measure: {name: visit_count}
        conversion_measure: {name: purchase_count, fill_nulls_with: 0}
        entity: customer
        window: 3 days
        calculation: conversion_rate

  # -- gap filling --------------------------------------------------------------------------------
  - name: revenue_filled
    type: simple
    type_params: {measure: {name: revenue, join_to_timespine: true, fill_nulls_with: 0}}
  - name: revenue_spine_nulls
    type: simple
    type_params: {measure: {name: revenue, join_to_timespine: true}}
  - name: revenue_zero
    type: simple
    type_params: {measure: {name: revenue, fill_nulls_with: 0}}
  - name: visits_zero
    type: simple
    type_params: {measure: {name: visit_count, fill_nulls_with: 0}}
  - name: revenue_per_visit_filled
    type: derived
    type_params:
      expr: r / v
      metrics: [{name: revenue, alias: r, fill_nulls_with: 0}, {name: visit_count, alias: v}]
"""

