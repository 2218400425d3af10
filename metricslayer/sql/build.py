"""QueryPlan -> sqlglot expression. The only place that builds SQL."""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from ..errors import DefinitionError, QueryError
from ..plan.nodes import (
    BoundFilter,
    ColumnSource,
    ConversionSource,
    Derived,
    Filled,
    Join,
    MeasureValue,
    MetricValue,
    OffsetSource,
    PeriodValue,
    QueryPlan,
    Ratio,
    Scan,
)
from ..spec.calendar import FISCAL_GRAINS, RETAIL_GRAINS, RETAIL_PATTERNS, Calendar
from ..spec.model import Loc, ProjectSpec, Relation
from .exprs import (
    _parse_cached,
    column,
    date_add,
    date_part,
    ident,
    is_condition,
    literal,
    parse_expr,
    qualify,
    safe_divide,
    sql_type,
    time_literal,
    truncate,
)
from .retail import retail_period_start
from .timesql import TimeSqlMixin


class SqlBuilder(TimeSqlMixin):
    """Renders plans for one project; parsed expressions are cached across queries."""

    def __init__(self, spec: ProjectSpec, dialect: str, calendar: Calendar | None = None):
        self.spec = spec
        self.dialect = dialect  # the dialect of the project's own SQL snippets
        self.calendar = calendar or Calendar()
        self._calendar_joins: dict[str, tuple] = {}  # custom spine grains the current scan reads

    # -- whole query --------------------------------------------------------------------------------
    def build(self, plan: QueryPlan) -> exp.Select:
        ctes: dict[str, exp.Expression] = {}
        query = self._query(plan, ctes)
        for name, body in reversed(list(ctes.items())):
            query = self._prepend_cte(query, name, body)
        return query

    @staticmethod
    def _prepend_cte(query: exp.Select, name: str, body: exp.Expression) -> exp.Select:
        with_ = query.args.get("with_") or query.args.get("with")
        cte = exp.CTE(this=body, alias=exp.TableAlias(this=ident(name)))
        if with_ is None:
            query.set("with_" if "with_" in exp.Select.arg_types else "with", exp.With(expressions=[cte]))
        else:
            with_.set("expressions", [cte] + list(with_.expressions))
        return query

    def _query(self, plan: QueryPlan, ctes: dict) -> exp.Select:
        names = [s.name for s in plan.scans]
        source_ctes = [self._source(source, plan.keys, ctes) for source in plan.scans]
        cte_names = list(dict.fromkeys(source_ctes))  # two sources may share one CTE (identical bodies)
        select = exp.Select()
        first = cte_names[0]
        select = select.from_(exp.Table(this=ident(first)), copy=False)
        keys = []
        for key in plan.keys:
            refs = [column(key, n) for n in cte_names]
            keys.append(refs[0] if len(refs) == 1 else exp.Coalesce(this=refs[0], expressions=refs[1:]))
        for i, name in enumerate(cte_names[1:], start=1):
            table = exp.Table(this=ident(name))
            if not plan.keys:
                select = select.join(table, join_type="CROSS", copy=False)
                continue
            conditions = []
            for key in plan.keys:
                left = [column(key, n) for n in cte_names[:i]]
                left_expr = left[0] if len(left) == 1 else exp.Coalesce(this=left[0], expressions=left[1:])
                conditions.append(exp.NullSafeEQ(this=left_expr, expression=column(key, name)))
            select = select.join(table, on=exp.and_(*conditions, copy=False), join_type="FULL OUTER", copy=False)
        scan_alias = dict(zip(names, source_ctes))
        outputs = [exp.alias_(k, ident(name)) for k, name in zip(keys, plan.keys)]
        for name, node in plan.outputs:
            outputs.append(exp.alias_(self._metric(node, scan_alias), ident(name)))
        select = select.select(*outputs, copy=False)
        if plan.order_by:
            select = select.order_by(
                *[exp.Ordered(this=column(n), desc=desc, nulls_first=False) for n, desc in plan.order_by],
                copy=False)
        if plan.limit is not None:
            select = select.limit(plan.limit, copy=False)
        return select

    def _source(self, source, keys: tuple[str, ...], ctes: dict) -> str:
        """Register the CTE(s) of one plan source; return the name of the CTE holding its rows."""
        if isinstance(source, OffsetSource):
            return self._offset(source, ctes)
        if isinstance(source, ConversionSource):
            return self._conversion(source, ctes)
        if source.cumulative is not None:
            name = self._cumulative(source, ctes)
        else:
            name = self._add_cte(source.name, self._scan(source, ctes), ctes)
        if source.spine is not None:
            return self._spine_join(source.name, source.spine, [k for k, _ in source.keys],
                                    [a.name for a in source.aggregates], name, ctes)
        return name

    def _add_cte(self, name: str, body: exp.Expression, ctes: dict) -> str:
        """Register a CTE; an identical body already registered (an offset's input scan, say) is reused,
        so the warehouse reads the table once."""
        for existing, other in ctes.items():
            if other == body:
                return existing
        name = self._unique_cte(name, ctes)
        ctes[name] = body
        return name

    @staticmethod
    def _unique_cte(name: str, ctes: dict) -> str:
        candidate, n = name, 2
        while candidate in ctes:
            candidate, n = f"{name}_{n}", n + 1
        return candidate

    # -- metrics ------------------------------------------------------------------------------------
    def _metric(self, node, scans: dict[str, str]) -> exp.Expression:
        if isinstance(node, MeasureValue):
            return column(node.column, scans[node.scan])
        if isinstance(node, Filled):
            return exp.Coalesce(this=self._metric(node.node, scans), expressions=[literal(node.value)])
        if isinstance(node, Ratio):
            return safe_divide(self._metric(node.numerator, scans), self._metric(node.denominator, scans))
        if isinstance(node, Derived):
            return self._derived(node, scans)
        raise TypeError(f"unknown plan node {node!r}")

    def _derived(self, node: Derived, scans) -> exp.Expression:
        metric = self.spec.metrics.get(node.metric)
        loc = metric.loc if metric else None
        tree = parse_expr(node.expr, self.dialect, loc, f"expr of derived metric '{node.metric}'")
        inputs = dict(node.inputs)
        for col in list(tree.find_all(exp.Column)):
            if col.table or col.name not in inputs:
                raise DefinitionError(
                    f"derived metric '{node.metric}' uses '{col.sql()}', which is not one of its inputs "
                    f"({', '.join(inputs)})", file=loc.file if loc else None,
                    line=(loc.line or None) if loc else None,
                    help="list it under type_params.metrics (with alias: if you renamed it)")
            value = exp.Paren(this=self._metric(inputs[col.name], scans))
            if col is tree:
                return value.this
            col.replace(value)
        for div in list(tree.find_all(exp.Div)):
            safe = safe_divide(div.this, div.expression)
            if div is tree:
                return safe
            div.replace(safe)
        return tree

    # -- scans --------------------------------------------------------------------------------------
    def _scan(self, scan: Scan, ctes: dict, time_grain: str | None = None, parts: bool = False) -> exp.Select:
        """SELECT keys, aggregates FROM the model and its joins, filtered, grouped by the keys.

        `time_grain` re-grains the metric_time key (cumulative scans aggregate at the base grain);
        `parts` emits re-aggregatable parts instead of final aggregates (see _parts).
        """
        outer, self._calendar_joins = self._calendar_joins, {}  # scans nest (metric filters): keep each own
        try:
            return self._scan_body(scan, ctes, time_grain, parts)
        finally:
            self._calendar_joins = outer

    def _scan_body(self, scan: Scan, ctes: dict, time_grain: str | None, parts: bool) -> exp.Select:
        key_exprs = [self._element(self._regrain(src, name, scan, time_grain)) for name, src in scan.keys]
        if scan.semi_additive is not None:
            return self._semi_additive_scan(scan, ctes, key_exprs, parts)
        select = self._rows(scan, ctes)
        projections = [exp.alias_(e, ident(name)) for e, (name, _) in zip(key_exprs, scan.keys)]
        group = [e.copy() for e in key_exprs]
        for agg in scan.aggregates:
            if parts:
                for part_name, part, is_key in self._parts(agg, scan.alias):
                    projections.append(exp.alias_(part, ident(part_name)))
                    if is_key:
                        group.append(part.copy())
            else:
                projections.append(exp.alias_(self._aggregate(agg.model, agg.measure, scan.alias),
                                              ident(agg.name)))
        select = select.select(*projections, copy=False)
        if group:
            select = select.group_by(*group, copy=False)
        select.add_comments([scan.description])
        return select

    @staticmethod
    def _regrain(src: ColumnSource, name: str, scan: Scan, grain: str | None) -> ColumnSource:
        if grain and scan.cumulative and name == scan.cumulative.time_key:
            return ColumnSource(src.alias, src.model, src.kind, src.name, grain, None)
        return src

    def _rows(self, scan: Scan, ctes: dict) -> exp.Select:
        """FROM the scan's model, LEFT JOINed to what it needs, WHERE its filters and time range hold."""
        model = self.spec.semantic_models[scan.model]
        base = self._relation(model.relation, ctes)
        base.set("alias", exp.TableAlias(this=ident(scan.alias)))
        select = exp.Select().from_(base, copy=False)
        for join in scan.joins:
            select = select.join(self._join(join, ctes), join_type="LEFT", copy=False)
        for mj in scan.metric_joins:
            sub = self._query(mj.plan, ctes)
            on = exp.and_(*[exp.EQ(this=self._element(src), expression=column(col, mj.alias))
                            for src, col in mj.keys], copy=False)
            select = select.join(exp.Subquery(this=sub, alias=exp.TableAlias(this=ident(mj.alias))),
                                 on=on, join_type="LEFT", copy=False)
        conditions = [self._filter(f) for f in scan.filters]
        for alias, (spine, day) in list(self._calendar_joins.items()):
            table = self._relation(spine.relation, ctes)
            table.set("alias", exp.TableAlias(this=ident(alias)))
            select = select.join(table, join_type="LEFT", copy=False,
                                 on=exp.EQ(this=column(spine.day_column, alias), expression=day))
        self._calendar_joins = {}
        if scan.time_range:
            col = self._element(ColumnSource(**{**scan.time_range.column.__dict__, "grain": None}))
            if scan.time_range.start:
                conditions.append(exp.GTE(this=col, expression=time_literal(scan.time_range.start)))
            if scan.time_range.end:
                conditions.append(exp.LT(this=col.copy(), expression=time_literal(scan.time_range.end)))
        if conditions:
            select = select.where(exp.and_(*conditions, copy=False), copy=False)
        return select

    def _relation(self, relation: Relation, ctes: dict) -> exp.Table:
        if relation.sql is not None:
            name = f"{relation.name}_model"
            if name not in ctes:
                ctes[name] = parse_expr(relation.sql, self.dialect, Loc(f"models/{relation.name}.sql", 1),
                                        "SQL model")
            return exp.Table(this=ident(name))
        return exp.Table(this=ident(relation.name), db=ident(relation.schema) if relation.schema else None,
                         catalog=ident(relation.database) if relation.database else None)

    def _join(self, join: Join, ctes: dict) -> exp.Join:
        target = self.spec.semantic_models[join.model]
        source = self.spec.semantic_models[join.from_model]
        table = self._relation(target.relation, ctes)
        table.set("alias", exp.TableAlias(this=ident(join.alias)))
        left = qualify(parse_expr(source.entity(join.entity).column, self.dialect, source.loc), join.from_alias)
        right = qualify(parse_expr(target.entity(join.entity).column, self.dialect, target.loc), join.alias)
        condition = exp.EQ(this=left, expression=right)
        if join.scd_time is not None:
            fact_time = self._element(join.scd_time)
            start = next((d for d in target.dimensions if d.validity and d.validity.is_start), None)
            end = next((d for d in target.dimensions if d.validity and d.validity.is_end), None)
            parts = [condition]
            if start:
                parts.append(exp.GTE(this=fact_time, expression=self._dim_column(target, start.name, join.alias)))
            if end:
                end_col = self._dim_column(target, end.name, join.alias)
                parts.append(exp.paren(exp.or_(exp.LT(this=fact_time.copy(), expression=end_col),
                                               exp.Is(this=end_col.copy(), expression=exp.Null()))))
            condition = exp.and_(*parts, copy=False)
        return exp.Join(this=table, on=condition)

    def _dim_column(self, model, name: str, alias: str) -> exp.Expression:
        dim = model.dimension(name)
        return qualify(parse_expr(dim.column, self.dialect, dim.loc), alias)

    def _element(self, src: ColumnSource) -> exp.Expression:
        model = self.spec.semantic_models[src.model]
        if src.kind == "entity":
            entity = model.entity(src.name)
            return qualify(parse_expr(entity.column, self.dialect, entity.loc), src.alias)
        dim = model.dimension(src.name)
        value = qualify(parse_expr(dim.column, self.dialect, dim.loc, f"expr of dimension '{dim.name}'"),
                        src.alias)
        if not dim.is_time:
            return value
        if src.date_part:
            return date_part(value, src.date_part)
        if src.grain:
            return self._truncate(value, src.grain)
        return value

    def _truncate(self, value: exp.Expression, grain: str) -> exp.Expression:
        """Truncate to a grain, honouring the project calendar (week start, fiscal year, spine grains)."""
        cal = self.calendar
        if grain == "week" and cal.week_start != 1:
            shift = (8 - cal.week_start) % 7  # days to move so the calendar's week starts on a Monday
            moved = date_add(value, shift, "day", as_date=False)
            return date_add(truncate(moved, "week"), -shift, "day")
        if grain in FISCAL_GRAINS:
            months = cal.fiscal_year_start_month - 1
            moved = date_add(value, -months, "month", as_date=False)
            return date_add(truncate(moved, FISCAL_GRAINS[grain]), months, "month")
        if grain in RETAIL_GRAINS:
            return retail_period_start(value, grain, RETAIL_PATTERNS[cal.retail_pattern])
        if grain in cal.spine_grains:
            spine = cal.spine_grains[grain]
            alias = f"__ml_calendar_{grain}"
            self._calendar_joins[alias] = (spine, truncate(value.copy(), "day"))
            return column(spine.column, alias)
        return truncate(value, grain)

    def _aggregate(self, model_name: str, measure_name: str, alias: str) -> exp.Expression:
        model = self.spec.semantic_models[model_name]
        measure = model.measure(measure_name)
        value = qualify(parse_expr(measure.column, self.dialect, measure.loc,
                                   f"expr of measure '{measure.name}'"), alias)
        return self._aggregate_value(measure, value)

    @staticmethod
    def _aggregate_value(measure, value: exp.Expression) -> exp.Expression:
        agg = measure.agg
        if agg == "sum":
            return exp.Sum(this=value)
        if agg == "count":
            return exp.Count(this=value)
        if agg == "count_distinct":
            return exp.Count(this=exp.Distinct(expressions=[value]))
        if agg == "sum_boolean":
            return exp.Sum(this=exp.Case(ifs=[exp.If(this=value, true=exp.Literal.number(1))],
                                         default=exp.Literal.number(0)))
        if agg == "average":
            return exp.Avg(this=exp.Cast(this=value, to=sql_type("DOUBLE")))
        if agg == "min":
            return exp.Min(this=value)
        if agg == "max":
            return exp.Max(this=value)
        percentile = exp.Literal.number(measure.percentile if measure.percentile is not None else 0.5)
        value = exp.Cast(this=value, to=sql_type("DOUBLE"))  # DuckDB rounds a DECIMAL median to its scale
        if measure.use_approximate_percentile:
            return exp.ApproxQuantile(this=value, quantile=percentile)
        if measure.use_discrete_percentile:
            return exp.PercentileDisc(this=value, expression=percentile)
        return exp.PercentileCont(this=value, expression=percentile)

    def _filter(self, bound: BoundFilter, period: exp.Expression | None = None) -> exp.Expression:
        try:
            tree = _parse_cached(bound.sql, self.dialect).copy()
        except (ParseError, sqlglot.errors.TokenError) as exc:
            raise QueryError(f"filter {bound.source!r} is not valid SQL: {str(exc).splitlines()[0]}",
                             help="write a boolean SQL condition such as "
                                  "{{ Dimension('customer__region') }} = 'EU'") from None
        values = {}
        for name, src in bound.bindings:
            if isinstance(src, PeriodValue):
                value = period.copy()
                values[name] = date_part(value, src.date_part) if src.date_part else \
                    self._truncate(value, src.grain) if src.grain else value
            elif isinstance(src, MetricValue):
                values[name] = column(src.column, src.alias)
            else:
                values[name] = self._element(src)
        for col in list(tree.find_all(exp.Column)):
            if col.name in values and not col.table:
                value = values[col.name].copy()
                col.replace(value if isinstance(value, exp.Column) else exp.Paren(this=value))
            elif col.find_ancestor(exp.Select) is None:
                raise QueryError(
                    f"filter {bound.source!r} refers to '{col.sql()}' directly",
                    help=f"reference it as {{{{ Dimension('entity__{col.name}') }}}} so it resolves through "
                         "the semantic model (and string values need single quotes)")
        if not is_condition(tree):
            raise QueryError(f"filter {bound.source!r} is not a boolean condition",
                             help="compare a dimension with a value, e.g. {{ Dimension('customer__region') }} = 'EU'")
        return exp.paren(tree) if isinstance(tree, exp.Or) else tree

