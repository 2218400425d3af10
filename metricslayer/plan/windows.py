"""Windows and offsets such as ``7 days`` or ``1 month``: parsed once, with a clear error."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import DefinitionError
from ..spec.model import GRAINS, Loc

_WINDOW = re.compile(r"^\s*(\d+)\s+([a-z_]+?)s?\s*$", re.I)
WINDOW_UNITS = ("minute", "hour", "day", "week", "month", "quarter", "year")
MONTHS_IN = {"month": 1, "quarter": 3, "year": 12}
DAYS_IN = {"day": 1, "week": 7}


@dataclass(frozen=True)
class Span:
    count: int
    unit: str  # one of WINDOW_UNITS

    @property
    def months(self) -> int | None:
        return self.count * MONTHS_IN[self.unit] if self.unit in MONTHS_IN else None

    @property
    def days(self) -> int | None:
        return self.count * DAYS_IN[self.unit] if self.unit in DAYS_IN else None

    def __str__(self) -> str:
        return f"{self.count} {self.unit}{'s' if self.count != 1 else ''}"


def parse_span(text: str, what: str, loc: Loc | None) -> Span:
    """``"7 days"`` -> Span(7, 'day'); anything else is a DefinitionError naming file and line."""
    match = _WINDOW.match(str(text))
    unit = match.group(2).lower() if match else ""
    if not match or unit not in WINDOW_UNITS or int(match.group(1)) <= 0:
        raise DefinitionError(
            f"{what} {text!r} does not parse",
            help="write a positive count and a unit: '7 days', '2 weeks', '1 month', '1 quarter', '1 year'",
            file=loc.file if loc else None, line=(loc.line or None) if loc else None)
    return Span(int(match.group(1)), unit)


def parse_grain(text: str, what: str, loc: Loc | None) -> str:
    grain = str(text).strip().lower()
    if grain not in GRAINS:
        raise DefinitionError(f"{what} {text!r} is not a time grain",
                              help="use day, week, month, quarter or year",
                              file=loc.file if loc else None, line=(loc.line or None) if loc else None)
    return grain


def offset_mode(span: Span, grain: str) -> str | None:
    """How to read a metric `span` earlier at query `grain`: 'shift' the period key when the offset is whole
    periods, 'lookup' day by day when a month offset meets a day grain, None when it cannot be exact."""
    if span.days is not None:
        if grain in ("minute", "hour", "day"):
            return "shift"
        if grain == "week" and span.days % 7 == 0:
            return "shift"
        return None
    if span.months is not None:
        if grain == "day":
            return "lookup"
        if grain in MONTHS_IN and span.months % MONTHS_IN[grain] == 0:
            return "shift"
        return None
    if span.unit in ("hour", "minute") and grain in ("minute", "hour") and \
            (span.unit == "hour" or grain == "minute"):
        return "shift"
    return None
