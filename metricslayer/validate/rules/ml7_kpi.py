"""ML7xx KPI trees: SMART nodes (specific, measurable, achievable, relevant to a KGI, time-bound)."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from ...errors import did_you_mean
from ..context import LintContext
from ..issue import at
from ..registry import rule

MEASURED = ("kgi", "kpi")


def _key_loc(kpi, key: str):
    return kpi.key_locs.get(key) or kpi.loc


def _kpis(ctx: LintContext):
    return sorted(ctx.spec.kpis.values(), key=lambda k: (k.loc.file, k.loc.line))


@rule("ML701", "kpi-without-target", "A KGI or KPI has no target value.",
      what="Measured nodes (kgi, kpi) need `target:` (the value to reach).",
      why="Achievable and measurable: without a target there is no status, only a number.",
      example="- name: cvr\n  kind: kpi\n  parent: conversion\n  metric: conversion_rate",
      fix="- name: cvr\n  kind: kpi\n  parent: conversion\n  metric: conversion_rate\n  target: 0.035")
def without_target(ctx: LintContext):
    for kpi in _kpis(ctx):
        if kpi.kind in MEASURED and kpi.target is None:
            yield at(kpi.loc, "ML701", f"{kpi.kind.upper()} '{kpi.name}' has no target", "add target: <value>")


@rule("ML702", "kpi-without-direction", "A KGI or KPI does not say whether higher or lower is better.",
      what="Measured nodes state `direction: increase` or `direction: decrease` explicitly.",
      why="Cost per hire and conversion rate move in opposite directions; a default of 'increase' would "
          "celebrate rising costs.",
      example="- name: cpa\n  kind: kpi\n  metric: cpa\n  target: 40",
      fix="- name: cpa\n  kind: kpi\n  metric: cpa\n  target: 40\n  direction: decrease")
def without_direction(ctx: LintContext):
    for kpi in _kpis(ctx):
        if kpi.kind in MEASURED and not kpi.raw.get("direction"):
            yield at(kpi.loc, "ML702", f"{kpi.kind.upper()} '{kpi.name}' has no direction",
                     "add direction: increase (higher is better) or decrease")


@rule("ML703", "kpi-not-time-bound", "A KGI or KPI has neither a deadline nor a recurring period.",
      what="Time-bound: `start:` + `deadline:` dates, or `period: month | quarter | year` for a recurring target.",
      why="A target without a date can never be missed, so it never drives a decision.",
      example="- name: revenue_goal\n  kind: kgi\n  metric: revenue\n  target: 12000000",
      fix="- name: revenue_goal\n  kind: kgi\n  metric: revenue\n  target: 12000000\n"
          "  start: 2025-01-01\n  deadline: 2025-12-31")
def not_time_bound(ctx: LintContext):
    for kpi in _kpis(ctx):
        if kpi.kind in MEASURED and kpi.deadline is None and not kpi.period:
            yield at(kpi.loc, "ML703", f"{kpi.kind.upper()} '{kpi.name}' has no deadline or period",
                     "add start: and deadline: dates, or period: month | quarter | year")


@rule("ML704", "kpi-without-owner", "A KPI tree node has no owner.",
      what="Every node (kgi, ksf, kpi) names an `owner:`.",
      why="Specific: a goal nobody owns is nobody's job.",
      example="- name: conversion\n  kind: ksf\n  parent: revenue_goal",
      fix="- name: conversion\n  kind: ksf\n  parent: revenue_goal\n  owner: head-of-ecommerce@example.com")
def without_owner(ctx: LintContext):
    for kpi in _kpis(ctx):
        if not kpi.owner.strip():
            yield at(kpi.loc, "ML704", f"{kpi.kind.upper()} '{kpi.name}' has no owner", "add owner: <email or team>")


@rule("ML705", "kpi-unknown-parent", "A KPI tree node names a parent that does not exist (or a KGI has a parent).",
      what="`parent:` must name another node; a KGI is a tree's root and has none.",
      why="The node falls out of its tree: its status never rolls up.",
      example="- name: cvr\n  kind: kpi\n  parent: convrsion", fix="- name: cvr\n  kind: kpi\n  parent: conversion")
def unknown_parent(ctx: LintContext):
    kpis = ctx.spec.kpis
    for kpi in _kpis(ctx):
        if kpi.kind == "kgi" and kpi.parent:
            yield at(_key_loc(kpi, "parent"), "ML705", f"KGI '{kpi.name}' has a parent ('{kpi.parent}')",
                     "a KGI is the root of its tree: remove parent, or make the node a ksf/kpi")
        elif kpi.parent and kpi.parent not in kpis:
            yield at(_key_loc(kpi, "parent"), "ML705", f"parent '{kpi.parent}' of {kpi.kind.upper()} '{kpi.name}' "
                     "is not a KPI node", did_you_mean(kpi.parent, kpis) or "add the parent node")
        elif kpi.parent == kpi.name:
            yield at(_key_loc(kpi, "parent"), "ML705", f"{kpi.kind.upper()} '{kpi.name}' is its own parent",
                     "name the KSF or KGI it belongs to")


@rule("ML706", "kpi-unknown-metric", "A KPI tree node names a metric that is not defined.",
      what="`metric:` of kgi and kpi nodes must be a defined metric.",
      why="The node cannot be measured.",
      example="- name: cvr\n  kind: kpi\n  metric: conversion_rte", fix="- name: cvr\n  kind: kpi\n  metric: conversion_rate")
def unknown_metric(ctx: LintContext):
    metrics = ctx.spec.metrics
    for kpi in _kpis(ctx):
        if kpi.metric and kpi.metric not in metrics:
            yield at(_key_loc(kpi, "metric"), "ML706", f"metric '{kpi.metric}' of {kpi.kind.upper()} '{kpi.name}' "
                     "is not defined", did_you_mean(kpi.metric, metrics) or "define the metric first")


@rule("ML707", "kpi-orphan", "A KPI tree node does not lead up to a KGI.",
      what="Following `parent:` from a KSF or KPI must end at a KGI (no cycles, no KPI-only chains).",
      why="Relevant: a KPI that supports no goal is a number that drives nothing.",
      example="- name: page_views\n  kind: kpi\n  metric: sessions\n  target: 100000",
      fix="- name: page_views\n  kind: kpi\n  parent: acquisition\n  metric: sessions\n  target: 100000")
def orphans(ctx: LintContext):
    kpis = ctx.spec.kpis
    for kpi in _kpis(ctx):
        if kpi.kind == "kgi":
            continue
        node, seen = kpi, {kpi.name}
        while node.parent and node.parent in kpis and node.kind != "kgi":
            node = kpis[node.parent]
            if node.name in seen:
                break
            seen.add(node.name)
        if node.kind != "kgi":
            if kpi.parent and kpi.parent not in kpis:
                continue  # ML705
            yield at(kpi.loc, "ML707", f"{kpi.kind.upper()} '{kpi.name}' is not under a KGI"
                     + (" (its parents form a cycle)" if node.name in seen and node is not kpi else ""),
                     "set parent: to a KSF or the KGI it serves")


@rule("ML708", "too-many-kpis", "More than 5 (lint.max_kpis_per_node) KPIs sit directly under one node.",
      what="Counts kpi nodes per parent; the limit is `lint: {max_kpis_per_node: 5}` in metricslayer.yml.",
      why="Keep 3-5 key KPIs per goal: with more, none of them is key.", severity="warning",
      example="# six kind: kpi nodes with parent: conversion",
      fix="# keep the 3-5 that move the goal; demote the rest to plain metrics")
def too_many(ctx: LintContext):
    children: dict[str, list] = {}
    for kpi in _kpis(ctx):
        if kpi.kind == "kpi" and kpi.parent:
            children.setdefault(kpi.parent, []).append(kpi)
    limit = ctx.config.max_kpis_per_node
    for parent, nodes in children.items():
        if len(nodes) > limit and parent in ctx.spec.kpis:
            node = ctx.spec.kpis[parent]
            yield at(node.loc, "ML708", f"{node.kind.upper()} '{parent}' has {len(nodes)} KPIs (limit {limit}): "
                     f"{', '.join(k.name for k in nodes)}", "keep the 3-5 key KPIs; raise lint.max_kpis_per_node "
                     "only if they really are all key")


@rule("ML709", "kpi-not-measurable", "A KGI or KPI has no metric (or a KSF has one).",
      what="kgi and kpi nodes are measured by a `metric:`; ksf nodes are qualitative success factors "
           "measured through their KPIs, and have none.",
      why="Measurable: a KPI without a metric cannot have a status.",
      example="- name: cvr\n  kind: kpi\n  parent: conversion\n  target: 0.03",
      fix="- name: cvr\n  kind: kpi\n  parent: conversion\n  metric: conversion_rate\n  target: 0.03")
def not_measurable(ctx: LintContext):
    for kpi in _kpis(ctx):
        if kpi.kind in MEASURED and not kpi.metric:
            yield at(kpi.loc, "ML709", f"{kpi.kind.upper()} '{kpi.name}' has no metric", "add metric: <metric name>")
        elif kpi.kind == "ksf" and kpi.metric:
            yield at(_key_loc(kpi, "metric"), "ML709", f"KSF '{kpi.name}' has a metric",
                     "measure a success factor through kpi nodes under it; make this node kind: kpi")


@rule("ML710", "kpi-inconsistent", "A KPI node's dates, period or thresholds contradict each other.",
      what="`deadline` after `start`; a `start` needs a `deadline`; not both `deadline` and `period`; "
           "thresholds 0 < critical <= warn <= 1.5; a decrease target above zero.",
      why="Achievable and time-bound only if the dates and bands make sense.",
      example="start: 2025-12-31\ndeadline: 2025-01-01\nthresholds: {warn: 0.7, critical: 0.9}",
      fix="start: 2025-01-01\ndeadline: 2025-12-31\nthresholds: {warn: 0.9, critical: 0.7}")
def inconsistent(ctx: LintContext):
    for kpi in _kpis(ctx):
        if kpi.start and kpi.deadline and kpi.deadline <= kpi.start:
            yield at(_key_loc(kpi, "deadline"), "ML710", f"deadline {kpi.deadline} of '{kpi.name}' is not after "
                     f"its start {kpi.start}", "swap or fix the dates")
        if kpi.deadline and kpi.period:
            yield at(_key_loc(kpi, "period"), "ML710", f"'{kpi.name}' has both a deadline and a period",
                     "use start/deadline for a one-off target, or period for a recurring one")
        if kpi.start and not kpi.deadline and not kpi.period:
            yield at(_key_loc(kpi, "start"), "ML710", f"'{kpi.name}' has a start but no deadline",
                     "add deadline: <date>")
        t = kpi.thresholds
        if "thresholds" in kpi.raw and not (0 < t.critical <= t.warn <= 1.5):
            yield at(_key_loc(kpi, "thresholds"), "ML710", f"thresholds of '{kpi.name}' must satisfy "
                     f"0 < critical <= warn (got warn {t.warn}, critical {t.critical})",
                     "fractions of the target, e.g. {warn: 0.9, critical: 0.75}")
        if kpi.direction == "decrease" and kpi.target is not None and kpi.target <= 0:
            yield at(_key_loc(kpi, "target"), "ML710", f"'{kpi.name}' aims to decrease to {kpi.target}",
                     "a decrease target must be above zero (thresholds are fractions of it)")


@rule("ML711", "ksf-without-kpis", "A KSF (success factor) has no KPI under it.", severity="warning",
      what="Every ksf node should be measured by at least one kpi node.",
      why="A success factor nothing measures cannot be managed.",
      example="- name: retention\n  kind: ksf\n  parent: revenue_goal",
      fix="- name: retention_rate\n  kind: kpi\n  parent: retention\n  metric: retention_rate")
def ksf_without_kpis(ctx: LintContext):
    parents = {k.parent for k in ctx.spec.kpis.values() if k.kind == "kpi"}
    for kpi in _kpis(ctx):
        if kpi.kind == "ksf" and kpi.name not in parents:
            yield at(kpi.loc, "ML711", f"KSF '{kpi.name}' has no KPIs", "add kind: kpi nodes with parent: "
                     f"{kpi.name}")


@rule("ML712", "kpi-bad-identity", "A KPI node's identity does not parse or names unknown metrics/nodes.",
      what="`identity: revenue = sessions * conversion_rate * aov` must be `name = expression`, where every "
           "name is a metric or a KPI node.",
      why="The decomposition is how the KPI-monitoring report explains a miss; a wrong one explains nothing.",
      example="identity: revenue = sesions * conversion_rate * aov",
      fix="identity: revenue = sessions * conversion_rate * aov")
def bad_identity(ctx: LintContext):
    known = set(ctx.spec.metrics) | set(ctx.spec.kpis)
    for kpi in _kpis(ctx):
        if not kpi.identity:
            continue
        loc = _key_loc(kpi, "identity")
        left, sep, right = kpi.identity.partition("=")
        if not sep or not left.strip() or not right.strip():
            yield at(loc, "ML712", f"identity of '{kpi.name}' is not 'name = expression'",
                     "write identity: revenue = sessions * conversion_rate * aov")
            continue
        try:
            tree = sqlglot.parse_one(right)
        except Exception as exc:  # noqa: BLE001
            yield at(loc, "ML712", f"identity of '{kpi.name}' does not parse: {str(exc).splitlines()[0]}",
                     "use + - * / and parentheses over metric names")
            continue
        names = [left.strip()] + [c.name for c in tree.find_all(exp.Column)]
        for name in names:
            if name not in known:
                yield at(loc, "ML712", f"identity of '{kpi.name}' names '{name}', which is neither a metric nor a "
                         "KPI node", did_you_mean(name, known) or "use metric names")
