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
class PeriodValue:
    """The output period of a time-shaped source (a cumulative day, an offset month), at a grain."""

    grain: str | None
    date_part: str | None = None


@dataclass(frozen=True)
class BoundFilter:
    """A filter whose placeholders (``__ml_ref_0__``) are bound to columns of one scan."""

    sql: str
    bindings: tuple[tuple[str, ColumnSource | MetricValue | PeriodValue], ...]
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
class Cumulative:
    """A running aggregate over metric_time: a trailing window, grain-to-date, or all time.

    The scan aggregates at `base_grain` (the time dimension's grain); each spine period then sums the
    periods inside its window, and `period_agg` picks one value per `output_grain` period.
    """

    time_key: str
    base_grain: str
    output_grain: str
    window_count: int | None = None
    window_unit: str | None = None
    grain_to_date: str | None = None
    period_agg: str = "first"
    start: str | None = None  # the output range; the scan's own time range includes the lookback
    end: str | None = None
    filters: tuple[BoundFilter, ...] = ()  # metric_time filters: on the output periods, not the facts


@dataclass(frozen=True)
class SpineJoin:
    """join_to_timespine: every period of the time spine gets a row, with or without data."""

    time_key: str
    grain: str
    start: str | None = None
    end: str | None = None


@dataclass(frozen=True)
class SemiAdditive:
    """non_additive_dimension: keep only rows at the first/last value of `dimension` per group."""

    dimension: ColumnSource
    window_choice: str  # min | max
    groupings: tuple[ColumnSource, ...]
    time_key: str | None  # metric_time key partitioning the window (None: whole range)


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
    cumulative: Cumulative | None = None
    spine: SpineJoin | None = None
    semi_additive: SemiAdditive | None = None


@dataclass(frozen=True)
class OffsetSource:
    """A metric read at another time: its sub-plan's rows with metric_time moved by an offset.

    mode 'shift': the period key moves by the offset (exact when the offset is whole periods);
    mode 'lookup': each spine period K reads the input at K - offset (or at the start of K's
    `to_grain` period), as MetricFlow does at day grain.
    """

    name: str
    plan: QueryPlan
    column: str
    time_key: str
    grain: str
    mode: str
    count: int = 0
    unit: str | None = None
    to_grain: str | None = None
    start: str | None = None
    end: str | None = None
    description: str = ""
    filters: tuple[BoundFilter, ...] = ()  # metric_time filters, on the shifted periods


@dataclass(frozen=True)
class ConversionSource:
    """Conversions attributed to the latest base event of the same entity within the window.

    `base` holds the base events' rows with the query keys; `conversion` the conversion events.
    Ties between base events on the same day go to the one whose keys sort first (NULLs last).
    """

    name: str
    base: Scan
    conversion: Scan
    base_entity: ColumnSource
    conversion_entity: ColumnSource
    base_time: ColumnSource
    conversion_time: ColumnSource
    column: str
    window_count: int | None = None
    window_unit: str | None = None
    constant_properties: tuple[tuple[ColumnSource, ColumnSource], ...] = ()
    description: str = ""
    spine: SpineJoin | None = None


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
    scans: tuple[Scan | OffsetSource | ConversionSource, ...]
    keys: tuple[str, ...]
    outputs: tuple[tuple[str, MetricNode], ...]
    order_by: tuple[tuple[str, bool], ...] = ()
    limit: int | None = None
    dialect: str = "duckdb"  # the dialect the project's expr and filters are written in
