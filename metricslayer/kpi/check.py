"""`kpi check`: verify each node's decomposition identity on the data, period by period."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..errors import DefinitionError, QueryError, did_you_mean
from .compute import Batcher
from .expr import ExprError, Identity, evaluate, parse_identity
from .status import add_months

DEFAULT_TOLERANCE = 1e-6  # relative
GRAINS = ("day", "week", "month", "quarter", "year")


def identity_of(kpi) -> Identity:
    """Parse a node's `identity:`; a bad one raises DefinitionError at its file and line."""
    loc = kpi.key_locs.get("identity", kpi.loc)
    try:
        return parse_identity(kpi.identity)
    except ExprError as exc:
        where = f" (column {exc.column} of the identity)" if exc.column else ""
        raise DefinitionError(f"KPI '{kpi.name}': identity {kpi.identity!r} does not parse: {exc.message}{where}",
                              help="write it as 'metric = expression' with metric names, numbers, + - * / and "
                                   "parentheses, e.g. 'revenue = sessions * conversion_rate * aov'",
                              file=loc.file or None, line=loc.line or None) from None


def check_identity_names(identity: Identity, metrics, kpi) -> None:
    loc = kpi.key_locs.get("identity", kpi.loc)
    for name in (identity.lhs,) + identity.names:
        if name not in metrics:
            raise DefinitionError(f"KPI '{kpi.name}': identity names '{name}', which is not a metric",
                                  help=did_you_mean(name, metrics) or "use metric names on both sides",
                                  file=loc.file or None, line=loc.line or None)


@dataclass
class PeriodCheck:
    period: str
    lhs: float | None
    rhs: float | None
    difference: float | None
    ok: bool
    message: str = ""


def compare(identity: Identity, rows: list[dict], period_key: str, tolerance: float) -> list[PeriodCheck]:
    """Pure: each row holds the identity's metrics for one period; relative difference within tolerance.

    >>> ident = parse_identity("r = a * b")
    >>> [c.ok for c in compare(ident, [{"p": "m1", "r": 6.0, "a": 2.0, "b": 3.0},
    ...                                {"p": "m2", "r": 7.0, "a": 2.0, "b": 3.0}], "p", 1e-6)]
    [True, False]
    """
    out = []
    for row in rows:
        period = row.get(period_key)
        period = period.isoformat() if hasattr(period, "isoformat") else str(period)
        lhs = row.get(identity.lhs)
        missing = [n for n in identity.names if row.get(n) is None]
        if lhs is None or missing:
            out.append(PeriodCheck(period, lhs, None, None, True,
                                   "skipped: no value for " + ", ".join(([identity.lhs] if lhs is None else [])
                                                                        + missing)))
            continue
        try:
            rhs = evaluate(identity.rhs, row)
        except ZeroDivisionError:
            out.append(PeriodCheck(period, lhs, None, None, True, "skipped: a divisor is 0"))
            continue
        diff = lhs - rhs
        scale = max(abs(lhs), abs(rhs))
        ok = abs(diff) <= tolerance * scale if scale else True
        out.append(PeriodCheck(period, lhs, rhs, diff, ok,
                               "" if ok else f"off by {diff:.6g} ({abs(diff) / scale:.3%})"))
    return out


@dataclass
class IdentityCheck:
    node: str
    identity: str
    file: str
    line: int
    periods: list[PeriodCheck] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and all(p.ok for p in self.periods)


def check_identities(project, as_of: dt.date, months: int = 12, grain: str = "month",
                     tolerance: float = DEFAULT_TOLERANCE, node: str | None = None) -> list[IdentityCheck]:
    """Check every node with an identity over the `months` before as_of, batched per filter."""
    kpis = project.spec.kpis
    if node is not None and node not in kpis:
        raise QueryError(f"unknown KPI node '{node}'", help=did_you_mean(node, kpis) or "run 'kpi status'")
    if grain not in GRAINS:
        raise QueryError(f"unknown grain '{grain}'", help="use one of " + ", ".join(GRAINS))
    checks: list[IdentityCheck] = []
    groups: dict[tuple, list[tuple[IdentityCheck, Identity]]] = {}
    for name, kpi in kpis.items():
        if not kpi.identity or (node and name != node):
            continue
        loc = kpi.key_locs.get("identity", kpi.loc)
        check = IdentityCheck(name, kpi.identity, loc.file, loc.line)
        checks.append(check)
        try:
            identity = identity_of(kpi)
            check_identity_names(identity, project.spec.metrics, kpi)
        except DefinitionError as exc:
            check.error = exc.render()
            continue
        groups.setdefault((kpi.filter,) if kpi.filter else (), []).append((check, identity))
    batcher = Batcher(project)
    key = f"metric_time__{grain}"
    start = add_months(as_of.replace(day=1), -months)
    for where, members in groups.items():
        metrics = [n for _, ident in members for n in (ident.lhs,) + ident.names]
        rows, errors = batcher.run(metrics, (key,), where, start.isoformat(), as_of.isoformat())
        rows.sort(key=lambda r: r[key])
        for check, ident in members:
            failed = [errors[n] for n in (ident.lhs,) + ident.names if n in errors]
            if failed:
                check.error = failed[0]
            else:
                check.periods = compare(ident, rows, key, tolerance)
    return checks
