"""KPI arithmetic, pure: target windows, pace, forecast, attainment and status. No I/O here.

A *cumulative* target accumulates over its window (revenue 12M by year end): the expected value by now is
the target times the elapsed share of the window (linear pace). A *rate* target is a level (conversion rate
3 %): the expected value is the target itself. Status compares the actual with the expected value:
attainment = actual / expected (``decrease`` nodes: expected / actual); at or above ``warn`` it is
on-track, at or above ``critical`` at-risk, below off-track.

>>> window_for(None, dt.date(2025, 12, 31), None, dt.date(2025, 6, 30))
Window(start=datetime.date(2025, 1, 1), end=datetime.date(2025, 12, 31), kind='deadline')
>>> expected_by_now(1200.0, "cumulative", 0.5), expected_by_now(0.03, "rate", 0.5)
(600.0, 0.03)
>>> status_of(attainment(540.0, 600.0, "increase"), Thresholds(0.9, 0.75))
'on-track'
>>> status_of(attainment(0.05, 0.03, "decrease"), Thresholds(0.9, 0.75))
'off-track'
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..spec.kpis import Thresholds

ON_TRACK, AT_RISK, OFF_TRACK = "on-track", "at-risk", "off-track"
NO_DATA, ERROR, NOT_STARTED, NO_TARGET = "no-data", "error", "not-started", "no-target"
SEVERITY = {OFF_TRACK: 3, AT_RISK: 2, ON_TRACK: 1}
STATUSES = (ON_TRACK, AT_RISK, OFF_TRACK, NO_DATA, NOT_STARTED, NO_TARGET, ERROR)
TREND_PERIODS = 6  # complete months used for the forecast trend


class StatusError(ValueError):
    """The arithmetic cannot give a status (e.g. a zero target); the message says why."""


@dataclass(frozen=True)
class Window:
    start: dt.date
    end: dt.date
    kind: str  # deadline | month | quarter | year

    def elapsed(self, as_of: dt.date) -> float:
        """Share of the window's days up to and including `as_of` (0..1)."""
        total = (self.end - self.start).days + 1
        done = (min(as_of, self.end) - self.start).days + 1
        return min(1.0, max(0.0, done / total))

    def cut(self, as_of: dt.date) -> dt.date:
        """Last day with data that counts: as_of, or the deadline when it has passed."""
        return min(as_of, self.end)


def period_start(day: dt.date, period: str) -> dt.date:
    if period == "year":
        return day.replace(month=1, day=1)
    if period == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def period_end(day: dt.date, period: str) -> dt.date:
    months = {"year": 12, "quarter": 3, "month": 1}[period]
    return add_months(period_start(day, period), months) - dt.timedelta(days=1)


def window_for(start: dt.date | None, deadline: dt.date | None, period: str | None, as_of: dt.date) -> Window:
    """The target window of a node: start..deadline, else the current recurring period (default month)."""
    if deadline is not None:
        return Window(start or deadline.replace(month=1, day=1), deadline, "deadline")
    period = period or "month"
    return Window(period_start(as_of, period), period_end(as_of, period), period)


def expected_by_now(target: float, target_type: str, elapsed: float) -> float:
    """Linear pace for cumulative targets; the target itself for rate targets."""
    return target * elapsed if target_type == "cumulative" else target


def attainment(actual: float, expected: float, direction: str) -> float:
    """actual / expected for `increase` nodes, expected / actual for `decrease` nodes.

    >>> attainment(50.0, 100.0, "increase"), attainment(50.0, 100.0, "decrease")
    (0.5, 2.0)
    >>> attainment(0.0, 10.0, "decrease")
    inf
    """
    if direction == "decrease":
        if expected == 0:
            raise StatusError("the target is 0: a 'decrease' status is a ratio to the target, which is undefined "
                              "(set a small positive target, e.g. 0.001)")
        if actual <= 0:
            return math.inf
        return expected / actual
    if expected == 0:
        raise StatusError("the target is 0: the status is actual / target, which is undefined "
                          "(set a positive target)")
    return actual / expected


