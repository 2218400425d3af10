"""The Engine interface every warehouse implements, and the registry of target types.

An engine module is imported only when a target of its type is opened, so a missing driver costs nothing
until it is needed, and then gives one line that names the extra to install.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from ..errors import EngineError, ProjectError, did_you_mean
from ..result import Result

Progress = Callable[[str, int, int], None]


class Engine(Protocol):
    """Runs SQL of its `dialect` and returns columns and rows of Python values."""

    dialect: str

    def execute(self, sql: str) -> Result: ...

    def close(self) -> None: ...


# target type -> (module in this package, class name, sqlglot dialect, extra that installs the driver)
ENGINES: dict[str, tuple[str, str, str, str | None]] = {
    "duckdb": ("duckdb", "DuckDBEngine", "duckdb", None),
    "sqlite": ("sqlite", "SQLiteEngine", "sqlite", None),
    "postgres": ("postgres", "PostgresEngine", "postgres", "postgres"),
    "clickhouse": ("clickhouse", "ClickHouseEngine", "clickhouse", "clickhouse"),
    "spark": ("spark", "SparkEngine", "spark", "spark"),
    "datafusion": ("datafusion", "DataFusionEngine", "datafusion", "datafusion"),
    # Compile-only dialects: they run queries when their official connector is installed.
    "snowflake": ("connectors", "SnowflakeEngine", "snowflake", "snowflake"),
    "bigquery": ("connectors", "BigQueryEngine", "bigquery", "bigquery"),
    "databricks": ("connectors", "DatabricksEngine", "databricks", "databricks"),
    "redshift": ("connectors", "RedshiftEngine", "redshift", "redshift"),
    "trino": ("connectors", "TrinoEngine", "trino", "trino"),
    "tsql": ("connectors", "SqlServerEngine", "tsql", "sqlserver"),
    "mysql": ("connectors", "MySQLEngine", "mysql", "mysql"),
}
ALIASES = {"postgresql": "postgres", "sqlserver": "tsql", "mssql": "tsql", "sqlite3": "sqlite",
           "chdb": "clickhouse", "pyspark": "spark", "mariadb": "mysql"}


def engine_type(target_type: str) -> str:
    name = str(target_type).lower()
    return ALIASES.get(name, name)


def dialect_of(target_type: str) -> str:
    """The sqlglot dialect for a profiles.yml target type."""
    name = engine_type(target_type)
    return ENGINES[name][2] if name in ENGINES else name


def connect(target, read_only: bool = True) -> Engine:
    """Open an engine for a target from profiles.yml (read-only where the engine allows it)."""
    name = engine_type(target.type)
    if name not in ENGINES:
        raise ProjectError(f"target '{target.name}' has unknown type '{target.type}'",
                           help=did_you_mean(name, ENGINES) or f"use one of {', '.join(ENGINES)}")
    module, cls, _, _ = ENGINES[name]
    engine_cls = getattr(importlib.import_module(f".{module}", __package__), cls)
    if name == "duckdb":
        return engine_cls.from_target(target)
    return engine_cls.from_target(target, read_only=read_only)


def require(module: str, engine: str, extra: str | None, package: str | None = None):
    """Import a driver module, or raise one clear line naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        hint = f"pip install 'metricslayer[{extra}]'" if extra else f"pip install {package or module}"
        raise EngineError(f"the {engine} engine needs the Python package '{package or module}', which is "
                          f"not installed", help=hint) from None


def setting(target, *names: str, default: Any = None, required: bool = False) -> Any:
    """The first of `names` set in the target's settings (`env_var()` already rendered by profiles.yml)."""
    for name in names:
        value = target.settings.get(name)
        if value not in (None, ""):
            return value
    if required:
        raise ProjectError(f"target '{target.name}' ({target.type}) needs '{names[0]}' in profiles.yml",
                           help=f"add {names[0]}: ... to the output (use {{{{ env_var('X') }}}} for secrets)")
    return default


def local_path(target, raw: str | os.PathLike) -> Path:
    path = Path(os.path.expanduser(str(raw)))
    return path if path.is_absolute() else Path(target.base_dir) / path


def first_line(exc: BaseException) -> str:
    """The first meaningful line of a driver error, with secrets never included (drivers don't echo them)."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


def run_error(engine: str, exc: BaseException) -> EngineError:
    return EngineError(f"{engine} failed to run the query: {first_line(exc)}",
                       help="run 'metricslayer compile' with the same arguments to see the SQL")


def connect_error(engine: str, target, exc: BaseException) -> EngineError:
    return EngineError(f"cannot connect to {engine} target '{target.name}': {first_line(exc)}",
                       help="check the host, port and credentials of the target in profiles.yml")


def result_from_arrow(table, sql: str) -> Result:
    """Columns and rows of a pyarrow Table (timestamps stay naive UTC)."""
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    return Result(columns=list(table.column_names), rows=list(zip(*columns)) if columns else [], sql=sql)


def parquet_tables(folder: Path) -> dict[str, Path]:
    """Table name -> parquet file (or folder of parquet files) found in `folder`."""
    found = {}
    for entry in sorted(Path(folder).iterdir()):
        if entry.suffix == ".parquet" or (entry.is_dir() and any(entry.glob("*.parquet"))):
            found[entry.name.removesuffix(".parquet")] = entry
    return found


def copy_parquet(tables: dict[str, Path], folder: Path, progress: Progress | None) -> dict[str, Path]:
    """Copy parquet files into a target's data folder (the bulk path of in-process engines)."""
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    copied = {}
    for i, (name, path) in enumerate(tables.items()):
        if progress:
            progress(name, i, len(tables))
        copied[name] = folder / f"{name}.parquet"
        if Path(path).resolve() != copied[name].resolve():
            shutil.copyfile(path, copied[name])
    return copied
