"""Date parts (metric_time__extract_*, TimeDimension(date_part_name=...)) and bad time definitions."""

from __future__ import annotations

import pytest
from clock_data import CLOCK_TABLES
from soundness_helpers import write_project

import metricslayer as ml

PARTS = {"year": "year", "quarter": "quarter", "month": "month", "day": "day", "dow": "isodow", "doy": "doy"}


@pytest.mark.parametrize("part", list(PARTS))
def test_date_part_group_by(clock, part):
    hand = f"SELECT extract({PARTS[part]} FROM ordered_at), sum(amount), count(*) FROM orders GROUP BY 1"
    clock.check(hand, metrics=["revenue", "order_count"], group_by=[f"metric_time__extract_{part}"])


def test_iso_day_of_week_sunday_is_seven(clock):
    rows = dict(clock.query(metrics=["order_count"], group_by=["metric_time__extract_dow"]).rows)
    assert set(rows) <= set(range(1, 8)) and 7 in rows and 0 not in rows
    sundays = clock.sql("SELECT count(*) FROM orders WHERE dayname(ordered_at) = 'Sunday'")[0][0]
    assert rows[7] == sundays


def test_leap_day_of_year(clock):
    rows = dict(clock.query(metrics=["order_count"], group_by=["metric_time__extract_doy"]).rows)
    assert rows[366] == clock.sql("SELECT count(*) FROM orders WHERE dayofyear(ordered_at) = 366")[0][0] > 0
    assert rows[60] == 3  # Feb 29 2024 (twice) and Mar 1 2025


def test_date_part_with_grain(clock):
    hand = ("SELECT CAST(date_trunc('quarter', ordered_at) AS DATE), extract(isodow FROM ordered_at), sum(amount) "
            "FROM orders GROUP BY 1, 2")
    clock.check(hand, metrics=["revenue"], group_by=["metric_time__quarter", "metric_time__extract_dow"])


def test_date_part_of_model_time_dimension(clock):
    hand = "SELECT extract(month FROM visited_at), count(*) FROM visits GROUP BY 1"
    clock.check(hand, metrics=["visit_count"], group_by=["visit__visited_at__extract_month"])


@pytest.mark.parametrize(("where", "hand_where"), [
    ("{{ TimeDimension('metric_time', date_part_name='dow') }} IN (6, 7)", "isodow(ordered_at) IN (6, 7)"),
    ("{{ TimeDimension('metric_time', date_part_name='day') }} >= 28", "day(ordered_at) >= 28"),
    ("{{ TimeDimension('metric_time', date_part_name='doy') }} = 60", "dayofyear(ordered_at) = 60"),
])
def test_date_part_filter(clock, where, hand_where):
    hand = (f"SELECT CAST(date_trunc('month', ordered_at) AS DATE), sum(amount) FROM orders WHERE {hand_where} "
            "GROUP BY 1")
    clock.check(hand, metrics=["revenue"], group_by=["metric_time__month"], where=[where])


def test_date_part_filter_inside_cumulative_window(clock):
    """A metric_time filter picks output days (Mondays); each Monday's window still sums all 7 days, as in
    MetricFlow, where metric_time filters apply after the window."""
    from clock_sql import daily_cumulative, window_condition

    every_day = daily_cumulative("sum(amount)", window_condition(7), "DATE '2024-02-01'", "DATE '2024-03-31'")
    hand = f"SELECT * FROM ({every_day}) WHERE isodow(d) = 1"
    clock.check(hand, metrics=["revenue_7d"], group_by=["metric_time__day"], start_time="2024-02-01",
                end_time="2024-03-31", where=["{{ TimeDimension('metric_time', date_part_name='dow') }} = 1"])


# -- errors -------------------------------------------------------------------------------------------
BASE_MODELS = """\
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
  - name: visits
    model: ref('visits')
    defaults: {agg_time_dimension: visited_at}
    entities:
      - {name: visit, type: primary, expr: visit_id}
      - {name: customer, type: foreign, expr: customer_id}
    dimensions:
      - {name: visited_at, type: time, type_params: {time_granularity: day}}
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
"""


