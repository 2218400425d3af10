"""Bad queries get a QueryError that names the problem and the nearest valid names."""

from __future__ import annotations

import textwrap

import pytest

import metricslayer as ml

DEFS = """
semantic_models:
  - name: orders
    model: ref('orders')
    defaults: {agg_time_dimension: ordered_at}
    entities:
      - {name: order, type: primary, expr: order_id}
      - {name: customer, type: foreign, expr: customer_id}
      - {name: store, type: foreign, expr: store_id}
    dimensions:
      - {name: ordered_at, type: time, type_params: {time_granularity: day}}
      - {name: status, type: categorical}
    measures:
      - {name: revenue, agg: sum, expr: amount}
  - name: customers
    model: ref('customers')
    entities:
      - {name: customer, type: primary, expr: customer_id}
      - {name: country, type: foreign, expr: country_code}
    dimensions:
      - {name: region, type: categorical}
  - name: stores
    model: ref('stores')
    entities:
      - {name: store, type: primary, expr: store_id}
      - {name: country, type: foreign, expr: country_code}
    dimensions:
      - {name: region, type: categorical}
  - name: countries
    model: ref('countries')
    entities: [{name: country, type: primary, expr: code}]
    dimensions: [{name: continent, type: categorical}]
  - name: tickets
    model: ref('tickets')
    entities: [{name: ticket, type: primary}]
    dimensions: [{name: topic, type: categorical}]
    measures: [{name: tickets, agg: count, expr: "1"}]
metrics:
  - {name: revenue, type: simple, type_params: {measure: revenue}}
  - {name: tickets, type: simple, type_params: {measure: tickets}}
  - {name: loop_a, type: derived, type_params: {expr: loop_b + 1, metrics: [{name: loop_b}]}}
  - {name: loop_b, type: derived, type_params: {expr: loop_a + 1, metrics: [{name: loop_a}]}}
  - {name: bad_expr, type: derived, type_params: {expr: revenue + other, metrics: [{name: revenue}]}}
  - {name: ghost, type: simple, type_params: {measure: no_such_measure}}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("errors")
    (root / "defs.yml").write_text(textwrap.dedent(DEFS))
    return ml.load_project(root)


def raises(project, **query) -> ml.MetricsLayerError:
    with pytest.raises(ml.MetricsLayerError) as info:
        project.compile(**query)
    return info.value


def test_unknown_metric_suggests(project):
    err = raises(project, metrics=["revenu"])
    assert isinstance(err, ml.QueryError) and "'revenue'" in err.help


def test_unknown_dimension_suggests(project):
    err = raises(project, metrics=["revenue"], group_by=["customer__regoin"])
    assert "unknown dimension" in err.message and "customer__region" in err.help


def test_unreachable_dimension_names_the_model(project):
    err = raises(project, metrics=["revenue"], group_by=["ticket__topic"])
    assert "cannot be reached from semantic model 'orders'" in err.message


def test_ambiguous_shortest_path_lists_both(project):
    err = raises(project, metrics=["revenue"], group_by=["country__continent"])
    assert "ambiguous" in err.message
    assert "customers" in err.message and "stores" in err.message and "entity_path" in err.help


def test_explicit_path_resolves_the_ambiguity(project):
    sql = project.compile(metrics=["revenue"], group_by=["store__country__continent"])
    assert "stores" in sql and "customers" not in sql


def test_grain_finer_than_dimension(project):
    err = raises(project, metrics=["revenue"], group_by=["metric_time__hour"])
    assert "finer than the day grain" in err.message


def test_metric_time_without_agg_time_dimension(project):
    err = raises(project, metrics=["tickets"], group_by=["metric_time__month"])
    assert "agg_time_dimension" in err.message


def test_filter_that_is_not_boolean(project):
    err = raises(project, metrics=["revenue"], where=["{{ Dimension('order__status') }} + 1"])
    assert "not a boolean condition" in err.message


def test_filter_with_bare_column(project):
    err = raises(project, metrics=["revenue"], where=["status = 'open'"])
    assert "refers to 'status' directly" in err.message and "Dimension(" in err.help


def test_filter_that_does_not_parse(project):
    err = raises(project, metrics=["revenue"], where=["{{ Dimension('order__status') }} = = 'x'"])
    assert "not valid SQL" in err.message


def test_filter_with_broken_jinja(project):
    err = raises(project, metrics=["revenue"], where=["{{ Dimension('order__status') = 'x'"])
    assert "does not render" in err.message


def test_filter_with_unknown_dimension(project):
    err = raises(project, metrics=["revenue"], where=["{{ Dimension('order__stauts') }} = 'x'"])
    assert "order__status" in err.help


def test_metric_cycle_names_the_loop(project):
    err = raises(project, metrics=["loop_a"])
    assert isinstance(err, ml.DefinitionError) and "loop_a -> loop_b -> loop_a" in err.message


def test_derived_expr_with_unknown_input(project):
    err = raises(project, metrics=["bad_expr"])
    assert "'other'" in err.message and err.file == "defs.yml"


def test_metric_with_unknown_measure(project):
    err = raises(project, metrics=["ghost"])
    assert "no_such_measure" in err.message and err.file == "defs.yml" and err.line


def test_order_by_not_in_query(project):
    err = raises(project, metrics=["revenue"], order_by=["-revenu"])
    assert "'revenue'" in err.help


def test_bad_time_bounds(project):
    assert "ISO" in raises(project, metrics=["revenue"], start_time="last tuesday").message
    err = raises(project, metrics=["revenue"], start_time="2024-02-01", end_time="2024-01-01")
    assert "after" in err.message


def test_unknown_saved_query(project):
    assert "saved query" in raises(project, saved_query="nope").message


def test_empty_query(project):
    assert "at least one metric" in raises(project).message


def test_unsupported_dialect(project):
    err = raises(project, metrics=["revenue"], dialect="prql")
    assert "unsupported SQL dialect" in err.message


def test_invalid_name_characters(project):
    assert "not a valid name" in raises(project, metrics=["revenue"], group_by=["customer__re gion"]).message


def test_negative_limit(project):
    assert "limit" in raises(project, metrics=["revenue"], limit=-1).message
