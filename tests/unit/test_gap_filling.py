"""Gap filling where MetricFlow ignores it: fill_nulls_with and join_to_timespine on ratio, derived,
cumulative and conversion metrics and their inputs; and filters on a cumulative metric's measure input."""

from __future__ import annotations

import datetime as dt
import textwrap

import duckdb
import pytest

import metricslayer as ml

D = dt.date

DEFS = """
semantic_models:
  - name: visits
    model: ref('visits')
    defaults: {agg_time_dimension: visited_at}
    entities: [{name: visit, type: primary, expr: visit_id}, {name: customer, type: foreign, expr: customer_id}]
    dimensions: [{name: visited_at, type: time, type_params: {time_granularity: day}}]
    measures: [{name: visits, agg: count, expr: visit_id}]
  - name: orders
    model: ref('orders')
    defaults: {agg_time_dimension: ordered_at}
    entities: [{name: order, type: primary, expr: order_id}, {name: customer, type: foreign, expr: customer_id}]
    dimensions:
      - {name: ordered_at, type: time, type_params: {time_granularity: day}}
      - {name: status, type: categorical}
    measures:
      - {name: orders, agg: count, expr: order_id}
      - {name: amount, agg: sum}
metrics:
  - {name: visits, type: simple, type_params: {measure: visits}}
  - {name: orders, type: simple, type_params: {measure: orders}}
  - name: orders_filled
    type: simple
    type_params: {measure: {name: orders, join_to_timespine: true, fill_nulls_with: 0}}
  - name: visits_filled
    type: simple
    type_params: {measure: {name: visits, join_to_timespine: true, fill_nulls_with: 0}}
  - name: orders_per_visit
    type: ratio
    type_params:
      numerator: {name: orders, fill_nulls_with: 0, join_to_timespine: true}
      denominator: {name: visits_filled}
  - name: orders_minus_visits
    type: derived
    type_params:
      expr: o - v
      metrics:
        - {name: orders, alias: o, fill_nulls_with: 0, join_to_timespine: true}
        - {name: visits, alias: v, fill_nulls_with: 0, join_to_timespine: true}
  - name: completed_amount_running
    type: cumulative
    type_params:
      measure: {name: amount, filter: "{{ Dimension('order__status') }} = 'completed'"}
  - name: conversions_filled
    type: conversion
    type_params:
      conversion_type_params:
        base_measure: {name: visits}
        conversion_measure: {name: orders, join_to_timespine: true, fill_nulls_with: 0}
        entity: customer
        window: 2 days
        calculation: conversions
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("gaps")
    (root / "defs.yml").write_text(textwrap.dedent(DEFS))
    con = duckdb.connect(str(root / "d.duckdb"))
    con.execute("""
        CREATE TABLE visits AS SELECT * FROM (VALUES
          (1, 10, TIMESTAMP '2024-01-01 09:00'), (2, 11, TIMESTAMP '2024-01-01 10:00'),
          (3, 10, TIMESTAMP '2024-01-04 09:00')) t(visit_id, customer_id, visited_at);
        CREATE TABLE orders AS SELECT * FROM (VALUES
          (1, 10, TIMESTAMP '2024-01-02 12:00', 'completed', 5.0),
          (2, 11, TIMESTAMP '2024-01-02 13:00', 'cancelled', 7.0),
          (3, 10, TIMESTAMP '2024-01-05 08:00', 'completed', 11.0)) t(order_id, customer_id, ordered_at, status, amount);
    """)
    con.close()
    (root / "profiles.yml").write_text("p:\n  target: d\n  outputs:\n    d: {type: duckdb, path: d.duckdb}\n")
    project = ml.load_project(root)
    yield project
    project.close()


def rows(project, metrics, **kwargs):
    return project.query(metrics=metrics, group_by=["metric_time__day"], order_by=["metric_time__day"],
                         start_time="2024-01-01", end_time="2024-01-06", **kwargs).rows


def test_simple_input_is_zero_filled(project):
    assert rows(project, ["orders_filled"]) == [
        (D(2024, 1, 1), 0), (D(2024, 1, 2), 2), (D(2024, 1, 3), 0), (D(2024, 1, 4), 0), (D(2024, 1, 5), 1),
        (D(2024, 1, 6), 0)]


def test_ratio_inputs_are_filled(project):
    got = dict(rows(project, ["orders_per_visit"]))
    assert got[D(2024, 1, 1)] == 0.0  # 0 orders / 2 visits, not NULL
    assert got[D(2024, 1, 2)] is None  # 2 orders / 0 visits: zero denominator is NULL
    assert set(got) == {D(2024, 1, d) for d in range(1, 7)}


def test_derived_inputs_are_filled(project):
    assert rows(project, ["orders_minus_visits"]) == [
        (D(2024, 1, 1), -2), (D(2024, 1, 2), 2), (D(2024, 1, 3), 0), (D(2024, 1, 4), -1), (D(2024, 1, 5), 1),
        (D(2024, 1, 6), 0)]


def test_cumulative_measure_input_filter_is_applied(project):
    # MetricFlow 0.213 ignores a filter on a cumulative metric's measure input and would count order 2.
    got = project.query(metrics=["completed_amount_running"], group_by=["metric_time__day"],
                        order_by=["metric_time__day"]).rows
    assert [(d, float(v)) for d, v in got] == [(D(2024, 1, 2), 5.0), (D(2024, 1, 3), 5.0), (D(2024, 1, 4), 5.0),
                                               (D(2024, 1, 5), 16.0)]


def test_conversion_metric_joins_to_the_spine(project):
    # visits of customer 10 on Jan 1 -> order Jan 2; customer 11 Jan 1 -> order Jan 2; Jan 4 -> Jan 5.
    assert rows(project, ["conversions_filled"]) == [
        (D(2024, 1, 1), 2), (D(2024, 1, 2), 0), (D(2024, 1, 3), 0), (D(2024, 1, 4), 1), (D(2024, 1, 5), 0),
        (D(2024, 1, 6), 0)]
