"""Apache DataFusion (the `datafusion` Python package): in-process, over parquet files.

A target names a folder of parquet files (`parquet_dir`); each file (or folder of files) becomes a table in
the target's schema. Queries run with DDL and DML refused (read-only), timestamps in UTC.
"""

from __future__ import annotations

from pathlib import Path

from ..result import Result
from .base import (
    Progress,
    connect_error,
    copy_parquet,
    local_path,
    parquet_tables,
    require,
    result_from_arrow,
    run_error,
    setting,
)


class DataFusionEngine:
    dialect = "datafusion"

    def __init__(self, context, folder: Path | None, read_only: bool = True):
        import datafusion

        self._context, self.folder = context, folder
        self._options = datafusion.SQLOptions().with_allow_ddl(not read_only).with_allow_dml(not read_only)

    @classmethod
    def from_target(cls, target, read_only: bool = True) -> DataFusionEngine:
        datafusion = require("datafusion", "datafusion", "datafusion")
        config = datafusion.SessionConfig({"datafusion.execution.time_zone": "+00:00"})
        try:
            context = datafusion.SessionContext(config)
        except Exception as exc:
            raise connect_error("DataFusion", target, exc) from None
        raw = setting(target, "parquet_dir", "path")
        folder = local_path(target, raw) if raw else None
        engine = cls(context, folder, read_only)
        if folder is not None and folder.is_dir():
            engine.register(target.schema, parquet_tables(folder))
        return engine

    def register(self, schema: str | None, tables: dict[str, Path]) -> None:
        schema = schema or "public"
        self._context.sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        for name, path in tables.items():
            self._context.sql(f'DROP TABLE IF EXISTS "{schema}"."{name}"')
            self._context.sql(f"CREATE EXTERNAL TABLE \"{schema}\".\"{name}\" STORED AS PARQUET "
                              f"LOCATION '{Path(path).resolve()}'")

    def execute(self, sql: str) -> Result:
        try:
            table = self._context.sql_with_options(sql, self._options).to_arrow_table()
        except Exception as exc:
            raise run_error("DataFusion", exc) from None
        return result_from_arrow(table, sql)

    def load_tables(self, schema: str | None, tables: dict[str, Path], progress: Progress | None = None) -> None:
        """Copy the parquet files into the target's parquet_dir (DataFusion keeps no catalog of its own)."""
        if self.folder is None:
            from ..errors import ProjectError

            raise ProjectError("a datafusion target needs parquet_dir: in profiles.yml to be seeded",
                               help="add parquet_dir: data/ to the output")
        self.register(schema, copy_parquet(tables, self.folder, progress))

    def close(self) -> None:
        self._context = None
