"""Run dbt MetricFlow 0.213.0 on DuckDB as a reference for differential tests and benchmarks.

Run it with the MetricFlow virtualenv's python (see .ci/setup_metricflow.sh); it never imports metricslayer:

    python mf_runner.py --defs DIR --db DEMO.duckdb --queries QUERIES.json --out OUT.json \
        [--mode results|sql|bench] [--repeat N] [--column-order legacy|input]

--defs     MetricFlow-format YAML (one object per document), already Jinja-rendered. Without a
           project_configuration (or one without time spines) the runner adds a day time spine
           `main.mf_time_spine(date_day)` to the manifest and creates it as a table.
--db       DuckDB file with the data tables. It is attached READ_ONLY to an in-memory database; every
           table/view of its schemas gets a view of the same name in the in-memory database, so
           MetricFlow's SQL (`main.orders`) runs unmodified. The file is never written.
--queries  JSON list of {"id", "metrics", "group_by", "where", "order_by", "limit", "start_time", "end_time"}.
--mode     results (default): explain each query, run the SQL, write
               {id: {"columns", "types", "rows", "sql", "error", "compile_ms", "exec_ms"}} plus
               "__meta__" (versions, startup times). Rows of a query without order_by are sorted (NULL first).
           sql: explain only, write {id: {"sql", "error", "compile_ms"}}.
           bench: per query, one warm-up explain (its time is "first_ms"), then --repeat timed explains
               with MetricFlow's caches as they are ("warm_median_ms") and --repeat timed explains with the
               engine's query-level DataflowPlanBuilderCache replaced by an empty one before each call
               ("median_ms", the honest compile cost of one query). Writes {"queries": {...}, "overall": {...}}.
Exit codes: 0 done (per-query errors are in the output), 2 bad arguments/inputs, 3 definitions do not
parse or validate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import json
import logging
import math
import re
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

T_IMPORT_START = time.perf_counter()

import duckdb  # noqa: E402
import yaml  # noqa: E402
from metricflow.data_table.mf_table import MetricFlowDataTable  # noqa: E402
from metricflow.dataflow.builder.builder_cache import DataflowPlanBuilderCache  # noqa: E402
from metricflow.engine.metricflow_engine import (  # noqa: E402
    MetricFlowEngine,
    MetricFlowQueryRequest,
    OutputColumnOrderMode,
)
from metricflow.protocols.sql_client import SqlEngine  # noqa: E402
from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer  # noqa: E402
from metricflow.sql.render.sql_plan_renderer import SqlPlanRenderer  # noqa: E402
from metricflow_semantic_interfaces.implementations.semantic_manifest import (  # noqa: E402
    PydanticSemanticManifest,
)
from metricflow_semantic_interfaces.parsing.dir_to_model import (  # noqa: E402
    parse_yaml_files_to_validation_ready_semantic_manifest,
)
from metricflow_semantic_interfaces.parsing.objects import YamlConfigFile  # noqa: E402
from metricflow_semantic_interfaces.validations.semantic_manifest_validator import (  # noqa: E402
    SemanticManifestValidator,
)
from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup  # noqa: E402
from metricflow_semantics.sql.sql_bind_parameters import SqlBindParameterSet  # noqa: E402

T_IMPORT_END = time.perf_counter()

EMPTY_BINDS = SqlBindParameterSet()
SPINE_SCHEMA = "main"
SPINE_TABLE = "mf_time_spine"
SPINE_COLUMN = "date_day"
SPINE_START = "2000-01-01"
SPINE_END = "2040-12-31"
DEFAULT_PROJECT_CONFIGURATION = {
    "time_spines": [
        {
            "node_relation": {"schema_name": SPINE_SCHEMA, "alias": SPINE_TABLE},
            "primary_column": {"name": SPINE_COLUMN, "time_granularity": "day"},
        }
    ]
}


class InputError(Exception):
    """Bad arguments or input files (exit 2)."""


class DefinitionError(Exception):
    """Definitions that do not parse or validate (exit 3)."""


# --------------------------------------------------------------------------------------------- SQL client
class DuckDbSqlClient:
    """Minimal implementation of MetricFlow's `SqlClient` protocol over a `duckdb` connection."""

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self.conn = conn
        self._renderer = DuckDbSqlPlanRenderer()

    @property
    def sql_engine_type(self) -> SqlEngine:
        return SqlEngine.DUCKDB

    @property
    def sql_plan_renderer(self) -> SqlPlanRenderer:
        return self._renderer

    @staticmethod
    def _params(bind: SqlBindParameterSet) -> dict[str, Any] | None:
        items = bind.param_items if bind is not None else ()
        return {item.key: item.value.union_value for item in items} or None

    def run(self, stmt: str, bind: SqlBindParameterSet = EMPTY_BINDS) -> tuple[list, list, list]:
        """Run a statement; return (column names, duckdb type names, rows)."""
        params = self._params(bind)
        cur = self.conn.execute(stmt, params) if params else self.conn.execute(stmt)
        desc = cur.description or []
        rows = cur.fetchall() if desc else []
        return [d[0] for d in desc], [str(d[1]) for d in desc], rows

    def query(
        self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet = EMPTY_BINDS
    ) -> MetricFlowDataTable:
        columns, _, rows = self.run(stmt, sql_bind_parameter_set)
        return MetricFlowDataTable.create_from_rows(column_names=columns, rows=rows)

    def execute(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet = EMPTY_BINDS) -> None:
        self.run(stmt, sql_bind_parameter_set)

    def dry_run(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet = EMPTY_BINDS) -> None:
        self.run("EXPLAIN " + stmt, sql_bind_parameter_set)

    def close(self) -> None:
        self.conn.close()

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return "$" + bind_parameter_key


