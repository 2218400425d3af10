"""Differential tests: metricslayer and MetricFlow give the same numbers on the same data.

Two layers:
- the mini fixture against a stored snapshot of MetricFlow's answers (runs everywhere);
- the demo project exported with `export metricflow` and run live through MetricFlow 0.213.0 in its own
  virtualenv (`bash .ci/setup_metricflow.sh`). Without the venv these skip, unless ML_REQUIRE_METRICFLOW=1
  (CI sets it), where a missing venv fails.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest_helpers import (
    MINI_FIXTURE,
    assert_same_results,
    build_duckdb_from_sql,
    mf_python,
    run_metricflow,
)

import metricslayer as ml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
MINI_QUERIES = json.loads((MINI_FIXTURE / "queries.json").read_text())
MINI_EXPECTED = json.loads((MINI_FIXTURE / "expected_metricflow.json").read_text())
DEMO_QUERIES = json.loads((HERE / "demo_queries.json").read_text())
TIME_QUERIES = json.loads((HERE / "time_queries.json").read_text())  # cumulative, offsets, conversion, ...
ALL_DEMO_QUERIES = DEMO_QUERIES + TIME_QUERIES
# MetricFlow attributes a conversion to one of several same-day base events at random (its answer changes
# between runs); we break such ties deterministically, so only the totals over all groups can match.
MF_NONDETERMINISTIC = {"conversion_by_channel", "conversion_by_device_quarter"}
# MetricFlow's SQL takes DuckDB's median of a DECIMAL column, which DuckDB truncates to the column's scale
# (240.87); we compute it in floating point (240.875, the exact median). Compared to within that rounding.
ROUNDED_BY_METRICFLOW = {"median_order_value_month": 0.00501}

# Where we deliberately answer what MetricFlow rejects (see docs/differences-from-metricflow.md).
WE_ANSWER_MORE = {
    "aov_by_region_month": "a ratio of two models grouped by customer__region: each input resolves its own "
                           "shortest path, MetricFlow needs one name valid for both",
    "aov_multihop_month": "same as above, with the multi-hop name",
    "bad_dunder_filter": "Dimension('order__customer__region') is a valid dunder path for us",
}
NOT_YET: set[str] = set()


def run(project, query: dict):
    return project.query(
        metrics=query.get("metrics") or [], group_by=query.get("group_by") or [],
        where=query.get("where") or [], order_by=query.get("order_by") or [], limit=query.get("limit"),
        start_time=query.get("start_time"), end_time=query.get("end_time"))


@pytest.fixture(scope="module")
def mini_project(tmp_path_factory):
    root = tmp_path_factory.mktemp("mini")
    shutil.copytree(MINI_FIXTURE / "defs", root / "defs")
    build_duckdb_from_sql(MINI_FIXTURE / "data.sql", root / "mini.duckdb")
    (root / "profiles.yml").write_text("mini:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: mini.duckdb}\n")
    project = ml.load_project(root)
    yield project
    project.close()


@pytest.mark.parametrize("query", MINI_QUERIES, ids=[q["id"] for q in MINI_QUERIES])
def test_mini_matches_metricflow_snapshot(mini_project, query):
    expected = MINI_EXPECTED[query["id"]]
    if query["id"] in NOT_YET:
        pytest.skip("cumulative metrics and join_to_timespine belong to the time-semantics issue")
    if expected.get("error"):
        if query["id"] in WE_ANSWER_MORE:
            assert run(mini_project, query).rows, WE_ANSWER_MORE[query["id"]]
        else:
            with pytest.raises(ml.MetricsLayerError):
                run(mini_project, query)
        return
    result = run(mini_project, query)
    assert_same_results(result.columns, result.rows, expected["columns"], expected["rows"])


def _require_metricflow():
    if mf_python() is None:
        if os.environ.get("ML_REQUIRE_METRICFLOW") == "1":
            pytest.fail("ML_REQUIRE_METRICFLOW=1 but the MetricFlow venv is missing: bash .ci/setup_metricflow.sh")
        pytest.skip("MetricFlow venv not installed (bash .ci/setup_metricflow.sh)")


@pytest.fixture(scope="module")
def demo_live(tmp_path_factory):
    """The demo project on a small demo database, and MetricFlow's answers for every demo query."""
    _require_metricflow()
    from metricslayer.demo import build_demo_database
    from metricslayer.engines.profiles import Target

    tmp = tmp_path_factory.mktemp("demo_mf")
    db = tmp / "demo.duckdb"
    build_demo_database(db, scale=0.1)
    project = ml.load_project(REPO)
    project.target = Target(name="test", type="duckdb", settings={"path": str(db)})
    defs = tmp / "mf_defs"
    project.export_metricflow(defs)
    answers = run_metricflow(defs, db, ALL_DEMO_QUERIES, column_order="input")
    yield project, answers
    project.close()


@pytest.mark.metricflow
@pytest.mark.parametrize("query", ALL_DEMO_QUERIES, ids=[q["id"] for q in ALL_DEMO_QUERIES])
def test_demo_matches_metricflow(demo_live, query):
    project, answers = demo_live
    expected = answers[query["id"]]
    assert not expected.get("error"), f"MetricFlow rejected {query['id']}: {expected['error'][:500]}"
    result = run(project, query)
    assert result.rows, "an empty result proves nothing: pick a query with data"
    if query["id"] in MF_NONDETERMINISTIC:
        _assert_same_totals(result, expected)
        return
    if query["id"] in ROUNDED_BY_METRICFLOW:
        _assert_close(result, expected, ROUNDED_BY_METRICFLOW[query["id"]])
        return
    assert_same_results(result.columns, result.rows, expected["columns"], expected["rows"])


def _assert_close(result, expected, tolerance):
    ours = sorted((str(r[0])[:10], float(r[1])) for r in result.rows)
    theirs = sorted((str(r[0])[:10], float(r[1])) for r in expected["rows"])
    assert [k for k, _ in ours] == [k for k, _ in theirs]
    assert all(abs(a - b) <= tolerance for (_, a), (_, b) in zip(ours, theirs))
    assert any(abs(a - b) > 0 for (_, a), (_, b) in zip(ours, theirs)), "no rounding left: drop the tolerance"


def _assert_same_totals(result, expected):
    """The conversions summed over all groups do not depend on how ties are broken."""
    column = [c for c in result.columns if "conversions" in c][0]
    ours = sum(row[result.columns.index(column)] or 0 for row in result.rows)
    theirs = sum(row[expected["columns"].index(column)] or 0 for row in expected["rows"])
    assert ours == theirs and len(result.rows) == len(expected["rows"])


def test_demo_query_sets_are_large_enough():
    assert len(DEMO_QUERIES) >= 30 and len(TIME_QUERIES) >= 30
    ids = [q["id"] for q in ALL_DEMO_QUERIES]
    assert len(set(ids)) == len(ids)
