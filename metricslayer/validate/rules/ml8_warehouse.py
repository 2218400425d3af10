"""ML8xx warehouse (`--against-target T`): tables and columns exist, with types that fit their use."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from ...errors import MetricsLayerError, did_you_mean
from ..context import LintContext
from ..issue import at
from ..registry import rule
from ..warehouse import Catalog, type_class

NUMERIC_AGGS = ("sum", "average", "median", "percentile")


def _catalog(ctx: LintContext):
    """(Catalog, None) or (None, issue) — opened once per run."""
    if hasattr(ctx, "_catalog"):
        return ctx._catalog
    project = ctx.project
    try:
        if ctx.connection is not None:
            engine = ctx.connection
        elif ctx.target_name in (None, "", project.target.name):
            engine = project.engine()
        else:
            from ...engines.base import connect
            from ...engines.profiles import load_target

            target = load_target(project.root, project.settings.profile, ctx.target_name, None, project.vars)
            engine = connect(target)
        ctx._catalog = (Catalog(engine, project.target.schema), None)
    except MetricsLayerError as exc:
        ctx._catalog = (None, at(None, "ML800", f"cannot introspect target '{ctx.target_name}': {exc.message}",
                                 exc.help or "check profiles.yml and that the warehouse is reachable"))
    except Exception as exc:  # noqa: BLE001 - a driver error must still be a finding
        ctx._catalog = (None, at(None, "ML800", f"cannot introspect target '{ctx.target_name}': "
                                 f"{type(exc).__name__}: {exc}", "check profiles.yml and the driver"))
    return ctx._catalog


def _columns_of(sql: str, dialect: str) -> set[str]:
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except Exception:  # noqa: BLE001 - ML501
        return set()
    return {c.name.lower() for c in tree.find_all(exp.Column)} if tree else set()


@rule("ML800", "target-unreachable", "The target of --against-target cannot be opened or introspected.",
      what="Opening the warehouse connection or reading information_schema failed.", needs="target",
      why="The ML8xx checks need the warehouse.",
      example="# metricslayer lint --against-target prod   (prod not in profiles.yml)",
      fix="# metricslayer lint --against-target dev")
def target_unreachable(ctx: LintContext):
    _, issue = _catalog(ctx)
    if issue is not None:
        yield issue


@rule("ML801", "missing-table", "A semantic model reads a table the target does not have.",
      what="Each semantic model's relation must exist in the target (information_schema.tables/columns).",
      why="Every metric of the model fails on that warehouse.", needs="target",
      example="model: ref('ordrs')", fix="model: ref('orders')")
def missing_table(ctx: LintContext):
    catalog, issue = _catalog(ctx)
    if catalog is None:
        return
    for model in ctx.spec.semantic_models.values():
        try:
            cols = catalog.columns(model.relation)
        except MetricsLayerError as exc:
            yield at(model.loc, "ML801", f"the SQL of semantic model '{model.name}' does not run on the target: "
                     f"{exc.message}", "fix the SELECT in its models/*.sql")
            continue
        if cols is None:
            yield at(model.loc, "ML801", f"table '{model.relation.qualified}' of semantic model '{model.name}' "
                     f"does not exist in target '{ctx.target_name}'", "check model:/node_relation, or build the "
                     "table (dbt run)")


def _elements(model):
    for what, items in (("entity", model.entities), ("dimension", model.dimensions), ("measure", model.measures)):
        for item in items:
            yield what, item


@rule("ML802", "missing-column", "An expr (or an element's name, when it has no expr) names a column the table lacks.",
      what="Columns referenced by entity, dimension and measure exprs must exist in the model's relation.",
      why="The query fails in the warehouse.", needs="target",
      example="dimensions:\n  - name: status\n    type: categorical\n    expr: order_sttus",
      fix="dimensions:\n  - name: status\n    type: categorical\n    expr: order_status")
def missing_column(ctx: LintContext):
    catalog, _ = _catalog(ctx)
    if catalog is None:
        return
    dialect = ctx.project.dialect
    for model in ctx.spec.semantic_models.values():
        try:
            cols = catalog.columns(model.relation)
        except MetricsLayerError:
            continue
        if cols is None:
            continue
        for what, item in _elements(model):
            if what == "measure" and item.agg == "count" and str(item.expr).strip() in ("1", "*"):
                continue
            for column in sorted(_columns_of(item.column, dialect)):
                if column not in cols:
                    yield at(item.loc, "ML802", f"column '{column}' of {what} '{item.name}' is not in "
                             f"'{model.relation.qualified}'", did_you_mean(column, cols) or
                             f"columns: {', '.join(sorted(cols)[:12])}")


@rule("ML803", "incompatible-column-type", "A column's type does not fit its use (sum of text, time dimension on a number).",
      what="Numeric aggregations (sum, average, median, percentile) need numeric columns; sum_boolean a boolean "
           "or number; time dimensions a date or timestamp. Checked where the expr is a bare column.",
      why="The warehouse rejects the query, or casts silently (summing '10' and '9' as text).", needs="target",
      example="measures:\n  - name: revenue\n    agg: sum\n    expr: amount_text",
      fix="measures:\n  - name: revenue\n    agg: sum\n    expr: CAST(amount_text AS DECIMAL(18, 2))")
def incompatible_type(ctx: LintContext):
    catalog, _ = _catalog(ctx)
    if catalog is None:
        return
    dialect = ctx.project.dialect
    for model in ctx.spec.semantic_models.values():
        try:
            cols = catalog.columns(model.relation)
        except MetricsLayerError:
            continue
        if not cols:
            continue
        for what, item in _elements(model):
            try:
                tree = sqlglot.parse_one(item.column, read=dialect)
            except Exception:  # noqa: BLE001
                continue
            if not isinstance(tree, exp.Column) or tree.name.lower() not in cols:
                continue
            data_type = cols[tree.name.lower()]
            kind = type_class(data_type)
            if kind == "unknown":
                continue
            need = None
            if what == "measure" and item.agg in NUMERIC_AGGS and kind != "numeric":
                need = "a numeric column"
            elif what == "measure" and item.agg == "sum_boolean" and kind not in ("boolean", "numeric"):
                need = "a boolean column"
            elif what == "dimension" and item.is_time and kind != "temporal":
                need = "a date or timestamp column"
            if need:
                yield at(item.loc, "ML803", f"{what} '{item.name}' needs {need}, but '{tree.name}' is {data_type}",
                         "cast it in expr, or point the expr at the right column")