# --------------------------------------------------------------------------------------------- definitions
def _spines_of(project_configuration: dict) -> list[dict]:
    return list(project_configuration.get("time_spines") or [])


def load_manifest(defs_dir: Path) -> tuple[PydanticSemanticManifest, list[dict], bool]:
    """Parse + validate the YAML in defs_dir. Returns (manifest, time spine configs, spine_was_added)."""
    paths = sorted(p for p in defs_dir.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
    if not paths:
        raise InputError(f"--defs {defs_dir}: no .yml/.yaml files found")
    files: list[YamlConfigFile] = []
    project_configs: list[tuple[Path, dict]] = []
    for path in paths:
        text = path.read_text()
        try:
            docs = [d for d in yaml.safe_load_all(text) if d is not None]
        except yaml.YAMLError as e:
            raise DefinitionError(f"{path}: invalid YAML: {e}") from e
        pcs = [d for d in docs if isinstance(d, dict) and "project_configuration" in d]
        if pcs and not all(_spines_of(d["project_configuration"] or {}) for d in pcs):
            # A project configuration without time spines: give it ours, keep the other documents verbatim.
            for d in pcs:
                pc = d["project_configuration"] = d["project_configuration"] or {}
                if not _spines_of(pc) and not pc.get("time_spine_table_configurations"):
                    pc["time_spines"] = DEFAULT_PROJECT_CONFIGURATION["time_spines"]
            text = yaml.safe_dump_all(docs, sort_keys=False)
        project_configs += [(path, d["project_configuration"]) for d in pcs]
        files.append(YamlConfigFile(filepath=str(path), contents=text))
    added = False
    if not project_configs:
        files.append(
            YamlConfigFile(
                filepath="<mf_runner: time spine>",
                contents=yaml.safe_dump({"project_configuration": DEFAULT_PROJECT_CONFIGURATION}),
            )
        )
        project_configs.append((Path("<mf_runner>"), DEFAULT_PROJECT_CONFIGURATION))
        added = True

    try:
        build = parse_yaml_files_to_validation_ready_semantic_manifest(
            files, raise_issues_as_exceptions=False
        )
    except Exception as e:  # ParsingException and pydantic errors
        raise DefinitionError(f"could not parse definitions in {defs_dir}:\n{e}") from e
    messages = [f"  {issue.as_readable_str()}" for issue in build.issues.errors]
    if messages:
        raise DefinitionError("definitions do not parse:\n" + "\n".join(messages))
    manifest = build.semantic_manifest
    results = SemanticManifestValidator[PydanticSemanticManifest]().validate_semantic_manifest(manifest)
    for warning in results.warnings:
        print(f"mf_runner: validation warning: {warning.as_readable_str()}", file=sys.stderr)
    if results.has_blocking_issues:
        lines = [f"  {i.as_readable_str()}" for i in results.all_issues if i.level.name != "WARNING"]
        raise DefinitionError("definitions fail MetricFlow validation:\n" + "\n".join(lines))
    spines = [s for _, pc in project_configs for s in _spines_of(pc)]
    return manifest, spines, added


# --------------------------------------------------------------------------------------------- database
def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def open_database(db_path: Path, spines: list[dict]) -> tuple[duckdb.DuckDBPyConnection, str]:
    """In-memory DuckDB that sees db_path (read-only) through views, plus the time spine table(s)."""
    if not db_path.is_file():
        raise InputError(f"--db {db_path}: no such file")
    conn = duckdb.connect(":memory:")
    alias = re.sub(r"\W", "_", db_path.stem) or "src"
    if alias.lower() in ("main", "memory", "system", "temp") or alias[0].isdigit():
        alias = "src_" + alias
    # Attached under its own file stem too, so a relation_name like "demo"."main"."orders" resolves.
    conn.execute(f"ATTACH {_sql_str(str(db_path))} AS {_ident(alias)} (READ_ONLY)")
    objects = conn.execute(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = ?", [alias]
    ).fetchall()
    for schema, table in objects:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(schema)}")
        conn.execute(
            f"CREATE VIEW {_ident(schema)}.{_ident(table)} AS SELECT * FROM {_ident(alias)}.{_ident(schema)}.{_ident(table)}"
        )
    existing = {(s.lower(), t.lower()) for s, t in objects}
    for spine in spines:
        rel = spine.get("node_relation") or {}
        schema, table = rel.get("schema_name", "main"), rel.get("alias")
        col = (spine.get("primary_column") or {}).get("name", SPINE_COLUMN)
        grain = (spine.get("primary_column") or {}).get("time_granularity", "day").lower()
        if table is None or (schema.lower(), table.lower()) in existing:
            continue
        if grain != "day":
            raise InputError(
                f"time spine {schema}.{table} ({grain}) is not in --db and only day spines can be made"
            )
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(schema)}")
        conn.execute(
            f"CREATE TABLE {_ident(schema)}.{_ident(table)} AS SELECT CAST(d AS DATE) AS {_ident(col)} "
            f"FROM range(DATE '{SPINE_START}', DATE '{SPINE_END}' + INTERVAL 1 DAY, INTERVAL 1 DAY) t(d)"
        )
    return conn, alias


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


