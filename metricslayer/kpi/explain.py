"""`kpi explain`: attribute a node's change between two periods to its drivers or to segments.

Drivers come from the node's identity (``revenue = sessions * conversion_rate * aov``): additive identities
split exactly term by term, others by Shapley values (shapley.py); either way the contributions sum exactly
to the change of the identity's right-hand side. ``--by DIM`` splits the change by segment instead.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from fractions import Fraction

from ..errors import QueryError, did_you_mean
from .check import check_identity_names, identity_of
from .compute import Batcher
from .expr import evaluate, is_additive
from .shapley import MAX_PLAYERS, shapley
from .status import add_months
from .tree import _measure

OTHER = "(other)"


def parse_period(text: str) -> tuple[dt.date, dt.date, str]:
    """'2025', '2025-Q2', '2025-06', '2025-06-15' or 'A..B' -> (first day, last day, label).

    >>> parse_period("2025-06")[:2], parse_period("2025-Q1")[1]
    ((datetime.date(2025, 6, 1), datetime.date(2025, 6, 30)), datetime.date(2025, 3, 31))
    """
    raw = str(text).strip()
    try:
        if ".." in raw:
            a, b = raw.split("..", 1)
            return dt.date.fromisoformat(a), dt.date.fromisoformat(b), raw
        if re.fullmatch(r"\d{4}", raw):
            return dt.date(int(raw), 1, 1), dt.date(int(raw), 12, 31), raw
        quarter = re.fullmatch(r"(\d{4})-?[Qq]([1-4])", raw)
        if quarter:
            first = dt.date(int(quarter[1]), 3 * int(quarter[2]) - 2, 1)
            return first, add_months(first, 3) - dt.timedelta(days=1), raw
        if re.fullmatch(r"\d{4}-\d{2}", raw):
            first = dt.date.fromisoformat(raw + "-01")
            return first, add_months(first, 1) - dt.timedelta(days=1), raw
        day = dt.date.fromisoformat(raw)
        return day, day, raw
    except ValueError:
        raise QueryError(f"period {text!r} is not a period",
                         help="write 2025, 2025-Q2, 2025-06, 2025-06-15 or 2025-01-01..2025-03-31") from None


@dataclass
class Explanation:
    node: str
    metric: str
    period: str
    vs: str
    value: float | None
    previous: float | None
    change: float | None
    identity: str = ""
    method: str = ""  # additive | shapley | segments (additive) | segments (shapley on ratio) | ...
    drivers: list[dict] = field(default_factory=list)  # {name, previous, value, contribution}
    residual: float | None = None  # change of the node not explained by the identity's right side
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def driver_contributions(rhs, before: dict, after: dict) -> tuple[dict[str, Fraction], str]:
    """Pure: exact contributions of each name of `rhs` to rhs(after) - rhs(before), and the method."""
    names = list(before)
    contributions = shapley(lambda v: evaluate(rhs, v, exact=True), before, after)
    return {n: contributions[n] for n in names}, ("additive" if is_additive(rhs) else "shapley")


def explain(project, node: str, period: str, vs: str, by: str | None = None, top: int = 10) -> Explanation:
    kpis = project.spec.kpis
    kpi = kpis.get(node)
    if kpi is None:
        raise QueryError(f"unknown KPI node '{node}'", help=did_you_mean(node, kpis) or "run 'kpi status'")
    if not kpi.metric:
        raise QueryError(f"KPI node '{node}' has no metric to explain",
                         help="explain one of its children: " + ", ".join(
                             n for n, k in kpis.items() if k.parent == node))
    now, before = parse_period(period), parse_period(vs)
    where = (kpi.filter,) if kpi.filter else ()
    batcher = Batcher(project)
    identity = None
    metrics = [kpi.metric]
    if kpi.identity and not by:
        identity = identity_of(kpi)
        check_identity_names(identity, project.spec.metrics, kpi)
        metrics += [identity.lhs, *identity.names]

    def values(window) -> dict:
        rows, errors = batcher.run(metrics, (), where, window[0].isoformat(), window[1].isoformat())
        if errors:
            raise QueryError(f"KPI '{node}': " + next(iter(errors.values())))
        return rows[0] if rows else {}

    if by:
        return _by_segment(project, batcher, kpi, now, before, by, where, top)
    current, previous = values(now), values(before)
    out = Explanation(node, kpi.metric, now[2], before[2], current.get(kpi.metric), previous.get(kpi.metric), None)
    if out.value is not None and out.previous is not None:
        out.change = out.value - out.previous
    if identity is None:
        out.notes.append("the node declares no identity: only the total change (use --by DIM for segments)")
        return out
    out.identity = identity.text
    missing = [n for n in identity.names if current.get(n) is None or previous.get(n) is None]
    if missing:
        out.notes.append("no value for " + ", ".join(missing) + " in one of the periods")
        return out
    if len(identity.names) > MAX_PLAYERS:
        out.notes.append(f"the identity has more than {MAX_PLAYERS} drivers")
        return out
    try:
        contributions, out.method = driver_contributions(
            identity.rhs, {n: previous[n] for n in identity.names}, {n: current[n] for n in identity.names})
    except ZeroDivisionError:
        out.notes.append("a divisor of the identity is 0 in one of the periods")
        return out
    out.drivers = [{"name": n, "previous": previous[n], "value": current[n], "contribution": float(c)}
                   for n, c in contributions.items()]
    explained = float(sum(contributions.values()))
    if out.change is not None:
        out.residual = out.change - explained
        if abs(out.residual) > 1e-6 * max(abs(out.change), abs(out.value or 0), 1.0):
            out.notes.append(f"the identity explains {explained:.6g} of the change {out.change:.6g}: "
                             "run 'kpi check' to see where it does not hold")
    return out


def _by_segment(project, batcher, kpi, now, before, by, where, top) -> Explanation:
    metric = project.spec.metrics[kpi.metric] if kpi.metric in project.spec.metrics else None
    parts = [kpi.metric]
    kind = "sum"
    if metric is not None and metric.type == "ratio" and not metric.numerator.filters \
            and not metric.denominator.filters and metric.numerator.name in project.spec.metrics \
            and metric.denominator.name in project.spec.metrics:
        parts, kind = [metric.numerator.name, metric.denominator.name], "ratio"
    elif metric is not None and metric.type == "simple" and metric.measure is not None:
        measure = _measure(project.spec, metric.measure.name)
        if measure is None or measure.agg not in ("sum", "count", "sum_boolean"):
            kind = "other"
    else:
        kind = "other"
    metrics = list(dict.fromkeys([kpi.metric] + parts))

    def rows(window):
        found, errors = batcher.run(metrics, (by,), where, window[0].isoformat(), window[1].isoformat())
        if errors:
            raise QueryError(f"KPI '{kpi.name}': " + next(iter(errors.values())))
        return {_segment(r.get(by)): r for r in found}

    cur, prev = rows(now), rows(before)
    totals, errors = batcher.run([kpi.metric], (), where, now[0].isoformat(), now[1].isoformat())
    totals_prev, _ = batcher.run([kpi.metric], (), where, before[0].isoformat(), before[1].isoformat())
    out = Explanation(kpi.name, kpi.metric, now[2], before[2], (totals[0] if totals else {}).get(kpi.metric),
                      (totals_prev[0] if totals_prev else {}).get(kpi.metric), None)
    if out.value is not None and out.previous is not None:
        out.change = out.value - out.previous
    segments = sorted(set(cur) | set(prev))

    def val(table, seg, name):
        v = table.get(seg, {}).get(name)
        return 0.0 if v is None else v

    delta = {s: val(cur, s, kpi.metric) - val(prev, s, kpi.metric) for s in segments}
    keep = sorted(segments, key=lambda s: -abs(delta[s]))[:top]
    rest = [s for s in segments if s not in keep]
    if kind == "ratio":
        num, den = parts

        def point(table, group):
            return (sum(val(table, s, num) for s in group), sum(val(table, s, den) for s in group))

        players = {s: [s] for s in keep} | ({OTHER: rest} if rest else {})
        b = {k: point(prev, g) for k, g in players.items()}
        a = {k: point(cur, g) for k, g in players.items()}

        def ratio(v):
            n, d = sum(x[0] for x in v.values()), sum(x[1] for x in v.values())
            return n / d if d else Fraction(0)

        try:
            contributions = shapley(ratio, b, a)
            out.method = "segments (Shapley on numerator and denominator)"
        except ZeroDivisionError:  # pragma: no cover - guarded in ratio()
            contributions = {}
        out.drivers = [{"name": k, "previous": _r(b[k]), "value": _r(a[k]), "contribution": float(c)}
                       for k, c in contributions.items()]
    else:
        out.method = "segments (additive)" if kind == "sum" else "segments (not additive)"
        out.drivers = [{"name": s, "previous": val(prev, s, kpi.metric), "value": val(cur, s, kpi.metric),
                        "contribution": delta[s]} for s in keep]
        if rest:
            out.drivers.append({"name": OTHER, "previous": sum(val(prev, s, kpi.metric) for s in rest),
                                "value": sum(val(cur, s, kpi.metric) for s in rest),
                                "contribution": sum(delta[s] for s in rest)})
        if kind != "sum":
            out.notes.append(f"'{kpi.metric}' does not add up over segments: segment changes need not sum to "
                             "the total")
    out.drivers.sort(key=lambda d: -abs(d["contribution"]))
    if out.change is not None and out.drivers:
        out.residual = out.change - sum(d["contribution"] for d in out.drivers)
    return out


def _segment(value) -> str:
    if value is None:
        return "(null)"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _r(pair) -> float | None:
    n, d = pair
    return float(n / d) if d else None
