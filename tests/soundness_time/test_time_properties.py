"""Property tests on random event sets, checked against brute-force Python (no SQL on the reference side)."""

from __future__ import annotations

import calendar
import datetime as dt
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from soundness_helpers import Checker, normalize, write_project

DEFINITIONS = """\
semantic_models:
  - name: orders
    model: ref('orders')
    defaults: {agg_time_dimension: ordered_at}
    entities:
      - {name: order, type: primary, expr: order_id}
      - {name: customer, type: foreign, expr: customer_id}
    dimensions:
      - {name: ordered_at, type: time, type_params: {time_granularity: day}}
    measures:
      - {name: revenue, agg: sum, expr: amount}
      - {name: buyers, agg: count_distinct, expr: customer_id}
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
  - name: purchases
    model: ref('purchases')
    defaults: {agg_time_dimension: purchased_at}
    entities:
      - {name: purchase, type: primary, expr: purchase_id}
      - {name: customer, type: foreign, expr: customer_id}
    dimensions:
      - {name: purchased_at, type: time, type_params: {time_granularity: day}}
    measures:
      - {name: purchase_count, agg: count, expr: purchase_id}
metrics:
  - {name: revenue, type: simple, type_params: {measure: revenue}}
  - {name: rev_3d, type: cumulative, type_params: {measure: revenue, cumulative_type_params: {window: 3 days}}}
  - {name: rev_7d, type: cumulative, type_params: {measure: revenue, cumulative_type_params: {window: 7 days}}}
  - {name: rev_mtd, type: cumulative, type_params: {measure: revenue, cumulative_type_params: {grain_to_date: month}}}
  - {name: rev_all, type: cumulative, type_params: {measure: revenue}}
  - {name: buyers_7d, type: cumulative, type_params: {measure: buyers, cumulative_type_params: {window: 7 days}}}
  - name: rev_prev_month
    type: derived
    type_params: {expr: p, metrics: [{name: revenue, alias: p, offset_window: 1 month}]}
  - name: conversions
    type: conversion
    type_params:
      conversion_type_params:
        base_measure: {name: visit_count}
        conversion_measure: {name: purchase_count}
        entity: customer
        window: 5 days
        calculation: conversions
"""

START = dt.date(2023, 12, 1)
events = st.lists(st.tuples(st.integers(0, 150), st.integers(0, 23), st.integers(1, 20),
                            st.sampled_from([1, 2, 3, 4, None])), min_size=1, max_size=40)
funnel = st.lists(st.tuples(st.sampled_from([1, 2, 3, None]), st.integers(0, 40), st.sampled_from([0, 9, 9, 23]),
                            st.sampled_from(["a", "b", None])), max_size=30)
SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Project:
    def __init__(self, orders=(), visits=(), purchases=()):
        self.dir = Path(tempfile.mkdtemp(prefix="soundness_time_prop_"))
        tables = {
            "orders": ("order_id INTEGER, customer_id INTEGER, ordered_at TIMESTAMP, amount INTEGER",
                       [(i + 1, c, t, a) for i, (t, a, c) in enumerate(orders)]),
            "visits": ("visit_id INTEGER, customer_id INTEGER, visited_at TIMESTAMP, source VARCHAR",
                       [(i + 1, c, t, s) for i, (c, t, s) in enumerate(visits)]),
            "purchases": ("purchase_id INTEGER, customer_id INTEGER, purchased_at TIMESTAMP",
                          [(i + 1, c, t) for i, (c, t) in enumerate(purchases)]),
        }
        self.checker = Checker(write_project(self.dir / "p", DEFINITIONS, tables))

    def rows(self, metric: str, group_by: list[str]) -> list[tuple]:
        return normalize(self.checker.query(metrics=[metric], group_by=group_by).rows)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.checker.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def _orders(raw):
    return [(dt.datetime.combine(START + dt.timedelta(days=d), dt.time(h)), a, c) for d, h, a, c in raw]


def _days(lo: dt.date, hi: dt.date):
    return [lo + dt.timedelta(days=i) for i in range((hi - lo).days + 1)]


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _brute_cumulative(orders, lo_of, hi, value):
    """{day: value(facts in the day's window)} for every day with at least one fact in its window."""
    facts = [(t.date(), a, c) for t, a, c in orders]
    out = {}
    for day in _days(min(f[0] for f in facts), hi):
        inside = [f for f in facts if lo_of(day) <= f[0] <= day]
        if inside:
            out[day] = value(inside)
    return out


