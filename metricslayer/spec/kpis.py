"""KPI trees (KGI -> KSF -> KPI): the `kpis:` block of a definition file, as frozen objects.

The schema (owned by the lint issue, computed with by the KPI issue):
    kpis:
      - name: annual_revenue          # unique
        label: Annual revenue
        kind: kgi | ksf | kpi
        parent: <name>                # all but a KGI; a tree is named by its KGI
        metric: revenue               # kgi and kpi; ksf nodes are qualitative success factors
        filter: "{{ Dimension('customer__region') }} = 'EMEA'"   # optional
        target: 12000000              # value
        direction: increase | decrease
        start: 2025-01-01             # the target period begins
        deadline: 2025-12-31          # ... ends; or instead:
        period: month | quarter | year  # a recurring target
        baseline: 9000000
        owner: cfo@example.com
        department: finance
        funnel_stage: top | middle | bottom
        thresholds: {warn: 0.9, critical: 0.75}   # fractions of target
        identity: "revenue = sessions * conversion_rate * aov"
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .model import Loc, WhereFilter

KPI_KINDS = ("kgi", "ksf", "kpi")
DIRECTIONS = ("increase", "decrease")
PERIODS = ("month", "quarter", "year")
FUNNEL_STAGES = ("top", "middle", "bottom")
KPI_KEYS = ("name", "label", "description", "kind", "parent", "metric", "filter", "target", "direction",
            "start", "deadline", "period", "baseline", "owner", "department", "funnel_stage", "thresholds",
            "identity", "synonyms", "meta")


@dataclass(frozen=True)
class Thresholds:
    warn: float = 0.9
    critical: float = 0.75


@dataclass(frozen=True)
class Kpi:
    name: str
    kind: str
    label: str = ""
    description: str = ""
    parent: str | None = None
    metric: str | None = None
    filter: WhereFilter | None = None
    target: float | None = None
    direction: str = "increase"
    start: dt.date | None = None
    deadline: dt.date | None = None
    period: str | None = None
    baseline: float | None = None
    owner: str = ""
    department: str = ""
    funnel_stage: str | None = None
    thresholds: Thresholds = Thresholds()
    identity: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    loc: Loc = field(default=Loc(""), compare=False)
    key_locs: dict[str, Loc] = field(default_factory=dict, compare=False, hash=False)


def _date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("a number, not true/false")
    return float(value)


def build_kpi(data: dict, loc: Loc, key_locs: dict[str, Loc]) -> Kpi:
    """Build a Kpi from a raw `kpis:` item; raises ValueError(key, message) on a wrong type or value."""

    def fail(key: str, message: str):
        raise KpiValueError(key, message)

    name = data.get("name")
    if not name or not isinstance(name, str):
        fail("name", "a KPI node needs a name")
    kind = str(data.get("kind") or ("kpi" if data.get("parent") else "kgi")).lower()
    if kind not in KPI_KINDS:
        fail("kind", f"unknown kind '{kind}' (use kgi, ksf or kpi)")
    direction = str(data.get("direction") or "increase").lower()
    if direction not in DIRECTIONS:
        fail("direction", f"unknown direction '{direction}' (use increase or decrease)")
    period = data.get("period")
    if period is not None and str(period).lower() not in PERIODS:
        fail("period", f"unknown period '{period}' (use month, quarter or year)")
    stage = data.get("funnel_stage")
    if stage is not None and str(stage).lower() not in FUNNEL_STAGES:
        fail("funnel_stage", f"unknown funnel_stage '{stage}' (use top, middle or bottom)")
    values: dict[str, Any] = {}
    for key in ("target", "baseline"):
        try:
            values[key] = _number(data.get(key))
        except (TypeError, ValueError):
            fail(key, f"'{key}' must be a number, got {data.get(key)!r}")
    for key in ("start", "deadline"):
        try:
            values[key] = _date(data.get(key))
        except (TypeError, ValueError):
            fail(key, f"'{key}' must be a date like 2025-12-31, got {data.get(key)!r}")
    raw_thresholds = data.get("thresholds") or {}
    if not isinstance(raw_thresholds, dict):
        fail("thresholds", "'thresholds' must be a mapping {warn: 0.9, critical: 0.75}")
    try:
        thresholds = Thresholds(warn=float(raw_thresholds.get("warn", 0.9)),
                                critical=float(raw_thresholds.get("critical", 0.75)))
    except (TypeError, ValueError):
        fail("thresholds", "thresholds warn and critical must be numbers (fractions of the target)")
    filter_sql = data.get("filter")
    return Kpi(
        name=name, kind=kind, label=str(data.get("label") or ""), description=str(data.get("description") or ""),
        parent=str(data["parent"]) if data.get("parent") else None,
        metric=str(data["metric"]) if data.get("metric") else None,
        filter=WhereFilter(str(filter_sql), key_locs.get("filter", loc)) if filter_sql else None,
        direction=direction, period=str(period).lower() if period else None,
        owner=str(data.get("owner") or ""), department=str(data.get("department") or ""),
        funnel_stage=str(stage).lower() if stage else None, thresholds=thresholds,
        identity=str(data["identity"]) if data.get("identity") else None,
        raw=dict(data), loc=loc, key_locs=dict(key_locs), **values)


class KpiValueError(ValueError):
    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key
        self.message = message
