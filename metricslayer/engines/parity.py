"""Cross-engine parity: the same queries on every engine from the same parquet data, compared with DuckDB.

Used by tests/engines/test_parity.py and bench/parity.py. A cell of the matrix is one of
``ok`` (equal to DuckDB's rows, relative tolerance 1e-9, types normalised), ``unsupported`` (compiling raised
UnsupportedError: the engine cannot express the query), ``diff: ...`` or ``error: ...``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import MetricsLayerError, UnsupportedError
from .profiles import Target

ENGINES = ("duckdb", "sqlite", "postgres", "clickhouse", "spark", "datafusion")
REL_TOL = 1e-9


def postgres_settings() -> dict | None:
    """Connection settings of the throwaway server started by .ci/with_postgres.sh, when there is one."""
    if not os.environ.get("ML_PG_PORT"):
        return None
    return {"host": os.environ.get("ML_PG_HOST", "127.0.0.1"), "port": int(os.environ["ML_PG_PORT"]),
            "user": os.environ.get("ML_PG_USER", "postgres"), "password": os.environ.get("ML_PG_PASSWORD"),
            "dbname": os.environ.get("ML_PG_DBNAME", "postgres")}


def parity_targets(parquet_dir: Path, workdir: Path, schema: str = "main") -> dict[str, Target]:
    """One target per engine over the same parquet files (postgres only when a server is configured)."""
    workdir.mkdir(parents=True, exist_ok=True)
    targets = {
        "duckdb": Target("duckdb", "duckdb", {"path": str(workdir / "parity.duckdb"), "schema": schema}, workdir),
        "sqlite": Target("sqlite", "sqlite", {"path": str(workdir / "parity.sqlite"), "schema": schema}, workdir),
        "clickhouse": Target("clickhouse", "clickhouse", {"path": str(workdir / "chdb"), "schema": schema},
                             workdir),
        "spark": Target("spark", "spark", {"master": "local[2]", "parquet_dir": str(parquet_dir),
                                           "schema": schema}, workdir),
        "datafusion": Target("datafusion", "datafusion", {"parquet_dir": str(parquet_dir), "schema": schema},
                             workdir),
    }
    pg = postgres_settings()
    if pg:
        targets["postgres"] = Target("postgres", "postgres", {**pg, "schema": schema}, workdir)
    return targets


def open_engine(name: str, target: Target, files: dict[str, Path]):
    """Load the parquet files into the engine when it keeps its own copy, then open it read-only."""
    from ..seed import _seed_duckdb
    from .base import connect

    if name == "duckdb":
        _seed_duckdb(target, target.schema, files, None)
    elif name in ("sqlite", "postgres", "clickhouse"):
        writer = connect(target, read_only=False)
        try:
            writer.load_tables(target.schema, files)
        finally:
            if name != "clickhouse":
                writer.close()
        if name == "clickhouse":
            writer.read_only = True  # chdb allows one session per process: keep this one
            return writer
    return connect(target, read_only=True)


def compile_for(project, request, dialect: str) -> str:
    """The SQL of `request` for `dialect` (the same path as Project.compile_request)."""
    from ..project import SUPPORTED_DIALECTS

    if dialect in SUPPORTED_DIALECTS:
        return project.compile_request(request, dialect)
    from ..sql.dialects import adapt

    plan = project.planner.plan(request)
    return adapt(project.sql_builder.build(plan), dialect).sql(dialect=dialect, pretty=True)


def normalise(value):
    """One comparable Python value per SQL value, whatever the driver returned."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float, decimal.Decimal)):
        number = float(value)
        return None if math.isnan(number) else number
    if isinstance(value, dt.datetime):
        value = value.replace(tzinfo=None)
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        return value[:10] if value[10:].strip(" T0:.") == "" else value.replace("T", " ")
    return value


def _sort_key(row: tuple):
    return tuple((v is None, isinstance(v, str), v if v is not None else 0) for v in row)


