"""ML5xx SQL: expressions and filters parse; every metric plans, and compiles for every asked dialect."""

from __future__ import annotations

import re
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from ...errors import MetricsLayerError, UnsupportedError
from ...plan.names import render_template
from ...plan.planner import QueryRequest
from ...sql.dialects import adapt
from ..context import LintContext
from ..issue import at
from ..registry import rule

BUG_HELP = "this looks like a bug in metricslayer's planner: please report it with the definition"


@lru_cache(maxsize=65536)
def parse_error(sql: str, dialect: str) -> str:
    """'' when `sql` parses as one expression of `dialect`, else the parser's first message."""
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError) as exc:
        errors = getattr(exc, "errors", None)
        return errors[0].get("description", str(exc)) if errors else str(exc).splitlines()[0]
    except Exception as exc:  # noqa: BLE001 - sqlglot may raise other errors on odd input
        return f"{type(exc).__name__}: {exc}"
    if tree is None:
        return "empty expression"
    if isinstance(tree, (exp.Select, exp.Union)) and not sql.lstrip().startswith("("):
        return "a full SELECT statement where an expression belongs"
    return ""


def _exprs(ctx: LintContext):
    for model in ctx.spec.semantic_models.values():
        for what, items in (("entity", model.entities), ("dimension", model.dimensions),
                            ("measure", model.measures)):
            for item in items:
                if item.expr is not None:
                    yield item.loc, f"{what} '{item.name}' of semantic model '{model.name}'", str(item.expr)
    for metric in ctx.spec.metrics.values():
        if metric.type == "derived" and metric.expr:
            yield metric.loc, f"derived metric '{metric.name}'", str(metric.expr)


@rule("ML501", "expr-does-not-parse", "An expr is not valid SQL in the project's dialect.",
      what="Every `expr` of entities, dimensions, measures and derived metrics must parse as one SQL expression "
           "in the project's dialect (after Jinja).",
      why="Every query using it fails in the warehouse, usually far from the definition.",
      example="measures:\n  - name: revenue\n    agg: sum\n    expr: amount * (1 - discount",
      fix="measures:\n  - name: revenue\n    agg: sum\n    expr: amount * (1 - discount)")
def expr_parses(ctx: LintContext):
    dialect = ctx.project.dialect
    for loc, what, sql in _exprs(ctx):
        problem = parse_error(sql, dialect)
        if problem:
            yield at(loc, "ML501", f"expr of {what} does not parse: {problem}", f"fix the SQL: {sql!r}")


PLACEHOLDER = re.compile(r"__ml_ref_\d+__")


@rule("ML502", "filter-does-not-parse", "A filter does not render or is not a valid SQL condition.",
      what="Filters render with `Dimension()`, `TimeDimension()`, `Entity()` and `Metric()` and must then "
           "parse as one SQL condition in the project's dialect.",
      why="Every query of the metric fails.",
      example="filter: \"{{ Dimension('order__status') }} = 'paid\"",
      fix="filter: \"{{ Dimension('order__status') }} = 'paid'\"")
def filter_parses(ctx: LintContext):
    dialect = ctx.project.dialect
    for owner, where, _models in ctx.filters():
        try:
            text, _refs = render_template(where.sql)
        except MetricsLayerError as exc:
            yield at(where.loc, "ML502", f"filter of {owner} does not render: {exc.message}", exc.help)
            continue
        problem = parse_error(text, dialect)
        if problem:
            yield at(where.loc, "ML502", f"filter of {owner} is not a valid SQL condition: {problem}",
                     f"fix the SQL: {where.sql!r}")


def plans(ctx: LintContext) -> dict:
    """metric name -> QueryPlan or the error planning it raised (cached on the context)."""
    cached = getattr(ctx, "_plans", None)
    if cached is None:
        cached = {}
        planner = ctx.project.planner
        for name in ctx.spec.metrics:
            timed = all(_has_time(ctx, m) for m in ctx.models_of(name)) and ctx.models_of(name)
            # by metric_time where the metric has one (offset metrics need it), else as a grand total
            requests = [QueryRequest(metrics=(name,), group_by=("metric_time",))] if timed else []
            requests.append(QueryRequest(metrics=(name,)))
            for request in requests:
                try:
                    cached[name] = planner.plan(request)
                    break
                except Exception as exc:  # noqa: BLE001 - reported by ML503
                    cached.setdefault(name, exc)
        ctx._plans = cached
    return cached


BLAMED = re.compile(r"metric '([^']+)'|metric cycle: (.*)$")


def _blamed(ctx: LintContext) -> set[str]:
    names: set[str] = set()
    for issue in getattr(ctx, "issues_so_far", ()):
        if issue.code in ("ML100", "ML503") or issue.code[2:3] not in "1234":
            continue
        for match in BLAMED.finditer(issue.message):
            if match.group(1):
                names.add(match.group(1))
            else:
                names |= {n.strip() for n in match.group(2).split("->")}
    return names


def _closure(ctx: LintContext, name: str) -> set[str]:
    out, todo = set(), [name]
    while todo:
        current = todo.pop()
        if current in out:
            continue
        out.add(current)
        metric = ctx.spec.metrics.get(current)
        if metric is not None:
            todo += [item.name for _kind, item in ctx.metric_inputs(metric)]
    return out


