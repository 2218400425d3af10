"""Property tests on random small datasets: group sums add up to the total, and match hand-written SQL."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from soundness_helpers import Checker, assert_same_rows, write_project

DEFINITIONS = """\
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
      - {name: status, type: categorical}
    measures:
      - {name: shipping_total, agg: sum, expr: shipping}
      - {name: order_count, agg: count, expr: order_id}
  - name: items
    model: ref('items')
    defaults: {agg_time_dimension: added_at}
    entities:
      - {name: item, type: primary, expr: item_id}
      - {name: order, type: foreign, expr: order_id}
    dimensions:
      - {name: added_at, type: time, type_params: {time_granularity: day}}
    measures:
      - {name: units, agg: sum, expr: quantity}
metrics:
  - {name: shipping, type: simple, type_params: {measure: shipping_total}}
  - {name: order_count, type: simple, type_params: {measure: order_count}}
  - {name: units, type: simple, type_params: {measure: units}}
"""

regions = st.sampled_from(["EU", "US", None])
timestamps = st.one_of(st.none(), st.datetimes(min_value=dt.datetime(2023, 12, 25), max_value=dt.datetime(2025, 1, 7)))
orders = st.lists(st.tuples(st.sampled_from([1, 2, 3, 4, 99, None]), timestamps,
                            st.sampled_from(["a", "b", None]), st.one_of(st.none(), st.integers(0, 9))),
                  min_size=0, max_size=25)
items = st.lists(st.tuples(st.integers(1, 30), st.integers(0, 5)), max_size=30)


def _project(customer_regions, order_rows, item_rows) -> Checker:
    root = Path(tempfile.mkdtemp(prefix="soundness_prop_")) / "p"
    customers = [(i + 1, r) for i, r in enumerate(customer_regions)]
    orders_t = [(i + 1, c, t, s, sh) for i, (c, t, s, sh) in enumerate(order_rows)]
    items_t = [(i + 1, o, dt.datetime(2024, 1, 1) + dt.timedelta(hours=7 * i), q) for i, (o, q) in enumerate(item_rows)]
    write_project(root, DEFINITIONS, {
        "customers": ("customer_id INTEGER, region VARCHAR", customers),
        "orders": ("order_id INTEGER, customer_id INTEGER, ordered_at TIMESTAMP, status VARCHAR, shipping INTEGER",
                   orders_t),
        "items": ("item_id INTEGER, order_id INTEGER, added_at TIMESTAMP, quantity INTEGER", items_t),
    })
    return Checker(root)


def _close(checker: Checker) -> None:
    checker.close()
    shutil.rmtree(checker.root.parent, ignore_errors=True)


def _total(rows, index):
    values = [r[index] for r in rows if r[index] is not None]
    return sum(values) if values else None


PROPS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(st.lists(regions, min_size=4, max_size=4), orders,
       st.sampled_from(["customer__region", "order__status", "metric_time__week", "metric_time__month",
                        "metric_time__year", "customer", "order__ordered_at__quarter"]))
def test_group_sums_add_up_to_the_grand_total(customer_regions, order_rows, dimension):
    checker = _project(customer_regions, order_rows, [])
    try:
        total = checker.query(metrics=["shipping", "order_count"]).rows
        grouped = checker.query(metrics=["shipping", "order_count"], group_by=[dimension]).rows
        assert len(total) == 1
        assert _total(grouped, 1) == total[0][0]
        assert (_total(grouped, 2) or 0) == (total[0][1] or 0)
    finally:
        _close(checker)


@PROPS
@given(st.lists(regions, min_size=4, max_size=4), orders, items)
def test_metrics_by_region_match_hand_written_sql(customer_regions, order_rows, item_rows):
    checker = _project(customer_regions, order_rows, item_rows)
    try:
        checker.check("""
            WITH o AS (SELECT c.region AS k, sum(o.shipping) AS shipping, count(o.order_id) AS n
                       FROM orders o LEFT JOIN customers c ON o.customer_id = c.customer_id GROUP BY 1),
                 i AS (SELECT c.region AS k, sum(i.quantity) AS units FROM items i
                       LEFT JOIN orders o ON i.order_id = o.order_id
                       LEFT JOIN customers c ON o.customer_id = c.customer_id GROUP BY 1),
                 k AS (SELECT k FROM o UNION SELECT k FROM i)
            SELECT k.k, o.shipping, o.n, i.units FROM k
            LEFT JOIN o ON k.k IS NOT DISTINCT FROM o.k LEFT JOIN i ON k.k IS NOT DISTINCT FROM i.k""",
                      metrics=["shipping", "order_count", "units"], group_by=["customer__region"])
    finally:
        _close(checker)


@PROPS
@given(orders, st.sampled_from(["day", "week", "month", "quarter", "year"]),
       st.dates(min_value=dt.date(2023, 12, 20), max_value=dt.date(2025, 1, 10)), st.integers(0, 120))
def test_time_range_matches_hand_written_sql(order_rows, grain, start, days):
    end = start + dt.timedelta(days=days)
    checker = _project(["EU", "US", None, "EU"], order_rows, [])
    try:
        lo, hi = checker.sql(f"SELECT CAST(date_trunc('{grain}', DATE '{start}') AS DATE), "
                             f"CAST(date_trunc('{grain}', DATE '{end}') + INTERVAL 1 {grain} AS DATE)")[0]
        hand = (f"SELECT CAST(date_trunc('{grain}', ordered_at) AS DATE), sum(shipping) FROM orders "
                f"WHERE ordered_at >= TIMESTAMP '{lo}' AND ordered_at < TIMESTAMP '{hi}' GROUP BY 1")
        result = checker.query(metrics=["shipping"], group_by=[f"metric_time__{grain}"],
                               start_time=start.isoformat(), end_time=end.isoformat())
        assert_same_rows(result.rows, checker.sql(hand), sql=result.sql)
    finally:
        _close(checker)
