"""SQL for the time-shaped sources: cumulative windows, time-spine joins, offsets, semi-additive scans.

A mixin of SqlBuilder (it uses the builder's _scan, _rows, _element, _aggregate and _query).
The time spine is generated in SQL (GENERATE_DATE_ARRAY, which sqlglot renders per dialect), so a
project needs no spine table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlglot import exp

from ..errors import UnsupportedError
from ..plan.nodes import AggregateColumn, ConversionSource, OffsetSource, Scan
from ..plan.timerange import iso, parse_time
from ..plan.timerange import truncate as truncate_value
from .exprs import column, date_add, ident, parse_expr, qualify, safe_divide, sql_type, truncate

STEP = {"day": (1, "DAY"), "week": (7, "DAY"), "month": (1, "MONTH"), "quarter": (3, "MONTH"),
        "year": (1, "YEAR"), "hour": (1, "HOUR"), "minute": (1, "MINUTE")}
DECOMPOSABLE = {"sum": "SUM", "count": "SUM", "sum_boolean": "SUM", "min": "MIN", "max": "MAX"}
DAY_COLUMN = "__ml_period"


def _date_add(value: exp.Expression, count: int, unit: str, grain: str) -> exp.Expression:
    """value + count units, as a DATE again for day-or-coarser grains (month ends clamp)."""
    step, sql_unit = STEP[unit] if unit in STEP else (1, unit.upper())
    return date_add(value, count * step, sql_unit, as_date=grain in ("day", "week", "month", "quarter", "year"))


def _by_period(value: exp.Expression, desc: bool = False) -> exp.Ordered:
    """Order by a period, which is never NULL: state the NULL placement each engine takes by default (NULLs
    first ascending, last descending), so no dialect must spell out one it cannot express in a window."""
    return exp.Ordered(this=value.copy(), desc=desc, nulls_first=not desc)


def _period_literal(value: str, grain: str) -> exp.Expression:
    kind = "DATE" if grain in ("day", "week", "month", "quarter", "year") else "TIMESTAMP"
    return exp.Cast(this=exp.Literal.string(value), to=sql_type(kind))


def _last_period(end_exclusive: str, grain: str) -> str:
    """The start of the last `grain` period before an exclusive end."""
    value = parse_time(end_exclusive, "end_time") - dt.timedelta(microseconds=1)
    return iso(truncate_value(value, grain))


class TimeSqlMixin:
    # -- the spine ----------------------------------------------------------------------------------
    def _spine(self, name: str, grain: str, bounds: exp.Select) -> exp.Select:
        """One row per `grain` period between bounds.lo and bounds.hi (inclusive): read from the declared
        day spine when the project has one, else generated."""
        declared = self.calendar.day_spine
        if declared is not None and grain in ("day", "week", "month", "quarter", "year"):
            table = self._relation(declared.relation, {})
            table.set("alias", exp.TableAlias(this=ident("spine")))
            period = self._truncate(column(declared.column, "spine"), grain)
            select = exp.Select().select(exp.alias_(period, ident(name)), copy=False).distinct()
            select = select.from_(exp.Subquery(this=bounds, alias=exp.TableAlias(this=ident("bounds"))),
                                  copy=False).join(table, join_type="CROSS", copy=False)
            select = select.where(exp.Between(this=period.copy(), low=column("lo", "bounds"),
                                              high=column("hi", "bounds")), copy=False)
            select.add_comments([f"time spine {declared.relation.qualified}: one row per {grain}"])
            return select
        count, unit = STEP[grain]
        series = exp.GenerateDateArray(start=column("lo", "bounds"), end=column("hi", "bounds"),
                                       step=exp.Interval(this=exp.Literal.number(count), unit=exp.var(unit)))
        unnest = exp.Unnest(expressions=[series],
                            alias=exp.TableAlias(this=ident("spine"), columns=[ident("period")]))
        value = column("period", "spine")
        if grain in ("day", "week", "month", "quarter", "year"):
            value = exp.Cast(this=value, to=sql_type("DATE"))
        select = exp.Select().select(exp.alias_(value, ident(name)), copy=False)
        select = select.from_(exp.Subquery(this=bounds, alias=exp.TableAlias(this=ident("bounds"))), copy=False)
        select = select.join(unnest, join_type="CROSS", copy=False)
        select.add_comments([f"time spine: one row per {grain}"])
        return select

    @staticmethod
    def _literal_bounds(start: str, end: str, grain: str) -> exp.Select:
        lo = iso(truncate_value(parse_time(start, "start_time"), grain))
        hi = _last_period(end, grain)
        return exp.Select().select(exp.alias_(_period_literal(lo, grain), "lo"),
                                   exp.alias_(_period_literal(hi, grain), "hi"), copy=False)

    @staticmethod
    def _data_bounds(cte: str, col: str, grain: str, extend: tuple[int, str] | None,
                     start: str | None = None, end: str | None = None) -> exp.Select:
        """lo/hi from the data in `cte` (hi moved on by `extend`), clipped to [start, end) when given."""
        lo: exp.Expression = exp.Min(this=column(col, cte))
        hi: exp.Expression = exp.Max(this=column(col, cte))
        if extend:
            hi = _date_add(hi, extend[0], extend[1], grain)
        if start:
            lo = _period_literal(iso(truncate_value(parse_time(start, "start_time"), grain)), grain)
        if end:
            hi = _period_literal(_last_period(end, grain), grain)
        return exp.Select().select(exp.alias_(lo, "lo"), exp.alias_(hi, "hi"), copy=False).from_(
            exp.Table(this=ident(cte)), copy=False)

    # -- join_to_timespine ---------------------------------------------------------------------------
    def _spine_join(self, name: str, spine, key_names: list[str], values: list[str], agg_cte: str,
                    ctes: dict) -> str:
        """join_to_timespine: every period of the range gets a row, LEFT JOINed to the aggregated values."""
        if spine.start and spine.end:
            bounds = self._literal_bounds(spine.start, spine.end, spine.grain)
        else:
            bounds = self._data_bounds(agg_cte, spine.time_key, spine.grain, None, spine.start, spine.end)
        spine_cte = self._add_cte(f"{name}_spine", self._spine(spine.time_key, spine.grain, bounds), ctes)
        select = exp.Select().from_(exp.Table(this=ident(spine_cte)), copy=False)
        projections = [exp.alias_(column(spine.time_key, spine_cte), ident(spine.time_key))]
        projections += [exp.alias_(column(k, agg_cte), ident(k)) for k in key_names if k != spine.time_key]
        projections += [exp.alias_(column(v, agg_cte), ident(v)) for v in values]
        select = select.select(*projections, copy=False).join(
            exp.Table(this=ident(agg_cte)), join_type="LEFT",
            on=exp.EQ(this=column(spine.time_key, spine_cte), expression=column(spine.time_key, agg_cte)),
            copy=False)
        select.add_comments([f"join_to_timespine: every {spine.grain} gets a row"])
        return self._add_cte(f"{name}_filled", select, ctes)

    # -- cumulative ----------------------------------------------------------------------------------
    def _parts(self, agg: AggregateColumn, alias: str):
        """Per-period parts a window can re-aggregate: (name, expression, is_group_key)."""
        measure = self.spec.semantic_models[agg.model].measure(agg.measure)
        if measure.agg in DECOMPOSABLE:
            return [(agg.name, self._aggregate(agg.model, agg.measure, alias), False)]
        value = qualify(parse_expr(measure.column, self.dialect, measure.loc), alias)
        if measure.agg == "average":
            return [(f"{agg.name}__sum", exp.Sum(this=exp.Cast(this=value, to=sql_type("DOUBLE"))), False),
                    (f"{agg.name}__count", exp.Count(this=value.copy()), False)]
        return [(f"{agg.name}__value", value, True)]  # distinct counts and percentiles keep the values

    def _reaggregate(self, agg: AggregateColumn, table: str) -> exp.Expression:
        measure = self.spec.semantic_models[agg.model].measure(agg.measure)
        if measure.agg in DECOMPOSABLE:
            return exp.func(DECOMPOSABLE[measure.agg], column(agg.name, table))
        if measure.agg == "average":
            return safe_divide(exp.Sum(this=column(f"{agg.name}__sum", table)),
                               exp.Sum(this=column(f"{agg.name}__count", table)))
        value = column(f"{agg.name}__value", table)
        if measure.agg == "count_distinct":
            return exp.Count(this=exp.Distinct(expressions=[value]))
        value = exp.Cast(this=value, to=sql_type("DOUBLE"))
        percentile = exp.Literal.number(measure.percentile if measure.percentile is not None else 0.5)
        if measure.use_approximate_percentile:
            return exp.ApproxQuantile(this=value, quantile=percentile)
        if measure.use_discrete_percentile:
            return exp.PercentileDisc(this=value, expression=percentile)
        return exp.PercentileCont(this=value, expression=percentile)

    def _cumulative(self, scan: Scan, ctes: dict) -> str:
        cum = scan.cumulative
        aggs = [self.spec.semantic_models[a.model].measure(a.measure).agg for a in scan.aggregates]
        if sum(1 for agg in aggs if agg not in DECOMPOSABLE and agg != "average") > 1:
            raise UnsupportedError(
                "a cumulative query cannot combine two distinct-count or percentile measures of one model",
                help="query them in separate queries")
        periods = self._add_cte(f"{scan.name}_periods", self._scan(scan, ctes, cum.base_grain, parts=True),
                                ctes)
        tk = cum.time_key
        if cum.start and cum.end:
            bounds = self._literal_bounds(cum.start, cum.end, cum.base_grain)
        else:
            if cum.window_unit:
                extend = (cum.window_count, cum.window_unit)
            elif cum.grain_to_date:
                extend = (1, cum.grain_to_date)
            else:
                extend = None
            bounds = self._data_bounds(periods, tk, cum.base_grain, extend, cum.start, cum.end)
        other_keys = [name for name, _ in scan.keys if name != tk]
        if aggs == ["count_distinct"]:
            running = self._running_distinct(scan, periods, other_keys, ctes)
            return self._cumulative_output(scan, running, other_keys, ctes)
        if not other_keys and all(a in DECOMPOSABLE or a == "average" for a in aggs) and \
                cum.window_unit in (None, "day", "week"):
            running = self._running_frame(scan, periods, ctes)
            return self._cumulative_output(scan, running, other_keys, ctes)
        spine = self._add_cte(f"{scan.name}_spine", self._spine(tk, cum.base_grain, bounds), ctes)
        day, fact = column(tk, spine), column(tk, periods)
        conditions: list[exp.Expression] = [exp.LTE(this=fact, expression=day)]
        if cum.window_unit:
            conditions.append(exp.GT(this=fact.copy(), expression=_date_add(
                day.copy(), -cum.window_count, cum.window_unit, cum.base_grain)))
        elif cum.grain_to_date:
            conditions.append(exp.GTE(this=fact.copy(), expression=truncate(day.copy(), cum.grain_to_date)))
        window = exp.Select().from_(exp.Table(this=ident(spine)), copy=False).join(
            exp.Table(this=ident(periods)), on=exp.and_(*conditions, copy=False), join_type="INNER", copy=False)
        projections = [exp.alias_(day.copy(), ident(DAY_COLUMN))]
        projections += [exp.alias_(column(k, periods), ident(k)) for k in other_keys]
        projections += [exp.alias_(self._reaggregate(a, periods), ident(a.name)) for a in scan.aggregates]
        window = window.select(*projections, copy=False).group_by(
            day.copy(), *[column(k, periods) for k in other_keys], copy=False)
        window.add_comments([scan.description + self._window_words(cum)])
        running = self._add_cte(f"{scan.name}_running", window, ctes)
        return self._cumulative_output(scan, running, other_keys, ctes)

    def _cumulative_output(self, scan: Scan, running: str, other_keys: list[str], ctes: dict) -> str:
        """metric_time filters pick output periods (after the window), then one value per output period."""
        if scan.cumulative.filters:
            period = column(DAY_COLUMN, running)
            kept = exp.Select().select(exp.Star(), copy=False).from_(exp.Table(this=ident(running)), copy=False)
            kept = kept.where(exp.and_(*[self._filter(f, period) for f in scan.cumulative.filters], copy=False),
                              copy=False)
            running = self._add_cte(f"{scan.name}_kept", kept, ctes)
        return self._add_cte(scan.name, self._period_agg(scan, running, other_keys), ctes)

    def _running_frame(self, scan: Scan, periods: str, ctes: dict) -> str:
        """Additive running totals of one series as window frames over a dense spine (no range join)."""
        cum, tk = scan.cumulative, scan.cumulative.time_key
        extend = (cum.window_count, cum.window_unit) if cum.window_unit else \
            ((1, cum.grain_to_date) if cum.grain_to_date else None)
        bounds = self._data_bounds(periods, tk, cum.base_grain, None if cum.end else extend, None, cum.end)
        spine = self._add_cte(f"{scan.name}_spine", self._spine(DAY_COLUMN, cum.base_grain, bounds), ctes)
        period = column(DAY_COLUMN, spine)
        partition = [truncate(period.copy(), cum.grain_to_date)] if cum.grain_to_date else []
        if cum.window_unit:
            days = cum.window_count * (7 if cum.window_unit == "week" else 1)
            frame = exp.WindowSpec(kind="ROWS", start=exp.Literal.number(days - 1), start_side="PRECEDING",
                                   end="CURRENT ROW")
        else:
            frame = exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW")

        def over(aggregate: exp.Expression) -> exp.Window:
            return exp.Window(this=aggregate, partition_by=[p.copy() for p in partition],
                              order=exp.Order(expressions=[_by_period(period)]), spec=frame.copy())

        projections = [exp.alias_(period.copy(), ident(DAY_COLUMN)),
                       exp.alias_(over(exp.Count(this=column(tk, periods))), "__ml_rows")]
        for agg in scan.aggregates:
            measure = self.spec.semantic_models[agg.model].measure(agg.measure)
            if measure.agg == "average":
                value = safe_divide(over(exp.Sum(this=column(f"{agg.name}__sum", periods))),
                                    over(exp.Sum(this=column(f"{agg.name}__count", periods))))
            else:
                value = over(exp.func(DECOMPOSABLE[measure.agg], column(agg.name, periods)))
            projections.append(exp.alias_(value, ident(agg.name)))
        select = exp.Select().select(*projections, copy=False).from_(exp.Table(this=ident(spine)), copy=False)
        select = select.join(exp.Table(this=ident(periods)), join_type="LEFT", copy=False,
                             on=exp.EQ(this=column(tk, periods), expression=period.copy()))
        framed = self._add_cte(f"{scan.name}_framed", select, ctes)
        conditions = [exp.GT(this=column("__ml_rows"), expression=exp.Literal.number(0))]
        if cum.start:
            conditions.append(exp.GTE(this=column(DAY_COLUMN), expression=_period_literal(
                iso(truncate_value(parse_time(cum.start, "start_time"), cum.base_grain)), cum.base_grain)))
        running = exp.Select().select(column(DAY_COLUMN), *[column(a.name) for a in scan.aggregates], copy=False)
        running = running.from_(exp.Table(this=ident(framed)), copy=False).where(
            exp.and_(*conditions, copy=False), copy=False)
        running.add_comments([scan.description + self._window_words(cum) + " (periods with none are left out)"])
        return self._add_cte(f"{scan.name}_running", running, ctes)

    def _running_distinct(self, scan: Scan, periods: str, other_keys: list[str], ctes: dict) -> str:
        """Distinct counts over a window without a range join: each value is 'live' from a period until its
        window closes or it occurs again; +1/-1 changes summed in period order give the count."""
        cum, tk = scan.cumulative, scan.cumulative.time_key
        value = f"{scan.aggregates[0].name}__value"
        period = column(tk, periods)
        partition = [column(k, periods) for k in other_keys] + [column(value, periods)]
        if cum.grain_to_date:
            partition.append(truncate(period.copy(), cum.grain_to_date))
        following = exp.Window(this=exp.Lead(this=period.copy()), partition_by=partition,
                               order=exp.Order(expressions=[_by_period(period)]))
        if cum.window_unit:
            closes = _date_add(period.copy(), cum.window_count, cum.window_unit, cum.base_grain)
        elif cum.grain_to_date:
            closes = _date_add(truncate(period.copy(), cum.grain_to_date), 1, cum.grain_to_date, cum.base_grain)
        else:
            closes = None
        until = following if closes is None else exp.Least(
            this=exp.Coalesce(this=following, expressions=[closes]), expressions=[closes.copy()])
        keys = [exp.alias_(column(k, periods), ident(k)) for k in other_keys]
        live = exp.Select().select(exp.alias_(period.copy(), "__ml_from"), *keys, exp.alias_(until, "__ml_until"),
                                   copy=False).from_(exp.Table(this=ident(periods)), copy=False)
        # NULL values are not counted but still make a row (as COUNT(DISTINCT) over rows that exist)
        counts = exp.If(this=exp.Is(this=column(value, periods), expression=exp.Null()),
                        true=exp.Literal.number(0))
        live = live.select(exp.alias_(exp.Case(ifs=[counts], default=exp.Literal.number(1)), "__ml_counts"),
                           copy=False)
        live.add_comments([f"each distinct value of {scan.aggregates[0].measure}: from when it occurs to when "
                           "its window closes or it occurs again"])
        live_cte = self._add_cte(f"{scan.name}_live", live, ctes)
        starts = exp.Select().select(exp.alias_(column("__ml_from"), ident(DAY_COLUMN)),
                                     *[column(k) for k in other_keys], exp.alias_(exp.Literal.number(1), "__ml_change"),
                                     exp.alias_(column("__ml_counts"), "__ml_count"),
                                     copy=False).from_(exp.Table(this=ident(live_cte)), copy=False)
        ends = exp.Select().select(exp.alias_(column("__ml_until"), ident(DAY_COLUMN)),
                                   *[column(k) for k in other_keys], exp.alias_(exp.Literal.number(-1), "__ml_change"),
                                   exp.alias_(exp.Neg(this=column("__ml_counts")), "__ml_count"),
                                   copy=False).from_(exp.Table(this=ident(live_cte)), copy=False).where(
            exp.Not(this=exp.Is(this=column("__ml_until"), expression=exp.Null())), copy=False)
        changes = exp.Select().select(column(DAY_COLUMN), *[column(k) for k in other_keys],
                                      exp.alias_(exp.Sum(this=column("__ml_change")), "__ml_change"),
                                      exp.alias_(exp.Sum(this=column("__ml_count")), "__ml_count"), copy=False)
        changes = changes.from_(exp.Subquery(this=exp.union(starts, ends, distinct=False),
                                             alias=exp.TableAlias(this=ident("changes"))), copy=False)
        changes = changes.group_by(column(DAY_COLUMN), *[column(k) for k in other_keys], copy=False)
        changes_cte = self._add_cte(f"{scan.name}_changes", changes, ctes)
        extend = (cum.window_count, cum.window_unit) if cum.window_unit else \
            ((1, cum.grain_to_date) if cum.grain_to_date else None)
        # the spine starts at the first change (the lookback included): the running sum needs every change
        bounds = self._data_bounds(changes_cte, DAY_COLUMN, cum.base_grain, None if cum.end else extend,
                                   None, cum.end)
        spine = self._add_cte(f"{scan.name}_spine", self._spine(DAY_COLUMN, cum.base_grain, bounds), ctes)
        group_keys = f"{scan.name}_groups"
        select = exp.Select().from_(exp.Table(this=ident(spine)), copy=False)
        on = [exp.EQ(this=column(DAY_COLUMN, changes_cte), expression=column(DAY_COLUMN, spine))]
        if other_keys:
            groups = exp.Select().select(*[column(k) for k in other_keys], copy=False).distinct().from_(
                exp.Table(this=ident(periods)), copy=False)
            select = select.join(exp.Subquery(this=groups, alias=exp.TableAlias(this=ident(group_keys))),
                                 join_type="CROSS", copy=False)
            on += [exp.NullSafeEQ(this=column(k, changes_cte), expression=column(k, group_keys)) for k in other_keys]
        select = select.join(exp.Table(this=ident(changes_cte)), on=exp.and_(*on, copy=False), join_type="LEFT",
                             copy=False)

        def running_sum(name: str) -> exp.Window:
            return exp.Window(this=exp.Sum(this=exp.Coalesce(this=column(name, changes_cte),
                                                             expressions=[exp.Literal.number(0)])),
                              partition_by=[column(k, group_keys) for k in other_keys],
                              order=exp.Order(expressions=[_by_period(column(DAY_COLUMN, spine))]),
                              spec=exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING",
                                                  end="CURRENT ROW"))

        select = select.select(exp.alias_(column(DAY_COLUMN, spine), ident(DAY_COLUMN)),
                               *[exp.alias_(column(k, group_keys), ident(k)) for k in other_keys],
                               exp.alias_(running_sum("__ml_count"), ident(scan.aggregates[0].name)),
                               exp.alias_(running_sum("__ml_change"), "__ml_rows"), copy=False)
        counted = self._add_cte(f"{scan.name}_counted", select, ctes)
        conditions = [exp.GT(this=column("__ml_rows"), expression=exp.Literal.number(0))]
        if cum.start:
            conditions.append(exp.GTE(this=column(DAY_COLUMN), expression=_period_literal(
                iso(truncate_value(parse_time(cum.start, "start_time"), cum.base_grain)), cum.base_grain)))
        running = exp.Select().select(column(DAY_COLUMN), *[column(k) for k in other_keys],
                                      column(scan.aggregates[0].name), copy=False).from_(
            exp.Table(this=ident(counted)), copy=False)
        running = running.where(exp.and_(*conditions, copy=False), copy=False)
        running.add_comments([scan.description + self._window_words(cum) + " (periods with none are left out)"])
        return self._add_cte(f"{scan.name}_running", running, ctes)

    @staticmethod
    def _window_words(cum) -> str:
        if cum.window_unit:
            return f", over the trailing {cum.window_count} {cum.window_unit}(s)"
        if cum.grain_to_date:
            return f", {cum.grain_to_date} to date"
        return ", over all time"

    def _period_agg(self, scan: Scan, running: str, other_keys: list[str]) -> exp.Select:
        """One value per output period: the first, last or average of its base periods."""
        cum = scan.cumulative
        period = column(DAY_COLUMN, running)
        if cum.output_grain == cum.base_grain:
            key = period
        else:
            key = self._truncate(period.copy(), cum.output_grain)
        metrics = [a.name for a in scan.aggregates]
        if cum.output_grain == cum.base_grain or cum.period_agg == "average":
            values = [column(m, running) if cum.output_grain == cum.base_grain else exp.Avg(this=column(m, running))
                      for m in metrics]
            select = exp.Select().select(exp.alias_(key, ident(cum.time_key)),
                                         *[exp.alias_(column(k, running), ident(k)) for k in other_keys],
                                         *[exp.alias_(v, ident(m)) for v, m in zip(values, metrics)], copy=False)
            select = select.from_(exp.Table(this=ident(running)), copy=False)
            if cum.output_grain != cum.base_grain:
                select = select.group_by(key.copy(), *[column(k, running) for k in other_keys], copy=False)
            return select
        order = _by_period(period, desc=cum.period_agg == "last")
        rank = exp.Window(this=exp.RowNumber(), partition_by=[key.copy()] + [column(k, running) for k in other_keys],
                          order=exp.Order(expressions=[order]))
        ranked = exp.Select().select(exp.alias_(key.copy(), ident(cum.time_key)),
                                     *[exp.alias_(column(k, running), ident(k)) for k in other_keys],
                                     *[exp.alias_(column(m, running), ident(m)) for m in metrics],
                                     exp.alias_(rank, "__ml_rank"), copy=False).from_(
            exp.Table(this=ident(running)), copy=False)
        outer = exp.Select().select(*[column(n) for n in [cum.time_key, *other_keys, *metrics]], copy=False)
        outer = outer.from_(exp.Subquery(this=ranked, alias=exp.TableAlias(this=ident("ranked"))), copy=False)
        return outer.where(exp.EQ(this=column("__ml_rank"), expression=exp.Literal.number(1)), copy=False)

    # -- semi-additive -------------------------------------------------------------------------------
    def _semi_additive_scan(self, scan: Scan, ctes: dict, key_exprs: list, parts: bool) -> exp.Select:
        """Aggregate only the rows at the first/last value of the non-additive dimension per group."""
        semi = scan.semi_additive
        inner = self._rows(scan, ctes)
        projections = [exp.alias_(e, ident(name)) for e, (name, _) in zip(key_exprs, scan.keys)]
        for agg in scan.aggregates:
            measure = self.spec.semantic_models[agg.model].measure(agg.measure)
            projections.append(exp.alias_(qualify(parse_expr(measure.column, self.dialect, measure.loc),
                                                  scan.alias), ident(f"__ml_{agg.name}")))
        projections.append(exp.alias_(self._element(semi.dimension), "__ml_nad"))
        partition = [self._element(g) for g in semi.groupings]
        if semi.time_key:
            partition.append(key_exprs[[n for n, _ in scan.keys].index(semi.time_key)].copy())
        pick = exp.Max if semi.window_choice == "max" else exp.Min
        window = exp.Window(this=pick(this=self._element(semi.dimension)), partition_by=partition)
        inner = inner.select(*projections, exp.alias_(window, "__ml_pick"), copy=False)
        sub = exp.Subquery(this=inner, alias=exp.TableAlias(this=ident("rows")))
        outer = exp.Select().from_(sub, copy=False)
        outer = outer.where(exp.EQ(this=column("__ml_nad", "rows"), expression=column("__ml_pick", "rows")),
                            copy=False)
        outs = [exp.alias_(column(name, "rows"), ident(name)) for name, _ in scan.keys]
        for agg in scan.aggregates:
            measure = self.spec.semantic_models[agg.model].measure(agg.measure)
            outs.append(exp.alias_(self._aggregate_value(measure, column(f"__ml_{agg.name}", "rows")),
                                   ident(agg.name)))
        outer = outer.select(*outs, copy=False)
        if scan.keys:
            outer = outer.group_by(*[column(name, "rows") for name, _ in scan.keys], copy=False)
        outer.add_comments([scan.description + f", at the {semi.window_choice} {semi.dimension.name}"])
        return outer

    # -- offsets -------------------------------------------------------------------------------------
    def _offset(self, source: OffsetSource, ctes: dict) -> str:
        inner = self._add_cte(f"{source.name}_input", self._query(source.plan, ctes), ctes)
        tk, grain = source.time_key, source.grain
        others = [k for k in source.plan.keys if k != tk]
        if source.mode in ("shift", "identity"):
            moved = column(tk, inner) if source.mode == "identity" else \
                _date_add(column(tk, inner), source.count, source.unit, grain)
            select = exp.Select().select(exp.alias_(moved, ident(tk)),
                                         *[exp.alias_(column(k, inner), ident(k)) for k in others],
                                         exp.alias_(column(source.column, inner), ident(source.column)),
                                         copy=False).from_(exp.Table(this=ident(inner)), copy=False)
            # a row without a time has no period before it (NULL-safe keys would pair it with itself)
            conditions = [exp.Not(this=exp.Is(this=column(tk, inner), expression=exp.Null()))]
            if source.start:
                conditions.append(exp.GTE(this=moved.copy(), expression=_period_literal(source.start, grain)))
            if source.end:
                conditions.append(exp.LT(this=moved.copy(), expression=_period_literal(source.end, grain)))
            select = select.where(exp.and_(*conditions, copy=False), copy=False)
        else:
            extend = (source.count, source.unit) if source.unit else (1, source.to_grain)
            if source.start and source.end:
                bounds = self._literal_bounds(source.start, source.end, grain)
            else:
                bounds = self._data_bounds(inner, tk, grain, extend, source.start, source.end)
                if source.unit in ("month", "quarter", "year") and not source.end:
                    # Mar 29-31 all read Feb 28/29 (month ends clamp): run the spine 3 days further
                    hi = bounds.expressions[1]
                    hi.set("this", _date_add(hi.this, 3, "day", grain))
            spine = self._add_cte(f"{source.name}_spine", self._spine(tk, grain, bounds), ctes)
            period = column(tk, spine)
            if source.unit:
                target = _date_add(period.copy(), -source.count, source.unit, grain)
            else:
                target = truncate(truncate(period.copy(), source.to_grain), grain)
            select = exp.Select().select(exp.alias_(period, ident(tk)),
                                         *[exp.alias_(column(k, inner), ident(k)) for k in others],
                                         exp.alias_(column(source.column, inner), ident(source.column)),
                                         copy=False).from_(exp.Table(this=ident(spine)), copy=False)
            select = select.join(exp.Table(this=ident(inner)), join_type="INNER",
                                 on=exp.EQ(this=column(tk, inner), expression=target), copy=False)
        select.add_comments([source.description])
        name = self._add_cte(source.name, select, ctes)
        if source.filters:
            kept = exp.Select().select(exp.Star(), copy=False).from_(exp.Table(this=ident(name)), copy=False)
            kept = kept.where(exp.and_(*[self._filter(f, column(tk, name)) for f in source.filters], copy=False),
                              copy=False)
            name = self._add_cte(f"{source.name}_kept", kept, ctes)
        return name

    # -- conversion funnels --------------------------------------------------------------------------
    def _conversion(self, source: ConversionSource, ctes: dict) -> str:
        base, conv = source.base, source.conversion
        key_names = [name for name, _ in base.keys]
        outer, self._calendar_joins = self._calendar_joins, {}
        try:  # elements first: a custom-grain key registers the calendar join that _rows then adds
            projections = [
                *[exp.alias_(self._element(src), ident(name)) for name, src in base.keys],
                exp.alias_(self._element(source.base_time), "__ml_time"),
                exp.alias_(self._element(replace(source.base_time, grain=None)), "__ml_timestamp"),
                exp.alias_(self._element(source.base_entity), "__ml_entity"),
                *[exp.alias_(self._element(b), f"__ml_property_{i}") for i, (b, _) in
                  enumerate(source.constant_properties)]]
            base_rows = self._rows(base, ctes).select(*projections, copy=False)
        finally:
            self._calendar_joins = outer
        base_rows.add_comments([f"base events of {source.name}"])
        base_cte = self._add_cte(f"{source.name}_base", base_rows, ctes)
        measure = self.spec.semantic_models[conv.model].measure(source.column)
        value = qualify(parse_expr(measure.column, self.dialect, measure.loc), conv.alias)
        conv_rows = self._rows(conv, ctes).select(
            exp.alias_(self._element(source.conversion_time), "__ml_time"),
            exp.alias_(self._element(source.conversion_entity), "__ml_entity"),
            exp.alias_(value, "__ml_value"),
            exp.alias_(exp.Window(this=exp.RowNumber()), "__ml_event"),
            *[exp.alias_(self._element(c), f"__ml_property_{i}") for i, (_, c) in
              enumerate(source.constant_properties)], copy=False)
        conv_rows.add_comments([f"conversion events of {source.name}"])
        conv_cte = self._add_cte(f"{source.name}_events", conv_rows, ctes)
        b, c = "base", "conversion"
        on = [exp.EQ(this=column("__ml_entity", b), expression=column("__ml_entity", c)),
              exp.LTE(this=column("__ml_time", b), expression=column("__ml_time", c))]
        if source.window_unit:
            on.append(exp.GT(this=column("__ml_time", b), expression=_date_add(
                column("__ml_time", c), -source.window_count, source.window_unit, "second")))
        on += [exp.EQ(this=column(f"__ml_property_{i}", b), expression=column(f"__ml_property_{i}", c))
               for i in range(len(source.constant_properties))]
        order = [_by_period(column("__ml_time", b), desc=True),
                 exp.Ordered(this=column("__ml_timestamp", b), desc=True, nulls_first=False)]
        order += [exp.Ordered(this=column(k, b), desc=False, nulls_first=False) for k in key_names]
        rank = exp.Window(this=exp.RowNumber(), partition_by=[column("__ml_event", c)],
                          order=exp.Order(expressions=order))
        matched = exp.Select().select(*[exp.alias_(column(k, b), ident(k)) for k in key_names],
                                      exp.alias_(column("__ml_value", c), "__ml_value"),
                                      exp.alias_(rank, "__ml_rank"), copy=False)
        matched = matched.from_(exp.Table(this=ident(conv_cte), alias=exp.TableAlias(this=ident(c))), copy=False)
        matched = matched.join(exp.Table(this=ident(base_cte), alias=exp.TableAlias(this=ident(b))),
                               on=exp.and_(*on, copy=False), join_type="INNER", copy=False)
        matched.add_comments(["each conversion goes to the latest earlier base event of its entity"])
        matched_cte = self._add_cte(f"{source.name}_matched", matched, ctes)
        result = exp.Select().select(
            *[exp.alias_(column(k, matched_cte), ident(k)) for k in key_names],
            exp.alias_(self._aggregate_value(measure, column("__ml_value", matched_cte)), ident(source.column)),
            copy=False).from_(exp.Table(this=ident(matched_cte)), copy=False)
        result = result.where(exp.EQ(this=column("__ml_rank", matched_cte), expression=exp.Literal.number(1)),
                              copy=False)
        if key_names:
            result = result.group_by(*[column(k, matched_cte) for k in key_names], copy=False)
        result.add_comments([source.description])
        name = self._add_cte(source.name, result, ctes)
        if source.spine is not None:
            return self._spine_join(source.name, source.spine, key_names, [source.column], name, ctes)
        return name
