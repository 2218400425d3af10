"""Loading definitions: both YAML forms, Jinja (vars, env_var, macros), refs, and every error path."""

from __future__ import annotations

import textwrap

import pytest

import metricslayer as ml

ORDERS = """
semantic_models:
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
      - {name: revenue, agg: sum, expr: amount}
      - {name: order_count, agg: count, expr: "1"}
metrics:
  - name: revenue
    type: simple
    label: Revenue
    type_params: {measure: revenue}
    config: {meta: {owner: finance@acme.test, department: finance}}
"""


def write(tmp_path, files: dict[str, str]):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return tmp_path


def error_of(tmp_path, **kwargs) -> ml.MetricsLayerError:
    with pytest.raises(ml.MetricsLayerError) as info:
        ml.load_project(tmp_path, **kwargs)
    return info.value


def test_dbt_list_form_loads_with_meta(tmp_path):
    project = ml.load_project(write(tmp_path, {"models/orders.yml": ORDERS}))
    metric = project.spec.metrics["revenue"]
    assert metric.owner == "finance@acme.test" and metric.department == "finance"
    assert metric.loc.file == "models/orders.yml" and metric.loc.line == 15
    assert project.spec.semantic_models["orders"].relation.name == "orders"


def test_metricflow_document_form_loads(tmp_path):
    write(tmp_path, {"defs/a.yaml": """
        semantic_model:
          name: orders
          node_relation: {schema_name: analytics, alias: fct_orders}
          defaults: {agg_time_dimension: ds}
          entities: [{name: order, type: primary, expr: id}]
          dimensions: [{name: ds, type: time, type_params: {time_granularity: day}}]
          measures: [{name: orders, agg: count, expr: "1", create_metric: true}]
        ---
        metric:
          name: big_orders
          type: ratio
          type_params:
            numerator: {name: orders, filter: "{{ Dimension('order__ds') }} > '2024-01-01'"}
            denominator: orders
        """})
    project = ml.load_project(tmp_path)
    assert project.spec.semantic_models["orders"].relation.qualified == "analytics.fct_orders"
    assert set(project.spec.metrics) == {"orders", "big_orders"}  # create_metric made 'orders'
    sql = project.compile(metrics=["big_orders"])
    assert "analytics.fct_orders" in sql and "NULLIF" in sql


def test_definition_paths_and_skipped_files(tmp_path):
    write(tmp_path, {
        "metricslayer.yml": "name: p\ndefinition-paths: [models]\n",
        "models/orders.yml": ORDERS,
        "other/broken.yml": "this: [is not: loaded",
        "target/x.yml": "metrics: [broken",
    })
    assert "revenue" in ml.load_project(tmp_path).spec.metrics


def test_recursive_discovery_skips_target_and_hidden(tmp_path):
    write(tmp_path, {"a/b/orders.yml": ORDERS, "target/junk.yml": "x: [", ".hidden/junk.yml": "x: ["})
    assert "revenue" in ml.load_project(tmp_path).spec.metrics


def test_jinja_vars_env_var_and_macros(tmp_path, monkeypatch):
    monkeypatch.setenv("ML_TEST_SCHEMA", "analytics")
    write(tmp_path, {
        "metricslayer.yml": "name: p\nvars: {threshold: 10}\n",
        "macros/money.sql": "{% macro cents(col) %}{{ col }} / 100.0{% endmacro %}",
        "models/orders.yml": """
            semantic_models:
              - name: orders
                node_relation: {schema_name: "{{ env_var('ML_TEST_SCHEMA') }}", alias: orders}
                defaults: {agg_time_dimension: ds}
                entities: [{name: order, type: primary, expr: id}]
                dimensions:
                  - {name: ds, type: time, type_params: {time_granularity: day}}
                  - {name: amount_bucket, type: categorical, expr: "amount > {{ var('threshold') }}"}
                measures:
                  - {name: revenue, agg: sum, expr: "{{ cents('amount_cents') }}"}
            metrics:
              - name: big_revenue
                type: simple
                type_params: {measure: revenue}
                filter: "{{ Dimension('order__amount_bucket') }}"
            """,
    })
    project = ml.load_project(tmp_path, vars={"threshold": 20})
    model = project.spec.semantic_models["orders"]
    assert model.relation.schema == "analytics"
    assert model.dimension("amount_bucket").expr == "amount > 20"  # --vars beat vars: in the project
    assert model.measure("revenue").expr == "amount_cents / 100.0"
    assert project.spec.metrics["big_revenue"].filters[0].sql == "{{ Dimension('order__amount_bucket') }}"


