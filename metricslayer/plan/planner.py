"""Query -> QueryPlan: resolve names, expand metrics to measures, group measures into scans."""

from __future__ import annotations

from dataclasses import replace

from ..errors import DefinitionError, QueryError, UnsupportedError, did_you_mean
from ..spec.calendar import FISCAL_GRAINS, Calendar
from ..spec.model import GRAIN_RANK, Metric, MetricInput, SemanticModel, WhereFilter
from .graph import Hop, SemanticGraph
from .names import ElementRequest, parse_group_by, parse_order_by, render_template
from .nodes import (
    AggregateColumn,
    BoundFilter,
    ColumnSource,
    Derived,
    Filled,
    Join,
    MeasureValue,
    MetricFilterJoin,
    MetricNode,
    MetricValue,
    QueryPlan,
    Ratio,
    Scan,
    SpineJoin,
    TimeRange,
)
from .state import (  # noqa: F401  (QueryRequest is part of this module's public face)
    Leaf,
    QueryRequest,
    _Context,
    _Expansion,
    _Pending,
    _PendingConversion,
    _PendingOffset,
    _ScanBuilder,
)
from .timeplan import TimePlanningMixin, bind_period_filter, split_time_filters
from .timerange import time_bounds


class Planner(TimePlanningMixin):
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
        asked = dict(zip(request.group_by, key_names))
        order = tuple(self._order_item(o, key_names, request.metrics, asked) for o in request.order_by)
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
        """The grain of a bare metric_time: the coarsest of the metrics' own grains, and never finer than a
        day (as MetricFlow), so every metric of the query can be shown at it."""
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
        if not grains:
            return None
        coarsest = max(grains, key=lambda g: GRAIN_RANK.get(g, -1))
        return coarsest if GRAIN_RANK.get(coarsest, 0) >= GRAIN_RANK["day"] else "day"

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
        if b.cumulative:
            self._check_cumulative_grouping(b, ctx)
        cumulative = self._cumulative(b, ctx) if b.cumulative and ctx.time_key else None
        row_filters = b.filters
        if cumulative:  # a metric_time filter picks output days; the window still reads the days before
            row_filters, time_filters = split_time_filters(b.filters)
            cumulative = replace(cumulative, filters=tuple(bind_period_filter(f) for f in time_filters))
        bound = tuple(self._bind_filter(b, f, ctx.default_grain, ctx.depth) for f in row_filters)
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
                if target.entity(hop.entity).type == "natural":
                    if not target.is_scd:
                        raise DefinitionError(
                            f"semantic model '{target.name}' joins on natural entity '{hop.entity}' but has no "
                            "validity window, so the join would fan out (count rows more than once)",
                            file=target.loc.file, line=target.loc.line or None,
                            help="add time dimensions with type_params.validity_params {is_start: true} and "
                                 "{is_end: true}, or make the entity primary")
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
    def _order_item(text: str, key_names: list[str], metrics, asked: dict[str, str]) -> tuple[str, bool]:
        name, desc = parse_order_by(text)
        name = asked.get(name, name)  # `order__ordered_at` orders by the column it became (…__day)
        candidates = list(key_names) + list(metrics)
        if name == "metric_time":
            name = next((k for k in key_names if k.startswith("metric_time__")), name)
        if name not in candidates:
            raise QueryError(f"order_by '{name}' is not among the query's metrics or group-by items",
                             help=did_you_mean(name, candidates) or f"order by one of: {', '.join(candidates)}")
        return name, desc