def status_of(ratio: float, thresholds: Thresholds) -> str:
    if ratio >= thresholds.warn:
        return ON_TRACK
    if ratio >= thresholds.critical:
        return AT_RISK
    return OFF_TRACK


def worst(statuses: Iterable[str]) -> str | None:
    """The most severe of on-track / at-risk / off-track (others ignored), None when there is none.

    >>> worst(["on-track", "no-data", "at-risk"])
    'at-risk'
    """
    ranked = [s for s in statuses if s in SEVERITY]
    return max(ranked, key=SEVERITY.__getitem__) if ranked else None


def trend(values: Sequence[float], ahead: float) -> float | None:
    """Least-squares line through values at x = 0..n-1, evaluated at x = n - 1 + ahead.

    >>> trend([1.0, 2.0, 3.0], 2), trend([5.0], 3), trend([], 1)
    (5.0, 5.0, None)
    """
    n = len(values)
    if n == 0:
        return None
    if n == 1:
        return float(values[0])
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    sxx = sum((i - mean_x) ** 2 for i in range(n))
    slope = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values)) / sxx
    return mean_y + slope * (n - 1 + ahead - mean_x)


def months_between(a: dt.date, b: dt.date) -> float:
    """Months from a to b as a fraction (30.44-day months)."""
    return (b - a).days / 30.4375


def forecast(target_type: str, actual: float, window: Window, as_of: dt.date,
             history: Sequence[tuple[dt.date, float]]) -> float | None:
    """The value expected at the window's end.

    `history` holds (month start, value) of complete months before as_of, oldest first; the trend of the
    last TREND_PERIODS of them is extended. Cumulative: actual so far + remaining days x the trended daily
    run rate (evaluated mid-way through the remaining time, never below 0). Rate: the trended monthly value
    in the window's last month. A window that has ended forecasts its actual.
    """
    if as_of >= window.end:
        return actual
    recent = list(history)[-TREND_PERIODS:]
    if not recent:
        return None
    last_month = recent[-1][0]
    after_last = add_months(last_month, 1)  # the first day after the trended months
    if target_type == "cumulative":
        rates = [v / calendar.monthrange(m.year, m.month)[1] for m, v in recent]
        start_day = max(as_of + dt.timedelta(days=1), window.start)
        remaining = (window.end - start_day).days + 1
        middle = start_day + dt.timedelta(days=remaining / 2)
        rate = trend(rates, 0.5 + months_between(after_last, middle))
        return actual + max(0.0, rate or 0.0) * remaining
    values = [v for _, v in recent]
    end_month = period_start(window.end, "month")
    projected = trend(values, (end_month.year - last_month.year) * 12 + end_month.month - last_month.month)
    if projected is not None and min(values) >= 0:
        projected = max(0.0, projected)
    return projected


@dataclass(frozen=True)
class Assessment:
    expected: float | None
    achieved: float | None  # actual / target
    attainment: float | None  # actual vs expected, direction-aware
    forecast: float | None
    forecast_attainment: float | None
    status: str
    message: str = ""


def assess(actual: float | None, target: float | None, target_type: str, direction: str,
           thresholds: Thresholds, window: Window, as_of: dt.date,
           history: Sequence[tuple[dt.date, float]]) -> Assessment:
    """Everything `kpi status` shows for one node with a metric, from its numbers."""
    if as_of < window.start:
        return Assessment(None, None, None, None, None, NOT_STARTED,
                          f"the target window starts on {window.start.isoformat()}")
    if actual is None:
        return Assessment(None, None, None, None, None, NO_DATA,
                          f"no data for {window.start.isoformat()}..{window.cut(as_of).isoformat()}")
    predicted = forecast(target_type, actual, window, as_of, history)
    if target is None:
        return Assessment(None, None, None, predicted, None, NO_TARGET, "no target set")
    expected = expected_by_now(target, target_type, window.elapsed(as_of))
    try:
        ratio = attainment(actual, expected, direction)
    except StatusError as exc:
        return Assessment(expected, None, None, predicted, None, ERROR, str(exc))
    achieved = actual / target if target else None
    at_end = attainment(predicted, target, direction) if predicted is not None else None
    return Assessment(expected, achieved, ratio, predicted, at_end, status_of(ratio, thresholds))
