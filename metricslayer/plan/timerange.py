"""start_time / end_time: parsed once, widened to whole periods of the query grain."""

from __future__ import annotations

import datetime as dt

from ..errors import QueryError


def parse_time(text: str, flag: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f"{flag} {text!r} is not an ISO date or datetime",
                         help=f"write {flag} as 2024-01-31 or 2024-01-31T12:00:00") from None
    return value.replace(tzinfo=None) if value.tzinfo else value


def truncate(value: dt.datetime, grain: str) -> dt.datetime:
    if grain in ("nanosecond", "microsecond", "millisecond"):
        return value
    if grain == "second":
        return value.replace(microsecond=0)
    if grain == "minute":
        return value.replace(second=0, microsecond=0)
    if grain == "hour":
        return value.replace(minute=0, second=0, microsecond=0)
    day = value.replace(hour=0, minute=0, second=0, microsecond=0)
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return day.replace(day=1, month=(day.month - 1) // 3 * 3 + 1)
    if grain == "year":
        return day.replace(day=1, month=1)
    return day


def next_period(start: dt.datetime, grain: str) -> dt.datetime:
    """The start of the period after the one beginning at `start`."""
    steps = {"second": dt.timedelta(seconds=1), "minute": dt.timedelta(minutes=1),
             "hour": dt.timedelta(hours=1), "day": dt.timedelta(days=1), "week": dt.timedelta(days=7)}
    if grain in steps:
        return start + steps[grain]
    months = {"month": 1, "quarter": 3, "year": 12}.get(grain)
    if months is None:
        return start + dt.timedelta(microseconds=1)
    total = start.year * 12 + start.month - 1 + months
    return start.replace(year=total // 12, month=total % 12 + 1, day=1)


def iso(value: dt.datetime) -> str:
    if value.time() == dt.time(0):
        return value.date().isoformat()
    return value.isoformat(sep=" ")


def time_bounds(start: str | None, end: str | None, grain: str) -> tuple[str | None, str | None]:
    """Inclusive start/end -> [start, end) covering whole periods of `grain`."""
    lo = truncate(parse_time(start, "start_time"), grain) if start else None
    hi = next_period(truncate(parse_time(end, "end_time"), grain), grain) if end else None
    if lo and hi and lo >= hi:
        raise QueryError(f"start_time {start} is after end_time {end}",
                         help="swap them, or widen the range")
    return (iso(lo) if lo else None, iso(hi) if hi else None)


def shift(value: dt.datetime, count: int, unit: str) -> dt.datetime:
    """`value` moved by `count` units; month arithmetic clamps to the month's last day (Jan 31 + 1 month
    = Feb 28/29), as SQL engines do."""
    if unit in ("month", "quarter", "year"):
        months = count * {"month": 1, "quarter": 3, "year": 12}[unit]
        total = value.year * 12 + value.month - 1 + months
        year, month = total // 12, total % 12 + 1
        last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
        return value.replace(year=year, month=month, day=min(value.day, last))
    seconds = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}[unit]
    return value + dt.timedelta(seconds=count * seconds)


def offset_bounds(start: str | None, end: str | None, count: int, unit: str | None,
                  to_grain: str | None) -> tuple[str | None, str | None]:
    """The inclusive range an offset input must cover for output range [start, end)."""
    lo = parse_time(start, "start_time") if start else None
    hi = parse_time(end, "end_time") - dt.timedelta(seconds=1) if end else None
    if unit:
        lo = shift(lo, -count, unit) if lo else None
        hi = shift(hi, -count, unit) if hi else None
    elif to_grain and lo:
        lo = truncate(lo, to_grain)
    return (iso(lo) if lo else None, iso(hi) if hi else None)
