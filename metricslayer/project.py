"""The public Project object: load once, compile and query many times."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from .catalog import DimensionInfo, EntityInfo, MetricInfo, SavedQueryInfo
from .result import Result


class Project:
    """A loaded metricslayer project (definitions + profile target)."""

    root: Path

    def compile(
        self,
        metrics: Sequence[str] = (),
        group_by: Sequence[str] = (),
        where: Sequence[str] = (),
        order_by: Sequence[str] = (),
        limit: int | None = None,
        start_time: str | None = None,
        end_time: str | None = None,
        dialect: str | None = None,
        saved_query: str | None = None,
    ) -> str:
        """Compile a query to one SQL statement for `dialect` (default: the target's)."""
        raise NotImplementedError

    def query(
        self,
        metrics: Sequence[str] = (),
        group_by: Sequence[str] = (),
        where: Sequence[str] = (),
        order_by: Sequence[str] = (),
        limit: int | None = None,
        start_time: str | None = None,
        end_time: str | None = None,
        saved_query: str | None = None,
    ) -> Result:
        """Compile and run a query on the target warehouse."""
        raise NotImplementedError

    def list_metrics(self) -> list[MetricInfo]:
        raise NotImplementedError

    def list_dimensions(self, metrics: Sequence[str] = ()) -> list[DimensionInfo]:
        """Group-by items reachable from every metric in `metrics` (all models' when empty)."""
        raise NotImplementedError

    def list_entities(self, metrics: Sequence[str] = ()) -> list[EntityInfo]:
        raise NotImplementedError

    def list_saved_queries(self) -> list[SavedQueryInfo]:
        raise NotImplementedError

    def export_metricflow(self, out_dir: str | Path) -> list[Path]:
        """Write the loaded project as MetricFlow-readable YAML (rendered, refs resolved)."""
        raise NotImplementedError

    def build_demo(self, progress: Callable[[str, int, int], None] | None = None) -> Path:
        """Build the demo DuckDB database of the current target."""
        raise NotImplementedError


def load_project(
    path: str | Path = ".",
    target: str | None = None,
    vars: dict | str | None = None,
    profiles_dir: str | Path | None = None,
) -> Project:
    """Load the project at `path`: render, parse and index its definitions."""
    raise NotImplementedError
