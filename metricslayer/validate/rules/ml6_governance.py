"""ML6xx governance: descriptions and owners, duplicate definitions, one concept defined twice, ratio traps."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.simplify import simplify

from ...errors import MetricsLayerError
from ...plan.names import render_template
from ...spec.model import Metric
from ..context import LintContext
from ..issue import at
from ..registry import rule


# -- canonical forms ------------------------------------------------------------------------------
@lru_cache(maxsize=65536)
def normal_sql(sql: str, dialect: str, condition: bool = False) -> str:
    """A canonical text for an expression: identifiers normalised, simplified, AND-terms sorted.

    >>> normal_sql("b > 1 AND A = 2", "duckdb", True) == normal_sql("a = 2 and (b > 1)", "duckdb", True)
    True
    """
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
        tree = simplify(normalize_identifiers(tree, dialect=dialect), dialect=dialect)
    except Exception:  # noqa: BLE001 - ML501/ML502 report what does not parse
        return " ".join(sql.lower().split())
    if condition:
        terms = list(tree.flatten()) if isinstance(tree, exp.And) else [tree]
        return " AND ".join(sorted(t.sql(dialect=dialect) for t in terms))
    return tree.sql(dialect=dialect)


def _filter_form(sql: str, dialect: str) -> str:
    try:
        text, refs = render_template(sql)
    except MetricsLayerError:
        return sql
    for i, ref in enumerate(refs):
        name = "__".join(ref.chain + (ref.element,)) + (f"__{ref.grain}" if ref.grain else "")
        text = text.replace(f"__ml_ref_{i}__", f"ref_{name}".replace(".", "_"))
    return normal_sql(text, dialect, True)


class Canon:
    """Exact canonical forms of metrics (cached), used where the cheap keys collide."""

    def __init__(self, ctx: LintContext):
        self.ctx = ctx
        self.dialect = ctx.project.dialect
        self.cache: dict[tuple, str] = {}

    def metric(self, name: str, filters: frozenset = frozenset(), stack: tuple = ()) -> str:
        key = (name, filters)
        if key in self.cache:
            return self.cache[key]
        metric = self.ctx.spec.metrics.get(name)
        if metric is None or name in stack:
            return f"?{name}"
        stack += (name,)
        filters = filters | {_filter_form(f.sql, self.dialect) for f in metric.filters}
        if metric.type in ("simple", "cumulative") and metric.measure:
            extra = (metric.window, metric.grain_to_date, metric.period_agg) if metric.type == "cumulative" else ()
            form = repr(("simple", self.input(metric.measure, filters, stack, measure=True), extra,
                         metric.time_granularity))
        elif metric.type == "ratio":
            form = repr(("ratio", self.input(metric.numerator, filters, stack),
                         self.input(metric.denominator, filters, stack)))
        elif metric.type == "derived":
            names = {i.output_name: self.input(i, filters, stack) for i in metric.inputs}
            form = repr(("derived", self.derived_expr(metric.expr or "", names)))
        else:
            form = repr((metric.type, name))  # conversion metrics: compared by name only
        self.cache[key] = form
        return form

    def input(self, item, filters: frozenset, stack: tuple, measure: bool = False) -> str:
        filters = filters | {_filter_form(f.sql, self.dialect) for f in item.filters}
        options = (item.offset_window, item.offset_to_grain, repr(item.fill_nulls_with))
        if not measure and item.name in self.ctx.spec.metrics:
            return repr((self.metric(item.name, filters, stack), options))
        owner = self.ctx.measure_owner.get(item.name)
        if owner is None:
            return f"?{item.name}"
        m = owner.measure(item.name)
        relation = owner.relation.sql or owner.relation.qualified
        column = normal_sql(m.column, self.dialect)
        agg_time = owner.agg_time_dimension(m)
        return repr((relation, m.agg, column, m.percentile, m.non_additive_dimension, agg_time,
                     tuple(sorted(filters)), options))

    def derived_expr(self, expr: str, names: dict[str, str]) -> str:
        try:
            tree = sqlglot.parse_one(expr, read=self.dialect)
        except Exception:  # noqa: BLE001
            return expr
        for column in tree.find_all(exp.Column):
            form = names.get(column.name)
            if form is not None:
                column.replace(exp.column("m_" + hashlib.sha1(form.encode()).hexdigest()[:16]))
        return simplify(tree).sql(dialect=self.dialect)


def leaf_key(ctx: LintContext, name: str, stack: tuple = ()) -> tuple:
    """The cheap key: metric type and the (model, agg) of every measure it uses."""
    metric = ctx.spec.metrics.get(name)
    if metric is None or name in stack:
        return ()
    out = []
    for kind, item in ctx.metric_inputs(metric):
        owner = ctx.measure_owner.get(item.name)
        if (kind == "measure" or item.name not in ctx.spec.metrics) and owner is not None:
            out.append((owner.name, owner.measure(item.name).agg))
        else:
            out.extend(leaf_key(ctx, item.name, stack + (name,))[1:])
    return (metric.type, *sorted(out))


def canon(ctx: LintContext) -> Canon:
    if getattr(ctx, "_canon", None) is None:
        ctx._canon = Canon(ctx)
    return ctx._canon


def _ordered(metrics: list[Metric]) -> list[Metric]:
    return sorted(metrics, key=lambda m: (m.loc.file, m.loc.line, m.name))


@rule("ML601", "duplicate-definition", "Two metrics compute the same thing under different names.",
      what="Compares a normalised form of every metric (measures with their agg, expr and table, filters as "
           "sorted canonical conditions, ratio and derived structure). Metrics are first bucketed by a cheap key "
           "(type and the models/aggregations they use); the sqlglot-normalised form is computed only inside "
           "buckets that collide. The later definition is reported, naming the earlier.",
      why="Two names for one number drift apart as soon as one of them is edited; keep one and refer to it.",
      severity="warning",
      example="- name: orders\n  type: simple\n  type_params: {measure: order_count}\n"
              "- name: order_volume\n  type: simple\n  type_params: {measure: order_count}",
      fix="# keep one metric; give the other name as a synonym:\n"
          "- name: orders\n  type: simple\n  type_params: {measure: order_count}\n"
          "  config: {meta: {synonyms: [order volume]}}")
def duplicates(ctx: LintContext):
    buckets: dict[tuple, list[Metric]] = {}
    for metric in ctx.spec.metrics.values():
        buckets.setdefault(leaf_key(ctx, metric.name), []).append(metric)
    c = canon(ctx)
    for key, metrics in buckets.items():
        if len(metrics) < 2 or not key:
            continue
        seen: dict[str, Metric] = {}
        for metric in _ordered(metrics):
            form = c.metric(metric.name)
            if "?" in form:
                continue
            if form in seen:
                first = seen[form]
                yield at(metric.loc, "ML601", f"metric '{metric.name}' has the same definition as '{first.name}' "
                         f"({first.loc})", f"keep one of them; refer to '{first.name}' instead (or add "
                         "'# metricslayer: noqa ML601' if both names must stay)")
            else:
                seen[form] = metric


def _missing(ctx: LintContext, code: str, what: str, getter):
    for metric in ctx.spec.metrics.values():
        if getter(metric):
            continue
        yield at(metric.loc, code, f"metric '{metric.name}' has no {what}", _HELP[code])


_HELP = {
    "ML602": "add description: (what is counted, units, what is left out)",
    "ML603": "add config: {meta: {owner: team@example.com}}",
    "ML604": "add config: {meta: {department: sales}}",
}


def _meta(ctx: LintContext, metric: Metric, key: str) -> str:
    value = metric.meta.get(key)
    if not value and metric.type == "simple" and metric.measure and not metric.meta:
        owner = ctx.measure_owner.get(metric.measure.name)  # create_metric: the model's meta
        value = owner.meta.get(key) if owner is not None else None
    return str(value or "")


@rule("ML602", "missing-description", "A metric has no description.", severity="warning",
      what="Every metric should say what it counts, in which unit, and what it leaves out.",
      why="Two teams reading one name differently is how shared definitions fork.",
      example="- name: revenue\n  type: simple\n  type_params: {measure: order_total}",
      fix="- name: revenue\n  description: Order value after discounts, cancelled orders excluded, USD.\n"
          "  type: simple\n  type_params: {measure: order_total}")
def missing_description(ctx: LintContext):
    return _missing(ctx, "ML602", "description", lambda m: m.description.strip())


@rule("ML603", "missing-owner", "A metric has no owner (config.meta.owner).", severity="warning",
      what="Every metric names who answers for it in `config: {meta: {owner: ...}}` (auto-created measure "
           "metrics inherit their semantic model's meta).",
      why="A number nobody owns is a number nobody fixes.",
      example="- name: revenue\n  type: simple\n  type_params: {measure: order_total}",
      fix="- name: revenue\n  type: simple\n  type_params: {measure: order_total}\n"
          "  config: {meta: {owner: finance@example.com, department: finance}}")
def missing_owner(ctx: LintContext):
    return _missing(ctx, "ML603", "owner", lambda m: _meta(ctx, m, "owner"))


@rule("ML604", "missing-department", "A metric has no department (config.meta.department).", severity="warning",
      what="Every metric names the department whose definition it is.",
      why="ML605 finds one concept defined differently by two departments; it needs departments to do so.",
      example="config: {meta: {owner: finance@example.com}}",
      fix="config: {meta: {owner: finance@example.com, department: finance}}")
def missing_department(ctx: LintContext):
    return _missing(ctx, "ML604", "department", lambda m: _meta(ctx, m, "department"))


_PAREN = re.compile(r"\(([^)]*)\)")


def concepts(metric: Metric, groups: list[list[str]]) -> set[str]:
    """Normalised concept names of a metric: label, name, an acronym in parentheses, declared synonyms."""
    out = set()
    label = metric.label or ""
    for acronym in _PAREN.findall(label):
        if re.fullmatch(r"[A-Z][A-Za-z0-9]{1,7}", acronym.strip()) and acronym.strip().upper() == acronym.strip():
            out.add(_norm(acronym))
    out.add(_norm(_PAREN.sub("", label)))
    out.add(_norm(metric.name))
    synonyms = metric.meta.get("synonyms") or []
    if isinstance(synonyms, str):
        synonyms = [synonyms]
    out |= {_norm(str(s)) for s in synonyms}
    for group in groups:
        normed = {_norm(g) for g in group}
        if out & normed:
            out |= normed
    out.discard("")
    return out


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


@rule("ML605", "concept-defined-twice", "One concept (same label or synonym) is defined differently by two departments.",
      what="Groups metrics by concept: the label (without parenthesised qualifiers), an acronym in parentheses "
           "(`Conversion rate (CVR)` is also `cvr`), the name, `config.meta.synonyms`, and `lint.synonyms` groups "
           "in metricslayer.yml. Two metrics of one concept from different departments with different "
           "definitions are reported at the later one, naming both places.",
      why="'Define CVR once across departments': two CVRs on two dashboards end in a meeting about whose is "
          "right.",
      example="# marketing.yml\n- name: marketing_cvr\n  label: Conversion rate (CVR)\n  config: {meta: {department: marketing}}\n"
              "# ecommerce.yml\n- name: conversion_rate\n  label: Conversion rate\n  config: {meta: {department: ecommerce}}",
      fix="# one metric, one owner; the other department uses it (with a filter if it needs one):\n"
          "- name: conversion_rate\n  label: Conversion rate (CVR)\n  config: {meta: {department: ecommerce}}")
def concept_conflicts(ctx: LintContext):
    by_concept: dict[str, list[Metric]] = {}
    for metric in ctx.spec.metrics.values():
        for concept in concepts(metric, ctx.config.synonyms):
            by_concept.setdefault(concept, []).append(metric)
    c = canon(ctx)
    reported: set[tuple[str, str]] = set()
    for concept, metrics in sorted(by_concept.items()):
        if len(metrics) < 2:
            continue
        ordered = _ordered(metrics)
        for i, later in enumerate(ordered):
            for earlier in ordered[:i]:
                pair = (earlier.name, later.name)
                if pair in reported or not earlier.department or not later.department \
                        or earlier.department == later.department:
                    continue
                if c.metric(earlier.name) == c.metric(later.name):
                    continue
                reported.add(pair)
                yield at(later.loc, "ML605", f"'{concept}' is defined by {later.department} as metric "
                         f"'{later.name}' and differently by {earlier.department} as '{earlier.name}' "
                         f"({earlier.loc})", "agree on one definition and delete the other, or rename one so "
                         "the labels no longer claim the same concept")


def _ratio_like(ctx: LintContext, name: str) -> bool:
    metric = ctx.spec.metrics.get(name)
    if metric is None:
        return False
    if metric.type in ("ratio", "conversion"):
        return True
    if metric.type == "derived" and metric.expr:
        try:
            return isinstance(sqlglot.parse_one(metric.expr).unnest(), exp.Div)
        except Exception:  # noqa: BLE001
            return False
    return False


@rule("ML606", "averaged-ratios", "A metric averages ratios (e.g. (a_rate + b_rate) / 2).", severity="warning",
      what="A derived metric that adds ratio metrics and divides by a constant, or a measure with "
           "`agg: average` over a per-row division.",
      why="The mean of two rates is not the rate of the whole unless both have the same denominator; "
          "recompute the ratio from summed numerators and denominators.",
      example="type: derived\ntype_params:\n  expr: (eu_cvr + us_cvr) / 2\n  metrics: [{name: eu_cvr}, {name: us_cvr}]",
      fix="type: ratio\ntype_params: {numerator: orders, denominator: sessions}")
def averaged_ratios(ctx: LintContext):
    for metric in ctx.spec.metrics.values():
        if metric.type != "derived" or not metric.expr:
            continue
        try:
            tree = sqlglot.parse_one(metric.expr, read=ctx.project.dialect)
        except Exception:  # noqa: BLE001
            continue
        by_alias = {i.output_name: i.name for i in metric.inputs}
        for div in tree.find_all(exp.Div):
            num, den = div.this.unnest(), div.expression.unnest()
            if not isinstance(num, exp.Add) or not isinstance(den, exp.Literal):
                continue
            ratios = [c.name for c in num.find_all(exp.Column) if _ratio_like(ctx, by_alias.get(c.name, c.name))]
            if len(ratios) >= 2:
                yield at(metric.loc, "ML606", f"derived metric '{metric.name}' averages the ratios "
                         f"{', '.join(ratios)}", "define a ratio metric over the summed numerators and denominators")
    for model in ctx.spec.semantic_models.values():
        for measure in model.measures:
            if measure.agg != "average" or not measure.expr:
                continue
            try:
                tree = sqlglot.parse_one(measure.expr, read=ctx.project.dialect)
            except Exception:  # noqa: BLE001
                continue
            if any(not isinstance(d.expression.unnest(), exp.Literal) for d in tree.find_all(exp.Div)):
                yield at(measure.loc, "ML606", f"measure '{measure.name}' averages a per-row ratio "
                         f"({measure.expr})", "sum the numerator and the denominator as two measures and define "
                         "a ratio metric")


def _distinct_leaves(ctx: LintContext, name: str, stack: tuple = ()) -> bool:
    metric = ctx.spec.metrics.get(name)
    if metric is None or name in stack:
        return False
    if metric.type in ("simple", "cumulative") and metric.measure:
        owner = ctx.measure_owner.get(metric.measure.name)
        return bool(owner and owner.measure(metric.measure.name).agg == "count_distinct")
    if metric.type == "derived" and metric.expr:
        try:
            tree = sqlglot.parse_one(metric.expr).unnest()
        except Exception:  # noqa: BLE001
            return False
        return isinstance(tree, (exp.Column, exp.Add)) and any(
            _distinct_leaves(ctx, i.name, stack + (name,)) for i in metric.inputs)
    return False


@rule("ML607", "summed-distinct-counts", "A metric adds distinct counts (they do not add up across sets or grains).",
      what="A derived metric that adds count_distinct metrics (`visitors_web + visitors_app`), directly or "
           "through derived inputs that are sums themselves.",
      why="A customer counted in both parts is counted twice; the distinct count of the union is smaller.",
      severity="warning",
      example="type: derived\ntype_params:\n  expr: web_customers + app_customers\n"
              "  metrics: [{name: web_customers}, {name: app_customers}]",
      fix="# one count_distinct measure over both channels:\n- name: customers\n  type: simple\n"
          "  type_params: {measure: distinct_customers}")
def summed_distinct(ctx: LintContext):
    for metric in ctx.spec.metrics.values():
        if metric.type != "derived" or not metric.expr:
            continue
        try:
            tree = sqlglot.parse_one(metric.expr, read=ctx.project.dialect)
        except Exception:  # noqa: BLE001
            continue
        by_alias = {i.output_name: i.name for i in metric.inputs}
        for add in tree.find_all(exp.Add):
            names = [c.name for c in add.find_all(exp.Column)
                     if _distinct_leaves(ctx, by_alias.get(c.name, c.name))]
            if len(names) >= 2:
                yield at(metric.loc, "ML607", f"derived metric '{metric.name}' adds the distinct counts "
                         f"{', '.join(names)}", "count distinct over the union in one measure instead")
                break
