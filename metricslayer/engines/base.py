"""The Engine interface every warehouse implements."""

from __future__ import annotations

from typing import Protocol

from ..result import Result


class Engine(Protocol):
    """Runs SQL of its `dialect` and returns columns and rows of Python values."""

    dialect: str

    def execute(self, sql: str) -> Result: ...

    def close(self) -> None: ...


def dialect_of(target_type: str) -> str:
    """The sqlglot dialect for a profiles.yml target type."""
    return {"postgresql": "postgres", "sqlserver": "tsql", "databricks": "databricks",
            "spark": "spark", "sqlite": "sqlite"}.get(target_type, target_type)


def connect(target) -> Engine:
    """Open an engine for a target from profiles.yml."""
    from ..errors import ProjectError

    if target.type == "duckdb":
        from .duckdb import DuckDBEngine

        return DuckDBEngine.from_target(target)
    raise ProjectError(f"target type '{target.type}' cannot run queries in this version",
                       help="use a duckdb target, or compile the SQL with --dialect and run it yourself")
