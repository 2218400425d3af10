"""ML2xx references: unknown measures, metrics, dimensions and entities; derived expressions; cycles."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from ...errors import MetricsLayerError, did_you_mean
from ...plan.names import parse_group_by, render_template
from ..context import LintContext
from ..issue import at
from ..registry import rule


@rule("ML201", "unknown-measure", "A metric uses a measure that no semantic model defines.",
      what="The `measure` of a simple or cumulative metric, and the base/conversion measures of a conversion "
           "metric, must be measures of some semantic model.",
      why="The metric cannot be computed; every query of it fails.",
      example="metrics:\n  - name: revenue\n    type: simple\n    type_params: {measure: order_totl}",
      fix="metrics:\n  - name: revenue\n    type: simple\n    type_params: {measure: order_total}")
def unknown_measure(ctx: LintContext):
    measures = ctx.graph.measures
    for metric in ctx.spec.metrics.values():
        for kind, item in ctx.metric_inputs(metric):
            if kind != "measure" or item.name in measures:
                continue
            if metric.type == "cumulative" and item.name in ctx.spec.metrics:
                continue
            yield at(item.loc or metric.loc, "ML201", f"metric '{metric.name}' uses unknown measure '{item.name}'",
                     did_you_mean(item.name, measures) or "define the measure in a semantic model")


@rule("ML202", "unknown-metric", "A metric, saved query or filter uses a metric that is not defined.",
      what="Inputs of ratio and derived metrics, the metrics of saved queries, and `{{ Metric('x', ...) }}` "
           "in filters must name defined metrics.",
      why="The referring definition cannot be computed.",
      example="metrics:\n  - name: aov\n    type: ratio\n    type_params: {numerator: revenu, denominator: orders}",
      fix="metrics:\n  - name: aov\n    type: ratio\n    type_params: {numerator: revenue, denominator: orders}")
def unknown_metric(ctx: LintContext):
    metrics, measures = ctx.spec.metrics, ctx.graph.measures
    for metric in metrics.values():
        for kind, item in ctx.metric_inputs(metric):
            if kind == "metric" and item.name not in metrics and item.name not in measures:
                yield at(item.loc or metric.loc, "ML202", f"metric '{metric.name}' uses unknown metric '{item.name}'",
                         did_you_mean(item.name, metrics) or "define the metric first")
    for query in ctx.spec.saved_queries.values():
        for name in query.metrics:
            if name not in metrics:
                yield at(query.loc, "ML202", f"saved query '{query.name}' uses unknown metric '{name}'",
                         did_you_mean(name, metrics) or "define the metric first")
    for owner, where, _models in ctx.filters():
        for ref in _refs(where.sql):
            if ref.kind == "metric" and ref.element not in metrics:
                yield at(where.loc, "ML202", f"filter of {owner} uses unknown metric '{ref.element}'",
                         did_you_mean(ref.element, metrics) or "define the metric first")


def _refs(sql: str):
    try:
        return render_template(sql)[1]
    except MetricsLayerError:
        return []  # ML502 reports filters that do not render


@rule("ML203", "unknown-dimension", "A filter or saved query names a dimension or entity that does not exist.",
      what="Every `{{ Dimension('entity__dim') }}`, `{{ TimeDimension(...) }}` and `{{ Entity(...) }}` in a "
           "filter (metrics, metric inputs, saved queries, KPI nodes) and every saved-query group-by item must "
           "name a dimension or entity some semantic model defines; entity paths must be entities.",
      why="The filter fails at query time, for every query of the metric.",
      example="filter: \"{{ Dimension('customer__regoin') }} = 'EU'\"",
      fix="filter: \"{{ Dimension('customer__region') }} = 'EU'\"")
def unknown_dimension(ctx: LintContext):
    g = ctx.graph
    everything = sorted(_all_names(ctx))
    for owner, where, _models in ctx.filters():
        for ref in _refs(where.sql):
            problem = _unknown(ref, g)
            if problem:
                yield at(where.loc, "ML203", f"filter of {owner}: {problem}",
                         did_you_mean("__".join(ref.chain + (ref.element,)), everything)
                         or "run 'metricslayer list dimensions'")
    for query in ctx.spec.saved_queries.values():
        for text in query.group_by:
            try:
                readings = parse_group_by(text)
            except MetricsLayerError as exc:
                yield at(query.loc, "ML203", f"saved query '{query.name}': {exc.message}", exc.help)
                continue
            if all(_unknown(r, g) for r in readings):
                yield at(query.loc, "ML203", f"saved query '{query.name}' groups by unknown '{text}'",
                         did_you_mean(text, everything) or "run 'metricslayer list dimensions'")


def _unknown(ref, g) -> str:
    if ref.kind == "metric_time" or ref.kind == "metric":
        return ""
    for entity in ref.chain:
        if entity not in g.entity_names:
            return f"unknown entity '{entity}' in '{ref.text}'"
    if ref.kind == "dimension" and ref.element not in g.dimension_names:
        if ref.element in g.entity_names and not ref.grain:
            return ""
        return f"unknown dimension '{'__'.join(ref.chain + (ref.element,))}'"
    if ref.kind == "entity" and ref.element not in g.entity_names:
        return f"unknown entity '{ref.element}'"
    return ""


def _all_names(ctx: LintContext) -> set[str]:
    names = {"metric_time"}
    for model in ctx.spec.semantic_models.values():
        for entity in model.own_entities:
            names |= {f"{entity}__{d.name}" for d in model.dimensions}
        names |= {e.name for e in model.entities}
    return names


@rule("ML204", "derived-expr-unknown-name", "A derived metric's expr uses a name that is not among its inputs.",
      what="Every column name in a derived metric's `expr` must be the name (or alias) of one of its "
           "`type_params.metrics`.",
      why="The name is undefined in the derived query; the metric does not compile.",
      example="type: derived\ntype_params:\n  expr: revenue - cost\n  metrics: [{name: revenue}]",
      fix="type: derived\ntype_params:\n  expr: revenue - cost\n  metrics: [{name: revenue}, {name: cost}]")
def derived_unknown_names(ctx: LintContext):
    for metric in ctx.spec.metrics.values():
        if metric.type != "derived" or not metric.expr:
            continue
        names = _expr_names(metric.expr, ctx.project.dialect)
        if names is None:
            continue  # ML501 reports expressions that do not parse
        inputs = [i.output_name for i in metric.inputs]
        for name in sorted(names - set(inputs)):
            yield at(metric.loc, "ML204", f"derived metric '{metric.name}' uses '{name}', which is not one of "
                     f"its inputs ({', '.join(inputs) or 'none'})",
                     did_you_mean(name, inputs) or f"add '- name: {name}' under type_params.metrics")


@rule("ML205", "unused-derived-input", "A derived metric lists an input its expr never uses.",
      what="Inputs listed in `type_params.metrics` but absent from `expr`.", severity="warning",
      why="An unused input still costs a scan and usually means the expr or an alias is wrong.",
      example="type_params:\n  expr: revenue\n  metrics: [{name: revenue}, {name: cost}]",
      fix="type_params:\n  expr: revenue - cost\n  metrics: [{name: revenue}, {name: cost}]")
def derived_unused_inputs(ctx: LintContext):
    for metric in ctx.spec.metrics.values():
        if metric.type != "derived" or not metric.expr:
            continue
        names = _expr_names(metric.expr, ctx.project.dialect)
        if names is None:
            continue
        for item in metric.inputs:
            if item.output_name not in names:
                yield at(item.loc or metric.loc, "ML205",
                         f"input '{item.output_name}' of derived metric '{metric.name}' is not used in its expr",
                         "use it in expr, or remove it from type_params.metrics")


def _expr_names(expr: str, dialect: str) -> set[str] | None:
    try:
        tree = sqlglot.parse_one(str(expr), read=dialect)
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError, ValueError):
        return None
    return {c.name for c in tree.find_all(exp.Column) if not c.table}


@rule("ML206", "metric-cycle", "Metrics depend on each other in a cycle.",
      what="A metric that (through ratio/derived/cumulative inputs) depends on itself.",
      why="It can never be computed.",
      example="- name: a\n  type: derived\n  type_params: {expr: b, metrics: [{name: b}]}\n"
              "- name: b\n  type: derived\n  type_params: {expr: a, metrics: [{name: a}]}",
      fix="# break the cycle: one of them must be built from measures")
def metric_cycles(ctx: LintContext):
    metrics = ctx.spec.metrics
    state: dict[str, int] = {}  # 1 visiting, 2 done
    reported: set[frozenset] = set()

    def visit(name: str, stack: list[str]):
        state[name] = 1
        stack.append(name)
        for kind, item in ctx.metric_inputs(metrics[name]):
            if kind != "metric" or item.name not in metrics:
                continue
            if state.get(item.name) == 1:
                cycle = stack[stack.index(item.name):] + [item.name]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    first = metrics[cycle[0]]
                    yield at(first.loc, "ML206", f"metric cycle: {' -> '.join(cycle)}",
                             "break the cycle: a metric cannot depend on itself")
            elif item.name not in state:
                yield from visit(item.name, stack)
        stack.pop()
        state[name] = 2

    for name in metrics:
        if name not in state:
            yield from visit(name, [])


@rule("ML208", "duplicate-measure", "Two semantic models define a measure of the same name.",
      what="Measure names must be unique across semantic models (metrics refer to measures by name alone). "
           "The later one is reported, naming the earlier.",
      why="A metric using the name silently gets the first model's measure.",
      example="# models/orders.yml: measures: [{name: revenue, agg: sum}]\n"
              "# models/invoices.yml: measures: [{name: revenue, agg: sum}]",
      fix="# models/invoices.yml: measures: [{name: invoiced_revenue, agg: sum}]")
def duplicate_measures(ctx: LintContext):
    first: dict = {}
    for model in ctx.spec.semantic_models.values():
        for measure in model.measures:
            if measure.name in first:
                other_model, other = first[measure.name]
                if other_model is model:
                    continue
                yield at(measure.loc, "ML208", f"measure '{measure.name}' of semantic model '{model.name}' is also "
                         f"defined by semantic model '{other_model.name}' ({other.loc})",
                         "rename one of them; metrics name measures without their model")
            else:
                first[measure.name] = (model, measure)


@rule("ML209", "unknown-entity", "A conversion metric or primary_entity names an entity that does not exist.",
      what="`conversion_type_params.entity` must be an entity of both measures' semantic models; "
           "`primary_entity` must not collide with the model's own entities.",
      why="The conversion join (or the model's identity) is undefined.",
      example="conversion_type_params: {entity: usr, base_measure: visits, conversion_measure: buys}",
      fix="conversion_type_params: {entity: user, base_measure: visits, conversion_measure: buys}")
def unknown_entity(ctx: LintContext):
    for metric in ctx.spec.metrics.values():
        conv = metric.conversion
        if conv is None:
            continue
        for item in (conv.base_measure, conv.conversion_measure):
            model = ctx.measure_owner.get(item.name)
            if model is not None and model.entity(conv.entity) is None:
                yield at(metric.loc, "ML209", f"conversion metric '{metric.name}': entity '{conv.entity}' is not an "
                         f"entity of semantic model '{model.name}' (measure '{item.name}')",
                         did_you_mean(conv.entity, [e.name for e in model.entities]) or
                         "use an entity both semantic models declare")