def same_rows(expected: list[tuple], actual: list[tuple], ordered: bool, abs_tol: float = 1e-12) -> str:
    """'' when equal, else a short description of the first difference."""
    exp_rows = [tuple(normalise(v) for v in r) for r in expected]
    act_rows = [tuple(normalise(v) for v in r) for r in actual]
    if len(exp_rows) != len(act_rows):
        return f"{len(act_rows)} rows, DuckDB has {len(exp_rows)}"
    if not ordered:
        exp_rows, act_rows = sorted(exp_rows, key=_sort_key), sorted(act_rows, key=_sort_key)
    for i, (e, a) in enumerate(zip(exp_rows, act_rows)):
        for j, (x, y) in enumerate(zip(e, a)):
            if isinstance(x, float) and isinstance(y, float):
                if math.isclose(x, y, rel_tol=REL_TOL, abs_tol=abs_tol):
                    continue
            elif x == y:
                continue
            return f"row {i} column {j}: {y!r}, DuckDB has {x!r}"
    return ""


@dataclass
class Matrix:
    engines: list[str]
    queries: list[str]
    cells: dict[tuple[str, str], str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def status(self, engine: str, query: str) -> str:
        return self.cells.get((engine, query), "skipped")

    def summary(self) -> dict[str, dict[str, int]]:
        out = {}
        for engine in self.engines:
            counts: dict[str, int] = {}
            for query in self.queries:
                kind = self.status(engine, query).split(":")[0]
                counts[kind] = counts.get(kind, 0) + 1
            out[engine] = counts
        return out

    def render(self) -> str:
        marks = {"ok": "=", "unsupported": "U", "skipped": "-"}
        width = max(len(q) for q in self.queries)
        lines = [" " * width + "  " + " ".join(f"{e[:10]:>10}" for e in self.engines)]
        for query in self.queries:
            cells = [marks.get(self.status(e, query).split(":")[0], "X") for e in self.engines]
            lines.append(f"{query:<{width}}  " + " ".join(f"{c:>10}" for c in cells))
        lines.append("")
        lines.append("= equal to DuckDB   U declared unsupported (raises UnsupportedError)   X differs/fails   - skipped")
        for engine, counts in self.summary().items():
            lines.append(f"{engine:<11} " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
                         + f"   ({self.seconds.get(engine, 0):.1f} s)")
        for (engine, query), status in sorted(self.cells.items()):
            if status.startswith(("diff", "error")):
                lines.append(f"  {engine} {query}: {status}")
        return "\n".join(lines)


def run_matrix(project, engines: dict, queries: Iterable[dict]) -> Matrix:
    """Run every query on every engine and compare with DuckDB (which must be in `engines`)."""
    queries = list(queries)
    matrix = Matrix(list(engines), [q["id"] for q in queries])
    reference = {}
    for name, engine in engines.items():
        started = time.perf_counter()
        for query in queries:
            request = project.request(**{k: v for k, v in query.items() if k != "id"})
            try:
                sql = compile_for(project, request, engine.dialect)
            except UnsupportedError as exc:
                matrix.cells[(name, query["id"])] = f"unsupported: {exc.message}"
                continue
            try:
                result = engine.execute(sql)
            except MetricsLayerError as exc:
                matrix.cells[(name, query["id"])] = f"error: {exc.message}"
                continue
            if name == "duckdb":
                reference[query["id"]] = result
                matrix.cells[(name, query["id"])] = "ok"
                continue
            expected = reference.get(query["id"])
            if expected is None:
                matrix.cells[(name, query["id"])] = "error: no DuckDB result to compare with"
                continue
            problem = ""
            if list(result.columns) != list(expected.columns):
                problem = f"columns {result.columns}, DuckDB has {expected.columns}"
            problem = problem or same_rows(expected.rows, result.rows, ordered=bool(query.get("order_by")),
                                          abs_tol=1e-12)
            matrix.cells[(name, query["id"])] = f"diff: {problem}" if problem else "ok"
        matrix.seconds[name] = time.perf_counter() - started
    return matrix
