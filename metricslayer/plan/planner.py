"""Query -> QueryPlan: resolve names, expand metrics to measures, group measures into scans."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import DefinitionError, QueryError, UnsupportedError, did_you_mean
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
    TimeRange,
)
from .timerange import time_bounds


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
    """One measure to aggregate, under the filters the metric tree puts on it."""

    measure: str
    filters: tuple[WhereFilter, ...]
    fill_nulls_with: object = None


@dataclass
class _ScanBuilder:
    name: str
    model: SemanticModel
    agg_time: str | None
    filters: tuple[WhereFilter, ...]
    measures: list[str] = field(default_factory=list)
    joins: dict[tuple[Hop, ...], Join] = field(default_factory=dict)
    metric_joins: list[MetricFilterJoin] = field(default_factory=list)
    aliases: set[str] = field(default_factory=set)

    @property
    def alias(self) -> str:
        return self.model.name


class Planner:
    """Plans queries against one project's semantic graph. Pure: no SQL, no I/O."""

    def __init__(self, graph: SemanticGraph, dialect: str = "duckdb"):
        self.graph = graph
        self.spec = graph.spec
        self.dialect = dialect

    # -- entry --------------------------------------------------------------------------------------
    def plan(self, request: QueryRequest, _depth: int = 0) -> QueryPlan:
        if _depth > 8:
            raise QueryError("metric filters nest more than 8 levels deep",
                             help="a {{ Metric() }} filter probably refers back to itself")
        if not request.metrics and not request.group_by:
            raise QueryError("a query needs at least one metric or one group-by item",
                             help="pass --metrics revenue, or --group-by customer__region")
        group_by = [parse_group_by(g) for g in request.group_by]
        outputs, leaves = [], []
        for name in dict.fromkeys(request.metrics):
            node_leaves: list[tuple[Leaf, list]] = []
            outputs.append((name, self._expand_metric(self._metric(name), (), node_leaves, ())))
            leaves += node_leaves
        where = tuple(request.where)
        needs_time = any(r[0].kind == "metric_time" for r in group_by) or bool(
            request.start_time or request.end_time)
        default_grain = self._default_grain([leaf for leaf, _ in leaves], request.metrics)
        time_grain = next((r[0].grain for r in group_by if r[0].kind == "metric_time" and r[0].grain),
                          None) or default_grain or "day"
        bounds = time_bounds(request.start_time, request.end_time, time_grain) \
            if request.start_time or request.end_time else None

        scans: dict[tuple, _ScanBuilder] = {}
        for leaf, slot in leaves:
            model, _ = self.graph.measures[leaf.measure]
            measure = model.measure(leaf.measure)
            agg_time = model.agg_time_dimension(measure)
            filters = tuple(sorted(set(leaf.filters + where), key=lambda f: f.sql))
            key = (model.name, agg_time if (needs_time or self._uses_time(filters)) else None,
                   tuple(f.sql for f in filters))
            if key not in scans:
                taken = {b.name for b in scans.values()}
                name, n = f"{model.name}_agg", 2
                while name in taken:
                    name, n = f"{model.name}_agg_{n}", n + 1
                scans[key] = _ScanBuilder(name, model, agg_time, filters)
            builder = scans[key]
            if leaf.measure not in builder.measures:
                builder.measures.append(leaf.measure)
            slot.append(builder.name)
        key_names = self._key_names(group_by, default_grain)
        built = [self._build_scan(b, group_by, key_names, default_grain, bounds, _depth)
                 for b in scans.values()]
        if not request.metrics:
            built = [self._dimension_scan(group_by, key_names, where, _depth)]
        outputs = tuple((name, self._bind(node, scans)) for name, node in outputs)
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

    def _expand_metric(self, metric: Metric, filters: tuple, leaves: list, stack: tuple) -> MetricNode:
        if metric.name in stack:
            cycle = " -> ".join(stack + (metric.name,))
            raise DefinitionError(f"metric '{metric.name}' depends on itself: {cycle}",
                                  file=metric.loc.file, line=metric.loc.line or None,
                                  help="break the cycle: a derived metric cannot use itself as an input")
        stack += (metric.name,)
        filters = filters + metric.filters
        if metric.type == "simple":
            return self._expand_input(metric.measure, filters, leaves, stack, measure_only=True)
        if metric.type == "ratio":
            return Ratio(self._expand_input(metric.numerator, filters, leaves, stack),
                         self._expand_input(metric.denominator, filters, leaves, stack))
        if metric.type == "derived":
            inputs = tuple((i.output_name, self._expand_input(i, filters, leaves, stack)) for i in metric.inputs)
            for i in metric.inputs:
                if i.offset_window or i.offset_to_grain:
                    raise UnsupportedError(
                        f"metric '{metric.name}' uses offset_window/offset_to_grain, which this version "
                        "does not compile yet", help="query the input metric without an offset")
            return Derived(metric.expr or "", inputs, metric.name)
        raise UnsupportedError(f"{metric.type} metric '{metric.name}' is not supported by this version yet",
                               help="cumulative and conversion metrics arrive with the time-semantics work")

    def _expand_input(self, item: MetricInput, filters: tuple, leaves: list, stack: tuple,
                      measure_only: bool = False) -> MetricNode:
        filters = filters + item.filters
        if not measure_only and item.name in self.spec.metrics:
            node = self._expand_metric(self.spec.metrics[item.name], filters, leaves, stack)
        elif item.name in self.graph.measures:
            slot: list = []
            leaves.append((Leaf(item.name, filters), slot))
            node = MeasureValue(scan="", column=item.name)
            node = _Pending(node, slot)  # type: ignore[assignment]
        else:
            pool = list(self.graph.measures) + ([] if measure_only else list(self.spec.metrics))
            what = "measure" if measure_only else "metric"
            raise DefinitionError(f"unknown {what} '{item.name}' used by metric '{stack[-1]}'",
                                  file=item.loc.file, line=item.loc.line or None,
                                  help=did_you_mean(item.name, pool) or f"define the {what} first")
        if item.fill_nulls_with is not None:
            node = Filled(node, item.fill_nulls_with)
        return node

    def _bind(self, node, scans) -> MetricNode:
        """Replace pending measure references with the scan that computes them."""
        if isinstance(node, _Pending):
            return MeasureValue(scan=node.slot[0], column=node.value.column)
        if isinstance(node, Ratio):
            return Ratio(self._bind(node.numerator, scans), self._bind(node.denominator, scans))
        if isinstance(node, Derived):
            return Derived(node.expr, tuple((n, self._bind(c, scans)) for n, c in node.inputs), node.metric)
        if isinstance(node, Filled):
            return Filled(self._bind(node.node, scans), node.value)
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
    def _build_scan(self, b: _ScanBuilder, group_by, key_names, default_grain, bounds, depth) -> Scan:
        b.aliases.add(b.alias)
        keys = tuple((name, self._resolve(b, readings, default_grain))
                     for name, readings in zip(key_names, group_by))
        bound = tuple(self._bind_filter(b, f, default_grain, depth) for f in b.filters)
        time_range = None
        if bounds:
            time_range = TimeRange(self._metric_time(b, None, None, None), bounds[0], bounds[1])
        aggregates = tuple(AggregateColumn(m, b.model.name, m) for m in b.measures)
        where = f" where {' and '.join(f.sql for f in b.filters)}" if b.filters else ""
        description = (f"aggregate {', '.join(b.measures) or 'rows'} of semantic model '{b.model.name}'"
                       f" by {', '.join(key_names) or 'nothing (grand total)'}{where}")
        return Scan(b.name, b.model.name, b.alias, tuple(b.joins.values()), tuple(b.metric_joins), keys,
                    bound, time_range, aggregates, description.replace("*/", "* /"))

    def _dimension_scan(self, group_by, key_names, where, depth) -> Scan:
        """A query without metrics: distinct values, read from the model that reaches them all."""
        errors = []
        for model in self._models_for(group_by):
            b = _ScanBuilder(f"{model.name}_values", model, model.default_agg_time_dimension, where)
            try:
                return self._build_scan(b, group_by, key_names, None, None, depth)
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
        if grain and grain not in GRAIN_RANK:
            raise UnsupportedError(f"unknown time grain '{grain}' in '{text}'",
                                   help="use one of day, week, month, quarter, year (or hour, minute)")
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
