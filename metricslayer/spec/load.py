"""Definition files -> ProjectSpec: render with Jinja, parse YAML, build frozen spec objects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import DefinitionError
from .model import (
    AGGREGATIONS,
    ENTITY_TYPES,
    GRAINS,
    METRIC_TYPES,
    ConversionParams,
    Dimension,
    Entity,
    Loc,
    Measure,
    Metric,
    MetricInput,
    NonAdditiveDimension,
    ProjectSpec,
    SavedQuery,
    SemanticModel,
    TimeSpine,
    Validity,
    WhereFilter,
)
from .relations import RelationResolver
from .yamlfile import LDict, LList, parse_yaml_documents

LIST_KEYS = {"semantic_models": "semantic_model", "metrics": "metric", "saved_queries": "saved_query"}


@dataclass
class Doc:
    """A YAML mapping with its file, for reading fields and naming positions."""

    data: dict
    file: str
    line_map: Callable[[int], int]

    def loc(self, key: str | None = None) -> Loc:
        if isinstance(self.data, LDict):
            line, column = self.data.pos(key) if key else (self.data.line, self.data.column)
            return Loc(self.file, self.line_map(line), column)
        return Loc(self.file)

    def child(self, value: Any) -> Doc:
        return Doc(value, self.file, self.line_map)

    def error(self, message: str, key: str | None = None, help: str = "") -> DefinitionError:
        loc = self.loc(key)
        return DefinitionError(message, help=help, file=loc.file, line=loc.line or None,
                               column=loc.column or None)

    def get(self, key: str, default: Any = None, kind: type | tuple = object) -> Any:
        value = self.data.get(key, default)
        if value is None:
            return default
        if not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self.error(f"'{key}' must be a {_type_word(names)}, got {type(value).__name__}", key,
                             help=f"fix the value of '{key}'")
        return value

    def text(self, key: str, default: str = "") -> str:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, (dict, list)):
            raise self.error(f"'{key}' must be text", key, help=f"write '{key}' as a single value")
        return str(value)

    def require(self, key: str, what: str) -> str:
        value = self.data.get(key)
        if value is None or value == "":
            raise self.error(f"{what} has no '{key}'", help=f"add '{key}:' to the {what}")
        if isinstance(value, (dict, list)):
            raise self.error(f"'{key}' of {what} must be text", key, help=f"write '{key}' as a single value")
        return str(value)

    def items(self, key: str) -> list[Doc]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(f"'{key}' must be a list", key, help=f"write '{key}:' followed by '- ' items")
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                line = value.pos(i)[0] if isinstance(value, LList) else None
                raise DefinitionError(f"each item of '{key}' must be a mapping with a name", file=self.file,
                                      line=self.line_map(line) if line else None,
                                      help="write items as '- name: ...' with their fields below")
            out.append(self.child(item))
        return out


def _type_word(name: str) -> str:
    return {"dict": "mapping", "list": "list", "str": "text", "int": "whole number", "bool": "true/false",
            "float": "number"}.get(name, name)


class SpecBuilder:
    """Builds a ProjectSpec document by document, collecting every problem instead of stopping."""

    def __init__(self, resolver: RelationResolver):
        self.spec = ProjectSpec()
        self.resolver = resolver
        self.problems: list[DefinitionError] = []
        self._pending_models: list[Doc] = []
        self._inline_metrics: list[tuple[Doc, str]] = []

    # -- documents ---------------------------------------------------------------------------------
    def add_document(self, doc: Doc) -> None:
        if not isinstance(doc.data, dict):
            self.problems.append(DefinitionError(
                "a definition file must be a mapping such as 'semantic_models:' or 'metrics:'",
                file=doc.file, line=1, help="start the file with 'semantic_models:' or 'metrics:'"))
            return
        if "sources" in doc.data:
            self._guard(lambda: self.resolver.add_sources(doc.get("sources", [], list), doc.file))
        for list_key, single_key in LIST_KEYS.items():
            if list_key in doc.data:
                try:
                    items = doc.items(list_key)
                except DefinitionError as exc:
                    self.problems.append(exc)
                    continue
                for item in items:
                    self._add(single_key, item)
            if single_key in doc.data:
                value = doc.data[single_key]
                if isinstance(value, dict):
                    self._add(single_key, doc.child(value))
                else:
                    self.problems.append(doc.error(f"'{single_key}' must be a mapping", single_key))
        if "project_configuration" in doc.data:
            self._guard(lambda: self._project_configuration(doc.child(doc.data["project_configuration"])))
        if "kpis" in doc.data:
            self._guard(lambda: self._kpis(doc))

    def _add(self, kind: str, item: Doc) -> None:
        if kind == "semantic_model":
            self._pending_models.append(item)  # relations resolve once every source is declared
        elif kind == "metric":
            self._guard(lambda: self._register(self.spec.metrics, build_metric(item), item, "metric"))
        else:
            self._guard(lambda: self._register(self.spec.saved_queries, build_saved_query(item), item,
                                               "saved query"))

    def _guard(self, action: Callable[[], None]) -> None:
        try:
            action()
        except DefinitionError as exc:
            self.problems.append(exc)

    def _register(self, table: dict, obj: Any, item: Doc, what: str) -> None:
        earlier = table.get(obj.name)
        if earlier is not None:
            raise item.error(f"{what} '{obj.name}' is defined twice; the first definition is at {earlier.loc}",
                             "name", help=f"rename one of them or delete the duplicate {what}")
        table[obj.name] = obj

    def finish(self) -> ProjectSpec:
        for item in self._pending_models:
            try:
                model, inline_metrics = build_semantic_model(item, self.resolver)
                self._register(self.spec.semantic_models, model, item, "semantic model")
                for metric_doc in inline_metrics:
                    self._guard(lambda d=metric_doc: self._register(self.spec.metrics, build_metric(d), d, "metric"))
            except DefinitionError as exc:
                self.problems.append(exc)
        self._create_measure_metrics()
        return self.spec

    def _create_measure_metrics(self) -> None:
        for model in self.spec.semantic_models.values():
            for measure in model.measures:
                if measure.create_metric and measure.name not in self.spec.metrics:
                    self.spec.metrics[measure.name] = Metric(
                        name=measure.name, type="simple", label=measure.label or measure.name,
                        description=measure.description, measure=MetricInput(measure.name, loc=measure.loc),
                        meta=dict(model.meta), loc=measure.loc)

    def _project_configuration(self, doc: Doc) -> None:
        for spine in doc.items("time_spines"):
            relation = self.resolver.node_relation(spine.get("node_relation", {}, dict), spine.loc())
            primary = spine.get("primary_column", {}, dict)
            customs = tuple(
                (str(c["name"]), str(c.get("column_name") or c["name"]))
                for c in spine.get("custom_granularities", [], list) if isinstance(c, dict) and "name" in c)
            self.spec.time_spines.append(TimeSpine(
                relation=relation, column=str(primary.get("name") or "date_day"),
                grain=str(primary.get("time_granularity") or "day"), custom_granularities=customs,
                loc=spine.loc()))

    def _kpis(self, doc: Doc) -> None:
        from .kpis import KpiValueError, build_kpi

        for item in doc.items("kpis"):
            key_locs = {key: item.loc(key) for key in item.data}
            try:
                kpi = build_kpi(item.data, item.loc(), key_locs)
            except KpiValueError as exc:
                raise item.error(exc.message, exc.key, help=f"fix '{exc.key}' of this KPI node") from None
            self._register(self.spec.kpis, kpi, item, "KPI node")


# -- semantic models ------------------------------------------------------------------------------
def build_semantic_model(doc: Doc, resolver: RelationResolver) -> tuple[SemanticModel, list[Doc]]:
    name = doc.require("name", "semantic model")
    what = f"semantic model '{name}'"
    if doc.data.get("model") is not None:
        relation = resolver.resolve(doc.text("model"), doc.loc("model"))
    elif doc.data.get("node_relation") is not None:
        relation = resolver.node_relation(doc.get("node_relation", {}, dict), doc.loc("node_relation"))
    else:
        raise doc.error(f"{what} has no 'model'", help="add model: ref('table_or_model_name')")
    defaults = doc.get("defaults", {}, dict)
    entities = tuple(_entity(e, what) for e in doc.items("entities"))
    dimensions = tuple(_dimension(d, what) for d in doc.items("dimensions"))
    measures = [_measure(m, what) for m in doc.items("measures")]
    inline_metrics = []
    for metric_doc in doc.items("metrics"):  # dbt's newer spec: simple metrics carrying agg/expr
        if metric_doc.data.get("agg"):
            # dbt's newer spec: a simple metric carrying agg/expr defines a measure of the same name
            measures.append(_measure(metric_doc, f"metric '{metric_doc.data.get('name')}'"))
        inline_metrics.append(metric_doc)
    model = SemanticModel(
        name=name, relation=relation, description=doc.text("description"), label=doc.text("label"),
        default_agg_time_dimension=(defaults.get("agg_time_dimension") if isinstance(defaults, dict) else None),
        primary_entity=doc.data.get("primary_entity"), entities=entities, dimensions=dimensions,
        measures=tuple(measures), meta=_meta(doc), loc=doc.loc())
    _check_unique(doc, what, entities, dimensions, model.measures)
    return model, inline_metrics


def _check_unique(doc: Doc, what: str, *groups) -> None:
    seen: dict[str, Any] = {}
    for group in groups:
        for element in group:
            if element.name in seen:
                raise DefinitionError(
                    f"'{element.name}' is defined twice in {what} (first at line {seen[element.name].loc.line})",
                    file=element.loc.file, line=element.loc.line or None,
                    help="entities, dimensions and measures of one semantic model need distinct names")
            seen[element.name] = element


def _choice(doc: Doc, key: str, allowed: tuple[str, ...], what: str, default: str | None = None) -> str:
    value = doc.data.get(key, default)
    if value is None:
        raise doc.error(f"{what} has no '{key}'", help=f"add '{key}:' (one of {', '.join(allowed)})")
    value = str(value).lower()
    if value not in allowed:
        from ..errors import did_you_mean

        hint = did_you_mean(value, allowed) or f"use one of {', '.join(allowed)}"
        raise doc.error(f"unknown {key} '{value}' in {what}", key, help=hint)
    return value


def _entity(doc: Doc, owner: str) -> Entity:
    name = doc.require("name", f"an entity of {owner}")
    return Entity(name=name, type=_choice(doc, "type", ENTITY_TYPES, f"entity '{name}'"),
                  expr=_expr(doc), description=doc.text("description"), role=doc.data.get("role"),
                  loc=doc.loc())


def _expr(doc: Doc) -> str | None:
    value = doc.data.get("expr")
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def _dimension(doc: Doc, owner: str) -> Dimension:
    name = doc.require("name", f"a dimension of {owner}")
    kind = _choice(doc, "type", ("categorical", "time"), f"dimension '{name}'")
    if "validity_params" in doc.data:
        raise doc.error(f"validity_params of dimension '{name}' must sit under type_params", "validity_params",
                        help="write type_params: {time_granularity: day, validity_params: {is_start: true}}")
    params = doc.child(doc.get("type_params", {}, dict))
    granularity, validity = None, None
    if kind == "time":
        granularity = _choice(params, "time_granularity", GRAINS, f"time dimension '{name}'", default="day") \
            if params.data else "day"
        vp = params.get("validity_params", None, dict)
        if vp:
            validity = Validity(is_start=bool(vp.get("is_start")), is_end=bool(vp.get("is_end")))
    return Dimension(name=name, type=kind, expr=_expr(doc), description=doc.text("description"),
                     label=doc.text("label"), granularity=granularity, validity=validity,
                     is_partition=bool(doc.data.get("is_partition")), loc=doc.loc())


def _measure(doc: Doc, owner: str) -> Measure:
    name = doc.require("name", f"a measure of {owner}")
    agg = _choice(doc, "agg", AGGREGATIONS, f"measure '{name}'")
    params = doc.get("agg_params", {}, dict)
    percentile = params.get("percentile")
    if agg == "percentile" and percentile is None:
        raise doc.error(f"percentile measure '{name}' has no agg_params.percentile",
                        help="add agg_params: {percentile: 0.9}")
    if percentile is not None and not (isinstance(percentile, (int, float)) and 0 <= percentile <= 1):
        raise doc.error(f"percentile of measure '{name}' must be a number between 0 and 1", "agg_params")
    nad = doc.get("non_additive_dimension", None, dict)
    non_additive = None
    if nad:
        non_additive = NonAdditiveDimension(
            name=str(nad.get("name")), window_choice=str(nad.get("window_choice", "min")).lower(),
            window_groupings=tuple(nad.get("window_groupings") or ()))
    return Measure(
        name=name, agg=agg, expr=_expr(doc), description=doc.text("description"), label=doc.text("label"),
        agg_time_dimension=doc.data.get("agg_time_dimension"),
        percentile=float(percentile) if percentile is not None else (0.5 if agg == "median" else None),
        use_discrete_percentile=bool(params.get("use_discrete_percentile")),
        use_approximate_percentile=bool(params.get("use_approximate_percentile")),
        create_metric=bool(doc.data.get("create_metric")), non_additive_dimension=non_additive, loc=doc.loc())


def _meta(doc: Doc) -> dict:
    config = doc.get("config", {}, dict)
    meta = dict(config.get("meta") or {}) if isinstance(config, dict) else {}
    meta.update(doc.get("meta", {}, dict))
    return meta


# -- metrics ------------------------------------------------------------------------------------
def _filters(doc: Doc, key: str = "filter") -> tuple[WhereFilter, ...]:
    value = doc.data.get(key)
    if value is None:
        return ()
    values = value if isinstance(value, list) else [value]
    out = []
    for i, v in enumerate(values):
        if isinstance(v, dict) and "where_filters" in v:  # dbt's parsed form
            out += [WhereFilter(str(w.get("where_sql_template")), doc.loc(key)) for w in v["where_filters"]]
        elif isinstance(v, (str, int, bool)):
            line = doc.loc(key)
            if isinstance(value, LList):
                line = Loc(doc.file, doc.line_map(value.pos(i)[0]), value.pos(i)[1])
            out.append(WhereFilter(str(v), line))
        else:
            raise doc.error(f"'{key}' must be SQL text or a list of SQL conditions", key,
                            help="write filter: \"{{ Dimension('customer__region') }} = 'EU'\"")
    return tuple(out)


def _metric_input(doc: Doc, key: str, what: str, required: bool = True) -> MetricInput | None:
    value = doc.data.get(key)
    if value is None:
        if required:
            raise doc.error(f"{what} has no '{key}'", help=f"add '{key}: <name>' under type_params")
        return None
    if isinstance(value, str):
        return MetricInput(name=value, loc=doc.loc(key))
    if isinstance(value, dict):
        return _input_from(doc.child(value), what)
    raise doc.error(f"'{key}' of {what} must be a name or a mapping with a name", key)


def _input_from(doc: Doc, what: str) -> MetricInput:
    name = doc.require("name", f"an input of {what}")
    join = doc.data.get("join_to_timespine")
    return MetricInput(
        name=name, filters=_filters(doc), alias=doc.data.get("alias"),
        offset_window=_opt_str(doc.data.get("offset_window")),
        offset_to_grain=_opt_str(doc.data.get("offset_to_grain")),
        fill_nulls_with=doc.data.get("fill_nulls_with"), join_to_timespine=bool(join), loc=doc.loc())


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def build_metric(doc: Doc) -> Metric:
    name = doc.require("name", "metric")
    what = f"metric '{name}'"
    metric_type = _choice(doc, "type", METRIC_TYPES, what, default="simple" if doc.data.get("agg") else None)
    params = doc.child(doc.get("type_params", {}, dict))
    fields: dict[str, Any] = {}
    if metric_type in ("simple", "cumulative"):
        if doc.data.get("agg") and params.data.get("measure") is None:
            fields["measure"] = MetricInput(name=name, loc=doc.loc())
        elif params.data.get("measure") is None and metric_type == "cumulative" and params.data.get("metric"):
            fields["measure"] = _metric_input(params, "metric", what)
        else:
            fields["measure"] = _metric_input(params, "measure", what)
        if metric_type == "cumulative":
            cparams = params.child(params.get("cumulative_type_params", {}, dict))
            fields["window"] = _opt_str(cparams.data.get("window", params.data.get("window")))
            fields["grain_to_date"] = _opt_str(cparams.data.get("grain_to_date", params.data.get("grain_to_date")))
            fields["period_agg"] = str(cparams.data.get("period_agg") or "first").lower()
    elif metric_type == "ratio":
        fields["numerator"] = _metric_input(params, "numerator", what)
        fields["denominator"] = _metric_input(params, "denominator", what)
    elif metric_type == "derived":
        fields["expr"] = params.require("expr", f"derived {what}")
        fields["inputs"] = tuple(_input_from(i, what) for i in params.items("metrics"))
        if not fields["inputs"]:
            raise params.error(f"derived {what} lists no input metrics",
                               help="add type_params.metrics: [{name: other_metric}]")
    elif metric_type == "conversion":
        cp = params.child(params.get("conversion_type_params", {}, dict))
        fields["conversion"] = ConversionParams(
            base_measure=_metric_input(cp, "base_measure", what),
            conversion_measure=_metric_input(cp, "conversion_measure", what),
            entity=cp.require("entity", f"conversion {what}"),
            calculation=str(cp.data.get("calculation") or "conversion_rate"),
            window=_opt_str(cp.data.get("window")),
            constant_properties=tuple(
                (str(p.get("base_property")), str(p.get("conversion_property")))
                for p in cp.get("constant_properties", [], list) if isinstance(p, dict)))
    granularity = doc.data.get("time_granularity") or params.data.get("time_granularity")
    return Metric(
        name=name, type=metric_type, label=doc.text("label"), description=doc.text("description"),
        filters=_filters(doc), time_granularity=granularity, meta=_meta(doc), loc=doc.loc(), **fields)


def build_saved_query(doc: Doc) -> SavedQuery:
    name = doc.require("name", "saved query")
    params = doc.child(doc.get("query_params", {}, dict))
    source = params if params.data else doc
    where = _filters(source, "where")
    limit = source.data.get("limit")
    return SavedQuery(
        name=name, description=doc.text("description"), label=doc.text("label"),
        metrics=tuple(str(m) for m in source.get("metrics", [], list)),
        group_by=tuple(str(g) for g in source.get("group_by", [], list)), where=where,
        order_by=tuple(str(o) for o in source.get("order_by", [], list)),
        limit=int(limit) if limit is not None else None, loc=doc.loc())


# -- files ----------------------------------------------------------------------------------------
def load_documents(path: Path, rel: str, env, builder: SpecBuilder) -> None:
    """Render and parse one definition file into `builder` (problems are collected, not raised)."""
    from .render import render

    try:
        text = path.read_text(encoding="utf-8")
        rendered, line_map = render(env, text, rel)
        docs = parse_yaml_documents(rendered, rel, line_map)
    except DefinitionError as exc:
        builder.problems.append(exc)
        return
    except (OSError, UnicodeDecodeError) as exc:
        builder.problems.append(DefinitionError(f"cannot read file: {exc}", file=rel,
                                                help="save the file as UTF-8 text"))
        return
    builder.spec.files.append(rel)
    builder.spec.parsed[rel] = (docs, line_map)
    for data in docs:
        builder.add_document(Doc(data, rel, line_map))

