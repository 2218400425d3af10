"""The project cache is used only while nothing the load read has changed."""

from __future__ import annotations

import os
import textwrap
import time

import pytest

import metricslayer as ml
from metricslayer.spec import cache

DEFS = """
semantic_models:
  - name: orders
    node_relation: {schema_name: "{{ env_var('ML_TEST_CACHE_SCHEMA', 'main') }}", alias: orders}
    entities: [{name: order, type: primary}]
    measures: [{name: orders, agg: count, expr: "1", create_metric: true}]
"""


@pytest.fixture()
def project_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("METRICSLAYER_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "p"
    (root / "models").mkdir(parents=True)
    (root / "metricslayer.yml").write_text("name: p\ndefinition-paths: [models]\n")
    (root / "models" / "orders.yml").write_text(textwrap.dedent(DEFS))
    return root


def touch_later(path, text):
    time.sleep(0.01)
    path.write_text(text)
    later = time.time() + 5
    os.utime(path, (later, later))


def test_second_load_comes_from_the_cache(project_dir):
    first = ml.load_project(project_dir)
    assert list((project_dir.parent / "cache").glob("*.pickle"))
    second = ml.load_project(project_dir)
    assert second.spec is not first.spec and set(second.spec.metrics) == {"orders"}
    assert second.compile(metrics=["orders"]) == first.compile(metrics=["orders"])


def test_a_changed_file_is_read_again(project_dir):
    ml.load_project(project_dir)
    touch_later(project_dir / "models" / "orders.yml",
                textwrap.dedent(DEFS).replace("create_metric: true", "create_metric: true, label: Orders"))
    assert ml.load_project(project_dir).spec.metrics["orders"].label == "Orders"


def test_a_new_file_is_found(project_dir):
    ml.load_project(project_dir)
    time.sleep(0.01)
    (project_dir / "models" / "more.yml").write_text(
        "metrics:\n  - {name: orders_again, type: simple, type_params: {measure: orders}}\n")
    later = time.time() + 5
    os.utime(project_dir / "models", (later, later))
    assert "orders_again" in ml.load_project(project_dir).spec.metrics


def test_an_environment_variable_read_by_env_var_counts(project_dir, monkeypatch):
    assert ml.load_project(project_dir).spec.semantic_models["orders"].relation.schema == "main"
    monkeypatch.setenv("ML_TEST_CACHE_SCHEMA", "analytics")
    assert ml.load_project(project_dir).spec.semantic_models["orders"].relation.schema == "analytics"


def test_other_vars_are_another_entry(project_dir):
    ml.load_project(project_dir)
    assert ml.load_project(project_dir, vars={"x": 1}).vars == {"x": 1}


def test_a_broken_cache_file_is_ignored(project_dir):
    ml.load_project(project_dir)
    for path in (project_dir.parent / "cache").glob("*.pickle"):
        path.write_bytes(b"not a pickle")
    assert "orders" in ml.load_project(project_dir).spec.metrics


def test_cache_can_be_switched_off(project_dir, monkeypatch):
    monkeypatch.setenv("METRICSLAYER_NO_CACHE", "1")
    assert not cache.enabled()
    ml.load_project(project_dir)
    assert not list((project_dir.parent / "cache").glob("*.pickle"))
