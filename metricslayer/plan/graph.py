"""The entity join graph: which semantic models join to which, and the shortest paths between them."""

from __future__ import annotations

from dataclasses import dataclass

from ..spec.model import JOINABLE_ENTITY_TYPES, Measure, ProjectSpec, SemanticModel


@dataclass(frozen=True)
class Hop:
    """Join into `model` on `entity` (many-to-one or one-to-one: never a fan-out)."""

    entity: str
    model: str


@dataclass(frozen=True)
class Reach:
    """An element (dimension or entity) of `model`, reached from a source model through `hops`."""

    hops: tuple[Hop, ...]
    model: str
    element: str
    kind: str  # dimension | entity

    def entity_path(self, source: SemanticModel) -> tuple[str, ...]:
        """The entity path that names this element from `source` (``customer`` in ``customer__region``)."""
        if self.hops:
            return tuple(h.entity for h in self.hops)
        owners = source.own_entities
        return owners[:1]


class SemanticGraph:
    """Indexes a ProjectSpec for name lookups and join-path search. Built once per project."""

    def __init__(self, spec: ProjectSpec):
        self.spec = spec
        self.models = spec.semantic_models
        self.measures: dict[str, tuple[SemanticModel, Measure]] = {}
        for model in self.models.values():
            for measure in model.measures:
                self.measures.setdefault(measure.name, (model, measure))
        self.edges: dict[str, list[Hop]] = {}
        joinable: dict[str, list[str]] = {}
        for model in self.models.values():
            for entity in model.entities:
                if entity.type in JOINABLE_ENTITY_TYPES:
                    joinable.setdefault(entity.name, []).append(model.name)
        for model in self.models.values():
            hops = []
            for entity in model.entities:
                for target in joinable.get(entity.name, []):
                    if target != model.name:
                        hops.append(Hop(entity.name, target))
            self.edges[model.name] = hops
        self.dimension_names = {d.name for m in self.models.values() for d in m.dimensions}
        self.entity_names = {e.name for m in self.models.values() for e in m.entities}
        self._cache: dict[tuple, list[Reach]] = {}

    def find(self, source: str, chain: tuple[str, ...], element: str, kind: str) -> list[Reach]:
        """All shortest ways to reach `element` from model `source` whose entity path ends with `chain`.

        One result is a unique resolution; several are an ambiguity the caller reports; none: unreachable.
        """
        key = (source, chain, element, kind)
        if key not in self._cache:
            self._cache[key] = self._search(source, chain, element, kind)
        return self._cache[key]

    def _search(self, source: str, chain: tuple[str, ...], element: str, kind: str) -> list[Reach]:
        root = self.models[source]
        k = len(chain)
        frontier: list[tuple[str, tuple[Hop, ...]]] = [(source, ())]
        seen: set[tuple[str, tuple[str, ...]]] = set()
        while frontier:
            found = []
            for model_name, hops in frontier:
                if self._has(self.models[model_name], element, kind) and self._chain_matches(root, hops, chain):
                    found.append(Reach(hops, model_name, element, kind))
            if found:
                return found
            next_frontier = []
            level: set[tuple[str, tuple[str, ...]]] = set()
            for model_name, hops in frontier:
                visited = {source} | {h.model for h in hops}
                for hop in self.edges[model_name]:
                    if hop.model in visited:
                        continue
                    new_hops = hops + (hop,)
                    state = (hop.model, tuple(h.entity for h in new_hops[-k:]) if k else ())
                    if state in seen:
                        continue
                    level.add(state)
                    next_frontier.append((hop.model, new_hops))
            seen |= level  # only after the level: two paths of one length both count (ambiguity)
            frontier = next_frontier
        return []

    @staticmethod
    def _has(model: SemanticModel, element: str, kind: str) -> bool:
        if kind == "entity":
            return model.entity(element) is not None
        return model.dimension(element) is not None

    @staticmethod
    def _chain_matches(root: SemanticModel, hops: tuple[Hop, ...], chain: tuple[str, ...]) -> bool:
        """Does the hop path (optionally led by an entity of the source itself) end with `chain`?"""
        if not chain:
            return True
        path = tuple(h.entity for h in hops)
        candidates = [path] + [(own,) + path for own in root.own_entities]
        return any(len(c) >= len(chain) and c[-len(chain):] == chain for c in candidates)

    def reachable(self, source: str, max_hops: int = 6) -> list[Reach]:
        """Every dimension and entity reachable from `source`, each by its shortest path (for listings)."""
        out: list[Reach] = []
        seen_models = {source}
        frontier: list[tuple[str, tuple[Hop, ...]]] = [(source, ())]
        depth = 0
        while frontier and depth <= max_hops:
            next_frontier = []
            for model_name, hops in frontier:
                model = self.models[model_name]
                out += [Reach(hops, model_name, d.name, "dimension") for d in model.dimensions]
                out += [Reach(hops, model_name, e.name, "entity") for e in model.entities]
                for hop in self.edges[model_name]:
                    if hop.model not in seen_models:
                        seen_models.add(hop.model)
                        next_frontier.append((hop.model, hops + (hop,)))
            frontier, depth = next_frontier, depth + 1
        return out
