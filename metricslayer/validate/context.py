"""What every rule sees: the loaded project, each file's raw YAML with positions, and the lint config."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ..errors import MetricsLayerError
from ..spec.model import Loc, Metric, MetricInput, SemanticModel, WhereFilter

NOQA = re.compile(r"#\s*metricslayer:\s*noqa(?::?\s*(?P<codes>ML\d+(?:\s*[, ]\s*ML\d+)*))?", re.I)
DEFAULT_MAX_KPIS = 5


@dataclass
class LintConfig:
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    max_kpis_per_node: int = DEFAULT_MAX_KPIS
    dialects: list[str] = field(default_factory=list)
    synonyms: list[list[str]] = field(default_factory=list)  # groups of labels meaning one concept


@dataclass
class SourceFile:
    """One definition file: source text, rendered text, line map, parsed docs (None if it does not parse)."""

    rel: str
    text: str
    line_map: Any = None
    docs: list | None = None

    @cached_property
    def noqa(self) -> dict[int, set[str] | None]:
        """line -> suppressed codes (None = all). A comment alone on a line covers the next line too."""
        out: dict[int, set[str] | None] = {}
        for number, line in enumerate(self.text.splitlines(), 1):
            match = NOQA.search(line)
            if not match:
                continue
            codes = {c.upper() for c in re.findall(r"ML\d+", match.group("codes") or "", re.I)} or None
            targets = [number]
            if line.strip().startswith("#"):
                targets.append(number + 1)
            for target in targets:
                if target in out and (out[target] is None or codes is None):
                    out[target] = None
                elif target in out:
                    out[target] |= codes
                else:
                    out[target] = set(codes) if codes else None
        return out

    def loc(self, pos: tuple[int, int]) -> Loc:
        line, column = pos
        return Loc(self.rel, self.line_map(line) if self.line_map and line else line, column)


class LintContext:
    def __init__(self, root: Path, project, config: LintConfig, files: dict[str, SourceFile],
                 dialects: list[str], target_name: str | None = None, connection=None):
        self.root = root
        self.project = project
        self.config = config
        self.files = files
        self.dialects = dialects
        self.target_name = target_name
        self.connection = connection  # for ML8xx: anything with execute(sql) -> rows
        self.warehouse_error: MetricsLayerError | None = None

    @property
    def spec(self):
        return self.project.spec

    @property
    def graph(self):
        return self.project.graph

    # -- lookups ------------------------------------------------------------------------------------
    @cached_property
    def measure_owner(self) -> dict[str, SemanticModel]:
        return {name: model for name, (model, _) in self.graph.measures.items()}

    def metric_inputs(self, metric: Metric) -> list[tuple[str, MetricInput]]:
        """(kind, input) pairs: kind 'measure' or 'metric'."""
        out: list[tuple[str, MetricInput]] = []
        if metric.type in ("simple", "cumulative") and metric.measure:
            kind = "measure"
            if metric.type == "cumulative" and metric.measure.name not in self.graph.measures \
                    and metric.measure.name in self.spec.metrics:
                kind = "metric"
            out.append((kind, metric.measure))
        if metric.numerator:
            out.append(("metric", metric.numerator))
        if metric.denominator:
            out.append(("metric", metric.denominator))
        out += [("metric", i) for i in metric.inputs]
        if metric.conversion:
            out += [("measure", metric.conversion.base_measure), ("measure", metric.conversion.conversion_measure)]
        return out

    @cached_property
    def _metric_models(self) -> dict[str, frozenset[str]]:
        return {}

    def models_of(self, metric_name: str, _stack: tuple = ()) -> frozenset[str]:
        """Semantic models whose measures `metric_name` aggregates (empty when it cannot be resolved)."""
        cache = self._metric_models
        if metric_name in cache:
            return cache[metric_name]
        metric = self.spec.metrics.get(metric_name)
        if metric is None or metric_name in _stack:
            return frozenset()
        models: set[str] = set()
        for kind, item in self.metric_inputs(metric):
            if kind == "measure" or (item.name in self.graph.measures and item.name not in self.spec.metrics):
                owner = self.measure_owner.get(item.name)
                if owner:
                    models.add(owner.name)
            else:
                models |= self.models_of(item.name, _stack + (metric_name,))
        cache[metric_name] = frozenset(models)
        return cache[metric_name]

    def filters(self) -> Iterator[tuple[str, WhereFilter, frozenset[str]]]:
        """Every where-filter of the project: (owner description, filter, models it is applied to)."""
        for metric in self.spec.metrics.values():
            models = self.models_of(metric.name)
            for f in metric.filters:
                yield f"metric '{metric.name}'", f, models
            for kind, item in self.metric_inputs(metric):
                if item.filters:
                    if kind == "measure":
                        owner = self.measure_owner.get(item.name)
                        input_models = frozenset([owner.name]) if owner else frozenset()
                    else:
                        input_models = self.models_of(item.name)
                    for f in item.filters:
                        yield f"input '{item.name}' of metric '{metric.name}'", f, input_models
        for query in self.spec.saved_queries.values():
            models = frozenset().union(*(self.models_of(m) for m in query.metrics)) if query.metrics else frozenset()
            for f in query.where:
                yield f"saved query '{query.name}'", f, models
        for kpi in self.spec.kpis.values():
            if kpi.filter is not None:
                models = self.models_of(kpi.metric) if kpi.metric else frozenset()
                yield f"KPI '{kpi.name}'", kpi.filter, models

    def raw_items(self, section: str) -> Iterator[tuple[SourceFile, Any, Any]]:
        """(file, raw item LDict, its parent LList) of each item in a top-level list such as 'metrics'."""
        single = {"semantic_models": "semantic_model", "metrics": "metric", "saved_queries": "saved_query"}
        for source in self.files.values():
            for doc in source.docs or ():
                if not isinstance(doc, dict):
                    continue
                items = doc.get(section)
                if isinstance(items, list):
                    for item in items:
                        if isinstance(item, dict):
                            yield source, item, items
                one = doc.get(single.get(section, ""))
                if isinstance(one, dict):
                    yield source, one, None
