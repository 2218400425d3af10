"""Warehouse introspection for ML8xx: tables and column types through information_schema.

Works with any engine whose `execute(sql)` returns a Result (columns, rows): DuckDB and PostgreSQL both
serve information_schema.columns; an inlined SQL model is described with `SELECT * ... LIMIT 0`.
"""

from __future__ import annotations

from ..spec.model import Relation

NUMERIC = ("int", "decimal", "numeric", "double", "float", "real", "hugeint", "money", "number", "bigint",
           "smallint", "tinyint")
TEMPORAL = ("date", "time")  # date, timestamp, timestamptz, datetime, time
BOOLEAN = ("bool",)


def type_class(data_type: str | None) -> str:
    t = (data_type or "").lower()
    if not t:
        return "unknown"
    if any(b in t for b in BOOLEAN):
        return "boolean"
    if "interval" in t:
        return "other"
    if any(x in t for x in TEMPORAL):
        return "temporal"
    if any(x in t for x in NUMERIC):
        return "numeric"
    return "other"


class Catalog:
    """Columns of relations, read lazily and cached. `execute(sql)` returns an object with .columns/.rows."""

    def __init__(self, engine, default_schema: str | None):
        self.engine = engine
        self.default_schema = default_schema
        self._tables: dict[tuple[str, str], dict[str, str]] | None = None

    def _load(self) -> dict[tuple[str, str], dict[str, str]]:
        if self._tables is None:
            result = self.engine.execute(
                "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns")
            tables: dict[tuple[str, str], dict[str, str]] = {}
            for schema, table, column, data_type in result.rows:
                tables.setdefault((str(schema).lower(), str(table).lower()), {})[str(column).lower()] = str(data_type)
            self._tables = tables
        return self._tables

    def columns(self, relation: Relation) -> dict[str, str] | None:
        """column name (lower case) -> data type; None when the relation does not exist."""
        if relation.sql:
            result = self.engine.execute(f"SELECT * FROM ({relation.sql}) AS ml_lint LIMIT 0")
            return {str(c).lower(): "" for c in result.columns}
        tables = self._load()
        name = relation.name.lower()
        if relation.schema:
            return tables.get((relation.schema.lower(), name))
        for schema in (self.default_schema, "main", "public"):
            if schema and (schema.lower(), name) in tables:
                return tables[(schema.lower(), name)]
        matches = [cols for (s, t), cols in tables.items() if t == name]
        return matches[0] if len(matches) == 1 else None
