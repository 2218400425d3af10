"""Per-dialect transforms of the built sqlglot tree (semantic fixes sqlglot's generator does not make).

`adapt` runs after sql/build.py and before generation; a dialect difference lives here, never as an
`if dialect ==` in the builder. The builder writes DuckDB semantics; each pass below rewrites one node kind
so that the generated SQL means the same on the target:

- date truncation (ISO weeks starting Monday; DATE_TRUNC on a DATE returning timestamptz on PostgreSQL;
  SQLite's date modifiers),
- date parts (ISO day of week, ISO week, day of year) with each engine's own functions,
- month/quarter/year differences counted as calendar boundaries crossed (DuckDB's date_diff),
  day differences on dates (not elapsed 24-hour periods),
- interval arithmetic (SQLite date modifiers),
- exact percentiles and medians with the engine's exact function, or UnsupportedError naming the engine,
- ClickHouse decimal literals (Decimal * Float64 is refused there).

>>> import sqlglot
>>> adapt(sqlglot.parse_one("SELECT EXTRACT(ISODOW FROM d) FROM t", read="duckdb"), "clickhouse").sql("clickhouse")
'SELECT toDayOfWeek(d) FROM t'
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from ..errors import UnsupportedError
from . import datafusion_dialect  # noqa: F401  (registers the "datafusion" sqlglot dialect)

Pass = Callable[[exp.Expression], exp.Expression]


def adapt(tree: exp.Expression, dialect: str) -> exp.Expression:
    """Return `tree` rewritten so that it means the same thing on `dialect` as on DuckDB."""
    if dialect == "duckdb":
        return tree
    if dialect in SPINES:
        tree = tree.transform(lambda node: _spine(node, dialect), copy=False)
    for step in (_portable, *PASSES.get(dialect, ())):
        tree = tree.transform(lambda node, step=step: step(node, dialect), copy=False)
    return tree


# -- helpers ------------------------------------------------------------------------------------------
def _lit(value) -> exp.Expression:
    return exp.Literal.string(value) if isinstance(value, str) else exp.Literal.number(value)


def _fn(name: str, *args: exp.Expression) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=list(args))


def _cast(value: exp.Expression, kind: str) -> exp.Cast:
    return exp.Cast(this=value, to=exp.DataType.build(kind))


def _unit(node: exp.Expression, default: str = "DAY") -> str:
    unit = node.args.get("unit")
    name = (unit.name if isinstance(unit, exp.Expression) else str(unit or default)).upper()
    return name.rstrip("S") if name.endswith("S") and name != "ISODOWS" else name


def _part(node: exp.Extract) -> str:
    return node.this.name.upper()


def _idiv(a: exp.Expression, b: exp.Expression) -> exp.Div:
    return exp.Div(this=a, expression=b, typed=True)


def _percentile_of(node: exp.Expression) -> tuple[exp.Expression, exp.Expression, str] | None:
    """(value, fraction, kind) of a percentile aggregate the builder emitted, else None."""
    if isinstance(node, exp.PercentileCont):
        return node.this, node.expression, "cont"
    if isinstance(node, exp.PercentileDisc):
        return node.this, node.expression, "disc"
    if isinstance(node, exp.ApproxQuantile):
        return node.this, node.args["quantile"], "approx"
    return None


def unsupported(dialect: str, feature: str, help: str) -> UnsupportedError:
    return UnsupportedError(f"the {dialect} dialect cannot express {feature}", help=help)


_EXACT_HELP = "use_approximate_percentile: true on the measure, or run this metric on another target"


# -- every dialect but DuckDB -------------------------------------------------------------------------
def _portable(node: exp.Expression, dialect: str) -> exp.Expression:
    """Rewrite DuckDB-only meanings into portable expressions the later passes understand."""
    if isinstance(node, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)):
        # A dimension expr such as `closed_at IS NOT NULL` substituted into `... = true` must keep its
        # grouping: Spark reads `NOT x IS NULL = TRUE` as NOT (x IS (NULL = TRUE)).
        for key in ("this", "expression"):
            child = node.args.get(key)
            if isinstance(child, (exp.Not, exp.Predicate, exp.Connector)):
                node.set(key, exp.Paren(this=child))
    if isinstance(node, exp.DateDiff):
        unit, start, end = _unit(node), node.expression, node.this
        if unit in ("MONTH", "QUARTER", "YEAR"):
            years = exp.Sub(this=exp.Extract(this=exp.var("YEAR"), expression=end.copy()),
                            expression=exp.Extract(this=exp.var("YEAR"), expression=start.copy()))
            if unit == "YEAR":
                return exp.Paren(this=years)
            part, per = ("MONTH", 12) if unit == "MONTH" else ("QUARTER", 4)
            return exp.Paren(this=exp.Sub(
                this=exp.Add(this=exp.Mul(this=exp.Paren(this=years), expression=_lit(per)),
                             expression=exp.Extract(this=exp.var(part), expression=end.copy())),
                expression=exp.Extract(this=exp.var(part), expression=start.copy())))
        if unit == "DAY" and dialect != "sqlite":
            # DuckDB counts day boundaries crossed; Spark/Trino/... count elapsed 24-hour periods.
            node.set("this", _cast(end, "DATE"))
            node.set("expression", _cast(start, "DATE"))
    return node


# -- SQLite -------------------------------------------------------------------------------------------
def _sqlite_int(fmt: str, value: exp.Expression) -> exp.Expression:
    return _cast(_fn("STRFTIME", _lit(fmt), value), "INTEGER")


def _sqlite_iso_dow(value: exp.Expression) -> exp.Expression:
    return exp.Add(this=exp.Paren(this=exp.Mod(this=exp.Paren(this=exp.Add(
        this=_sqlite_int("%w", value), expression=_lit(6))), expression=_lit(7))), expression=_lit(1))


def _sqlite(node: exp.Expression, dialect: str) -> exp.Expression:
    if isinstance(node, exp.TimestampTrunc):
        x, unit = node.this, _unit(node)
        if unit == "DAY":
            return _fn("DATE", x)
        if unit in ("MONTH", "YEAR"):
            return _fn("DATE", x, _lit(f"start of {unit.lower()}"))
        if unit == "WEEK":
            back = exp.DPipe(this=exp.DPipe(this=_lit("-"), expression=exp.Paren(this=exp.Sub(
                this=_sqlite_iso_dow(x.copy()), expression=_lit(1)))), expression=_lit(" days"))
            return _fn("DATE", x, back)
        if unit == "QUARTER":
            back = exp.DPipe(this=exp.DPipe(this=_lit("-"), expression=exp.Paren(this=exp.Mod(
                this=exp.Paren(this=exp.Sub(this=_sqlite_int("%m", x.copy()), expression=_lit(1))),
                expression=_lit(3)))), expression=_lit(" months"))
            return _fn("DATE", x, _lit("start of month"), back)
        formats = {"HOUR": "%Y-%m-%d %H:00:00", "MINUTE": "%Y-%m-%d %H:%M:00", "SECOND": "%Y-%m-%d %H:%M:%S"}
        if unit in formats:
            return _fn("STRFTIME", _lit(formats[unit]), x)
        raise unsupported(dialect, f"date truncation to {unit.lower()}", "use a coarser grain")
    if isinstance(node, exp.Extract):
        x, part = node.expression, _part(node)
        simple = {"YEAR": "%Y", "MONTH": "%m", "DAY": "%d", "DOY": "%j", "DAYOFYEAR": "%j", "HOUR": "%H",
                  "MINUTE": "%M", "SECOND": "%S"}
        if part in simple:
            return _sqlite_int(simple[part], x)
        if part in ("ISODOW", "DAYOFWEEKISO"):
            return exp.Paren(this=_sqlite_iso_dow(x))
        if part in ("DOW", "DAYOFWEEK"):
            return _sqlite_int("%w", x)
        if part == "QUARTER":
            return exp.Paren(this=_idiv(exp.Paren(this=exp.Add(this=_sqlite_int("%m", x), expression=_lit(2))),
                                        _lit(3)))
        if part in ("WEEK", "ISOWEEK"):
            thursday = _fn("DATE", x, _lit("-3 days"), _lit("weekday 4"))
            return exp.Paren(this=exp.Add(this=_idiv(exp.Paren(this=exp.Sub(
                this=_sqlite_int("%j", thursday), expression=_lit(1))), _lit(7)), expression=_lit(1)))
        raise unsupported(dialect, f"the date part {part.lower()}", "group by another date part")
    if isinstance(node, exp.DateDiff) and _unit(node) == "DAY":
        return _cast(exp.Sub(this=_fn("JULIANDAY", _fn("DATE", node.this)),
                             expression=_fn("JULIANDAY", _fn("DATE", node.expression))), "INTEGER")
    if isinstance(node, (exp.DateAdd, exp.DateSub, exp.TsOrDsAdd)):
        return _sqlite_shift(node.this, node.expression, _unit(node), isinstance(node, exp.DateSub))
    if isinstance(node, (exp.Add, exp.Sub)) and isinstance(node.expression, exp.Interval):
        interval = node.expression
        return _sqlite_shift(node.this, interval.this, _unit(interval), isinstance(node, exp.Sub))
    if _percentile_of(node):
        kind = "an approximate" if _percentile_of(node)[2] == "approx" else "an exact"
        raise unsupported(dialect, f"{kind} percentile or median (SQLite has no percentile function)",
                          "run this metric on DuckDB, PostgreSQL, ClickHouse, Spark or DataFusion")
    return node


def _sqlite_shift(value: exp.Expression, amount: exp.Expression, unit: str, negative: bool) -> exp.Expression:
    if unit == "WEEK":
        amount, unit = exp.Mul(this=exp.Paren(this=amount), expression=_lit(7)), "DAY"
    if unit == "QUARTER":
        amount, unit = exp.Mul(this=exp.Paren(this=amount), expression=_lit(3)), "MONTH"
    if isinstance(amount, exp.Literal) and amount.is_string:
        amount = exp.Literal.number(amount.this)
    sign = exp.Neg(this=exp.Paren(this=amount)) if negative else amount
    if unit == "YEAR":
        sign, unit = exp.Mul(this=exp.Paren(this=sign), expression=_lit(12)), "MONTH"
    modifier = exp.DPipe(this=_cast(sign, "TEXT"), expression=_lit(f" {unit.lower()}s"))
    fn = "DATE" if unit in ("DAY", "MONTH") else "DATETIME"
    if unit != "MONTH":
        return _fn(fn, value, modifier)
    # DuckDB clamps to the month's last day (Jan 31 + 1 month = Feb 28); SQLite overflows into March.
    next_start = exp.DPipe(this=_cast(exp.Add(this=exp.Paren(this=sign.copy()), expression=_lit(1)), "TEXT"),
                           expression=_lit(" months"))
    month_end = _fn("DATE", value.copy(), _lit("start of month"), next_start, _lit("-1 day"))
    return _fn("MIN", _fn("DATE", value, modifier), month_end)


def _hash_joinable(node: exp.Expression) -> exp.Expression:
    """`a IS NOT DISTINCT FROM b` in a FULL JOIN as equalities (PostgreSQL and Redshift refuse FULL JOINs on
    conditions that are not merge- or hash-joinable, and DataFusion fails to type-check them): same NULL-ness
    and same text. Both sides are the same group-by item, so of the same type, and the text of equal values
    is equal."""
    join = node.find_ancestor(exp.Join)
    if join is None or join.side.upper() != "FULL":
        return node
    a, b = node.this, node.expression
    same_text = exp.EQ(this=exp.Coalesce(this=_cast(a.copy(), "TEXT"), expressions=[_lit("")]),
                       expression=exp.Coalesce(this=_cast(b.copy(), "TEXT"), expressions=[_lit("")]))
    same_null = exp.EQ(this=exp.Paren(this=exp.Is(this=a, expression=exp.Null())),
                       expression=exp.Paren(this=exp.Is(this=b, expression=exp.Null())))
    return exp.Paren(this=exp.And(this=same_text, expression=same_null))


# -- PostgreSQL family --------------------------------------------------------------------------------
def _postgres(node: exp.Expression, dialect: str) -> exp.Expression:
    if isinstance(node, exp.NullSafeEQ) and dialect in ("postgres", "redshift", "datafusion"):
        return _hash_joinable(node)
    if isinstance(node, exp.TimestampTrunc) and not (isinstance(node.this, exp.Cast)
                                                     and node.this.to.is_type("timestamp")):
        # DATE_TRUNC(unit, <date>) returns timestamptz, shifted by the session time zone: truncate a
        # TIMESTAMP instead.
        node.set("this", _cast(node.this, "TIMESTAMP"))
        return node
    if isinstance(node, exp.Extract) and _part(node) in ("ISODOW", "DOW") and dialect == "redshift":
        dow = exp.Extract(this=exp.var("DOW"), expression=node.expression)
        if _part(node) == "DOW":
            return node
        return exp.Paren(this=exp.Add(this=exp.Paren(this=exp.Mod(this=exp.Paren(this=exp.Add(
            this=dow, expression=_lit(6))), expression=_lit(7))), expression=_lit(1)))
    if isinstance(node, exp.Extract) and dialect == "postgres":
        # EXTRACT returns numeric on PostgreSQL 14+; DuckDB returns an integer.
        return _cast(exp.Extract(this=node.this, expression=node.expression), "BIGINT") \
            if not isinstance(node.parent, exp.Cast) else node
    return node


def _datafusion(node: exp.Expression, dialect: str) -> exp.Expression:
    node = _postgres(node, "datafusion")
    if isinstance(node, (exp.PercentileCont, exp.PercentileDisc)):
        # DataFusion's percentile_cont interpolates in fixed point (52.299999 for 52.3): sort and interpolate.
        return _array_percentile(node.this, node.expression, isinstance(node, exp.PercentileDisc))
    if isinstance(node, exp.ApproxQuantile):
        return _fn("APPROX_PERCENTILE_CONT", node.this, node.args["quantile"])
    return node


_CONT = ("{a}[CAST(FLOOR(__p * (COUNT(__v) - 1)) AS BIGINT) + 1] + (__p * (COUNT(__v) - 1) - "
         "FLOOR(__p * (COUNT(__v) - 1))) * ({a}[CAST(CEIL(__p * (COUNT(__v) - 1)) AS BIGINT) + 1] - "
         "{a}[CAST(FLOOR(__p * (COUNT(__v) - 1)) AS BIGINT) + 1])")
_DISC = "{a}[GREATEST(CAST(CEIL(__p * COUNT(__v)) AS BIGINT), 1)]"
_SORTED = "ARRAY_SORT(ARRAY_AGG(CAST(__v AS DOUBLE)) FILTER (WHERE NOT __v IS NULL))"


def _array_percentile(value: exp.Expression, p: exp.Expression, discrete: bool) -> exp.Expression:
    """An exact percentile from the sorted non-NULL values (DuckDB's interpolation, in the same order)."""
    import sqlglot

    template = (_DISC if discrete else _CONT).format(a=_SORTED)
    tree = sqlglot.parse_one(template, read="postgres")
    for col in list(tree.find_all(exp.Column)):
        if col.name in ("__v", "__p"):
            col.replace((value if col.name == "__v" else p).copy())
    return exp.Paren(this=tree)


# -- ClickHouse ---------------------------------------------------------------------------------------
_CH_PARTS = {"YEAR": "toYear", "QUARTER": "toQuarter", "MONTH": "toMonth", "WEEK": "toISOWeek",
             "ISOWEEK": "toISOWeek", "DAY": "toDayOfMonth", "ISODOW": "toDayOfWeek", "DOY": "toDayOfYear",
             "DAYOFYEAR": "toDayOfYear", "HOUR": "toHour", "MINUTE": "toMinute", "SECOND": "toSecond"}


def _clickhouse(node: exp.Expression, dialect: str) -> exp.Expression:
    if isinstance(node, exp.Extract) and _part(node) in _CH_PARTS:
        return _fn(_CH_PARTS[_part(node)], node.expression)
    if isinstance(node, exp.TimestampTrunc) and _unit(node) == "WEEK":
        return _fn("toMonday", node.this)  # dateTrunc('week') depends on first_day_of_week settings
    found = _percentile_of(node)
    if found and found[2] == "cont":
        # quantileExactInclusive interpolates like PERCENTILE_CONT; `median`/`quantile` are approximate.
        return exp.ParameterizedAgg(this="quantileExactInclusive", expressions=[found[1]],
                                    params=[_fn("toFloat64", found[0])])
    if found and found[2] == "disc":
        # PERCENTILE_DISC: the smallest value whose cumulative share is >= p, i.e. sorted[ceil(p * n)].
        value, p = found[0], found[1]
        position = _fn("greatest", _lit(1), _fn("toUInt64", _fn("ceil", exp.Mul(
            this=p, expression=exp.Count(this=value.copy())))))
        return _fn("arrayElement", _fn("arraySort", _fn("groupArray", value)), position)
    if found:
        return exp.ParameterizedAgg(this="quantileTDigest", expressions=[found[1]], params=[found[0]])
    if (isinstance(node, exp.Literal) and not node.is_string and "." in node.this and "e" not in node.this.lower()
            and not _in_float_context(node)):
        # 0.01 is Float64 in ClickHouse, and Decimal * Float64 is an error there: make it a Decimal.
        scale = len(node.this.split(".")[1])
        return _fn("toDecimal64", _lit(node.this), _lit(scale))
    return node


def _in_float_context(node: exp.Expression) -> bool:
    parent = node.parent
    while isinstance(parent, exp.Paren):
        parent = parent.parent
    if isinstance(parent, (exp.ParameterizedAgg, exp.PercentileCont, exp.PercentileDisc, exp.ApproxQuantile)):
        return True
    if isinstance(parent, (exp.Mul, exp.Add, exp.Sub, exp.Div)):
        other = parent.expression if parent.this is node else parent.this
        return isinstance(other, exp.Cast) and other.to.is_type("double", "float")
    return not isinstance(parent, (exp.Mul, exp.Add, exp.Sub, exp.Div))


# -- Spark / Databricks -------------------------------------------------------------------------------
def _spark(node: exp.Expression, dialect: str) -> exp.Expression:
    if isinstance(node, exp.Window) and isinstance(node.this, exp.RowNumber) and not node.args.get("order"):
        return _fn("MONOTONICALLY_INCREASING_ID")  # a row id: Spark refuses ROW_NUMBER() without ORDER BY
    if isinstance(node, exp.Extract) and _part(node) in ("ISODOW", "DAYOFWEEKISO"):
        return exp.Extract(this=exp.var("DAYOFWEEK_ISO"), expression=node.expression)
    if isinstance(node, exp.PercentileCont):
        return _fn("PERCENTILE", node.this, node.expression)  # exact, interpolated
    if isinstance(node, exp.PercentileDisc):
        return exp.WithinGroup(this=_fn("PERCENTILE_DISC", node.expression),
                               expression=exp.Order(expressions=[exp.Ordered(this=node.this, nulls_first=False)]))
    return node


# -- compile-only dialects ----------------------------------------------------------------------------
def _bigquery(node: exp.Expression, dialect: str) -> exp.Expression:
    if isinstance(node, exp.TimestampTrunc):
        unit = "ISOWEEK" if _unit(node) == "WEEK" else _unit(node)
        return _fn("DATETIME_TRUNC", _cast(node.this, "DATETIME"), exp.var(unit))
    if isinstance(node, exp.Extract):
        part = _part(node)
        if part in ("ISODOW", "DAYOFWEEKISO"):
            dow = exp.Extract(this=exp.var("DAYOFWEEK"), expression=node.expression)  # 1 = Sunday
            return exp.Paren(this=exp.Add(this=exp.Mod(this=exp.Paren(this=exp.Add(
                this=dow, expression=_lit(5))), expression=_lit(7)), expression=_lit(1)))
        if part in ("WEEK",):
            return exp.Extract(this=exp.var("ISOWEEK"), expression=node.expression)
        if part in ("DOY",):
            return exp.Extract(this=exp.var("DAYOFYEAR"), expression=node.expression)
    found = _percentile_of(node)
    if found and found[2] != "approx":
        raise unsupported(dialect, "an exact percentile or median (BigQuery's PERCENTILE_CONT is analytic only)",
                          _EXACT_HELP)
    return node


def _snowflake(node: exp.Expression, dialect: str) -> exp.Expression:
    if isinstance(node, exp.Extract):
        names = {"ISODOW": "DAYOFWEEKISO", "WEEK": "WEEKISO", "DOY": "DAYOFYEAR"}
        if _part(node) in names:
            return exp.Extract(this=exp.var(names[_part(node)]), expression=node.expression)
    return node


def _trino(node: exp.Expression, dialect: str) -> exp.Expression:
    if isinstance(node, exp.Extract):
        names = {"ISODOW": "DAY_OF_WEEK", "DOY": "DAY_OF_YEAR"}  # Trino's are ISO already
        if _part(node) in names:
            return _fn(names[_part(node)], node.expression)
    found = _percentile_of(node)
    if found and found[2] != "approx":
        raise unsupported(dialect, "an exact percentile or median (Trino has approx_percentile only)", _EXACT_HELP)
    return node


def _tsql(node: exp.Expression, dialect: str) -> exp.Expression:
    if isinstance(node, exp.TimestampTrunc):
        unit = "ISO_WEEK" if _unit(node) == "WEEK" else _unit(node)
        return _fn("DATETRUNC", exp.var(unit), node.this)  # SQL Server 2022; WEEK depends on DATEFIRST
    if isinstance(node, exp.Extract):
        part = _part(node)
        if part in ("ISODOW", "DAYOFWEEKISO"):
            # 1900-01-01 was a Monday; independent of SET DATEFIRST.
            days = _fn("DATEDIFF", exp.var("DAY"), _lit("19000101"), node.expression)
            return exp.Paren(this=exp.Add(this=exp.Mod(this=days, expression=_lit(7)), expression=_lit(1)))
        names = {"WEEK": "ISO_WEEK", "DOY": "DAYOFYEAR"}
        if part in names:
            return _fn("DATEPART", exp.var(names[part]), node.expression)
    found = _percentile_of(node)
    if found:
        raise unsupported(dialect, "a percentile or median as an aggregate (T-SQL's PERCENTILE_CONT is a window "
                          "function)", "run this metric on another target")
    return node


def _mysql(node: exp.Expression, dialect: str) -> exp.Expression:
    if isinstance(node, exp.TimestampTrunc):
        x, unit = node.this, _unit(node)
        day = _fn("DATE", x)
        if unit == "DAY":
            return day
        if unit == "WEEK":
            return _fn("DATE_SUB", day, exp.Interval(this=_fn("WEEKDAY", x.copy()), unit=exp.var("DAY")))
        if unit == "MONTH":
            return _fn("STR_TO_DATE", _fn("DATE_FORMAT", x, _lit("%Y-%m-01")), _lit("%Y-%m-%d"))
        if unit == "YEAR":
            return _fn("MAKEDATE", _fn("YEAR", x), _lit(1))
        if unit == "QUARTER":
            return _fn("DATE_ADD", _fn("MAKEDATE", _fn("YEAR", x), _lit(1)), exp.Interval(
                this=exp.Sub(this=_fn("QUARTER", x.copy()), expression=_lit(1)), unit=exp.var("QUARTER")))
        formats = {"HOUR": "%Y-%m-%d %H:00:00", "MINUTE": "%Y-%m-%d %H:%i:00", "SECOND": "%Y-%m-%d %H:%i:%s"}
        return _fn("TIMESTAMP", _fn("DATE_FORMAT", x, _lit(formats.get(unit, "%Y-%m-%d %H:%i:%s"))))
    if isinstance(node, exp.Extract):
        names = {"ISODOW": None, "WEEK": None, "DOY": "DAYOFYEAR", "QUARTER": "QUARTER"}
        part = _part(node)
        if part == "ISODOW":
            return exp.Paren(this=exp.Add(this=_fn("WEEKDAY", node.expression), expression=_lit(1)))
        if part == "WEEK":
            return _fn("WEEK", node.expression, _lit(3))  # mode 3: ISO 8601 weeks
        if names.get(part):
            return _fn(names[part], node.expression)
    if _percentile_of(node):
        raise unsupported(dialect, "a percentile or median (MySQL has no percentile aggregate)",
                          "run this metric on another target")
    return node


# -- the time spine ----------------------------------------------------------------------------------
# The builder writes `SELECT CAST(spine.period AS DATE) AS k FROM (<bounds>) AS bounds CROSS JOIN
# UNNEST(GENERATE_DATE_ARRAY(bounds.lo, bounds.hi, <step>)) AS spine(period)`; only DuckDB runs that as is.
# Set-returning function in the projection (read with the dialect; __lo, __hi, __n, __unit substituted):
SPINES = {
    "postgres": "GENERATE_SERIES(CAST(__lo AS TIMESTAMP), CAST(__hi AS TIMESTAMP), INTERVAL '__n __unit')",
    "redshift": "GENERATE_SERIES(CAST(__lo AS TIMESTAMP), CAST(__hi AS TIMESTAMP), INTERVAL '__n __unit')",
    "datafusion": "UNNEST(GENERATE_SERIES(__lo, __hi, INTERVAL '__n __unit'))",
    "spark": "EXPLODE(SEQUENCE(__lo, __hi, INTERVAL __n __unit))",
    "databricks": "EXPLODE(SEQUENCE(__lo, __hi, INTERVAL __n __unit))",
    "clickhouse": "arrayJoin(arrayMap(i -> dateAdd(__unit, i * __n, __lo), range(toUInt64(intDiv(dateDiff('__unit', __lo, __hi), __n) + 1))))",
    "sqlite": "",
}
_SQLITE_SPINE = ("SELECT s.period FROM (WITH RECURSIVE s(period) AS (SELECT b.lo FROM __bounds AS b UNION ALL "
                 "SELECT DATE(s.period, '+__n __unit') FROM s, __bounds AS b WHERE DATE(s.period, '+__n __unit') <= b.hi)"
                 " SELECT period FROM s) AS s")


def _spine(node: exp.Expression, dialect: str) -> exp.Expression:
    if not isinstance(node, exp.Select) or len(node.args.get("joins") or []) != 1:
        return node
    unnest = node.args["joins"][0].this
    series = unnest.expressions[0] if isinstance(unnest, exp.Unnest) and unnest.expressions else None
    if not isinstance(series, exp.GenerateDateArray):
        return node
    import sqlglot

    step = series.args.get("step")
    count, unit = (step.this.name, step.unit.name.upper()) if isinstance(step, exp.Interval) else ("1", "DAY")
    if unit == "WEEK":
        count, unit = str(int(count) * 7), "DAY"
    bounds = node.args["from_" if "from_" in node.args else "from"].this
    projection = node.expressions[0]
    if dialect == "sqlite":
        text = _SQLITE_SPINE.replace("__n", count).replace("__unit", unit.lower())
        tree = sqlglot.parse_one(text, read="sqlite")
        for table in list(tree.find_all(exp.Table)):
            if table.name == "__bounds":
                table.replace(exp.Subquery(this=bounds.this.copy(), alias=table.args.get("alias")))
        value = exp.Cast(this=exp.column("period", "s"), to=exp.DataType.build("DATE"))
        select = exp.Select(expressions=[exp.alias_(value, projection.alias_or_name)])
        select.set("from_" if "from_" in exp.Select.arg_types else "from", exp.From(this=tree.subquery("s")))
        select.add_comments(node.comments or [])
        return select
    template = SPINES[dialect].replace("__n", count).replace("__unit", unit if dialect == "clickhouse" else unit.lower())
    series_sql = sqlglot.parse_one(template, read=dialect)
    for col in list(series_sql.find_all(exp.Column)):
        if col.name in ("__lo", "__hi"):
            col.replace(exp.column(col.name[2:], "bounds"))
    value = projection.this.copy() if isinstance(projection, exp.Alias) else projection.copy()
    for col in list(value.find_all(exp.Column)):
        if col.name == "period":
            col.replace(series_sql)
    if isinstance(value, exp.Column) or dialect in ("spark", "databricks"):
        value = series_sql  # a generator cannot sit inside a CAST on Spark; SEQUENCE of dates is DATE
    node.set("joins", None)
    node.set("expressions", [exp.alias_(value, projection.alias_or_name)])
    return node


PASSES: dict[str, tuple] = {
    "sqlite": (_sqlite,),
    "postgres": (_postgres,),
    "redshift": (_postgres,),
    "datafusion": (_datafusion,),
    "clickhouse": (_clickhouse,),
    "spark": (_spark,),
    "databricks": (_spark,),
    "bigquery": (_bigquery,),
    "snowflake": (_snowflake,),
    "trino": (_trino,),
    "presto": (_trino,),
    "athena": (_trino,),
    "tsql": (_tsql,),
    "mysql": (_mysql,),
}
