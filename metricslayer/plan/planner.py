"""Query -> QueryPlan: resolve names, expand metrics to measures, group measures into scans."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..errors import DefinitionError, QueryError, UnsupportedError, did_you_mean
from ..spec.calendar import FISCAL_GRAINS, Calendar
from ..spec.model import GRAIN_RANK, Metric, MetricInput, SemanticModel, WhereFilter
from .graph import Hop, SemanticGraph
from .names import ElementRequest, parse_group_by, parse_order_by, render_template
from .nodes import (
    AggregateColumn,
    BoundFilter,
    ColumnSource,
    ConversionSource,
    Cumulative,
    Derived,
    Filled,
    Join,
    MeasureValue,
    MetricFilterJoin,
    MetricNode,
    MetricValue,
    OffsetSource,
    QueryPlan,
    Ratio,
    Scan,
    SemiAdditive,
    SpineJoin,
    TimeRange,
)
from .timerange import iso, offset_bounds, parse_time, shift, time_bounds, truncate
from .windows import offset_mode, parse_grain, parse_span


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


class Planner:
    """Plans queries against one project's semantic graph. Pure: no SQL, no I/O."""

    def __init__(self, graph: SemanticGraph, dialect: str = "duckdb", calendar: Calendar | None = None):
        self.graph = graph
        self.spec = graph.spec
        self.dialect = dialect
        self.calendar = calendar or Calendar()

    # -- entry --------------------------------------------------------------------------------------
    def plan(self, request: QueryRequest, _depth: int = 0) -> QueryPlan:
        if _depth > 8:
            raise QueryError("metric filters and offsets nest more than 8 levels deep",
                             help="a {{ Metric() }} filter or an offset probably refers back to itself")
        if not request.metrics and not request.group_by:
            raise QueryError("a query needs at least one metric or one group-by item",
                             help="pass --metrics revenue, or --group-by customer__region")
        group_by = [parse_group_by(g) for g in request.group_by]
        outputs, leaves, offsets = [], [], []
        for name in dict.fromkeys(request.metrics):
            outputs.append((name, self._expand_metric(self._metric(name), _Expansion(leaves, offsets))))
        where = tuple(request.where)
        time_request = next((r[0] for r in group_by if r[0].kind == "metric_time"), None)
        needs_time = time_request is not None or bool(request.start_time or request.end_time)
        default_grain = self._default_grain([leaf for leaf, _ in leaves], request.metrics)
        time_grain = (time_request.grain if time_request else None) or default_grain or "day"
        bounds = time_bounds(request.start_time, request.end_time,
                             time_grain if time_grain in GRAIN_RANK else "day") \
            if request.start_time or request.end_time else None
        key_names = self._key_names(group_by, default_grain)
        time_key = key_names[[r[0] for r in group_by].index(time_request)] if time_request else None
        ctx = _Context(request, group_by, key_names, time_key, time_grain, bounds, default_grain, _depth)

        scans: dict[tuple, _ScanBuilder] = {}
        for leaf, slot in leaves:
            model, measure = self.graph.measures[leaf.measure]
            agg_time = model.agg_time_dimension(measure)
            filters = tuple(sorted(set(leaf.filters + where), key=lambda f: f.sql))
            key = (model.name, agg_time if (needs_time or self._uses_time(filters)) else None,
                   tuple(f.sql for f in filters), leaf.cumulative, leaf.spine,
                   leaf.measure if measure.non_additive_dimension else None)
            if key not in scans:
                taken = {b.name for b in scans.values()}
                name, n = f"{model.name}_agg", 2
                while name in taken:
                    name, n = f"{model.name}_agg_{n}", n + 1
                scans[key] = _ScanBuilder(name, model, agg_time, filters, cumulative=leaf.cumulative,
                                          spine=leaf.spine)
            builder = scans[key]
            if leaf.measure not in builder.measures:
                builder.measures.append(leaf.measure)
            slot.append(builder.name)
        built: list = [self._build_scan(b, ctx) for b in scans.values()]
        taken = {b.name for b in scans.values()}
        for pending in offsets:
            if isinstance(pending, _PendingConversion):
                built.append(self._conversion_source(pending, ctx, taken))
            else:
                built.append(self._offset_source(pending, ctx, taken))
        if not request.metrics:
            built = [self._dimension_scan(group_by, key_names, where, _depth)]
        outputs = tuple((name, self._bind(node)) for name, node in outputs)
        order = tuple(self._order_item(o, key_names, request.metrics) for o in request.order_by)
        if request.limit is not None and request.limit < 0:
            raise QueryError("limit must be zero or more", help="pass --limit 100")
        return QueryPlan(scans=tuple(built), keys=tuple(key_names), outputs=outputs, order_by=order,
                         limit=request.limit, dialect=self.dialect)

    # -- metrics ------------------------------------------------------------------------------------
    def _metric(self, name: str) -> Metric:
        metric = self.spec.metrics.get(name)
        if metric is None:
            raise QueryError(f"unknown metric '{name}'",
                             help=did_you_mean(name, self.spec.metrics) or "run 'metricslayer list metrics'")
        return metric

    def _expand_metric(self, metric: Metric, ex: _Expansion) -> MetricNode:
        if metric.name in ex.stack:
            cycle = " -> ".join(ex.stack + (metric.name,))
            raise DefinitionError(f"metric '{metric.name}' depends on itself: {cycle}",
                                  file=metric.loc.file, line=metric.loc.line or None,
                                  help="break the cycle: a derived metric cannot use itself as an input")
        ex = ex.with_(stack=ex.stack + (metric.name,), filters=ex.filters + metric.filters)
        if metric.type == "simple":
            return self._expand_input(metric.measure, ex, measure_only=True)
        if metric.type == "cumulative":
            spec = self._cumulative_spec(metric)
            return self._expand_input(metric.measure, ex.with_(cumulative=spec), measure_only=True)
        if metric.type == "ratio":
            return Ratio(self._expand_input(metric.numerator, ex), self._expand_input(metric.denominator, ex))
        if metric.type == "derived":
            inputs = []
            for item in metric.inputs:
                if item.offset_window or item.offset_to_grain:
                    node = self._pending_offset(item, metric, ex)
                else:
                    node = self._expand_input(item, ex)
                inputs.append((item.output_name, node))
            return Derived(metric.expr or "", tuple(inputs), metric.name)
        if metric.type == "conversion":
            return self._pending_conversion(metric, ex)
        raise UnsupportedError(f"metric type '{metric.type}' of '{metric.name}' is not supported",
                               help="use simple, ratio, derived, cumulative or conversion")

    def _expand_input(self, item: MetricInput, ex: _Expansion, measure_only: bool = False) -> MetricNode:
        ex = ex.with_(filters=ex.filters + item.filters, spine=ex.spine or item.join_to_timespine)
        name = item.name
        if measure_only and name not in self.graph.measures and name in self.spec.metrics \
                and self.spec.metrics[name].type == "simple":
            # dbt's newer cumulative metrics name an input *metric*: read through to its measure
            inner = self.spec.metrics[name]
            ex = ex.with_(filters=ex.filters + inner.filters)
            item, name = inner.measure, inner.measure.name
            ex = ex.with_(filters=ex.filters + item.filters, spine=ex.spine or item.join_to_timespine)
        if not measure_only and name in self.spec.metrics:
            node = self._expand_metric(self.spec.metrics[name], ex)
        elif name in self.graph.measures:
            slot: list = []
            ex.leaves.append((Leaf(name, ex.filters, cumulative=ex.cumulative, spine=ex.spine), slot))
            node = _Pending(MeasureValue(scan="", column=name), slot)  # type: ignore[assignment]
        else:
            pool = list(self.graph.measures) + ([] if measure_only else list(self.spec.metrics))
            what = "measure" if measure_only else "metric"
            raise DefinitionError(f"unknown {what} '{name}' used by metric '{ex.stack[-1]}'",
                                  file=item.loc.file, line=item.loc.line or None,
                                  help=did_you_mean(name, pool) or f"define the {what} first")
        if item.fill_nulls_with is not None:
            node = Filled(node, item.fill_nulls_with)
        return node

    def _bind(self, node) -> MetricNode:
        """Replace pending measure references with the scan that computes them."""
        if isinstance(node, _Pending):
            return MeasureValue(scan=node.slot[0], column=node.value.column)
        if isinstance(node, Ratio):
            return Ratio(self._bind(node.numerator), self._bind(node.denominator))
        if isinstance(node, Derived):
            return Derived(node.expr, tuple((n, self._bind(c)) for n, c in node.inputs), node.metric)
        if isinstance(node, Filled):
            return Filled(self._bind(node.node), node.value)
        return node

    def _default_grain(self, leaves: list[Leaf], metrics) -> str | None:
        grains = []
        for name in metrics:
            metric = self.spec.metrics.get(name)
            if metric and metric.time_granularity:
                grains.append(metric.time_granularity)
        for leaf in leaves:
            model, measure = self.graph.measures[leaf.measure]
            dim = model.dimension(model.agg_time_dimension(measure) or "")
            if dim and dim.granularity:
                grains.append(dim.granularity)
        return min(grains, key=lambda g: GRAIN_RANK.get(g, 99)) if grains else None

    @staticmethod
    def _uses_time(filters) -> bool:
        return any("metric_time" in f.sql for f in filters)

    # -- keys ---------------------------------------------------------------------------------------
    def _key_names(self, group_by: list[list[ElementRequest]], default_grain) -> list[str]:
        names = []
        for readings in group_by:
            first = readings[0]
            if first.kind == "metric_time":
                name = first.output_name(default_grain or "day")
            else:
                name = self._display_name(readings)
            if name in names:
                raise QueryError(f"group-by item '{name}' is asked for twice", help="list it once")
            names.append(name)
        return names

    def _display_name(self, readings: list[ElementRequest]) -> str:
        """A time dimension asked for without a grain is named with its own grain, as MetricFlow does."""
        for r in readings:
            if r.kind == "dimension" and not r.grain and not r.date_part:
                grain = self._time_grain_of(r.element)
                if grain:
                    return r.output_name(grain)
                return r.text
        return readings[0].text

    def _time_grain_of(self, dimension: str) -> str | None:
        for model in self.spec.semantic_models.values():
            dim = model.dimension(dimension)
            if dim is not None:
                return dim.granularity if dim.is_time else None
        return None

    # -- scans --------------------------------------------------------------------------------------
    def _build_scan(self, b: _ScanBuilder, ctx: _Context) -> Scan:
        b.aliases.add(b.alias)
        keys = tuple((name, self._resolve(b, readings, ctx.default_grain))
                     for name, readings in zip(ctx.key_names, ctx.group_by))
        bound = tuple(self._bind_filter(b, f, ctx.default_grain, ctx.depth) for f in b.filters)
        cumulative = self._cumulative(b, ctx) if b.cumulative and ctx.time_key else None
        time_range = None
        if ctx.bounds:
            start, end = ctx.bounds
            if cumulative:
                start = self._lookback_start(start, cumulative)
            time_range = TimeRange(self._metric_time(b, None, None, None), start, end)
        spine = None
        if b.spine and ctx.time_key:
            spine = SpineJoin(ctx.time_key, ctx.time_grain, *(ctx.bounds or (None, None)))
        semi = self._semi_additive(b, ctx)
        aggregates = tuple(AggregateColumn(m, b.model.name, m) for m in b.measures)
        where = f" where {' and '.join(f.sql for f in b.filters)}" if b.filters else ""
        what = "running " if cumulative else ""
        description = (f"aggregate {what}{', '.join(b.measures) or 'rows'} of semantic model '{b.model.name}'"
                       f" by {', '.join(ctx.key_names) or 'nothing (grand total)'}{where}")
        return Scan(b.name, b.model.name, b.alias, tuple(b.joins.values()), tuple(b.metric_joins), keys,
                    bound, time_range, aggregates, description.replace("*/", "* /"), cumulative, spine, semi)

    def _dimension_scan(self, group_by, key_names, where, depth) -> Scan:
        """A query without metrics: distinct values, read from the model that reaches them all."""
        errors = []
        ctx = _Context(QueryRequest(), group_by, key_names, None, "day", None, None, depth)
        for model in self._models_for(group_by):
            b = _ScanBuilder(f"{model.name}_values", model, model.default_agg_time_dimension, where)
            try:
                return self._build_scan(b, ctx)
            except QueryError as exc:
                errors.append(exc)
        if errors:
            raise errors[0]
        raise QueryError("no semantic model reaches every group-by item",
                         help="query them separately, or add the entity that links their models")

    # -- time: cumulative windows, offsets, semi-additive measures ---------------------------------------
    def _cumulative_spec(self, metric: Metric) -> tuple:
        window = parse_span(metric.window, f"window of cumulative metric '{metric.name}'", metric.loc) \
            if metric.window else None
        grain = parse_grain(metric.grain_to_date, f"grain_to_date of metric '{metric.name}'", metric.loc) \
            if metric.grain_to_date else None
        if window and grain:
            raise DefinitionError(f"cumulative metric '{metric.name}' sets both window and grain_to_date",
                                  file=metric.loc.file, line=metric.loc.line or None,
                                  help="keep one: a trailing window or a grain-to-date reset")
        if metric.period_agg not in ("first", "last", "average"):
            raise DefinitionError(f"period_agg '{metric.period_agg}' of metric '{metric.name}' is unknown",
                                  file=metric.loc.file, line=metric.loc.line or None,
                                  help="use first, last or average")
        return (window, grain, metric.period_agg)

    def _cumulative(self, b: _ScanBuilder, ctx: _Context) -> Cumulative:
        window, grain_to_date, period_agg = b.cumulative
        time_request = next(r[0] for r in ctx.group_by if r[0].kind == "metric_time")
        if time_request.date_part:
            raise UnsupportedError(f"cumulative metrics cannot be grouped by a date part ('{time_request.text}')",
                                   help="group by metric_time at a grain instead")
        if ctx.time_grain in self.calendar.spine_grains:
            raise UnsupportedError(f"cumulative metrics cannot be grouped by the spine granularity "
                                   f"'{ctx.time_grain}'", help="group by a standard or fiscal grain")
        dim = b.model.dimension(b.agg_time or "")
        base = dim.granularity if dim is not None and dim.granularity else "day"
        return Cumulative(ctx.time_key, base, ctx.time_grain, window.count if window else None,
                          window.unit if window else None, grain_to_date, period_agg,
                          *(ctx.bounds or (None, None)))

    @staticmethod
    def _lookback_start(start: str | None, cumulative: Cumulative) -> str | None:
        """A window starting on the first day of the range still sees the days before it."""
        if start is None:
            return None
        value = parse_time(start, "start_time")
        if cumulative.window_unit:
            return iso(shift(value, -cumulative.window_count, cumulative.window_unit))
        if cumulative.grain_to_date:
            return iso(truncate(value, cumulative.grain_to_date))
        return None  # all time

    def _semi_additive(self, b: _ScanBuilder, ctx: _Context) -> SemiAdditive | None:
        specs = {b.model.measure(m).non_additive_dimension for m in b.measures} - {None}
        if not specs:
            return None
        nad = next(iter(specs))
        dim = b.model.dimension(nad.name)
        if dim is None or not dim.is_time:
            raise DefinitionError(
                f"non_additive_dimension '{nad.name}' of semantic model '{b.model.name}' is not one of its "
                "time dimensions", file=b.model.loc.file, line=b.model.loc.line or None,
                help="name a time dimension of the same semantic model")
        if nad.window_choice not in ("min", "max"):
            raise DefinitionError(f"window_choice '{nad.window_choice}' is unknown", file=b.model.loc.file,
                                  line=b.model.loc.line or None, help="use min or max")
        column = ColumnSource(b.alias, b.model.name, "dimension", dim.name, dim.granularity)
        groupings = []
        for entity in nad.window_groupings:
            reaches = self.graph.find(b.model.name, (), entity, "entity")
            if not reaches or reaches[0].hops:
                raise DefinitionError(f"window_groupings entity '{entity}' is not an entity of semantic model "
                                      f"'{b.model.name}'", file=b.model.loc.file, line=b.model.loc.line or None,
                                      help="list entities of the measure's own semantic model")
            groupings.append(ColumnSource(b.alias, b.model.name, "entity", entity))
        return SemiAdditive(column, nad.window_choice, tuple(groupings), ctx.time_key)

    def _pending_offset(self, item: MetricInput, metric: Metric, ex: _Expansion) -> _PendingOffset:
        if item.name not in self.spec.metrics:
            raise DefinitionError(f"unknown metric '{item.name}' used by metric '{metric.name}'",
                                  file=item.loc.file, line=item.loc.line or None,
                                  help=did_you_mean(item.name, self.spec.metrics) or "define the metric first")
        pending = _PendingOffset(item, metric.name, ex.filters + item.filters)
        ex.offsets.append(pending)
        node = _Pending(MeasureValue(scan="", column=item.name), pending.slot)
        return Filled(node, item.fill_nulls_with) if item.fill_nulls_with is not None else node

    def _pending_conversion(self, metric: Metric, ex: _Expansion) -> MetricNode:
        params = metric.conversion
        for item in (params.base_measure, params.conversion_measure):
            if item.name not in self.graph.measures:
                raise DefinitionError(f"unknown measure '{item.name}' in conversion metric '{metric.name}'",
                                      file=item.loc.file or metric.loc.file, line=(item.loc.line or metric.loc.line)
                                      or None, help=did_you_mean(item.name, self.graph.measures) or
                                      "name a measure of a semantic model")
        for item in (params.base_measure, params.conversion_measure):
            model, _ = self.graph.measures[item.name]
            if model.entity(params.entity) is None:
                raise DefinitionError(
                    f"conversion metric '{metric.name}': entity '{params.entity}' is not on semantic model "
                    f"'{model.name}' of measure '{item.name}'", file=metric.loc.file, line=metric.loc.line or None,
                    help="both measures' semantic models need that entity")
        if params.calculation not in ("conversion_rate", "conversions"):
            raise DefinitionError(f"calculation '{params.calculation}' of metric '{metric.name}' is unknown",
                                  file=metric.loc.file, line=metric.loc.line or None,
                                  help="use conversion_rate or conversions")
        if params.window:
            parse_span(params.window, f"window of conversion metric '{metric.name}'", metric.loc)
        pending = _PendingConversion(metric, ex.filters, ex.spine or params.base_measure.join_to_timespine)
        ex.offsets.append(pending)
        conversions: MetricNode = _Pending(MeasureValue("", params.conversion_measure.name), pending.slot)
        if params.conversion_measure.fill_nulls_with is not None:
            conversions = Filled(conversions, params.conversion_measure.fill_nulls_with)
        if params.calculation == "conversions":
            return conversions
        base = self._expand_input(params.base_measure, ex, measure_only=True)
        return Ratio(conversions, base)

    def _conversion_source(self, pending: _PendingConversion, ctx: _Context, taken: set[str]):
        metric, params = pending.metric, pending.metric.conversion
        where = tuple(ctx.request.where)
        base_model, _ = self.graph.measures[params.base_measure.name]
        conv_model, conv_measure = self.graph.measures[params.conversion_measure.name]
        base_b = _ScanBuilder(f"{metric.name}_base", base_model,
                              base_model.agg_time_dimension(base_model.measure(params.base_measure.name)),
                              pending.filters + params.base_measure.filters + where)
        base_b.measures.append(params.base_measure.name)
        base = self._build_scan(base_b, ctx)
        conv_b = _ScanBuilder(f"{metric.name}_conversions", conv_model, conv_model.agg_time_dimension(conv_measure),
                              params.conversion_measure.filters)
        conv_b.measures.append(conv_measure.name)
        end = ctx.bounds[1] if ctx.bounds else None
        if end and params.window:
            span = parse_span(params.window, "window", metric.loc)
            end = iso(shift(parse_time(end, "end_time"), span.count, span.unit))
        conv_ctx = replace(ctx, group_by=[], key_names=[], time_key=None,
                           bounds=(ctx.bounds[0], None if not params.window else end) if ctx.bounds else None)
        conversion = self._build_scan(conv_b, conv_ctx)
        entity = (self._resolve(base_b, [ElementRequest(params.entity, (), params.entity, "entity")], None),
                  self._resolve(conv_b, [ElementRequest(params.entity, (), params.entity, "entity")], None))
        base_time = self._metric_time(base_b, None, None, metric.name)
        conv_time = self._metric_time(conv_b, None, None, metric.name)
        constants = []
        for base_prop, conv_prop in params.constant_properties:
            constants.append((self._resolve(base_b, parse_group_by(base_prop), None),
                              self._resolve(conv_b, parse_group_by(conv_prop), None)))
        span = parse_span(params.window, "window", metric.loc) if params.window else None
        spine = None
        if ctx.time_key and (params.conversion_measure.join_to_timespine or pending.spine):
            spine = SpineJoin(ctx.time_key, ctx.time_grain, *(ctx.bounds or (None, None)))
        name, n = f"{metric.name}_conversions", 2
        while name in taken:
            name, n = f"{metric.name}_conversions_{n}", n + 1
        taken.add(name)
        pending.slot.append(name)
        within = f" within {params.window}" if params.window else ""
        return ConversionSource(
            name, replace(base, joins=tuple(base_b.joins.values())),
            replace(conversion, joins=tuple(conv_b.joins.values())), entity[0], entity[1], base_time, conv_time,
            conv_measure.name, span.count if span else None, span.unit if span else None, tuple(constants),
            f"conversions of '{conv_measure.name}' after '{params.base_measure.name}' by the same "
            f"{params.entity}{within}, attributed to the latest base event", spine)

    def _offset_source(self, pending: _PendingOffset, ctx: _Context, taken: set[str]) -> OffsetSource:
        item, metric = pending.item, self.spec.metrics[pending.metric]
        if ctx.time_key is None:
            raise QueryError(f"metric '{metric.name}' reads '{item.name}' at an offset, which needs metric_time "
                             "in the group-by", help="add --group-by metric_time__month (or another grain)")
        grain = ctx.time_grain
        if self.calendar.is_custom(grain):
            raise UnsupportedError(f"offsets cannot be grouped by the custom grain '{grain}'",
                                   help="group by day, week, month, quarter or year")
        if any(r[0].kind == "metric_time" and r[0].date_part for r in ctx.group_by):
            raise UnsupportedError("offsets cannot be grouped by a metric_time date part",
                                   help="group by metric_time at a grain instead")
        count, unit, to_grain = 0, None, None
        if item.offset_window:
            span = parse_span(item.offset_window, f"offset_window of '{item.name}' in metric '{metric.name}'",
                              item.loc)
            count, unit = span.count, span.unit
            mode = offset_mode(span, grain)
            if mode is None:
                raise UnsupportedError(
                    f"metric '{metric.name}': an offset of {span} is not a whole number of {grain}s",
                    help=f"query at a grain the offset divides (e.g. metric_time__day), or offset by whole {grain}s")
        else:
            to_grain = parse_grain(item.offset_to_grain, f"offset_to_grain of '{item.name}'", item.loc)
            mode = "lookup" if GRAIN_RANK[grain] < GRAIN_RANK[to_grain] else "identity"
        start, end = ctx.bounds or (None, None)
        sub_start, sub_end = offset_bounds(start, end, count, unit, to_grain)
        sub = self.plan(QueryRequest(metrics=(item.name,), group_by=tuple(ctx.key_names),
                                     where=tuple(ctx.request.where) + pending.filters,
                                     start_time=sub_start, end_time=sub_end), ctx.depth + 1)
        name, n = f"{item.name}_offset", 2
        while name in taken:
            name, n = f"{item.name}_offset_{n}", n + 1
        taken.add(name)
        pending.slot.append(name)
        what = f"{item.offset_window} earlier" if item.offset_window else f"at the start of the {to_grain}"
        return OffsetSource(name, sub, item.name, ctx.time_key, grain, mode, count, unit, to_grain, start, end,
                            f"metric '{item.name}' {what}, by {', '.join(ctx.key_names)}")

    def _models_for(self, group_by) -> list[SemanticModel]:
        first = group_by[0]
        owners = [m for m in self.spec.semantic_models.values()
                  if any((r.kind == "dimension" and m.dimension(r.element)) or
                         (r.kind == "entity" and m.entity(r.element) and m.entity(r.element).type != "foreign")
                         for r in first)]
        rest = [m for m in self.spec.semantic_models.values() if m not in owners]
        return owners + rest

    def _resolve(self, b: _ScanBuilder, readings: list[ElementRequest], default_grain) -> ColumnSource:
        first = readings[0]
        if first.kind == "metric_time":
            return self._metric_time(b, first.grain or default_grain, first.date_part, first.text)
        failures = []
        for reading in readings:
            reaches = self.graph.find(b.model.name, reading.chain, reading.element, reading.kind)
            if len(reaches) > 1:
                paths = [" -> ".join([b.model.name] + [f"{h.model} (on {h.entity})" for h in r.hops])
                         for r in reaches]
                options = ", ".join("entity_path=" + repr(list(r.entity_path(b.model)[:-1] or r.entity_path(b.model)))
                                    for r in reaches)
                raise QueryError(
                    f"'{reading.text}' is ambiguous from semantic model '{b.model.name}': " + "; ".join(paths),
                    help=f"name the full entity path, e.g. {'__'.join(reaches[0].entity_path(b.model))}__"
                         f"{reading.element}, or in a filter {options}")
            if not reaches:
                failures.append(reading)
                continue
            reach = reaches[0]
            model = self.spec.semantic_models[reach.model]
            if reach.kind == "dimension":
                dim = model.dimension(reach.element)
                if (reading.grain or reading.date_part) and not dim.is_time:
                    failures.append(reading)
                    continue
                grain = reading.grain or (dim.granularity if dim.is_time else None)
                if dim.is_time and reading.grain and GRAIN_RANK.get(reading.grain, 99) < GRAIN_RANK[dim.granularity]:
                    raise QueryError(
                        f"'{reading.text}' asks for grain {reading.grain}, finer than the {dim.granularity} "
                        f"grain of time dimension '{dim.name}'",
                        help=f"use {dim.granularity} or a coarser grain")
            else:
                grain = None
            alias = self._join_path(b, reach.hops)
            return ColumnSource(alias, reach.model, reach.kind, reach.element, grain, reading.date_part)
        raise self._unreachable(b, readings)

    def _unreachable(self, b: _ScanBuilder, readings: list[ElementRequest]) -> QueryError:
        first = readings[0]
        element = first.element
        name = "__".join(first.chain + (element,))
        known = element in self.graph.dimension_names or element in self.graph.entity_names
        if not known:
            return QueryError(f"unknown dimension or entity '{name}'",
                              help=did_you_mean(name, self._all_group_by_names())
                              or "run 'metricslayer list dimensions'")
        measures = ", ".join(b.measures) or "its rows"
        path = "__".join(first.chain) or "(none)"
        return QueryError(
            f"'{first.text}' cannot be reached from semantic model '{b.model.name}' (measures {measures}): "
            f"no join path with entity path {path} leads to '{element}'",
            help=did_you_mean(name, self._names_from(b.model)) or
            "add the missing entity to the semantic model, or group by a dimension it reaches")

    def _all_group_by_names(self) -> list[str]:
        names = {"metric_time"}
        for model in self.spec.semantic_models.values():
            for entity in model.own_entities[:1]:
                names |= {f"{entity}__{d.name}" for d in model.dimensions}
            names |= {e.name for e in model.entities}
        return sorted(names)

    def _names_from(self, model: SemanticModel) -> list[str]:
        return ["__".join(r.entity_path(model) + (r.element,)) for r in self.graph.reachable(model.name)]

    def _metric_time(self, b: _ScanBuilder, grain, date_part, text) -> ColumnSource:
        if not b.agg_time:
            raise QueryError(
                f"semantic model '{b.model.name}' has no agg_time_dimension, so metric_time is undefined "
                f"for {', '.join(b.measures) or 'it'}",
                help="set defaults.agg_time_dimension on the semantic model")
        dim = b.model.dimension(b.agg_time)
        if dim is None or not dim.is_time:
            raise DefinitionError(
                f"agg_time_dimension '{b.agg_time}' of semantic model '{b.model.name}' is not a time dimension",
                file=b.model.loc.file, line=b.model.loc.line or None,
                help="name a dimension of type: time")
        if grain and grain in GRAIN_RANK and GRAIN_RANK[grain] < GRAIN_RANK[dim.granularity or "day"]:
            raise QueryError(
                f"'{text}' asks for grain {grain}, finer than the {dim.granularity} grain of "
                f"'{b.model.name}.{dim.name}'", help=f"use metric_time__{dim.granularity} or coarser")
        if grain and grain not in GRAIN_RANK and not self.calendar.is_custom(grain):
            custom = ", ".join(sorted(set(FISCAL_GRAINS) | set(self.calendar.spine_grains)))
            raise UnsupportedError(f"unknown time grain '{grain}' in '{text}'",
                                   help=f"use one of day, week, month, quarter, year, {custom} (or hour, minute)")
        return ColumnSource(b.alias, b.model.name, "dimension", dim.name, grain or dim.granularity, date_part)

    def _join_path(self, b: _ScanBuilder, hops: tuple[Hop, ...]) -> str:
        alias, model_name = b.alias, b.model.name
        for i in range(len(hops)):
            prefix = hops[: i + 1]
            if prefix not in b.joins:
                hop = hops[i]
                target = self.spec.semantic_models[hop.model]
                new_alias = hop.model
                n = 2
                while new_alias in b.aliases:
                    new_alias, n = f"{hop.model}_{n}", n + 1
                b.aliases.add(new_alias)
                scd_time = None
                if target.is_scd and target.entity(hop.entity).type == "natural":
                    scd_time = self._metric_time(b, None, None, hop.model)
                b.joins[prefix] = Join(new_alias, hop.model, alias, model_name, hop.entity, scd_time)
            alias, model_name = b.joins[prefix].alias, hops[i].model
        return alias

    # -- filters ------------------------------------------------------------------------------------
    def _bind_filter(self, b: _ScanBuilder, where: WhereFilter, default_grain, depth) -> BoundFilter:
        try:
            text, refs = render_template(where.sql)
        except QueryError as exc:
            raise QueryError(exc.message, help=exc.help, file=where.loc.file or None,
                             line=where.loc.line or None) from None
        bindings = []
        for index, ref in enumerate(refs):
            if ref.kind == "metric":
                bindings.append((index, self._metric_filter(b, ref, depth)))
            else:
                try:
                    bindings.append((index, self._resolve(b, [ref], ref.grain or default_grain)))
                except QueryError as exc:
                    if where.loc.file:
                        raise QueryError(f"in filter {where.sql!r}: {exc.message}", help=exc.help,
                                         file=where.loc.file, line=where.loc.line or None) from None
                    raise
        from .names import placeholder

        return BoundFilter(text, tuple((placeholder(i), src) for i, src in bindings), where.sql)

    def _metric_filter(self, b: _ScanBuilder, ref: ElementRequest, depth: int) -> MetricValue:
        if not ref.metric_group_by:
            raise QueryError(f"{ref.text} in a filter needs group_by",
                             help=f"write {{{{ Metric('{ref.element}', group_by=['entity']) }}}}")
        keys = []
        for g in ref.metric_group_by:
            readings = [r for r in parse_group_by(g) if r.kind == "entity"]
            if not readings:
                raise QueryError(f"Metric('{ref.element}') group_by item '{g}' must be an entity",
                                 help="metric filters group by entities, e.g. group_by=['customer']")
            keys.append((self._resolve(b, readings, None), g))
        sub = self.plan(QueryRequest(metrics=(ref.element,), group_by=tuple(ref.metric_group_by)), depth + 1)
        alias = f"{ref.element}_by_{'_'.join(g.replace('__', '_') for g in ref.metric_group_by)}"
        n = 2
        while alias in b.aliases:
            alias, n = f"{alias}_{n}", n + 1
        b.aliases.add(alias)
        b.metric_joins.append(MetricFilterJoin(alias, sub, tuple(keys)))
        return MetricValue(alias, ref.element)

    # -- order --------------------------------------------------------------------------------------
    @staticmethod
    def _order_item(text: str, key_names: list[str], metrics) -> tuple[str, bool]:
        name, desc = parse_order_by(text)
        candidates = list(key_names) + list(metrics)
        if name == "metric_time":
            name = next((k for k in key_names if k.startswith("metric_time__")), name)
        if name not in candidates:
            raise QueryError(f"order_by '{name}' is not among the query's metrics or group-by items",
                             help=did_you_mean(name, candidates) or f"order by one of: {', '.join(candidates)}")
        return name, desc


@dataclass(frozen=True)
class _Pending:
    """A measure reference whose scan is known only after every leaf is grouped."""

    value: MeasureValue
    slot: list = field(compare=False, hash=False)
