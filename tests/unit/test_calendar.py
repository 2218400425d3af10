"""Calendars: fiscal quarters and years, the first day of the week, and a declared spine's custom grains."""

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
    measures: [{name: orders, agg: count, expr: order_id, create_metric: true}]
project_configuration:
  time_spines:
    - node_relation: {schema_name: main, alias: calendar}
      primary_column: {name: date_day, time_granularity: day}
      custom_granularities: [{name: retail_period, column_name: period_label}]
"""


def build(tmp_path, settings: str):
    (tmp_path / "metricslayer.yml").write_text(settings)
    (tmp_path / "defs.yml").write_text(textwrap.dedent(DEFS))
    con = duckdb.connect(str(tmp_path / "d.duckdb"))
    con.execute("""
        CREATE TABLE orders AS SELECT * FROM (VALUES
          (1, TIMESTAMP '2024-03-31 23:00'), (2, TIMESTAMP '2024-04-01 01:00'), (3, TIMESTAMP '2024-12-31 12:00'),
          (4, TIMESTAMP '2025-01-05 10:00'), (5, TIMESTAMP '2025-01-06 10:00'), (6, TIMESTAMP '2025-03-31 10:00'))
          t(order_id, ordered_at);
        CREATE TABLE calendar AS SELECT CAST(d AS DATE) AS date_day,
          'P' || CAST(EXTRACT(year FROM d) AS VARCHAR) || '-' || CAST((EXTRACT(month FROM d) + 1) // 2 AS VARCHAR)
            AS period_label
        FROM generate_series(DATE '2024-01-01', DATE '2025-12-31', INTERVAL 1 DAY) t(d);
    """)
    con.close()
    (tmp_path / "profiles.yml").write_text("p:\n  target: d\n  outputs:\n    d: {type: duckdb, path: d.duckdb}\n")
    return ml.load_project(tmp_path)


def by(project, grain):
    return project.query(metrics=["orders"], group_by=[f"metric_time__{grain}"],
                         order_by=[f"metric_time__{grain}"]).rows


def test_fiscal_quarter_and_year_start_in_april(tmp_path):
    project = build(tmp_path, "name: p\ncalendar: {fiscal_year_start_month: 4}\n")
    assert by(project, "fiscal_quarter") == [(D(2024, 1, 1), 1), (D(2024, 4, 1), 1), (D(2024, 10, 1), 1),
                                             (D(2025, 1, 1), 3)]
    assert by(project, "fiscal_year") == [(D(2023, 4, 1), 1), (D(2024, 4, 1), 5)]


def test_weeks_can_start_on_sunday(tmp_path):
    project = build(tmp_path, "name: p\ncalendar: {week_start: sunday}\n")
    # 2025-01-05 is a Sunday: it starts a week; 2025-01-06 (Monday) belongs to it too.
    assert (D(2025, 1, 5), 2) in by(project, "week")


def test_iso_weeks_by_default(tmp_path):
    project = build(tmp_path, "name: p\n")
    weeks = dict(by(project, "week"))
    assert weeks[D(2024, 12, 30)] == 2 and weeks[D(2025, 1, 6)] == 1  # Jan 5 (Sun) is in the ISO week of Dec 30


def test_custom_granularity_from_the_declared_spine(tmp_path):
    project = build(tmp_path, "name: p\n")
    assert by(project, "retail_period") == [("P2024-2", 2), ("P2024-6", 1), ("P2025-1", 2), ("P2025-2", 1)]


@pytest.mark.parametrize("settings, message", [
    ("calendar: {fiscal_year_start_month: 13}\n", "not a month number"),
    ("calendar: {week_start: funday}\n", "not a weekday"),
    ("calendar: [1]\n", "must be a mapping"),
])
def test_bad_calendar_settings(tmp_path, settings, message):
    with pytest.raises(ml.DefinitionError) as info:
        build(tmp_path, "name: p\n" + settings)
    assert message in info.value.message and info.value.file == "metricslayer.yml"


def test_unknown_grain_lists_the_calendar_grains(tmp_path):
    project = build(tmp_path, "name: p\n")
    with pytest.raises(ml.QueryError) as info:
        by(project, "fortnight")
    assert "fiscal_quarter" in info.value.help and "retail_period" in info.value.help


def test_retail_4_5_4_calendar(tmp_path):
    # NRF years start on the Sunday nearest Feb 1: FY2024 on 2024-02-04, FY2025 on 2025-02-02.
    project = build(tmp_path, "name: p\n")
    assert by(project, "retail_year") == [(D(2024, 2, 4), 5), (D(2025, 2, 2), 1)]
    # Q4 of FY2024 starts 39 weeks in (Nov 3); its months start at weeks 39, 43 and 48.
    assert by(project, "retail_quarter") == [(D(2024, 2, 4), 2), (D(2024, 11, 3), 3), (D(2025, 2, 2), 1)]
    assert by(project, "retail_month") == [(D(2024, 3, 3), 2), (D(2024, 12, 1), 1), (D(2025, 1, 5), 2),
                                           (D(2025, 3, 2), 1)]


def test_retail_4_4_5_pattern(tmp_path):
    project = build(tmp_path, "name: p\ncalendar: {retail_pattern: 4-4-5}\n")
    # With 4-4-5 a quarter's months start at weeks 0, 4 and 8: week 8 of FY2024 (Mar 31) opens month 3, and
    # Dec 31 (week 47) and Jan 5/6 (week 48) are in Q4's third month, from week 47 (Dec 29).
    assert by(project, "retail_month") == [(D(2024, 3, 31), 2), (D(2024, 12, 29), 3), (D(2025, 3, 30), 1)]


CUMULATIVE = """
metrics:
  - name: orders_mtd
    type: cumulative
    type_params: {measure: orders, cumulative_type_params: {grain_to_date: month}}
"""


def test_a_declared_spine_is_used_for_windows(tmp_path):
    project = build(tmp_path, "name: p\n")
    (tmp_path / "more.yml").write_text(CUMULATIVE)
    project = ml.load_project(tmp_path)
    sql = project.compile(metrics=["orders_mtd"], group_by=["metric_time__day"], start_time="2024-03-30",
                          end_time="2024-04-02")
    assert "main.calendar" in sql and "GENERATE_SERIES" not in sql
    assert project.query(metrics=["orders_mtd"], group_by=["metric_time__day"], order_by=["metric_time__day"],
                         start_time="2024-03-30", end_time="2024-04-02").rows == [
        (D(2024, 3, 31), 1), (D(2024, 4, 1), 1), (D(2024, 4, 2), 1)]


def test_a_declared_spine_must_cover_the_range(tmp_path):
    build(tmp_path, "name: p\n")
    (tmp_path / "more.yml").write_text(CUMULATIVE)
    project = ml.load_project(tmp_path)
    with pytest.raises(ml.QueryError) as info:
        project.query(metrics=["orders_mtd"], group_by=["metric_time__day"], start_time="2023-12-01",
                      end_time="2024-01-31")
    assert "covers 2024-01-01 to 2025-12-31" in info.value.message