# --------------------------------------------------------------------------------------------- queries
QUERY_KEYS = {
    "id",
    "metrics",
    "group_by",
    "where",
    "order_by",
    "limit",
    "start_time",
    "end_time",
    "saved_query",
}
IGNORED_KEYS = {"note", "expect_error"}  # for the test suite; the runner ignores them


def load_queries(path: Path) -> list[dict]:
    try:
        queries = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise InputError(f"--queries {path}: {e}") from e
    if not isinstance(queries, list):
        raise InputError(f"--queries {path}: expected a JSON list of query objects")
    seen = set()
    for i, q in enumerate(queries):
        if not isinstance(q, dict) or "id" not in q:
            raise InputError(f"--queries {path}: item {i} is not an object with an 'id'")
        unknown = set(q) - QUERY_KEYS - IGNORED_KEYS
        if unknown:
            raise InputError(f"--queries {path}: query {q['id']!r} has unknown keys {sorted(unknown)}")
        if q["id"] in seen:
            raise InputError(f"--queries {path}: duplicate id {q['id']!r}")
        seen.add(q["id"])
    return queries


def _parse_time(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    parsed = dt.datetime.fromisoformat(value)
    return parsed.replace(tzinfo=None) if parsed.tzinfo else parsed


def make_request(q: dict, column_order: OutputColumnOrderMode) -> MetricFlowQueryRequest:
    """A fresh request (new request id) every call."""
    return MetricFlowQueryRequest.create(
        saved_query_name=q.get("saved_query"),
        metric_names=q.get("metrics") or (None if q.get("saved_query") else []),
        group_by_names=q.get("group_by") or None,
        where_constraints=q.get("where") or None,
        order_by_names=q.get("order_by") or None,
        limit=q.get("limit"),
        time_constraint_start=_parse_time(q.get("start_time")),
        time_constraint_end=_parse_time(q.get("end_time")),
        output_column_order_mode=column_order,
    )


def json_value(v: Any) -> Any:
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)  # "nan" / "inf": keep JSON strict
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, (list, tuple)):
        return [json_value(x) for x in v]
    if isinstance(v, dict):
        return {str(k): json_value(x) for k, x in v.items()}
    return v


