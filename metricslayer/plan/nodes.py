"""The plan: a frozen tree that says what to compute, with no SQL in it. sql/build.py renders it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union


@dataclass(frozen=True)
class ColumnSource:
    """One element of a semantic model read at a table alias, at a grain or date part for time."""

    alias: str
    model: str
    kind: str  # dimension | entity
    name: str
    grain: str | None = None
    date_part: str | None = None


@dataclass(frozen=True)
class Join:
    """LEFT JOIN `model` AS `alias` ON from_alias.<entity> = alias.<entity> (many-to-one).

    For a slowly changing dimension, `scd_time` is the fact's time that must fall in the validity window.
    """

    alias: str
    model: str
    from_alias: str
    from_model: str
    entity: str
    scd_time: ColumnSource | None = None


@dataclass(frozen=True)
class MetricValue:
    """The value column of a metric filter subquery (``{{ Metric('m', group_by=['e']) }}``)."""

    alias: str
    column: str


@dataclass(frozen=True)
class MetricFilterJoin:
    alias: str
    plan: QueryPlan
    keys: tuple[tuple[ColumnSource, str], ...]  # (fact-side key, subquery column)


@dataclass(frozen=True)
class BoundFilter:
    """A filter whose placeholders (``__ml_ref_0__``) are bound to columns of one scan."""

    sql: str
    bindings: tuple[tuple[str, ColumnSource | MetricValue], ...]
    source: str


@dataclass(frozen=True)
class TimeRange:
    column: ColumnSource
    start: str | None  # inclusive, ISO
    end: str | None  # exclusive, ISO


@dataclass(frozen=True)
class AggregateColumn:
    name: str
    model: str
    measure: str


@dataclass(frozen=True)
class Scan:
    """Rows of one semantic model, joined to what they need, filtered, and aggregated at query grain."""

    name: str
    model: str
    alias: str
    joins: tuple[Join, ...]
    metric_joins: tuple[MetricFilterJoin, ...]
    keys: tuple[tuple[str, ColumnSource], ...]
    filters: tuple[BoundFilter, ...]
    time_range: TimeRange | None
    aggregates: tuple[AggregateColumn, ...]
    description: str


@dataclass(frozen=True)
class MeasureValue:
    scan: str
    column: str
    fill_nulls_with: Any = None


@dataclass(frozen=True)
class Ratio:
    numerator: MetricNode
    denominator: MetricNode


@dataclass(frozen=True)
class Derived:
    expr: str
    inputs: tuple[tuple[str, MetricNode], ...]
    metric: str


@dataclass(frozen=True)
class Filled:
    node: MetricNode
    value: Any


MetricNode = Union[MeasureValue, Ratio, Derived, Filled]  # noqa: UP007 (a runtime alias on 3.9-safe syntax)


@dataclass(frozen=True)
class QueryPlan:
    scans: tuple[Scan, ...]
    keys: tuple[str, ...]
    outputs: tuple[tuple[str, MetricNode], ...]
    order_by: tuple[tuple[str, bool], ...] = ()
    limit: int | None = None
    dialect: str = "duckdb"  # the dialect the project's expr and filters are written in