def _sum(fs):
    return sum(a for _, a, _ in fs)


@SETTINGS
@given(raw=events)
def test_trailing_windows_mtd_and_all_time_match_brute_force(raw):
    orders = _orders(raw)
    last = max(t.date() for t, _, _ in orders)
    expected = {
        "rev_3d": _brute_cumulative(orders, lambda d: d - dt.timedelta(days=2), last + dt.timedelta(days=2), _sum),
        "rev_7d": _brute_cumulative(orders, lambda d: d - dt.timedelta(days=6), last + dt.timedelta(days=6), _sum),
        "rev_mtd": _brute_cumulative(orders, lambda d: d.replace(day=1), _month_end(last), _sum),
        "rev_all": _brute_cumulative(orders, lambda d: dt.date.min, last, _sum),
        "buyers_7d": _brute_cumulative(orders, lambda d: d - dt.timedelta(days=6), last + dt.timedelta(days=6),
                                       lambda fs: len({c for _, _, c in fs if c is not None})),
    }
    with Project(orders=orders) as p:
        for metric, by_day in expected.items():
            assert p.rows(metric, ["metric_time__day"]) == normalize(sorted(by_day.items())), metric
        mtd = dict(p.rows("rev_mtd", ["metric_time__day"]))
        totals = defaultdict(int)
        for t, a, _ in orders:
            totals[t.date().replace(day=1)] += a
        for month, total in totals.items():  # MTD on a month's last day is that month's total
            assert mtd[_month_end(month)] == total


@SETTINGS
@given(raw=events)
def test_month_offset_matches_brute_force(raw):
    orders = _orders(raw)
    daily, monthly = defaultdict(int), defaultdict(int)
    for t, a, _ in orders:
        daily[t.date()] += a
        monthly[t.date().replace(day=1)] += a

    def minus_month(day: dt.date) -> dt.date:
        year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
        return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))

    def plus_month(day: dt.date) -> dt.date:
        year, month = (day.year, day.month + 1) if day.month < 12 else (day.year + 1, 1)
        return day.replace(year=year, month=month)

    lo, hi = min(daily), max(daily) + dt.timedelta(days=40)
    by_day = {d: daily[minus_month(d)] for d in _days(lo, hi) if minus_month(d) in daily}
    by_month = {plus_month(m): v for m, v in monthly.items()}
    with Project(orders=orders) as p:
        assert p.rows("rev_prev_month", ["metric_time__month"]) == normalize(sorted(by_month.items()))
        got = p.rows("rev_prev_month", ["metric_time__day"])
        assert [r for r in got if lo <= r[0] <= hi] == normalize(sorted(by_day.items()))


def _attribute(visits, purchases, window: int):
    """Brute force: each purchase -> its customer's latest visit with day in (day - window, day]; same-day ties
    to the latest timestamp, then to the source that sorts first (NULLs last). Returns {source: count}."""
    out = defaultdict(int)
    for customer, at in purchases:
        if customer is None:
            continue
        candidates = [(t, s) for c, t, s in visits
                      if c == customer and at.date() - dt.timedelta(days=window) < t.date() <= at.date()]
        if candidates:
            latest = max(t for t, _ in candidates)
            sources = [s for t, s in candidates if t == latest]
            winner = min(sources, key=lambda s: (s is None, s or ""))
            out[winner] += 1
    return dict(out)


@SETTINGS
@given(visits_raw=funnel, purchases_raw=funnel)
def test_conversions_match_brute_force_attribution(visits_raw, purchases_raw):
    base = dt.datetime(2024, 12, 20)
    visits = [(c, base + dt.timedelta(days=d, hours=h), s) for c, d, h, s in visits_raw]
    purchases = [(c, base + dt.timedelta(days=d, hours=h, minutes=30)) for c, d, h, _ in purchases_raw]
    expected = _attribute(visits, purchases, window=5)
    with Project(visits=visits, purchases=purchases) as p:
        by_source = dict(p.rows("conversions", ["visit__source"]))
        assert {k: v for k, v in by_source.items() if v} == {k: float(v) for k, v in expected.items()}
        total = p.rows("conversions", [])
        assert (total[0][0] or 0) == sum(expected.values())
        by_day = p.rows("conversions", ["metric_time__day"])
        assert sum(v or 0 for _, v in by_day) == sum(expected.values())
