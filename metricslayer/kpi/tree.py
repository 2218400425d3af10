"""KPI trees from `project.spec.kpis`: parents, children, walk order, and whether a target accumulates."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import QueryError, did_you_mean
from ..spec.model import ProjectSpec
from .expr import ExprError, is_additive, parse_expr

CUMULATIVE_AGGS = ("sum", "count", "count_distinct", "sum_boolean")


@dataclass
class Tree:
    nodes: dict  # name -> Kpi
    roots: list[str]
    children: dict[str, list[str]]
    problems: dict[str, str] = field(default_factory=dict)  # name -> structural problem

    def walk(self, root: str | None = None) -> list[tuple[int, str]]:
        """(depth, name) in display order: each root, then its children depth first."""
        out: list[tuple[int, str]] = []
        seen: set[str] = set()

        def visit(name: str, depth: int) -> None:
            if name in seen:
                return
            seen.add(name)
            out.append((depth, name))
            for child in self.children.get(name, []):
                visit(child, depth + 1)

        for name in ([root] if root else self.roots):
            visit(name, 0)
        return out

    def descendants(self, name: str) -> list[str]:
        return [n for _, n in self.walk(name)[1:]]


def build_tree(kpis: dict) -> Tree:
    """Index the nodes; an unknown parent or a cycle becomes a problem and the node a root."""
    children: dict[str, list[str]] = {name: [] for name in kpis}
    roots: list[str] = []
    problems: dict[str, str] = {}
    for name, kpi in kpis.items():
        if kpi.parent is None:
            roots.append(name)
        elif kpi.parent not in kpis:
            hint = did_you_mean(kpi.parent, kpis)
            problems[name] = f"{kpi.loc}: parent '{kpi.parent}' is not a KPI node" + (f" ({hint})" if hint else "")
            roots.append(name)
        else:
            children[kpi.parent].append(name)
    tree = Tree(dict(kpis), roots, children, problems)
    reached = {n for _, n in tree.walk()}
    for name in kpis:  # nodes on a parent cycle are not reachable from any root
        if name not in reached:
            problems[name] = f"{kpis[name].loc}: '{name}' is on a parent cycle"
            roots.append(name)
            reached |= {n for _, n in tree.walk(name)}
    return tree


def select_tree(tree: Tree, name: str | None) -> list[tuple[int, str]]:
    if name is None:
        return tree.walk()
    if name not in tree.nodes:
        raise QueryError(f"unknown KPI tree '{name}'", help=did_you_mean(name, tree.nodes) or
                         "name a KGI: " + ", ".join(tree.roots))
    return tree.walk(name)


def target_type(spec: ProjectSpec, kpi) -> str:
    """'cumulative' when the metric adds up over time (a sum or count; a derived metric that is a linear
    combination of such), else 'rate'. ``meta: {target_type: ...}`` on the node overrides."""
    meta = kpi.raw.get("meta") or {}
    if isinstance(meta, dict) and meta.get("target_type") in ("cumulative", "rate"):
        return meta["target_type"]
    return "cumulative" if kpi.metric and _adds_up(spec, kpi.metric, 0) else "rate"


def _adds_up(spec: ProjectSpec, name: str, depth: int) -> bool:
    metric = spec.metrics.get(name)
    if metric is None or depth > 20:
        return False
    if metric.type == "simple" and metric.measure is not None:
        measure = _measure(spec, metric.measure.name)
        return measure is not None and measure.agg in CUMULATIVE_AGGS
    if metric.type == "derived" and metric.expr:
        try:
            node = parse_expr(metric.expr)
        except ExprError:
            return False
        inputs = {i.output_name: i for i in metric.inputs}
        return is_additive(node) and all(
            i.offset_window is None and _adds_up(spec, i.name, depth + 1) for i in inputs.values())
    return False


def _measure(spec: ProjectSpec, name: str):
    for model in spec.semantic_models.values():
        found = model.measure(name)
        if found is not None:
            return found
    return None