def test_vars_as_yaml_text(tmp_path):
    write(tmp_path, {"m.yml": ORDERS.replace("expr: amount", "expr: \"{{ var('col') }}\"")})
    project = ml.load_project(tmp_path, vars="{col: total}")
    assert project.spec.semantic_models["orders"].measure("revenue").expr == "total"


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    write(tmp_path, {"models/orders.yml": ORDERS, "metrics/bad.yml": "metrics:\n  - name: x\n    type: [simple\n"})
    err = error_of(tmp_path)
    assert isinstance(err, ml.DefinitionError)
    assert err.file == "metrics/bad.yml" and err.line in (3, 4)
    assert "invalid YAML" in err.message


def test_undefined_jinja_variable_names_source_line(tmp_path):
    write(tmp_path, {"m.yml": "# comment\n{% set a = 1 %}\n\nmetrics:\n  - name: {{ nope }}\n"})
    err = error_of(tmp_path)
    assert err.file == "m.yml" and err.line == 5 and "'nope' is undefined" in err.message


def test_unknown_var_suggests_how_to_define(tmp_path):
    write(tmp_path, {"m.yml": "metrics:\n  - name: \"{{ var('missing') }}\"\n"})
    err = error_of(tmp_path)
    assert "missing" in err.message and "--vars" in err.message


def test_jinja_syntax_error(tmp_path):
    write(tmp_path, {"m.yml": "a: 1\nb: {{ oops \n"})
    err = error_of(tmp_path)
    assert err.file == "m.yml" and err.line == 2 and "Jinja" in err.message


def test_positions_survive_multiline_macro_expansion(tmp_path):
    write(tmp_path, {
        "macros/m.sql": "{% macro two_lines() %}\n# one\n# two\n{% endmacro %}",
        "m.yml": "{{ two_lines() }}\nmetrics:\n  - name: a\n    type: simpel\n",
    })
    err = error_of(tmp_path)
    assert err.line == 4 and "simpel" in err.message and "simple" in err.help


def test_unknown_aggregation_suggests(tmp_path):
    write(tmp_path, {"m.yml": ORDERS.replace("agg: sum", "agg: summ")})
    err = error_of(tmp_path)
    assert "summ" in err.message and "'sum'" in err.help and err.line == 12


def test_duplicate_metric_names_point_to_both(tmp_path):
    write(tmp_path, {"a.yml": ORDERS, "b.yml": "metrics:\n  - name: revenue\n    type: simple\n"
                                                "    type_params: {measure: revenue}\n"})
    err = error_of(tmp_path)
    assert err.file == "b.yml" and "a.yml:15" in err.message


def test_semantic_model_without_model_key(tmp_path):
    write(tmp_path, {"a.yml": "semantic_models:\n  - name: x\n    entities: []\n"})
    err = error_of(tmp_path)
    assert "no 'model'" in err.message and err.line == 2


def test_undeclared_source_lists_declared(tmp_path):
    write(tmp_path, {"a.yml": """
        sources:
          - name: crm
            schema: raw
            tables: [{name: leads}]
        semantic_models:
          - name: leads
            model: source('crm', 'lead')
            entities: [{name: lead, type: primary}]
        """})
    err = error_of(tmp_path)
    assert "source('crm', 'lead')" in err.message and "source('crm', 'leads')" in err.help


