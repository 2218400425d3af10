"""The JSON Schema of the definition YAML, and a small walker that checks raw YAML against it.

One source of truth: `metricslayer schema` prints JSON_SCHEMA for editors, and the ML103-ML106 rules
walk the same schema over the parsed (position-carrying) YAML to report unknown keys, wrong types,
unknown enum values and missing keys with file:line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ..errors import suggest
from ..spec.kpis import DIRECTIONS, FUNNEL_STAGES, KPI_KINDS, PERIODS
from ..spec.model import AGGREGATIONS, ENTITY_TYPES, GRAINS, METRIC_TYPES

STR = {"type": "string"}
NUM = {"type": "number"}
BOOL = {"type": "boolean"}
ANY: dict = {}
META = {"type": "object", "description": "free-form metadata (owner, department, synonyms, ...)"}
CONFIG = {"type": "object", "properties": {"meta": META, "enabled": BOOL, "group": STR, "tags": ANY},
          "additionalProperties": True}
FILTER = {"description": "a where-filter: SQL with {{ Dimension('entity__dim') }} references",
          "anyOf": [STR, {"type": "array", "items": STR}, {"type": "object"}]}
GRAIN = {"type": "string", "enum": list(GRAINS)}
NAME = {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"}


def _obj(properties: dict, required: tuple[str, ...] = (), description: str = "", extra: bool = False) -> dict:
    out: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": extra}
    if required:
        out["required"] = list(required)
    if description:
        out["description"] = description
    return out


def _list_of(ref: str) -> dict:
    return {"type": "array", "items": {"$ref": f"#/definitions/{ref}"}}


COMMON = {"name": NAME, "description": STR, "label": STR, "config": CONFIG, "meta": META}

DEFINITIONS: dict[str, dict] = {
    "entity": _obj({**COMMON, "type": {"type": "string", "enum": list(ENTITY_TYPES)}, "expr": ANY,
                    "role": STR}, ("name", "type"), "a join key of a semantic model"),
    "dimension": _obj({
        **COMMON, "type": {"type": "string", "enum": ["categorical", "time"]}, "expr": ANY,
        "is_partition": BOOL,
        "type_params": _obj({"time_granularity": GRAIN,
                             "validity_params": _obj({"is_start": BOOL, "is_end": BOOL})}),
    }, ("name", "type")),
    "measure": _obj({
        **COMMON, "agg": {"type": "string", "enum": list(AGGREGATIONS)}, "expr": ANY,
        "agg_time_dimension": STR, "create_metric": BOOL,
        "agg_params": _obj({"percentile": NUM, "use_discrete_percentile": BOOL,
                            "use_approximate_percentile": BOOL}),
        "non_additive_dimension": _obj({"name": STR, "window_choice": {"type": "string", "enum": ["min", "max"]},
                                        "window_groupings": {"type": "array", "items": STR}}, ("name",)),
    }, ("name", "agg")),
    "metric_input": {"anyOf": [STR, _obj({
        "name": STR, "filter": FILTER, "alias": STR, "offset_window": STR, "offset_to_grain": GRAIN,
        "fill_nulls_with": ANY, "join_to_timespine": BOOL}, ("name",))]},
    "metric": _obj({
        **COMMON, "type": {"type": "string", "enum": list(METRIC_TYPES)}, "filter": FILTER,
        "time_granularity": GRAIN, "agg": {"type": "string", "enum": list(AGGREGATIONS)}, "expr": ANY,
        "agg_time_dimension": STR, "agg_params": {"type": "object"}, "non_additive_dimension": {"type": "object"},
        "join_to_timespine": BOOL, "fill_nulls_with": ANY,
        "type_params": _obj({
            "measure": {"$ref": "#/definitions/metric_input"}, "metric": {"$ref": "#/definitions/metric_input"},
            "numerator": {"$ref": "#/definitions/metric_input"},
            "denominator": {"$ref": "#/definitions/metric_input"},
            "expr": {"type": ["string", "number"]}, "metrics": _list_of("metric_input"),
            "window": STR, "grain_to_date": GRAIN, "time_granularity": GRAIN, "input_measures": ANY,
            "cumulative_type_params": _obj({"window": STR, "grain_to_date": GRAIN,
                                            "period_agg": {"type": "string", "enum": ["first", "last", "average"]},
                                            "metric": ANY}),
            "conversion_type_params": _obj({
                "base_measure": {"$ref": "#/definitions/metric_input"},
                "conversion_measure": {"$ref": "#/definitions/metric_input"},
                "entity": STR, "window": STR,
                "calculation": {"type": "string", "enum": ["conversion_rate", "conversions"]},
                "constant_properties": {"type": "array", "items": _obj(
                    {"base_property": STR, "conversion_property": STR})}}, ("entity",)),
        }),
    }, ("name",), "a metric: simple, ratio, derived, cumulative or conversion"),
    "semantic_model": _obj({
        **COMMON, "model": STR, "node_relation": {"type": "object"}, "primary_entity": STR,
        "defaults": _obj({"agg_time_dimension": STR}), "entities": _list_of("entity"),
        "dimensions": _list_of("dimension"), "measures": _list_of("measure"), "metrics": _list_of("metric"),
    }, ("name",), "a table (or SQL model) with entities, dimensions and measures"),
    "saved_query": _obj({
        **COMMON,
        "query_params": _obj({"metrics": {"type": "array", "items": STR}, "group_by": {"type": "array", "items": STR},
                              "where": FILTER, "order_by": {"type": "array", "items": STR},
                              "limit": {"type": "integer"}}),
        "exports": ANY, "metrics": {"type": "array", "items": STR}, "group_by": {"type": "array", "items": STR},
        "where": FILTER, "order_by": {"type": "array", "items": STR}, "limit": {"type": "integer"},
    }, ("name",)),
    "kpi": _obj({
        **COMMON, "kind": {"type": "string", "enum": list(KPI_KINDS)}, "parent": STR, "metric": STR,
        "filter": FILTER, "target": NUM, "direction": {"type": "string", "enum": list(DIRECTIONS)},
        "start": {"type": "string", "format": "date"}, "deadline": {"type": "string", "format": "date"},
        "period": {"type": "string", "enum": list(PERIODS)}, "baseline": NUM, "owner": STR, "department": STR,
        "funnel_stage": {"type": "string", "enum": list(FUNNEL_STAGES)},
        "thresholds": _obj({"warn": NUM, "critical": NUM}), "identity": STR,
        "synonyms": {"type": "array", "items": STR},
    }, ("name", "kind"), "a KPI tree node: KGI (goal) -> KSF (success factor) -> KPI"),
}

TOP_LEVEL = {
    "semantic_models": _list_of("semantic_model"), "metrics": _list_of("metric"),
    "saved_queries": _list_of("saved_query"), "kpis": _list_of("kpi"),
    "semantic_model": {"$ref": "#/definitions/semantic_model"}, "metric": {"$ref": "#/definitions/metric"},
    "saved_query": {"$ref": "#/definitions/saved_query"},
    "project_configuration": {"type": "object"}, "sources": {"type": "array"}, "version": ANY,
    # a dbt schema file may hold these next to semantic models: not ours to check
    "models": ANY, "seeds": ANY, "snapshots": ANY, "exposures": ANY, "macros": ANY, "unit_tests": ANY,
    "data_tests": ANY, "groups": ANY, "analyses": ANY, "semantic_layer": ANY,
}

JSON_SCHEMA: dict = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "$id": "https://metricslayer.dev/schema/definitions.json",
    "title": "metricslayer definition file",
    "description": "dbt MetricFlow-compatible semantic models, metrics, saved queries, plus KPI trees.",
    "type": "object", "properties": TOP_LEVEL, "additionalProperties": False,
    "definitions": DEFINITIONS,
}

_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str) or (not isinstance(v, (bool, dict, list)) and v is not None),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}
_WORDS = {"string": "text", "number": "number", "integer": "whole number", "boolean": "true/false",
          "object": "mapping", "array": "list"}


def _resolve(schema: dict) -> dict:
    ref = schema.get("$ref")
    if ref:
        return DEFINITIONS[ref.rsplit("/", 1)[-1]]
    return schema


def _matches_type(schema: dict, value: Any) -> bool:
    types = schema.get("type")
    if types is None:
        return True
    if isinstance(types, str):
        types = [types]
    return any(_TYPES[t](value) for t in types)


def _type_word(schema: dict) -> str:
    types = schema.get("type")
    if isinstance(types, str):
        types = [types]
    return " or ".join(_WORDS.get(t, t) for t in types or ())


def _kind(value: Any) -> str:
    for kind, word in ((bool, "true/false"), (dict, "a mapping"), (list, "a list"), (str, "text"),
                       (int, "a number"), (float, "a number")):
        if isinstance(value, kind):
            return word
    return "nothing" if value is None else type(value).__name__


# A finding of the walk: (code, message, help, (line, column) in the rendered text)
Finding = tuple[str, str, str, tuple[int, int]]


def walk(value: Any, schema: dict = JSON_SCHEMA, pos: tuple[int, int] = (1, 1), path: str = "") -> Iterator[Finding]:
    """Check `value` (LDict/LList from yamlfile) against `schema`; yield findings with rendered positions."""
    schema = _resolve(schema)
    if "anyOf" in schema:
        options = [_resolve(s) for s in schema["anyOf"]]
        fitting = [s for s in options if _matches_type(s, value)]
        if not fitting:
            words = " or ".join(_type_word(s) for s in options if s.get("type"))
            yield ("ML104", f"'{path}' must be {words}, got {_kind(value)}", f"fix the value of '{path}'", pos)
            return
        yield from walk(value, fitting[0], pos, path)
        return
    if not _matches_type(schema, value):
        yield ("ML104", f"'{path or 'the document'}' must be {_a(_type_word(schema))}, got {_kind(value)}",
               f"write '{path.rsplit('.', 1)[-1]}' as {_a(_type_word(schema))}" if path else
               "start the file with 'semantic_models:' or 'metrics:'", pos)
        return
    enum = schema.get("enum")
    if enum and str(value).lower() not in enum:
        close = suggest(str(value).lower(), enum)
        hint = f"did you mean {' or '.join(repr(c) for c in close)}?" if close else f"use one of {', '.join(enum)}"
        yield ("ML105", f"unknown value '{value}' for '{path.rsplit('.', 1)[-1]}'", hint, pos)
        return
    if isinstance(value, dict) and "properties" in schema:
        props = schema["properties"]
        for key in schema.get("required", ()):
            if value.get(key) in (None, ""):
                where = _owner(value, path)
                yield ("ML106", f"{where} has no '{key}'", f"add '{key}:'", _pos_of(value, None, pos))
        for key, item in value.items():
            key_pos = _pos_of(value, key, pos)
            sub = f"{path}.{key}" if path else str(key)
            if key not in props:
                if schema.get("additionalProperties", True) is False:
                    close = suggest(str(key), props)
                    hint = (f"did you mean {' or '.join(repr(c) for c in close)}?" if close
                            else f"known keys: {', '.join(sorted(props))}")
                    yield ("ML103", f"unknown key '{key}' in {_owner(value, path)}", hint, key_pos)
                continue
            if item is None:
                continue
            yield from walk(item, props[key], key_pos, sub)
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            item_pos = value.pos(i) if hasattr(value, "pos") else pos
            yield from walk(item, schema["items"], item_pos, f"{path}[{i}]")


def _a(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def _pos_of(value: Any, key: str | None, default: tuple[int, int]) -> tuple[int, int]:
    if hasattr(value, "pos"):
        return value.pos(key) if key is not None else (value.line, value.column)
    return default


def _owner(value: dict, path: str) -> str:
    name = value.get("name") if isinstance(value, dict) else None
    section = path.split("[")[0].split(".")[-1] if path else "the document"
    return f"'{name}' ({section})" if isinstance(name, str) else (f"'{path}'" if path else "the document")
