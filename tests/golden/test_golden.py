"""Golden SQL per dialect for representative demo queries; each file re-parses in its own dialect.

Regenerate after an intended change with ML_UPDATE_GOLDEN=1 python -m pytest tests/golden, and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlglot

from metricslayer import load_project
from metricslayer.errors import UnsupportedError
from metricslayer.sql import dialects  # noqa: F401  (registers datafusion)

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent / "sql"
UPDATE = os.environ.get("ML_UPDATE_GOLDEN") == "1"
DIALECTS = ["duckdb", "postgres", "snowflake", "bigquery", "redshift", "databricks", "spark", "trino",
            "clickhouse", "tsql", "mysql", "sqlite"]
QUERIES = {
    "ratio_by_month": dict(metrics=["revenue", "order_count", "aov"], group_by=["metric_time__month"]),
    "multi_model_region": dict(metrics=["revenue", "sessions", "leads"], group_by=["customer__region"]),
    "week_dow_filter": dict(metrics=["order_count"], group_by=["metric_time__week", "metric_time__extract_dow"],
                            where=["{{ Dimension('customer__segment') }} IN ('smb', 'enterprise')"],
                            start_time="2025-01-01", end_time="2025-03-31"),
    "scd_join": dict(metrics=["revenue"], group_by=["customer__tier"], order_by=["-revenue"], limit=5),
    "median": dict(metrics=["median_order_value"], group_by=["metric_time__quarter"]),
    "month_to_date": dict(metrics=["revenue_mtd"], group_by=["metric_time__day"],
                          start_time="2025-02-20", end_time="2025-03-10"),
}
HEADER = "-- golden SQL: query {query}, dialect {dialect}. Regenerate: ML_UPDATE_GOLDEN=1 pytest tests/golden\n"


@pytest.fixture(scope="module")
def project():
    return load_project(REPO)


def _compile(project, query: str, dialect: str) -> str:
    from metricslayer.engines.parity import compile_for

    try:
        return compile_for(project, project.request(**QUERIES[query]), dialect)
    except UnsupportedError as exc:
        return f"-- unsupported: {exc.message}"


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("query", sorted(QUERIES))
def test_golden(project, query, dialect):
    path = HERE / dialect / f"{query}.sql"
    text = HEADER.format(query=query, dialect=dialect) + _compile(project, query, dialect) + "\n"
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"{path} is missing: run ML_UPDATE_GOLDEN=1 python -m pytest tests/golden")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.read_text() == text, f"{path} changed: review, then ML_UPDATE_GOLDEN=1 to accept"
    body = "\n".join(line for line in text.splitlines() if not line.startswith("-- "))
    if body.strip():
        parsed = sqlglot.parse_one(body, read=dialect)
        assert parsed is not None and parsed.find(sqlglot.exp.Select) is not None
