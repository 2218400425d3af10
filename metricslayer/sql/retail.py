"""The NRF retail calendar (4-5-4) as SQL expressions: the start date of a date's retail month, quarter or
year, computed from the date alone (no calendar table)."""

from __future__ import annotations

from sqlglot import exp

from .exprs import date_add, sql_type


def _n(value: int) -> exp.Literal:
    return exp.Literal.number(value)


def _year_start(year: exp.Expression) -> exp.Expression:
    """The Sunday nearest February 1st of `year`."""
    feb1 = exp.DateFromParts(year=year, month=_n(2), day=_n(1))
    dow = exp.Extract(this=exp.var("ISODOW"), expression=feb1.copy())  # Monday 1 .. Sunday 7
    forward = exp.Mod(this=exp.Paren(this=exp.Sub(this=_n(7), expression=dow)), expression=_n(7))
    offset = exp.Case(ifs=[exp.If(this=exp.LTE(this=forward, expression=_n(3)), true=forward.copy())],
                      default=exp.Neg(this=dow.copy()))
    return date_add(feb1, offset, "day")


def retail_period_start(value: exp.Expression, grain: str, month_weeks: tuple[int, int, int]) -> exp.Expression:
    """The first day of `value`'s retail month / quarter / year."""
    day = exp.Cast(this=value, to=sql_type("DATE"))
    year = exp.Extract(this=exp.var("YEAR"), expression=day.copy())
    this_year = _year_start(year)
    start = exp.Case(ifs=[exp.If(this=exp.GTE(this=day.copy(), expression=this_year),
                                 true=this_year.copy())],
                     default=_year_start(exp.Sub(this=year.copy(), expression=_n(1))))
    if grain == "retail_year":
        return start
    days = exp.DateDiff(this=day.copy(), expression=start.copy(), unit=exp.var("DAY"))
    week = exp.IntDiv(this=days, expression=_n(7))
    quarter = exp.Least(this=exp.IntDiv(this=week.copy(), expression=_n(13)), expressions=[_n(3)])
    if grain == "retail_quarter":
        return date_add(start.copy(), exp.Mul(this=_n(91), expression=quarter), "day")
    in_quarter = exp.Sub(this=week.copy(), expression=exp.Mul(this=_n(13), expression=quarter.copy()))
    first, second, third = month_weeks
    month_week = exp.Case(ifs=[exp.If(this=exp.LT(this=in_quarter, expression=_n(second)), true=_n(first)),
                               exp.If(this=exp.LT(this=in_quarter.copy(), expression=_n(third)), true=_n(second))],
                          default=_n(third))
    weeks = exp.Add(this=exp.Mul(this=_n(13), expression=quarter.copy()), expression=month_week)
    return date_add(start.copy(), exp.Mul(this=_n(7), expression=exp.Paren(this=weeks)), "day")
