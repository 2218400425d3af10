"""Write a loaded project as MetricFlow-readable YAML: one object per document, Jinja rendered,
refs resolved to relations. MetricFlow's own parser and validator read the result unchanged."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from ..errors import ProjectError
from ..spec.model import Measure, Metric, MetricInput, SavedQuery, SemanticModel


def _drop_empty(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in (None, "", [], {}, ())}


def semantic_model_doc(model: SemanticModel, default_schema: str = "main") -> dict:
    relation = model.relation
    node_relation = _drop_empty({"schema_name": relation.schema or default_schema, "alias": relation.name,
                                 "database": relation.database})
    return {"semantic_model": _drop_empty({
        "name": model.name,
        "description": model.description,
        "label": model.label,
        "node_relation": node_relation,
        "defaults": {"agg_time_dimension": model.default_agg_time_dimension}
        if model.default_agg_time_dimension else None,
        "primary_entity": model.primary_entity,
        "entities": [_drop_empty({"name": e.name, "type": e.type, "expr": e.expr, "description": e.description})
                     for e in model.entities],
        "dimensions": [_drop_empty({
            "name": d.name, "type": d.type, "expr": d.expr, "description": d.description, "label": d.label,
            "is_partition": d.is_partition or None,
            "type_params": _drop_empty({
                "time_granularity": d.granularity,
                "validity_params": _drop_empty({"is_start": d.validity.is_start or None,
                                                "is_end": d.validity.is_end or None}) if d.validity else None,
            }) if d.is_time else None,
        }) for d in model.dimensions],
        "measures": [_measure(m) for m in model.measures],
    })}


def _measure(measure: Measure) -> dict:
    params = None
    if measure.agg == "percentile" or measure.use_discrete_percentile or measure.use_approximate_percentile:
        params = _drop_empty({"percentile": measure.percentile,
                              "use_discrete_percentile": measure.use_discrete_percentile or None,
                              "use_approximate_percentile": measure.use_approximate_percentile or None})
    nad = measure.non_additive_dimension
    return _drop_empty({
        "name": measure.name, "agg": measure.agg, "expr": measure.expr, "description": measure.description,
        "label": measure.label, "agg_time_dimension": measure.agg_time_dimension, "agg_params": params,
        "non_additive_dimension": _drop_empty({"name": nad.name, "window_choice": nad.window_choice,
                                               "window_groupings": list(nad.window_groupings)}) if nad else None,
    })


def _input(item: MetricInput | None, with_alias: bool = True) -> dict | None:
    if item is None:
        return None
    filters = [f.sql for f in item.filters]
    return _drop_empty({
        "name": item.name,
        "filter": filters[0] if len(filters) == 1 else filters,
        "alias": item.alias if with_alias else None,
        "offset_window": item.offset_window, "offset_to_grain": item.offset_to_grain,
        "fill_nulls_with": item.fill_nulls_with, "join_to_timespine": item.join_to_timespine or None,
    })


def metric_doc(metric: Metric) -> dict:
    params: dict[str, Any] = {}
    if metric.type in ("simple", "cumulative"):
        params["measure"] = _input(metric.measure, with_alias=False)
        if metric.type == "cumulative":
            params["cumulative_type_params"] = _drop_empty({
                "window": metric.window, "grain_to_date": metric.grain_to_date,
                "period_agg": metric.period_agg if metric.period_agg != "first" else None})
    elif metric.type == "ratio":
        params["numerator"] = _input(metric.numerator)
        params["denominator"] = _input(metric.denominator)
    elif metric.type == "derived":
        params["expr"] = metric.expr
        params["metrics"] = [_input(i) for i in metric.inputs]
    elif metric.type == "conversion" and metric.conversion:
        c = metric.conversion
        params["conversion_type_params"] = _drop_empty({
            "base_measure": _input(c.base_measure, with_alias=False),
            "conversion_measure": _input(c.conversion_measure, with_alias=False),
            "entity": c.entity, "calculation": c.calculation, "window": c.window,
            "constant_properties": [{"base_property": b, "conversion_property": p}
                                    for b, p in c.constant_properties]})
    filters = [f.sql for f in metric.filters]
    return {"metric": _drop_empty({
        "name": metric.name, "label": metric.label or metric.name, "description": metric.description,
        "type": metric.type, "type_params": _drop_empty(params),
        "filter": filters[0] if len(filters) == 1 else filters,
        "time_granularity": metric.time_granularity,
    })}


def saved_query_doc(query: SavedQuery) -> dict:
    return {"saved_query": _drop_empty({
        "name": query.name, "description": query.description, "label": query.label,
        "query_params": _drop_empty({"metrics": list(query.metrics), "group_by": list(query.group_by),
                                     "where": [w.sql for w in query.where]}),
    })}


def export_metricflow(project, out_dir: Path) -> list[Path]:
    """Write semantic_models.yml, metrics.yml and saved_queries.yml under `out_dir` (each atomically)."""
    spec = project.spec
    inline = [m.name for m in spec.semantic_models.values() if m.relation.sql is not None]
    if inline:
        raise ProjectError(
            f"semantic models {', '.join(inline)} read models/*.sql, which MetricFlow cannot inline",
            help="build those models as tables (dbt run) so they can be referenced by name")
    schema = project.target.schema or "main"
    files = {
        "semantic_models.yml": [semantic_model_doc(m, schema) for m in spec.semantic_models.values()],
        "metrics.yml": [metric_doc(m) for m in spec.metrics.values()],
        "saved_queries.yml": [saved_query_doc(q) for q in spec.saved_queries.values()],
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, docs in files.items():
        if not docs:
            continue
        text = yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True, width=120)
        fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, out_dir / name)
        written.append(out_dir / name)
    return written
