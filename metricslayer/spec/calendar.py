"""Calendars as configuration: a fiscal year start, the first day of the week, and custom granularities
read from a declared time spine (e.g. a `fiscal_quarter` column), usable as `metric_time__<grain>`.

    # metricslayer.yml
    calendar:
      fiscal_year_start_month: 4   # the fiscal year starts on April 1st: metric_time__fiscal_quarter/_year
      week_start: sunday           # metric_time__week starts on Sundays (default: monday, ISO)
      retail_pattern: 4-5-4        # metric_time__retail_month/_quarter/_year (NRF calendar; the default)

The retail calendar is the NRF one: a year starts on the Sunday nearest February 1st and has 52 weeks
(53 when the next start is a week later, the extra week going to the last month); quarters are 13 weeks
split into months of 4-5-4 weeks (or 4-4-5 / 5-4-4).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import DefinitionError
from .model import Relation

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FISCAL_GRAINS = {"fiscal_quarter": "quarter", "fiscal_year": "year"}
RETAIL_GRAINS = ("retail_month", "retail_quarter", "retail_year")
RETAIL_PATTERNS = {"4-5-4": (0, 4, 9), "4-4-5": (0, 4, 8), "5-4-4": (0, 5, 9)}  # first week of each month


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
    retail_pattern: str = "4-5-4"
    spine_grains: dict[str, SpineGrain] = field(default_factory=dict, hash=False, compare=False)
    day_spine: SpineGrain | None = None  # a declared day spine: used instead of a generated one

    def is_custom(self, grain: str) -> bool:
        return grain in FISCAL_GRAINS or grain in RETAIL_GRAINS or grain in self.spine_grains


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
    pattern = str(raw.get("retail_pattern", "4-5-4"))
    if pattern not in RETAIL_PATTERNS:
        raise DefinitionError(f"calendar.retail_pattern {pattern!r} is unknown", file=file,
                              help="write 4-5-4, 4-4-5 or 5-4-4")
    grains = {}
    day_spine = None
    for spine in spines:
        for name, column in spine.custom_granularities:
            grains[name] = SpineGrain(spine.relation, spine.column, column)
        if spine.grain == "day" and day_spine is None:
            day_spine = SpineGrain(spine.relation, spine.column, spine.column)
    return Calendar(month, WEEKDAYS.index(day) + 1, pattern, grains, day_spine)
