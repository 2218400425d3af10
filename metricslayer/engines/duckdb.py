"""DuckDB: the embedded default engine."""

from __future__ import annotations

from pathlib import Path

from ..errors import EngineError
from ..result import Result


class DuckDBEngine:
    dialect = "duckdb"

    def __init__(self, connection):
        self._connection = connection

    @classmethod
    def from_target(cls, target) -> DuckDBEngine:
        import duckdb

        raw = str(target.settings.get("path") or ":memory:")
        if raw == ":memory:":
            connection = duckdb.connect(":memory:")
        else:
            path = Path(raw) if Path(raw).is_absolute() else target.base_dir / raw
            if not path.exists():
                raise EngineError(f"DuckDB file {str(path)!r} of target '{target.name}' does not exist",
                                  help="check path: in profiles.yml (or run 'metricslayer demo' for the demo)")
            try:
                connection = duckdb.connect(str(path), read_only=True)
            except duckdb.Error as exc:
                raise EngineError(f"cannot open DuckDB file {str(path)!r}: {exc}",
                                  help="is another process writing to it?") from None
        connection.execute("SET TimeZone = 'UTC'")
        return cls(connection)

    def execute(self, sql: str) -> Result:
        import duckdb

        try:
            cursor = self._connection.execute(sql)
            columns = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
        except duckdb.Error as exc:
            raise EngineError(f"DuckDB failed to run the query: {str(exc).splitlines()[0]}",
                              help="run 'metricslayer compile' with the same arguments to see the SQL") from None
        return Result(columns=columns, rows=rows, sql=sql)

    def close(self) -> None:
        self._connection.close()
