"""Regressions found by review, each checked against MetricFlow 0.213 and hand-written SQL."""

from __future__ import annotations

import datetime as dt
import textwrap

import duckdb
import pytest

import metricslayer as ml

D = dt.date
DEFS = """
semantic_models:
  - name: orders
    model: ref('orders')
    defaults: {agg_time_dimension: ordered_at}
    entities: [{name: order, type: primary, expr: order_id}]
    dimensions: [{name: ordered_at, type: time, type_params: {time_granularity: day}}]
    measures: [{name: order_total, agg: sum, expr: amount}]
  - name: budgets
    model: ref('budgets')
    defaults: {agg_time_dimension: budget_month}
    entities: [{name: budget, type: primary, expr: budget_id}]
    dimensions: [{name: budget_month, type: time, type_params: {time_granularity: month}}]
    measures: [{name: budget_total, agg: sum, expr: amount}]
metrics:
  - {name: revenue, type: simple, type_params: {measure: order_total}}
  - {name: budget, type: simple, type_params: {measure: budget_total}}
  - name: revenue_mom
    type: derived
    type_params:
      expr: revenue - revenue_prev
      metrics: [{name: revenue}, {name: revenue, offset_window: 1 month, alias: revenue_prev}]
  - name: revenue_mtd
    type: cumulative
    type_params: {measure: order_total, cumulative_type_params: {grain_to_date: month}}
  - name: revenue_7d
    type: cumulative
    type_params: {measure: order_total, cumulative_type_params: {window: 7 days}}
"""
DATA = """
CREATE TABLE orders(order_id INT, ordered_at TIMESTAMP, amount INT);
INSERT INTO orders VALUES (1,'2024-01-10',10),(2,'2024-02-03',30),(3,'2024-02-10',40),(4,'2024-03-05',60),(5,NULL,7);
CREATE TABLE budgets(budget_id INT, budget_month DATE, amount INT);
INSERT INTO budgets VALUES (1,'2024-01-01',100),(2,'2024-02-01',200);
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("review")
    (root / "defs.yml").write_text(textwrap.dedent(DEFS))
    con = duckdb.connect(str(root / "d.duckdb"))
    con.execute(DATA)
    con.close()
    (root / "profiles.yml").write_text("p:\n  target: d\n  outputs:\n    d: {type: duckdb, path: d.duckdb}\n")
    project = ml.load_project(root)
    yield project
    project.close()


def test_metric_time_filter_applies_after_the_offset(project):
    rows = project.query(metrics=["revenue_mom"], group_by=["metric_time__month"],
                         where=["{{ TimeDimension('metric_time', 'month') }} >= '2024-03-01'"]).rows
    # 60 - 70: February is read although the filter starts in March; April has only a previous month
    assert sorted(rows, key=str) == [(D(2024, 3, 1), -10), (D(2024, 4, 1), None)]  # as MetricFlow


def test_metric_time_filter_keeps_the_cumulative_lookback(project):
    rows = project.query(metrics=["revenue_mtd"], group_by=["metric_time__day"], order_by=["metric_time__day"],
                         where=["{{ TimeDimension('metric_time', 'day') }} >= '2024-02-05'"],
                         start_time="2024-02-01", end_time="2024-02-11").rows
    assert rows == [(D(2024, 2, d), 30) for d in range(5, 10)] + [(D(2024, 2, 10), 70), (D(2024, 2, 11), 70)]


def test_bare_metric_time_uses_the_coarsest_metric_grain(project):
    rows = project.query(metrics=["revenue", "budget"], group_by=["metric_time"],
                         order_by=["metric_time"]).rows
    assert project.compile(metrics=["revenue", "budget"], group_by=["metric_time"]).count("metric_time__month")
    assert rows[:3] == [(D(2024, 1, 1), 10, 100), (D(2024, 2, 1), 70, 200), (D(2024, 3, 1), 60, None)]


def test_adding_a_metric_does_not_change_another(project):
    alone = project.query(metrics=["budget"], start_time="2024-02-02", end_time="2024-02-20").rows
    together = project.query(metrics=["revenue", "budget"], start_time="2024-02-02", end_time="2024-02-20").rows
    assert alone == [(200,)] and together[0][1] == 200


def test_offset_row_without_time_has_no_previous_period(project):
    rows = dict(project.query(metrics=["revenue_mom"], group_by=["metric_time__month"]).rows)
    assert rows[None] is None and rows[D(2024, 2, 1)] == 60


def test_order_by_descending_flag(project):
    rows = project.query(metrics=["revenue"], group_by=["metric_time__month"],
                         order_by=["Metric('revenue').descending(True)"], limit=1).rows
    assert rows == [(D(2024, 2, 1), 70)]


def test_order_by_the_name_that_was_grouped(project):
    rows = project.query(metrics=["revenue"], group_by=["order__ordered_at"], order_by=["order__ordered_at"]).rows
    assert rows[0] == (D(2024, 1, 10), 10)


def test_trailing_window_needs_metric_time(project):
    with pytest.raises(ml.QueryError) as info:
        project.compile(metrics=["revenue_7d"])
    assert "metric_time" in info.value.help


def test_natural_entity_without_validity_window_is_refused(tmp_path):
    (tmp_path / "d.yml").write_text(textwrap.dedent("""
        semantic_models:
          - name: orders
            model: ref('orders')
            entities: [{name: order, type: primary}, {name: customer, type: foreign}]
            measures: [{name: n, agg: count, expr: "1", create_metric: true}]
          - name: customer_history
            model: ref('customer_history')
            entities: [{name: customer, type: natural}]
            dimensions: [{name: tier, type: categorical}]
        """))
    project = ml.load_project(tmp_path)
    with pytest.raises(ml.DefinitionError) as info:
        project.compile(metrics=["n"], group_by=["customer__tier"])
    assert "fan out" in info.value.message and "validity_params" in info.value.help


def test_misplaced_validity_params_is_an_error(tmp_path):
    (tmp_path / "d.yml").write_text(textwrap.dedent("""
        semantic_models:
          - name: customer_history
            model: ref('customer_history')
            entities: [{name: customer, type: natural}]
            dimensions:
              - {name: valid_from, type: time, validity_params: {is_start: true}}
        """))
    with pytest.raises(ml.DefinitionError) as info:
        ml.load_project(tmp_path)
    assert "under type_params" in info.value.message and info.value.line == 7
