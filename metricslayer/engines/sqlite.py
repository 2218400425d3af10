"""SQLite (standard library): a file opened read-only, dates and timestamps stored as ISO-8601 text."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..errors import EngineError
from ..result import Result
from .base import Progress, connect_error, local_path, run_error, setting

# Arrow type (as str) prefix -> SQLite column type. Dates/timestamps are ISO text, which SQLite's date
# functions read and which sorts and compares correctly as text.
_TYPES = (("int", "INTEGER"), ("uint", "INTEGER"), ("double", "REAL"), ("float", "REAL"),
          ("decimal", "REAL"), ("bool", "INTEGER"), ("date", "TEXT"), ("timestamp", "TEXT"))


class SQLiteEngine:
    dialect = "sqlite"

    def __init__(self, connection: sqlite3.Connection, path: str):
        self._connection = connection
        self.path = path

    @classmethod
    def from_target(cls, target, read_only: bool = True) -> SQLiteEngine:
        raw = str(setting(target, "path", "database", default=":memory:"))
        if raw == ":memory:":
            return cls(sqlite3.connect(":memory:"), raw)
        path = local_path(target, raw)
        if read_only and not path.exists():
            raise EngineError(f"SQLite file {str(path)!r} of target '{target.name}' does not exist",
                              help=f"check path: in profiles.yml, or run 'metricslayer seed --target {target.name}'")
        try:
            if read_only:
                connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                connection = sqlite3.connect(str(path))
        except sqlite3.Error as exc:
            raise connect_error("SQLite", target, exc) from None
        return cls(connection, str(path))

    def execute(self, sql: str) -> Result:
        try:
            cursor = self._connection.execute(sql)
            columns = [d[0] for d in cursor.description]
            rows = [tuple(r) for r in cursor.fetchall()]
        except sqlite3.Error as exc:
            raise run_error("SQLite", exc) from None
        return Result(columns=columns, rows=rows, sql=sql)

    def load_tables(self, schema: str | None, tables: dict[str, Path], progress: Progress | None = None) -> None:
        """Create and fill one table per parquet file (schema other than main is ignored: one file, one db)."""
        import pyarrow.parquet as pq

        con = self._connection
        for i, (name, path) in enumerate(tables.items()):
            if progress:
                progress(name, i, len(tables))
            table = pq.read_table(path)
            cols = ", ".join(f'"{f.name}" {_sqlite_type(str(f.type))}' for f in table.schema)
            con.execute(f'DROP TABLE IF EXISTS "{name}"')
            con.execute(f'CREATE TABLE "{name}" ({cols})')
            marks = ", ".join("?" for _ in table.schema)
            converters = [_converter(str(f.type)) for f in table.schema]
            for batch in table.to_batches(50_000):
                columns = [[conv(v) for v in col.to_pylist()] for conv, col in zip(converters, batch.columns)]
                con.executemany(f'INSERT INTO "{name}" VALUES ({marks})', zip(*columns))
        con.commit()

    def close(self) -> None:
        self._connection.close()


def _sqlite_type(arrow_type: str) -> str:
    return next((t for prefix, t in _TYPES if arrow_type.startswith(prefix)), "TEXT")


def _converter(arrow_type: str):
    if arrow_type.startswith("decimal"):
        return lambda v: None if v is None else float(v)
    if arrow_type.startswith("timestamp"):
        return lambda v: None if v is None else v.strftime("%Y-%m-%d %H:%M:%S")
    if arrow_type.startswith("date"):
        return lambda v: None if v is None else v.isoformat()
    return lambda v: v
