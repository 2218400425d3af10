"""Calendars as configuration: a fiscal year start, the first day of the week, and custom granularities
read from a declared time spine (e.g. a `fiscal_quarter` column), usable as `metric_time__<grain>`.

    # metricslayer.yml
    calendar:
      fiscal_year_start_month: 4   # the fiscal year starts on April 1st: metric_time__fiscal_quarter/_year
      week_start: sunday           # metric_time__week starts on Sundays (default: monday, ISO)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import DefinitionError
from .model import Relation

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FISCAL_GRAINS = {"fiscal_quarter": "quarter", "fiscal_year": "year"}


@dataclass(frozen=True)
class SpineGrain:
    """A custom granularity column of a declared time spine table."""

    relation: Relation
    day_column: str
    column: str


@dataclass(frozen=True)
class Calendar:
    fiscal_year_start_month: int = 1
    week_start: int = 1  # ISO weekday number, Monday = 1
    spine_grains: dict[str, SpineGrain] = field(default_factory=dict, hash=False, compare=False)

    def is_custom(self, grain: str) -> bool:
        return grain in FISCAL_GRAINS or grain in self.spine_grains


def read_calendar(raw: dict | None, file: str | None, spines) -> Calendar:
    """Build the Calendar from the `calendar:` block of metricslayer.yml and the declared spines."""
    raw = raw or {}
    if not isinstance(raw, dict):
        raise DefinitionError("'calendar' must be a mapping", file=file,
                              help="write calendar: {fiscal_year_start_month: 4, week_start: monday}")
    month = raw.get("fiscal_year_start_month", 1)
    if not isinstance(month, int) or isinstance(month, bool) or not 1 <= month <= 12:
        raise DefinitionError(f"calendar.fiscal_year_start_month {month!r} is not a month number", file=file,
                              help="write a number from 1 (January) to 12 (December)")
    day = str(raw.get("week_start", "monday")).lower()
    if day not in WEEKDAYS:
        raise DefinitionError(f"calendar.week_start {day!r} is not a weekday", file=file,
                              help="write monday, tuesday, ... or sunday")
    grains = {}
    for spine in spines:
        for name, column in spine.custom_granularities:
            grains[name] = SpineGrain(spine.relation, spine.column, column)
    return Calendar(month, WEEKDAYS.index(day) + 1, grains)
