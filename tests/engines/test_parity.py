"""The demo query set (core + time semantics + date parts) on every engine equals DuckDB's results.

Engines whose driver or server is missing are skipped (ML_REQUIRE_ENGINES=1 makes that a failure). Pairs an
engine cannot express are declared in UNSUPPORTED and must raise UnsupportedError, never give numbers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from metricslayer.engines import parity
from metricslayer.errors import UnsupportedError

REPO = Path(__file__).resolve().parents[2]

QUERY_FILES = [REPO / "tests/differential/demo_queries.json", REPO / "tests/differential/time_queries.json",
               REPO / "tests/engines/extra_queries.json"]
# (engine, query id) -> the feature the engine lacks. Everything else must equal DuckDB.
UNSUPPORTED = {
    ("sqlite", "median_sales_cycle"): "exact median",
    ("sqlite", "days_to_hire_p90"): "exact percentile",
    ("sqlite", "median_order_value_month"): "exact median",
}

# (engine, query id) -> why it fails today. Not hidden: the test fails when one of these starts passing.
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


def _queries() -> list[dict]:
    queries = []
    for path in QUERY_FILES:
        if path.exists():
            queries += json.loads(path.read_text())
    return queries


@pytest.fixture(scope="session")
def matrix(engines, demo_project):
    opened, _ = engines
    return parity.run_matrix(demo_project, opened, _queries())


def test_query_set_covers_every_metric_type():
    queries = _queries()
    assert len(queries) >= 40
    from metricslayer import load_project

    project = load_project(REPO)
    types = {project.spec.metrics[m].type for q in queries for m in q.get("metrics", [])}
    assert {"simple", "ratio", "derived", "cumulative", "conversion"} <= types


@pytest.mark.parametrize("engine", parity.ENGINES)
def test_engine_matches_duckdb(engine, engines, matrix):
    opened, skipped = engines
    if engine not in opened:
        pytest.skip(skipped.get(engine, "not available"))
    failures = []
    for query in matrix.queries:
        status = matrix.status(engine, query)
        declared = (engine, query) in UNSUPPORTED
        if status.startswith("unsupported"):
            if not declared:
                failures.append(f"{query}: raised UnsupportedError but is not declared: {status}")
        elif declared:
            failures.append(f"{query}: declared unsupported on {engine} but gave {status}")
        elif (engine, query) in KNOWN_FAILURES:
            if status == "ok":
                failures.append(f"{query}: listed in KNOWN_FAILURES but now passes: remove it")
        elif status != "ok":
            failures.append(f"{query}: {status}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("engine,query", sorted(UNSUPPORTED))
def test_unsupported_pairs_raise_a_clear_error(engine, query, demo_project):
    spec = next(q for q in _queries() if q["id"] == query)
    request = demo_project.request(**{k: v for k, v in spec.items() if k != "id"})
    with pytest.raises(UnsupportedError) as info:
        parity.compile_for(demo_project, request, engine)
    assert engine in info.value.message and "percentile" in info.value.message
    assert info.value.help