def _has_time(ctx: LintContext, model_name: str) -> bool:
    model = ctx.spec.semantic_models[model_name]
    return all(model.agg_time_dimension(m) for m in model.measures)


@rule("ML503", "metric-does-not-compile", "A metric does not compile (the planner rejects it).",
      what="Plans every metric on its own. Problems other rules name precisely (unknown names, cycles) are "
           "reported by those rules; this catches the rest.",
      why="A metric that does not compile fails every dashboard that uses it.",
      example="# a filter whose dimension needs a join the metric's model lacks",
      fix="# fix the definition as the message says")
def metric_compiles(ctx: LintContext):
    blamed = _blamed(ctx)
    for name, result in plans(ctx).items():
        if not isinstance(result, Exception) or isinstance(result, UnsupportedError):
            continue
        if _closure(ctx, name) & blamed:
            continue  # an earlier rule already names the problem precisely
        metric = ctx.spec.metrics[name]
        if isinstance(result, MetricsLayerError):
            loc = metric.loc
            yield at(loc, "ML503", f"metric '{name}' does not compile: {result.message}", result.help)
        else:
            yield at(metric.loc, "ML503", f"metric '{name}' does not compile: {type(result).__name__}: {result}",
                     BUG_HELP)


@rule("ML504", "dialect-compile-error", "A metric's SQL does not generate, or does not re-parse, in a target dialect.",
      what="With `--dialects` (or `lint: {dialects: [...]}`), compiles every metric for every dialect and "
           "parses the output again with that dialect.",
      why="A metric that only works on one warehouse breaks the promise of one shared definition.",
      needs="dialects",
      example="# metricslayer lint --dialects duckdb,bigquery,snowflake", fix="# rewrite the expr portably")
def dialect_compiles(ctx: LintContext):
    for issue in _dialect_pass(ctx):
        if issue.code == "ML504":
            yield issue


@rule("ML505", "unsupported-in-dialect", "A target dialect lacks a function or feature a metric uses.",
      what="Generating the metric's SQL for a dialect hit a feature sqlglot cannot translate to it, or an "
           "expr calls a function sqlglot does not know (it is copied verbatim to every dialect).",
      why="The SQL would fail (or silently mean something else) on that warehouse.",
      needs="dialects", severity="warning",
      example="measures:\n  - name: p90_amount\n    agg: sum\n    expr: MY_UDF(amount)",
      fix="# use a standard function sqlglot translates, or keep the metric off the other targets")
def dialect_unsupported(ctx: LintContext):
    for issue in _dialect_pass(ctx):
        if issue.code == "ML505":
            yield issue
    dialect = ctx.project.dialect
    others = [d for d in ctx.dialects if d != dialect]
    if not others:
        return
    for loc, what, sql in _exprs(ctx):
        if parse_error(sql, dialect):
            continue
        for node in sqlglot.parse_one(sql, read=dialect).find_all(exp.Anonymous):
            yield at(loc, "ML505", f"expr of {what} calls {node.name}(), which sqlglot does not know: it is copied "
                     f"unchanged into {', '.join(others)} SQL", "check that every target has the function, or "
                     "use a standard SQL function")


def _dialect_pass(ctx: LintContext):
    cached = getattr(ctx, "_dialect_issues", None)
    if cached is not None:
        return cached
    out = []
    builder = ctx.project.sql_builder
    for name, plan in plans(ctx).items():
        if isinstance(plan, Exception):
            continue
        metric = ctx.spec.metrics[name]
        try:
            tree = builder.build(plan)
        except MetricsLayerError as exc:
            out.append(at(metric.loc, "ML504", f"metric '{name}' does not build: {exc.message}", exc.help))
            continue
        except Exception as exc:  # noqa: BLE001
            out.append(at(metric.loc, "ML504", f"metric '{name}' does not build: {type(exc).__name__}: {exc}",
                          BUG_HELP))
            continue
        for dialect in ctx.dialects:
            try:  # the same path as compile: the dialect's transforms, then generation
                sql = adapt(tree.copy(), dialect).sql(dialect=dialect, unsupported_level=ErrorLevel.RAISE)
            except UnsupportedError as exc:
                out.append(at(metric.loc, "ML505", f"metric '{name}' uses something {dialect} lacks: "
                              f"{exc.message}", exc.help or "use a construct every target supports"))
                continue
            except sqlglot.errors.UnsupportedError as exc:
                out.append(at(metric.loc, "ML505", f"metric '{name}' uses something {dialect} lacks: "
                              f"{str(exc).splitlines()[0]}", "use a construct every target supports"))
                continue
            except Exception as exc:  # noqa: BLE001
                out.append(at(metric.loc, "ML504", f"metric '{name}' does not generate {dialect} SQL: "
                              f"{type(exc).__name__}: {exc}", BUG_HELP))
                continue
            try:
                sqlglot.parse_one(sql, read=dialect)
            except (sqlglot.errors.ParseError, sqlglot.errors.TokenError) as exc:
                out.append(at(metric.loc, "ML504", f"metric '{name}': the generated {dialect} SQL does not "
                              f"parse again: {str(exc).splitlines()[0]}", BUG_HELP))
    ctx._dialect_issues = out
    return out