def test_declared_source_resolves(tmp_path):
    write(tmp_path, {"a.yml": """
        sources:
          - name: crm
            schema: raw
            tables: [{name: leads, identifier: leads_v2}]
        semantic_models:
          - name: leads
            model: source('crm', 'leads')
            entities: [{name: lead, type: primary}]
        """})
    assert ml.load_project(tmp_path).spec.semantic_models["leads"].relation.qualified == "raw.leads_v2"


def test_ref_to_sql_model_is_inlined_as_cte(tmp_path):
    write(tmp_path, {
        "metricslayer.yml": "name: p\nvars: {min_amount: 0}\n",
        "models/stg_orders.sql": "select * from raw_orders where amount > {{ var('min_amount') }}",
        "models/orders.yml": ORDERS.replace("ref('orders')", "ref('stg_orders')"),
    })
    project = ml.load_project(tmp_path)
    sql = project.compile(metrics=["revenue"])
    assert "stg_orders_model AS (" in sql and "raw_orders" in sql and "amount > 0" in sql


def test_ref_through_dbt_manifest(tmp_path):
    write(tmp_path, {
        "models/orders.yml": ORDERS,
        "target/manifest.json": '{"nodes": {"model.p.orders": {"resource_type": "model", "name": "orders",'
                                ' "alias": "fct_orders", "schema": "marts", "database": "wh"}}}',
    })
    relation = ml.load_project(tmp_path).spec.semantic_models["orders"].relation
    assert relation.qualified == "wh.marts.fct_orders"


def test_dbt_project_model_paths(tmp_path):
    write(tmp_path, {"dbt_project.yml": "name: shop\nprofile: shop\nmodel-paths: [marts]\n",
                     "marts/orders.yml": ORDERS, "elsewhere/x.yml": "broken: ["})
    assert "revenue" in ml.load_project(tmp_path).spec.metrics


def test_dbt_newer_simple_metric_with_agg(tmp_path):
    write(tmp_path, {"a.yml": """
        semantic_models:
          - name: orders
            model: ref('orders')
            defaults: {agg_time_dimension: ds}
            entities: [{name: order, type: primary, expr: id}]
            dimensions: [{name: ds, type: time, type_params: {time_granularity: day}}]
            metrics:
              - {name: gmv, type: simple, agg: sum, expr: amount, label: GMV}
        """})
    project = ml.load_project(tmp_path)
    assert "SUM(orders.amount) AS gmv" in project.compile(metrics=["gmv"])


def test_missing_project_dir(tmp_path):
    err = error_of(tmp_path / "nope")
    assert isinstance(err, ml.ProjectError) and "does not exist" in err.message


def test_profiles_target_and_errors(tmp_path):
    write(tmp_path, {"a.yml": ORDERS, "profiles.yml": """
        shop:
          target: dev
          outputs:
            dev: {type: duckdb, path: x.duckdb, schema: main}
            pg: {type: postgres, host: localhost}
        """})
    project = ml.load_project(tmp_path)
    assert project.target.name == "dev" and project.dialect == "duckdb"
    assert "main.orders" in project.compile(metrics=["revenue"])
    assert ml.load_project(tmp_path, target="pg").dialect == "postgres"
    err = error_of(tmp_path, target="prod")
    assert isinstance(err, ml.ProjectError) and "prod" in err.message


def test_no_profiles_runs_in_memory(tmp_path):
    write(tmp_path, {"a.yml": ORDERS})
    assert ml.load_project(tmp_path).target.settings["path"] == ":memory:"


def test_bad_vars_text(tmp_path):
    write(tmp_path, {"a.yml": ORDERS})
    assert isinstance(error_of(tmp_path, vars="[1, 2]"), ml.ProjectError)


def test_several_problems_are_counted(tmp_path):
    write(tmp_path, {"a.yml": "metrics:\n  - name: a\n    type: nope\n  - name: b\n    type: nope\n"})
    err = error_of(tmp_path)
    assert "1 more problem" in err.help
    project = ml.load_project(tmp_path, strict=False)
    assert len(project.problems) == 2
