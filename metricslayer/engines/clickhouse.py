"""ClickHouse: in-process through chdb (a session folder), or a server through clickhouse-connect.

Every session runs with join_use_nulls=1 (a LEFT/FULL JOIN miss is NULL, not the type's default such as ''
or 0), UTC, and the demo tables are loaded with Nullable columns, so NULLs stay NULL.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..result import Result
from .base import Progress, connect_error, local_path, require, result_from_arrow, run_error, setting

SETTINGS = {"join_use_nulls": 1, "session_timezone": "UTC", "data_type_default_nullable": 1,
            "union_default_mode": "DISTINCT", "cast_keep_nullable": 1}


class ClickHouseEngine:
    dialect = "clickhouse"

    def __init__(self, session=None, client=None, read_only: bool = True):
        self._session, self._client, self.read_only = session, client, read_only

    @classmethod
    def from_target(cls, target, read_only: bool = True) -> ClickHouseEngine:
        host = setting(target, "host")
        if host:
            clickhouse_connect = require("clickhouse_connect", "clickhouse server", "clickhouse",
                                         "clickhouse-connect")
            settings = dict(SETTINGS, **({"readonly": 2} if read_only else {}))
            try:
                client = clickhouse_connect.get_client(
                    host=host, port=int(setting(target, "port", default=8123)),
                    username=setting(target, "user", "username", default="default"),
                    password=setting(target, "password", default=""),
                    database=setting(target, "database", "schema", default="default"),
                    secure=bool(setting(target, "secure", default=False)), settings=settings)
            except Exception as exc:  # clickhouse-connect raises several unrelated types
                raise connect_error("ClickHouse", target, exc) from None
            return cls(client=client, read_only=read_only)
        require("chdb", "clickhouse", "clickhouse")
        from chdb import session

        raw = setting(target, "path")
        path = str(local_path(target, raw)) if raw else tempfile.mkdtemp(prefix="ml-chdb-")
        try:
            sess = session.Session(path)
            for name, value in SETTINGS.items():
                sess.query(f"SET {name} = {value!r}" if isinstance(value, str) else f"SET {name} = {value}")
        except Exception as exc:
            raise connect_error("ClickHouse (chdb)", target, exc) from None
        engine = cls(session=sess, read_only=read_only)
        if setting(target, "parquet_dir"):
            from .base import parquet_tables

            engine.load_tables(target.schema, parquet_tables(local_path(target, setting(target, "parquet_dir"))),
                               views=True)
        return engine

    def execute(self, sql: str) -> Result:
        try:
            if self._client is not None:
                return result_from_arrow(self._client.query_arrow(sql, use_strings=True), sql)
            if self.read_only and not sql.lstrip("( \n").upper().startswith(("WITH", "SELECT")):
                raise PermissionError("the session is read-only: only SELECT queries run")
            return result_from_arrow(self._session.query(sql, "ArrowTable"), sql)
        except Exception as exc:
            raise run_error("ClickHouse", exc) from None

    def _command(self, sql: str) -> None:
        if self._client is not None:
            self._client.command(sql)
        else:
            self._session.query(sql)

    def load_tables(self, schema: str | None, tables: dict[str, Path], progress: Progress | None = None,
                    views: bool = False) -> None:
        """One table per parquet file, every column Nullable (MergeTree copies; or views over the files)."""
        schema = schema or "default"
        self._command(f"CREATE DATABASE IF NOT EXISTS `{schema}`")
        for i, (name, path) in enumerate(tables.items()):
            if progress:
                progress(name, i, len(tables))
            source = (f"file('{Path(path).resolve()}', Parquet) "
                      "SETTINGS schema_inference_make_columns_nullable = 1")
            if self._client is not None:
                import pyarrow.parquet as pq

                table = pq.read_table(path)
                cols = ", ".join(f"`{f.name}` Nullable({_ch_type(f.type)})" for f in table.schema)
                self._command(f"DROP TABLE IF EXISTS `{schema}`.`{name}`")
                self._command(f"CREATE TABLE `{schema}`.`{name}` ({cols}) ENGINE = MergeTree ORDER BY tuple()")
                self._client.insert_arrow(f"`{schema}`.`{name}`", table)
                continue
            kind = "VIEW" if views else "TABLE"
            engine = "" if views else "ENGINE = MergeTree ORDER BY tuple() "
            self._command(f"CREATE OR REPLACE {kind} `{schema}`.`{name}` {engine}AS SELECT * FROM {source}")

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
        if self._client is not None:
            self._client.close()


def _ch_type(arrow_type) -> str:
    text = str(arrow_type)
    if text.startswith("decimal"):
        return f"Decimal({arrow_type.precision}, {arrow_type.scale})"
    types = {"int8": "Int8", "int16": "Int16", "int32": "Int32", "int64": "Int64", "double": "Float64",
             "float": "Float32", "bool": "Bool", "date32[day]": "Date32", "string": "String"}
    if text.startswith("timestamp"):
        return "DateTime64(6, 'UTC')"
    return types.get(text, "String")