def _raise_on_load_or_query(root, metric: str, group_by=("metric_time__day",)) -> ml.MetricsLayerError:
    with pytest.raises(ml.MetricsLayerError) as info:
        project = ml.load_project(root, profiles_dir=root)
        try:
            project.query(metrics=[metric], group_by=list(group_by))
        finally:
            project.close()
    assert not isinstance(info.value, ml.EngineError), "the warehouse must never see a bad definition"
    return info.value


def _project(tmp_path, extra_metrics: str):
    tables = {k: CLOCK_TABLES[k] for k in ("orders", "visits", "purchases", "customers")}
    definitions = BASE_MODELS + extra_metrics
    return write_project(tmp_path / "p", definitions, tables), definitions


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(("metric_yaml", "needle"), [
    ("""\
  - name: bad_window
    type: cumulative
    type_params:
      measure: revenue
      cumulative_type_params: {window: 1 mnth}
""", "1 mnth"),
    ("""\
  - name: bad_window
    type: derived
    type_params:
      expr: r
      metrics:
        - {name: revenue, alias: r, offset_window: 1 mnth}
""", "1 mnth"),
    ("""\
  - name: bad_window
    type: conversion
    type_params:
      conversion_type_params:
        base_measure: {name: visit_count}
        conversion_measure: {name: purchase_count}
        entity: customer
        window: 1 mnth
""", "1 mnth"),
], ids=["cumulative", "offset", "conversion"])
def test_unparsable_window_names_file_line_and_forms(tmp_path, metric_yaml, needle):
    root, text = _project(tmp_path, metric_yaml)
    err = _raise_on_load_or_query(root, "bad_window")
    assert isinstance(err, ml.DefinitionError), err
    assert err.file and str(err.file).endswith("defs.yml"), err
    metric_line = _line_of(text, "name: bad_window")
    assert err.line is not None and metric_line <= err.line <= _line_of(text, needle), (err.line, str(err))
    assert "1 mnth" in str(err)
    assert "7 days" in str(err) and "month" in err.help, err


def test_cumulative_with_window_and_grain_to_date(tmp_path):
    root, text = _project(tmp_path, """\
  - name: both
    type: cumulative
    type_params:
      measure: revenue
      cumulative_type_params: {window: 7 days, grain_to_date: month}
""")
    err = _raise_on_load_or_query(root, "both")
    assert isinstance(err, ml.DefinitionError), err
    assert err.file and str(err.file).endswith("defs.yml") and err.line, err
    assert _line_of(text, "name: both") <= err.line <= _line_of(text, "grain_to_date"), err


def test_conversion_entity_not_on_both_models(tmp_path):
    root, text = _project(tmp_path, """\
  - name: wrong_entity
    type: conversion
    type_params:
      conversion_type_params:
        base_measure: {name: visit_count}
        conversion_measure: {name: purchase_count}
        entity: visit
        window: 7 days
""")
    err = _raise_on_load_or_query(root, "wrong_entity")
    assert isinstance(err, ml.DefinitionError), err
    assert "visit" in str(err)
    assert err.file and str(err.file).endswith("defs.yml") and err.line, err
    assert _line_of(text, "name: wrong_entity") <= err.line <= _line_of(text, "entity: visit"), err


@pytest.mark.parametrize("group_by", [["metric_time__day"], ["metric_time__week"],
                                      ["monthly_targets__target_month__day"]])
def test_grain_finer_than_time_dimension(clock, group_by):
    with pytest.raises(ml.QueryError):
        clock.query(metrics=["target"], group_by=group_by)


@pytest.mark.parametrize("grain", ["month", "quarter", "year"])
def test_month_grained_dimension_at_coarser_grains(clock, grain):
    hand = f"SELECT CAST(date_trunc('{grain}', target_month) AS DATE), sum(target) FROM monthly_targets GROUP BY 1"
    clock.check(hand, metrics=["target"], group_by=[f"metric_time__{grain}"])


def test_window_start_after_end(clock):
    with pytest.raises(ml.QueryError):
        clock.query(metrics=["revenue_7d"], group_by=["metric_time__day"], start_time="2024-03-01",
                    end_time="2024-02-01")
