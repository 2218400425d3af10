"""Helpers for the soundness tests: write a project folder, build its DuckDB file, compare rows.

The tests compare `project.query(...)` with hand-written SQL on the same DuckDB data. Rows are compared
as multisets (sorted, NULL-safe) unless the query has an ORDER BY, numbers with a float tolerance.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path

import duckdb

import metricslayer as ml

PROFILE = """\
soundness:
  target: dev
  outputs:
    dev: {type: duckdb, path: data.duckdb}
"""
PROJECT_FILE = "name: soundness\nprofile: soundness\n"


def build_database(path: Path, tables: dict[str, tuple[str, Sequence[tuple]]]) -> None:
    """Create `path` with one table per entry: name -> (column DDL, rows)."""
    con = duckdb.connect(str(path))
    try:
        for name, (columns, rows) in tables.items():
            con.execute(f"CREATE OR REPLACE TABLE {name} ({columns})")
            if rows:
                marks = ", ".join("?" for _ in rows[0])
                con.executemany(f"INSERT INTO {name} VALUES ({marks})", [list(r) for r in rows])
    finally:
        con.close()


def write_project(root: Path, definitions: str, tables: dict[str, tuple[str, Sequence[tuple]]]) -> Path:
    """A project folder: metricslayer.yml, profiles.yml, models/defs.yml and data.duckdb."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "metricslayer.yml").write_text(PROJECT_FILE)
    (root / "profiles.yml").write_text(PROFILE)
    (root / "models").mkdir(exist_ok=True)
    (root / "models" / "defs.yml").write_text(definitions)
    build_database(root / "data.duckdb", tables)
    return root


class Checker:
    """A loaded project plus a separate read-only connection for the hand-written SQL."""

    def __init__(self, root: Path):
        self.root = root
        self.project = ml.load_project(root, profiles_dir=root)
        self.con = duckdb.connect(str(root / "data.duckdb"), read_only=True)
        self.con.execute("SET TimeZone = 'UTC'")

    def sql(self, text: str) -> list[tuple]:
        return self.con.execute(text).fetchall()

    def query(self, **kwargs) -> ml.Result:
        return self.project.query(**kwargs)

    def check(self, hand_sql: str, *, ordered: bool = False, **kwargs) -> ml.Result:
        """Run the query, compare its rows with `hand_sql`, and check the column names."""
        result = self.project.query(**kwargs)
        expected_columns = list(kwargs.get("group_by") or []) + list(kwargs.get("metrics") or [])
        assert result.columns == expected_columns, result.sql
        assert_same_rows(result.rows, self.sql(hand_sql), ordered=ordered, sql=result.sql)
        return result

    def close(self) -> None:
        self.project.close()
        self.con.close()


def _norm(value):
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    return value


def _sort_key(row: tuple):
    key = []
    for value in row:
        if value is None:
            key.append((0, "", 0))
        elif isinstance(value, float):
            key.append((1, "num", round(value, 6)))
        elif isinstance(value, dt.datetime):
            key.append((1, "datetime", value))
        elif isinstance(value, dt.date):
            key.append((1, "date", value))
        else:
            key.append((1, type(value).__name__, value))
    return tuple(key)


def normalize(rows: Iterable[tuple], ordered: bool = False) -> list[tuple]:
    out = [tuple(_norm(v) for v in row) for row in rows]
    return out if ordered else sorted(out, key=_sort_key)


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and isinstance(b, float):
        if math.isinf(a) or math.isinf(b) or math.isnan(a) or math.isnan(b):
            return False  # an inf or NaN is never a correct metric value here
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if type(a) is not type(b):
        return False
    return a == b


def assert_same_rows(got: Iterable[tuple], expected: Iterable[tuple], ordered: bool = False,
                     sql: str = "") -> None:
    got_n, exp_n = normalize(got, ordered), normalize(expected, ordered)
    problems = []
    if len(got_n) != len(exp_n):
        problems.append(f"row count {len(got_n)} != expected {len(exp_n)}")
    for i, (g, e) in enumerate(zip(got_n, exp_n)):
        if len(g) != len(e) or not all(_same(a, b) for a, b in zip(g, e)):
            problems.append(f"row {i}: got {g!r}, expected {e!r}")
    if problems:
        detail = "\n".join(problems[:12])
        raise AssertionError(
            f"{detail}\n--- got ---\n{_show(got_n)}\n--- expected ---\n{_show(exp_n)}\n--- sql ---\n{sql}")


def _show(rows: list[tuple]) -> str:
    return "\n".join(repr(r) for r in rows)


def merge_sql(keys: Sequence[str], parts: Sequence[tuple[str, Sequence[str]]]) -> str:
    """Hand-written combination of independently aggregated parts on `keys`, NULL-safe.

    Each part is (a SELECT that returns `keys` then its metric columns, the metric column names).
    Every key combination of any part appears once; a part without that combination gives NULL.
    """
    ctes = [f"p{i} AS ({sql})" for i, (sql, _) in enumerate(parts)]
    if not keys:
        cols = ", ".join(f"p{i}.{m}" for i, (_, ms) in enumerate(parts) for m in ms)
        froms = " CROSS JOIN ".join(f"p{i}" for i in range(len(parts)))
        return f"WITH {', '.join(ctes)} SELECT {cols} FROM {froms}"
    key_list = ", ".join(keys)
    ctes.append("k AS (" + " UNION ".join(f"SELECT {key_list} FROM p{i}" for i in range(len(parts))) + ")")
    joins = " ".join(
        f"LEFT JOIN p{i} ON " + " AND ".join(f"k.{key} IS NOT DISTINCT FROM p{i}.{key}" for key in keys)
        for i in range(len(parts)))
    cols = ", ".join([f"k.{key}" for key in keys] + [f"p{i}.{m}" for i, (_, ms) in enumerate(parts) for m in ms])
    return f"WITH {', '.join(ctes)} SELECT {cols} FROM k {joins}"
