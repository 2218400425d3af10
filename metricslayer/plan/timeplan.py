"""Planning the time-shaped sources: cumulative windows, semi-additive measures, offsets, conversions.

A mixin of Planner: it uses the planner's scan building and name resolution.
"""

from __future__ import annotations

from dataclasses import replace

from ..errors import DefinitionError, QueryError, UnsupportedError, did_you_mean
from ..spec.model import GRAIN_RANK, Metric, MetricInput
from .names import ElementRequest, parse_group_by, placeholder, render_template
from .nodes import (
    BoundFilter,
    ColumnSource,
    ConversionSource,
    Cumulative,
    Filled,
    MeasureValue,
    MetricNode,
    OffsetSource,
    PeriodValue,
    Ratio,
    SemiAdditive,
    SpineJoin,
)
from .state import (
    QueryRequest,
    _Context,
    _Expansion,
    _Pending,
    _PendingConversion,
    _PendingOffset,
    _ScanBuilder,
)
from .timerange import iso, offset_bounds, parse_time, shift, truncate
from .windows import offset_mode, parse_grain, parse_span


def split_time_filters(filters) -> tuple[tuple, tuple]:
    """(filters on other things, filters only on metric_time): time-shaped sources apply the second kind to
    their output periods, so a window or an offset still reads the facts before the filtered range."""
    rest, time_only = [], []
    for where in filters:
        try:
            _, refs = render_template(where.sql)
        except QueryError:
            rest.append(where)
            continue
        (time_only if refs and all(r.kind == "metric_time" for r in refs) else rest).append(where)
    return tuple(rest), tuple(time_only)


def bind_period_filter(where) -> BoundFilter:
    text, refs = render_template(where.sql)
    return BoundFilter(text, tuple((placeholder(i), PeriodValue(r.grain, r.date_part)) for i, r in enumerate(refs)),
                       where.sql)


class TimePlanningMixin:
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

    def _check_cumulative_grouping(self, b: _ScanBuilder, ctx: _Context) -> None:
        """A running window without metric_time has no day to end on: refuse it, as MetricFlow does."""
        window, grain_to_date, _ = b.cumulative
        if (window or grain_to_date) and ctx.time_key is None:
            raise QueryError(f"cumulative measure {', '.join(b.measures)} runs over a window that ends on a day, "
                             "so the query needs metric_time in the group-by",
                             help="add --group-by metric_time__day (or another grain)")

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
        row_filters, time_filters = split_time_filters(tuple(ctx.request.where) + pending.filters)
        sub = self.plan(QueryRequest(metrics=(item.name,), group_by=tuple(ctx.key_names), where=row_filters,
                                     start_time=sub_start, end_time=sub_end), ctx.depth + 1)
        name, n = f"{item.name}_offset", 2
        while name in taken:
            name, n = f"{item.name}_offset_{n}", n + 1
        taken.add(name)
        pending.slot.append(name)
        what = f"{item.offset_window} earlier" if item.offset_window else f"at the start of the {to_grain}"
        return OffsetSource(name, sub, item.name, ctx.time_key, grain, mode, count, unit, to_grain, start, end,
                            f"metric '{item.name}' {what}, by {', '.join(ctx.key_names)}",
                            tuple(bind_period_filter(f) for f in time_filters))

