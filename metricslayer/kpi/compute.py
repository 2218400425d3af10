"""`kpi status`: run the node queries in batches and assess every node (I/O here, arithmetic in status.py).

Queries are batched: one windowed query per (target window, filter) for the actuals, and one month-grain
query per filter for the trend series, each carrying every metric of its group. A metric that fails to
compile is isolated so that only its node reports the error.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from ..errors import MetricsLayerError
from ..plan.planner import QueryRequest
from .status import ERROR, NO_DATA, NOT_STARTED, add_months, assess, window_for, worst
from .tree import Tree, build_tree, select_tree, target_type

HISTORY_MONTHS = 12
SERIES_GRAIN = "metric_time__month"


@dataclass
class NodeStatus:
    name: str
    label: str
    kind: str
    depth: int
    parent: str | None
    metric: str | None
    owner: str
    department: str
    direction: str
    target_type: str
    window_start: str | None = None
    window_end: str | None = None
    actual: float | None = None
    target: float | None = None
    baseline: float | None = None
    expected: float | None = None
    achieved: float | None = None
    attainment: float | None = None
    forecast: float | None = None
    forecast_attainment: float | None = None
    status: str = NO_DATA
    message: str = ""
    children: list[str] = field(default_factory=list)
    series: list[tuple[str, float | None]] = field(default_factory=list)  # (month, value) up to as_of

    def to_dict(self, with_series: bool = True) -> dict:
        data = asdict(self)
        if not with_series:
            data.pop("series")
        else:
            data["series"] = [list(p) for p in self.series]
        return data


@dataclass
class StatusReport:
    as_of: dt.date
    nodes: list[NodeStatus]
    queries: int = 0
    seconds: float = 0.0

    def node(self, name: str) -> NodeStatus:
        return next(n for n in self.nodes if n.name == name)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for n in self.nodes:
            out[n.status] = out.get(n.status, 0) + 1
        return out

    def to_dict(self, with_series: bool = True) -> dict:
        return {"as_of": self.as_of.isoformat(), "queries": self.queries, "seconds": round(self.seconds, 4),
                "counts": self.counts(), "nodes": [n.to_dict(with_series) for n in self.nodes]}


class Batcher:
    """Runs a group of metrics as one query; isolates metrics that fail to compile or run."""

    def __init__(self, project):
        self.project = project
        self.queries = 0

    def run(self, metrics: Sequence[str], group_by: Sequence[str], where: tuple, start: str | None,
            end: str | None) -> tuple[list[dict], dict[str, str]]:
        """Rows as dicts (metric values as floats) and {metric: error message} for the ones that failed."""
        metrics = list(dict.fromkeys(metrics))
        errors: dict[str, str] = {}
        try:
            return self._execute(metrics, group_by, where, start, end), errors
        except Exception:  # noqa: BLE001 - isolate the culprit below
            pass
        good = []
        for metric in metrics:  # find the culprits: compile alone, then run alone if needed
            try:
                self.project.compile_request(self._request([metric], group_by, where, start, end))
                good.append(metric)
            except Exception as exc:  # noqa: BLE001 - one node's failure must not stop the tree
                errors[metric] = _message(exc)
        if not good:
            return [], errors
        try:
            return self._execute(good, group_by, where, start, end), errors
        except Exception:  # noqa: BLE001
            pass
        rows_by_key: dict[tuple, dict] = {}
        for metric in good:
            try:
                for row in self._execute([metric], group_by, where, start, end):
                    key = tuple(row.get(g) for g in group_by)
                    rows_by_key.setdefault(key, {g: row.get(g) for g in group_by})[metric] = row[metric]
            except Exception as exc:  # noqa: BLE001
                errors[metric] = _message(exc)
        return list(rows_by_key.values()), errors

    @staticmethod
    def _request(metrics, group_by, where, start, end) -> QueryRequest:
        return QueryRequest(metrics=tuple(metrics), group_by=tuple(group_by), where=where,
                            start_time=start, end_time=end)

    def _execute(self, metrics, group_by, where, start, end) -> list[dict]:
        engine = self.project.engine()
        sql = self.project.compile_request(self._request(metrics, group_by, where, start, end), engine.dialect,
                                           pretty=False)
        self.queries += 1
        result = engine.execute(sql)
        return [{c: _plain(v) for c, v in zip(result.columns, row)} for row in result.rows]


def _message(exc: Exception) -> str:
    if isinstance(exc, MetricsLayerError):
        return exc.render()
    return f"internal error: {type(exc).__name__}: {exc}"


def _plain(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _filter_key(kpi) -> tuple:
    return (kpi.filter,) if kpi.filter is not None else ()


def compute_status(project, as_of: dt.date | None = None, tree_name: str | None = None,
                   tree: Tree | None = None) -> StatusReport:
    """Status of every node (or of one KGI's tree) as of a day (default: today)."""
    started = time.perf_counter()
    as_of = as_of or dt.date.today()
    tree = tree or build_tree(project.spec.kpis)
    order = select_tree(tree, tree_name)
    batcher = Batcher(project)
    nodes: dict[str, NodeStatus] = {}
    windows = {}
    for depth, name in order:
        kpi = tree.nodes[name]
        node = NodeStatus(name=name, label=kpi.label or name, kind=kpi.kind, depth=depth, parent=kpi.parent,
                          metric=kpi.metric, owner=kpi.owner, department=kpi.department,
                          direction=kpi.direction, target_type=target_type(project.spec, kpi) if kpi.metric else "",
                          target=kpi.target, baseline=kpi.baseline, children=list(tree.children.get(name, [])))
        window = window_for(kpi.start, kpi.deadline, kpi.period, as_of)
        node.window_start, node.window_end = window.start.isoformat(), window.end.isoformat()
        windows[name] = window
        if name in tree.problems:
            node.status, node.message = ERROR, tree.problems[name]
        nodes[name] = node
    measured = [n for n in nodes.values() if n.metric and n.status != ERROR]

    # actuals: one query per (window, filter)
    actual_groups: dict[tuple, list[str]] = {}
    for node in measured:
        window = windows[node.name]
        if as_of < window.start:
            continue
        key = (window.start, window.cut(as_of), _filter_key(tree.nodes[node.name]))
        actual_groups.setdefault(key, []).append(node.name)
    actuals: dict[str, float | None] = {}
    failures: dict[str, str] = {}
    for (start, cut, where), names in actual_groups.items():
        rows, errors = batcher.run([nodes[n].metric for n in names], (), where, start.isoformat(), cut.isoformat())
        for n in names:
            metric = nodes[n].metric
            if metric in errors:
                failures[n] = errors[metric]
            else:
                actuals[n] = rows[0].get(metric) if rows else None

    # trend series: one month-grain query per filter
    series_groups: dict[tuple, list[str]] = {}
    for node in measured:
        if node.name not in failures:
            series_groups.setdefault(_filter_key(tree.nodes[node.name]), []).append(node.name)
    first_month = add_months(as_of.replace(day=1), -HISTORY_MONTHS)
    series: dict[str, list[tuple[dt.date, float | None]]] = {}
    for where, names in series_groups.items():
        start = min([first_month] + [windows[n].start.replace(day=1) for n in names])
        rows, errors = batcher.run([nodes[n].metric for n in names], (SERIES_GRAIN,), where, start.isoformat(),
                                   as_of.isoformat())
        rows.sort(key=lambda r: r[SERIES_GRAIN])
        for n in names:
            metric = nodes[n].metric
            if metric not in errors:
                series[n] = [(r[SERIES_GRAIN], r.get(metric)) for r in rows]

    for node in measured:
        kpi, window = tree.nodes[node.name], windows[node.name]
        points = series.get(node.name, [])
        node.series = [(m.isoformat(), v) for m, v in points]
        if node.name in failures:
            node.status, node.message = ERROR, failures[node.name]
            continue
        history = [(m, v) for m, v in points if v is not None and add_months(m, 1) <= as_of + dt.timedelta(days=1)]
        actual = actuals.get(node.name)
        in_window = [v for m, v in points if window.start.replace(day=1) <= m <= window.cut(as_of)]
        if node.name in series and not any(v is not None for v in in_window) and not actual:
            actual = None  # no rows in the window: a count or a filled sum says 0, but there is no data
        result = assess(actual, kpi.target, node.target_type, kpi.direction, kpi.thresholds,
                        window, as_of, history)
        node.actual = actual
        for key in ("expected", "achieved", "attainment", "forecast", "forecast_attainment", "status", "message"):
            setattr(node, key, getattr(result, key))
        if as_of < window.start:
            node.status = NOT_STARTED

    # KSF nodes take the worst status of their own metric (if any) and their children
    for _, name in reversed(order):
        node = nodes[name]
        if node.kind != "ksf" or node.status == ERROR and not node.metric:
            continue
        own = [node.status] if node.metric else []
        rolled = worst(own + [nodes[c].status for c in node.children if c in nodes])
        if rolled is not None:
            if not node.metric:
                node.message = "worst of its children"
            node.status = rolled
    return StatusReport(as_of, [nodes[n] for _, n in order], batcher.queries, time.perf_counter() - started)
