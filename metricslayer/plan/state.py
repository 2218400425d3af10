"""The planner's working state: the typed request and what a plan carries while it is built."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..spec.model import Metric, MetricInput, SemanticModel, WhereFilter
from .graph import Hop
from .nodes import Join, MeasureValue, MetricFilterJoin


@dataclass(frozen=True)
class QueryRequest:
    metrics: tuple[str, ...] = ()
    group_by: tuple[str, ...] = ()
    where: tuple[WhereFilter, ...] = ()
    order_by: tuple[str, ...] = ()
    limit: int | None = None
    start_time: str | None = None
    end_time: str | None = None


@dataclass(frozen=True)
class Leaf:
    """One measure to aggregate, under the filters (and time options) the metric tree puts on it."""

    measure: str
    filters: tuple[WhereFilter, ...]
    cumulative: tuple | None = None  # (window Span | None, grain_to_date | None, period_agg)
    spine: bool = False  # join_to_timespine


@dataclass(frozen=True)
class _Expansion:
    """What a metric's expansion carries down to its inputs."""

    leaves: list
    offsets: list
    stack: tuple[str, ...] = ()
    filters: tuple[WhereFilter, ...] = ()
    cumulative: tuple | None = None
    spine: bool = False

    def with_(self, **changes) -> _Expansion:
        return replace(self, **changes)


@dataclass(frozen=True)
class _Context:
    """The query-wide facts every scan and offset of one plan shares."""

    request: QueryRequest
    group_by: list
    key_names: list[str]
    time_key: str | None
    time_grain: str
    bounds: tuple[str | None, str | None] | None
    default_grain: str | None
    depth: int


@dataclass
class _PendingConversion:
    metric: Metric
    filters: tuple[WhereFilter, ...]
    spine: bool = False
    slot: list = field(default_factory=list)


@dataclass
class _PendingOffset:
    item: MetricInput
    metric: str
    filters: tuple[WhereFilter, ...]
    slot: list = field(default_factory=list)


@dataclass
class _ScanBuilder:
    name: str
    model: SemanticModel
    agg_time: str | None
    filters: tuple[WhereFilter, ...]
    cumulative: tuple | None = None
    spine: bool = False
    measures: list[str] = field(default_factory=list)
    joins: dict[tuple[Hop, ...], Join] = field(default_factory=dict)
    metric_joins: list[MetricFilterJoin] = field(default_factory=list)
    aliases: set[str] = field(default_factory=set)

    @property
    def alias(self) -> str:
        return self.model.name


@dataclass(frozen=True)
class _Pending:
    """A measure reference whose scan is known only after every leaf is grouped."""

    value: MeasureValue
    slot: list = field(compare=False, hash=False)