def _row_sort_key(row: list) -> tuple:
    return tuple((0, "", "") if v is None else (1, type(v).__name__, v) for v in row)


def _error_text(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}".strip()


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000.0, 3)


def run_results(
    engine: MetricFlowEngine,
    client: DuckDbSqlClient,
    queries: list[dict],
    mode: str,
    column_order: OutputColumnOrderMode,
) -> dict:
    out: dict[str, Any] = {}
    for q in queries:
        entry: dict[str, Any] = {"columns": None, "types": None, "rows": None, "sql": None, "error": None}
        t0 = time.perf_counter()
        try:
            stmt = engine.explain(make_request(q, column_order)).sql_statement
        except Exception as e:  # MetricFlow rejected the query
            entry["error"] = _error_text(e)
            out[q["id"]] = entry
            continue
        entry["compile_ms"] = _ms(t0)
        entry["sql"] = stmt.sql
        if stmt.bind_parameter_set.param_items:
            entry["bind_parameters"] = json_value(DuckDbSqlClient._params(stmt.bind_parameter_set))
        if mode == "results":
            t0 = time.perf_counter()
            try:
                columns, types, rows = client.run(stmt.sql, stmt.bind_parameter_set)
            except Exception as e:
                entry["error"] = "execution failed: " + _error_text(e)
            else:
                entry["exec_ms"] = _ms(t0)
                entry["columns"], entry["types"] = columns, types
                entry["rows"] = [[json_value(v) for v in row] for row in rows]
                if not q.get("order_by"):  # no ORDER BY: DuckDB's order is arbitrary, make the file stable
                    entry["rows"].sort(key=_row_sort_key)
        else:
            for k in ("columns", "types", "rows"):
                entry.pop(k)
        out[q["id"]] = entry
    return out


def _reset_query_caches(engine: MetricFlowEngine) -> None:
    """Empty MetricFlow's query-level plan cache (it memoises source-node recipes and metric output nodes)."""
    fresh = DataflowPlanBuilderCache()
    engine._dataflow_plan_builder_cache = fresh  # type: ignore[attr-defined]
    engine._dataflow_plan_builder._cache = fresh  # type: ignore[attr-defined]


