"""Query results as plain Python values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Result:
    """Rows of a query: ``columns`` in the order asked, ``rows`` as tuples of Python values."""

    columns: list[str]
    rows: list[tuple]
    sql: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    def to_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row)) for row in self.rows]

    def to_arrow(self):
        """The rows as a pyarrow Table (needs the ``arrow`` extra)."""
        try:
            import pyarrow as pa
        except ImportError as exc:  # pragma: no cover - depends on the environment
            from .errors import EngineError

            raise EngineError(
                "pyarrow is not installed", help="pip install 'metricslayer[arrow]'"
            ) from exc
        return pa.table({c: [r[i] for r in self.rows] for i, c in enumerate(self.columns)})

    def __len__(self) -> int:
        return len(self.rows)
