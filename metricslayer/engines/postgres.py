"""PostgreSQL through psycopg 3: a UTC, read-only session; the demo is loaded with COPY."""

from __future__ import annotations

import io
from pathlib import Path

from ..result import Result
from .base import Progress, connect_error, require, run_error, setting

_TYPES = (("int8", "SMALLINT"), ("int16", "SMALLINT"), ("int32", "INTEGER"), ("int64", "BIGINT"),
          ("uint", "BIGINT"), ("double", "DOUBLE PRECISION"), ("float", "REAL"), ("bool", "BOOLEAN"),
          ("date32", "DATE"), ("timestamp", "TIMESTAMP"), ("string", "TEXT"), ("large_string", "TEXT"))


class PostgresEngine:
    dialect = "postgres"

    def __init__(self, connection):
        self._connection = connection

    @classmethod
    def from_target(cls, target, read_only: bool = True) -> PostgresEngine:
        psycopg = require("psycopg", "postgres", "postgres", "psycopg[binary]")
        options = "-c TimeZone=UTC" + (" -c default_transaction_read_only=on" if read_only else "")
        params = {
            "host": setting(target, "host", default="localhost"),
            "port": int(setting(target, "port", default=5432)),
            "user": setting(target, "user", "username"),
            "password": setting(target, "password", "pass"),
            "dbname": setting(target, "dbname", "database", default="postgres"),
            "sslmode": setting(target, "sslmode"),
            "connect_timeout": int(setting(target, "connect_timeout", default=10)),
            "application_name": "metricslayer",
        }
        try:
            connection = psycopg.connect(**{k: v for k, v in params.items() if v is not None},
                                         options=options, autocommit=True)
        except psycopg.Error as exc:
            raise connect_error("PostgreSQL", target, exc) from None
        return cls(connection)

    def execute(self, sql: str) -> Result:
        import psycopg

        try:
            with self._connection.cursor() as cursor:
                cursor.execute(sql)
                columns = [d.name for d in cursor.description]
                rows = cursor.fetchall()
        except psycopg.Error as exc:
            raise run_error("PostgreSQL", exc) from None
        return Result(columns=columns, rows=rows, sql=sql)

    def load_tables(self, schema: str | None, tables: dict[str, Path], progress: Progress | None = None) -> None:
        """CREATE TABLE + COPY ... FROM STDIN (CSV written by pyarrow) per parquet file, in one transaction."""
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        schema = schema or "public"
        with self._connection.transaction(), self._connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            for i, (name, path) in enumerate(tables.items()):
                if progress:
                    progress(name, i, len(tables))
                table = pq.read_table(path)
                cols = ", ".join(f'"{f.name}" {_pg_type(f.type)}' for f in table.schema)
                cursor.execute(f'DROP TABLE IF EXISTS "{schema}"."{name}"')
                cursor.execute(f'CREATE TABLE "{schema}"."{name}" ({cols})')
                buffer = io.BytesIO()
                pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False))
                with cursor.copy(f'COPY "{schema}"."{name}" FROM STDIN (FORMAT csv)') as copy:
                    copy.write(buffer.getvalue())
                cursor.execute(f'ANALYZE "{schema}"."{name}"')

    def close(self) -> None:
        self._connection.close()


def _pg_type(arrow_type) -> str:
    text = str(arrow_type)
    if text.startswith("decimal"):
        return f"NUMERIC({arrow_type.precision}, {arrow_type.scale})"
    return next((t for prefix, t in _TYPES if text.startswith(prefix)), "TEXT")