def run_bench(
    engine: MetricFlowEngine, queries: list[dict], repeat: int, column_order: OutputColumnOrderMode
) -> dict:
    per_query: dict[str, Any] = {}
    for q in queries:
        t0 = time.perf_counter()
        try:
            _ = engine.explain(make_request(q, column_order)).sql_statement
        except Exception as e:
            per_query[q["id"]] = {"error": _error_text(e)}
            continue
        first = _ms(t0)
        warm, cold = [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            _ = engine.explain(make_request(q, column_order)).sql_statement
            warm.append(_ms(t0))
        for _ in range(repeat):
            _reset_query_caches(engine)
            t0 = time.perf_counter()
            _ = engine.explain(make_request(q, column_order)).sql_statement
            cold.append(_ms(t0))
        per_query[q["id"]] = {
            "first_ms": first,
            "median_ms": round(statistics.median(cold), 3),
            "warm_median_ms": round(statistics.median(warm), 3),
            "min_ms": min(cold),
            "max_ms": max(cold),
            "samples_ms": cold,
        }
    ok = [v for v in per_query.values() if "error" not in v]

    def med(key: str) -> float | None:
        return round(statistics.median(v[key] for v in ok), 3) if ok else None

    return {
        "queries": per_query,
        "overall": {
            "median_ms": med("median_ms"),
            "warm_median_ms": med("warm_median_ms"),
            "first_median_ms": med("first_ms"),
            "repeat": repeat,
            "n_queries": len(ok),
            "n_errors": len(per_query) - len(ok),
            "note": (
                "median_ms: explain() with MetricFlow's query-level DataflowPlanBuilderCache emptied before each "
                "call (manifest-level lookups stay warm, as in a long-running server); warm_median_ms: repeated "
                "explain() of the same query with that cache kept; first_median_ms: first explain() of each "
                "distinct query in this process."
            ),
        },
    }


# --------------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--defs", required=True, type=Path)
    ap.add_argument("--db", required=True, type=Path)
    ap.add_argument("--queries", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--mode", choices=("results", "sql", "bench"), default="results")
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument(
        "--column-order",
        choices=("legacy", "input"),
        default="legacy",
        help="legacy: MetricFlow's default (time dims, entities, dims, metrics); input: order asked",
    )
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    for name in ("metricflow", "metricflow_semantics", "metricflow_semantic_interfaces"):
        logging.getLogger(name).setLevel(logging.ERROR)
    column_order = (
        OutputColumnOrderMode.LEGACY_TYPE_GROUPED
        if args.column_order == "legacy"
        else OutputColumnOrderMode.INPUT_ORDER
    )

    try:
        if args.repeat < 1:
            raise InputError("--repeat must be >= 1")
        if not args.defs.is_dir():
            raise InputError(f"--defs {args.defs}: not a directory")
        queries = load_queries(args.queries)
        t0 = time.perf_counter()
        manifest, spines, spine_added = load_manifest(args.defs)
        t_manifest = _ms(t0)
        t0 = time.perf_counter()
        conn, _ = open_database(args.db.resolve(), spines)
        client = DuckDbSqlClient(conn)
        t_db = _ms(t0)
        t0 = time.perf_counter()
        engine = MetricFlowEngine(SemanticManifestLookup(manifest), client)
        t_engine = _ms(t0)
    except InputError as e:
        print(f"mf_runner: {e}", file=sys.stderr)
        return 2
    except DefinitionError as e:
        print(f"mf_runner: {e}", file=sys.stderr)
        return 3

    if args.mode == "bench":
        result: dict[str, Any] = run_bench(engine, queries, args.repeat, column_order)
    else:
        result = run_results(engine, client, queries, args.mode, column_order)
    meta = {
        "metricflow_version": _version("metricflow"),
        "duckdb_version": duckdb.__version__,
        "mode": args.mode,
        "column_order": args.column_order,
        "time_spine_added": spine_added,
        "startup_ms": {
            "imports": round((T_IMPORT_END - T_IMPORT_START) * 1000, 1),
            "manifest": t_manifest,
            "database": t_db,
            "engine": t_engine,
        },
    }
    if args.mode == "bench":
        result["meta"] = meta
        payload = result
    else:
        payload = {"__meta__": meta, **result}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=1, allow_nan=False))
    client.close()
    return 0


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


if __name__ == "__main__":
    sys.exit(main())
