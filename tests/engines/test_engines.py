"""Engine plumbing: registry, missing drivers, read-only sessions, dialect transforms that need no server."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from metricslayer.engines.base import ENGINES, connect, dialect_of, require
from metricslayer.engines.profiles import Target
from metricslayer.errors import EngineError, ProjectError, UnsupportedError
from metricslayer.sql.dialects import adapt


def error_of(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001
        return exc
    raise AssertionError("no error")


def test_dialect_of_target_types():
    assert dialect_of("postgresql") == "postgres" and dialect_of("sqlserver") == "tsql"
    assert dialect_of("datafusion") == "datafusion" and set(ENGINES) >= {"snowflake", "bigquery", "trino"}


def test_missing_driver_names_the_extra():
    err = error_of(require, "no_such_driver_module", "snowflake", "snowflake", "snowflake-connector-python")
    assert isinstance(err, EngineError) and err.exit_code == 1
    assert "metricslayer[snowflake]" in err.help and "\n" not in err.message


def test_unknown_target_type():
    err = error_of(connect, Target("x", "oracle9", {}))
    assert isinstance(err, ProjectError) and "oracle9" in err.message


def test_sqlite_is_read_only(tmp_path):
    target = Target("lite", "sqlite", {"path": str(tmp_path / "a.sqlite")}, tmp_path)
    writer = connect(target, read_only=False)
    writer._connection.execute("CREATE TABLE t (x INTEGER)")
    writer._connection.commit()
    writer.close()
    engine = connect(target)
    assert engine.execute("SELECT COUNT(*) AS n FROM t").rows == [(0,)]
    err = error_of(engine.execute, "INSERT INTO t VALUES (1)")
    assert isinstance(err, EngineError) and "SQLite" in err.message
    missing = error_of(connect, Target("lite", "sqlite", {"path": "nope.sqlite"}, tmp_path))
    assert isinstance(missing, EngineError) and "seed" in missing.help


def _sql(text: str, dialect: str) -> str:
    return adapt(sqlglot.parse_one(text, read="duckdb"), dialect).sql(dialect)


def test_sqlite_date_functions_run_on_sqlite():
    import sqlite3

    con = sqlite3.connect(":memory:")
    cases = {  # DuckDB expression -> DuckDB's answer
        "CAST(DATE_TRUNC('WEEK', d) AS DATE)": "2024-12-30", "CAST(DATE_TRUNC('QUARTER', d) AS DATE)": "2025-01-01",
        "CAST(DATE_TRUNC('MONTH', d) AS DATE)": "2025-01-01", "EXTRACT(ISODOW FROM d)": 5,
        "EXTRACT(WEEK FROM d)": 1, "EXTRACT(DOY FROM d)": 3, "EXTRACT(QUARTER FROM d)": 1,
        "DATE_DIFF('month', CAST('2024-12-31' AS DATE), d)": 1,
    }
    for expr, expected in cases.items():
        sql = _sql(f"SELECT {expr} FROM (SELECT CAST('2025-01-03' AS DATE) AS d) AS t", "sqlite")
        assert con.execute(sql).fetchone()[0] == expected, sql


def test_exact_percentile_is_refused_where_missing():
    tree = exp.select(exp.PercentileCont(this=exp.column("x"), expression=exp.Literal.number(0.5))).from_("t")
    for dialect in ("sqlite", "mysql", "trino", "tsql", "bigquery"):
        err = error_of(adapt, tree.copy(), dialect)
        assert isinstance(err, UnsupportedError) and dialect in err.message


def test_postgres_truncates_timestamps_not_dates():
    assert "DATE_TRUNC('MONTH', CAST(d AS TIMESTAMP))" in _sql("SELECT DATE_TRUNC('MONTH', d) FROM t", "postgres")


def test_datafusion_divides_as_floats():
    assert "CAST(a AS DOUBLE) / b" in _sql("SELECT a / b FROM t", "datafusion")


def test_clickhouse_exact_median_and_decimal_literals():
    sql = _sql("SELECT QUANTILE_CONT(x, 0.5), CAST(c AS DECIMAL(18, 2)) * 0.01 FROM t", "clickhouse")
    assert "quantileExactInclusive(0.5)(toFloat64(x))" in sql and "toDecimal64('0.01', 2)" in sql
