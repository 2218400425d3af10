"""Small sqlglot expression helpers shared by the SQL builders."""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.tokens import Tokenizer

from ..errors import DefinitionError
from ..spec.model import GRAIN_RANK, Loc

_RESERVED = {k.upper() for k in Tokenizer.KEYWORDS if k.isalpha()} | {
    "ORDER", "GROUP", "USER", "DATE", "TIME", "TIMESTAMP", "YEAR", "MONTH", "DAY", "VALUE", "KEY", "RANK",
    "ROWS", "RANGE", "WINDOW", "INTERVAL", "END", "START"}


def sql_type(name: str) -> exp.DataType:
    return exp.DataType(this=exp.DataType.Type[name])


def ident(name: str) -> exp.Identifier:
    """An identifier, quoted only when it must be (a keyword or an unusual name)."""
    safe = name.isidentifier() and name.upper() not in _RESERVED
    return exp.Identifier(this=name, quoted=not safe)


def column(name: str, table: str | None = None) -> exp.Column:
    return exp.Column(this=ident(name), table=ident(table) if table else None)


@lru_cache(maxsize=4096)
def _parse_cached(sql: str, dialect: str) -> exp.Expression:
    return sqlglot.parse_one(sql, read=dialect)


def parse_expr(sql: str, dialect: str, loc: Loc | None = None, what: str = "expr") -> exp.Expression:
    """Parse a SQL expression once (cached) and hand out a private copy."""
    try:
        return _parse_cached(str(sql), dialect).copy()
    except (ParseError, sqlglot.errors.TokenError) as exc:
        first = str(exc).splitlines()[0]
        raise DefinitionError(f"{what} {sql!r} is not valid {dialect} SQL: {first}",
                              file=loc.file if loc else None, line=(loc.line or None) if loc else None,
                              help="fix the SQL, or set dialect: in metricslayer.yml to the SQL you write") from None


def qualify(expression: exp.Expression, alias: str) -> exp.Expression:
    """Prefix the expression's bare columns with a table alias (not inside subqueries)."""
    for col in list(expression.find_all(exp.Column)):
        if not col.table and col.find_ancestor(exp.Select) is None:
            col.set("table", ident(alias))
    if isinstance(expression, exp.Column) and not expression.table:
        expression.set("table", ident(alias))
    return expression


def is_condition(tree: exp.Expression) -> bool:
    while isinstance(tree, exp.Paren):
        tree = tree.this
    if isinstance(tree, (exp.Predicate, exp.Connector, exp.Not, exp.Boolean, exp.Column, exp.Exists,
                         exp.Case, exp.Func, exp.Is)):
        return not isinstance(tree, (exp.AggFunc,))
    return False


def literal(value) -> exp.Expression:
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int, float)):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def time_literal(value: str) -> exp.Expression:
    kind = "TIMESTAMP" if " " in value or "T" in value else "DATE"
    return exp.Cast(this=exp.Literal.string(value), to=sql_type(kind))


def safe_divide(numerator: exp.Expression, denominator: exp.Expression) -> exp.Expression:
    """Floating-point division that gives NULL, not an error or infinity, for a zero denominator."""
    double = sql_type("DOUBLE")
    return exp.Div(this=exp.Cast(this=numerator, to=double),
                   expression=exp.Nullif(this=exp.Cast(this=denominator, to=double.copy()),
                                         expression=exp.Literal.number(0)))


def date_add(value: exp.Expression, amount: int | exp.Expression, unit: str, as_date: bool = True) -> exp.Expression:
    """`value` + `amount` units (month arithmetic clamps to month ends); a DATE again when `as_date`."""
    amount = amount if isinstance(amount, exp.Expression) else exp.Literal.number(amount)
    moved = exp.DateAdd(this=value, expression=amount, unit=exp.var(unit.upper()))
    return exp.Cast(this=moved, to=sql_type("DATE")) if as_date else moved


def truncate(value: exp.Expression, grain: str) -> exp.Expression:
    """The start of `value`'s `grain` period: a DATE for day and coarser grains."""
    if grain == "day":  # casting to DATE drops the time of day: cheaper than DATE_TRUNC, same answer
        return exp.Cast(this=value, to=sql_type("DATE"))
    truncated = exp.TimestampTrunc(this=value, unit=exp.var(grain.upper()))
    if GRAIN_RANK.get(grain, 0) >= GRAIN_RANK["day"]:
        return exp.Cast(this=truncated, to=sql_type("DATE"))
    return truncated


_DATE_PARTS = {"year": "YEAR", "quarter": "QUARTER", "month": "MONTH", "week": "WEEK", "day": "DAY",
               "dow": "ISODOW", "doy": "DOY"}


def date_part(value: exp.Expression, part: str) -> exp.Expression:
    return exp.Extract(this=exp.var(_DATE_PARTS[part]), expression=value)


