"""Frozen dataclasses for everything a project defines. Every node knows its file and line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

GRAINS = ("nanosecond", "microsecond", "millisecond", "second", "minute", "hour", "day", "week", "month",
          "quarter", "year")
GRAIN_RANK = {g: i for i, g in enumerate(GRAINS)}
DATE_PARTS = ("year", "quarter", "month", "week", "day", "dow", "doy")
AGGREGATIONS = ("sum", "count", "count_distinct", "sum_boolean", "average", "min", "max", "median",
                "percentile")
ENTITY_TYPES = ("primary", "unique", "foreign", "natural")
JOINABLE_ENTITY_TYPES = ("primary", "unique", "natural")
METRIC_TYPES = ("simple", "ratio", "derived", "cumulative", "conversion")


@dataclass(frozen=True)
class Loc:
    """A position in a source file (1-based), after mapping back through Jinja rendering."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class Relation:
    """Where a semantic model reads its rows: a warehouse table or an inlined SELECT (models/x.sql)."""

    name: str  # table name, or the CTE name of an inlined SELECT
    schema: str | None = None
    database: str | None = None
    sql: str | None = None  # rendered SELECT of models/<name>.sql
    origin: str = ""  # as written: "ref('orders')", "source('crm', 'leads')", "node_relation"

    @property
    def qualified(self) -> str:
        return ".".join(p for p in (self.database, self.schema, self.name) if p)


@dataclass(frozen=True)
class Entity:
    name: str
    type: str
    expr: str | None = None
    description: str = ""
    role: str | None = None
    loc: Loc = field(default=Loc(""), compare=False)

    @property
    def column(self) -> str:
        return self.expr or self.name


@dataclass(frozen=True)
class Validity:
    is_start: bool = False
    is_end: bool = False


@dataclass(frozen=True)
class Dimension:
    name: str
    type: str  # categorical | time
    expr: str | None = None
    description: str = ""
    label: str = ""
    granularity: str | None = None  # time dimensions only
    validity: Validity | None = None
    is_partition: bool = False
    loc: Loc = field(default=Loc(""), compare=False)

    @property
    def column(self) -> str:
        return self.expr or self.name

    @property
    def is_time(self) -> bool:
        return self.type == "time"


@dataclass(frozen=True)
class NonAdditiveDimension:
    name: str
    window_choice: str = "min"
    window_groupings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Measure:
    name: str
    agg: str
    expr: str | None = None
    description: str = ""
    label: str = ""
    agg_time_dimension: str | None = None
    percentile: float | None = None
    use_discrete_percentile: bool = False
    use_approximate_percentile: bool = False
    create_metric: bool = False
    non_additive_dimension: NonAdditiveDimension | None = None
    loc: Loc = field(default=Loc(""), compare=False)

    @property
    def column(self) -> str:
        return self.expr or self.name


@dataclass(frozen=True)
class SemanticModel:
    name: str
    relation: Relation
    description: str = ""
    label: str = ""
    default_agg_time_dimension: str | None = None
    primary_entity: str | None = None
    entities: tuple[Entity, ...] = ()
    dimensions: tuple[Dimension, ...] = ()
    measures: tuple[Measure, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    loc: Loc = field(default=Loc(""), compare=False)

    def entity(self, name: str) -> Entity | None:
        return next((e for e in self.entities if e.name == name), None)

    def dimension(self, name: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.name == name), None)

    def measure(self, name: str) -> Measure | None:
        return next((m for m in self.measures if m.name == name), None)

    @property
    def own_entities(self) -> tuple[str, ...]:
        """Entities that identify one row of this model: they address its local dimensions."""
        names = [e.name for e in self.entities if e.type in ("primary", "unique", "natural")]
        if self.primary_entity and self.primary_entity not in names:
            names.insert(0, self.primary_entity)
        return tuple(names)

    @property
    def is_scd(self) -> bool:
        return any(d.validity for d in self.dimensions)

    def agg_time_dimension(self, measure: Measure) -> str | None:
        return measure.agg_time_dimension or self.default_agg_time_dimension


@dataclass(frozen=True)
class WhereFilter:
    """A Jinja-templated SQL condition such as ``{{ Dimension('customer__region') }} = 'EU'``."""

    sql: str
    loc: Loc = field(default=Loc(""), compare=False)


@dataclass(frozen=True)
class MetricInput:
    """A reference to a measure or metric from a metric, with the options MetricFlow allows there."""

    name: str
    filters: tuple[WhereFilter, ...] = ()
    alias: str | None = None
    offset_window: str | None = None
    offset_to_grain: str | None = None
    fill_nulls_with: Any = None
    join_to_timespine: bool = False
    loc: Loc = field(default=Loc(""), compare=False)

    @property
    def output_name(self) -> str:
        return self.alias or self.name


@dataclass(frozen=True)
class ConversionParams:
    base_measure: MetricInput
    conversion_measure: MetricInput
    entity: str
    calculation: str = "conversion_rate"
    window: str | None = None
    constant_properties: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Metric:
    name: str
    type: str
    label: str = ""
    description: str = ""
    measure: MetricInput | None = None  # simple, cumulative
    numerator: MetricInput | None = None  # ratio
    denominator: MetricInput | None = None
    expr: str | None = None  # derived
    inputs: tuple[MetricInput, ...] = ()  # derived
    filters: tuple[WhereFilter, ...] = ()
    window: str | None = None  # cumulative
    grain_to_date: str | None = None
    period_agg: str = "first"
    conversion: ConversionParams | None = None
    time_granularity: str | None = None
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    loc: Loc = field(default=Loc(""), compare=False)

    @property
    def owner(self) -> str:
        return str(self.meta.get("owner") or "")

    @property
    def department(self) -> str:
        return str(self.meta.get("department") or "")


@dataclass(frozen=True)
class SavedQuery:
    name: str
    metrics: tuple[str, ...]
    group_by: tuple[str, ...] = ()
    where: tuple[WhereFilter, ...] = ()
    order_by: tuple[str, ...] = ()
    limit: int | None = None
    description: str = ""
    label: str = ""
    loc: Loc = field(default=Loc(""), compare=False)


@dataclass(frozen=True)
class TimeSpine:
    relation: Relation
    column: str
    grain: str = "day"
    custom_granularities: tuple[tuple[str, str], ...] = ()  # (name, column)
    loc: Loc = field(default=Loc(""), compare=False)


@dataclass
class ProjectSpec:
    """Everything loaded from the definition files, indexed by name."""

    semantic_models: dict[str, SemanticModel] = field(default_factory=dict)
    metrics: dict[str, Metric] = field(default_factory=dict)
    saved_queries: dict[str, SavedQuery] = field(default_factory=dict)
    time_spines: list[TimeSpine] = field(default_factory=list)
    kpis: dict[str, Any] = field(default_factory=dict)  # name -> spec.kpis.Kpi
    files: list[str] = field(default_factory=list)
    parsed: dict[str, tuple] = field(default_factory=dict)  # file -> (YAML documents, line map), for lint
