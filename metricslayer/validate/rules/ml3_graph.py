"""ML3xx join graph: unreachable dimensions, ambiguous join paths, entity types that fan out."""

from __future__ import annotations

from ...errors import MetricsLayerError
from ...plan.names import parse_group_by, render_template
from ...spec.model import JOINABLE_ENTITY_TYPES
from ..context import LintContext
from ..issue import at
from ..registry import rule


def _checks(ctx: LintContext):
    """(where, loc, reading list, models) for every filter reference and saved-query group-by item."""
    for owner, where, models in ctx.filters():
        try:
            refs = render_template(where.sql)[1]
        except MetricsLayerError:
            continue
        for ref in refs:
            if ref.kind in ("dimension", "entity"):
                yield f"filter of {owner}", where.loc, [ref], models
    for query in ctx.spec.saved_queries.values():
        models = frozenset().union(*(ctx.models_of(m) for m in query.metrics)) if query.metrics else frozenset()
        for text in query.group_by:
            try:
                readings = [r for r in parse_group_by(text) if r.kind in ("dimension", "entity")]
            except MetricsLayerError:
                continue
            if readings:
                yield f"saved query '{query.name}'", query.loc, readings, models



def _known(ctx: LintContext, reading) -> bool:
    g = ctx.graph
    names = g.dimension_names if reading.kind == "dimension" else g.entity_names
    return reading.element in names and all(e in g.entity_names for e in reading.chain)


@rule("ML301", "unreachable-dimension", "A filter or group-by item cannot be reached from the metric's semantic model.",
      what="For each semantic model a metric aggregates, every dimension its filters (and its saved queries' "
           "group-by items) name must be reachable by joining on declared entities (many-to-one), with the "
           "entity path as written.",
      why="The query fails, or (worse, elsewhere) would need a fan-out join to answer.",
      example="# orders has entity customer; regions are only reachable through store\n"
              "filter: \"{{ Dimension('store__region') }} = 'EU'\"",
      fix="# add the entity store to orders, or filter on a dimension orders reaches:\n"
          "filter: \"{{ Dimension('customer__region') }} = 'EU'\"")
def unreachable(ctx: LintContext):
    for where, loc, readings, models in _checks(ctx):
        known = [r for r in readings if _known(ctx, r)]
        if not known:
            continue  # ML203
        for model in sorted(models):
            if all(not ctx.graph.find(model, r.chain, r.element, r.kind) for r in known):
                yield at(loc, "ML301", f"{where}: '{readings[0].text}' cannot be reached from semantic model "
                         f"'{model}'", "add the entity that links the two semantic models, or use a dimension "
                         f"'{model}' reaches (metricslayer list dimensions --metrics ...)")


@rule("ML302", "ambiguous-join-path", "A name reaches its dimension along two join paths of the same length.",
      what="A filter or group-by name that resolves to two or more shortest entity paths from the metric's "
           "semantic model.",
      why="Which path a query takes decides the numbers; the name must say which one is meant.",
      example="filter: \"{{ Dimension('region__name') }} = 'EU'\"  # via customer and via store",
      fix="filter: \"{{ Dimension('customer__region__name') }} = 'EU'\"")
def ambiguous(ctx: LintContext):
    for where, loc, readings, models in _checks(ctx):
        for model in sorted(models):
            for r in readings:
                if not _known(ctx, r):
                    continue
                reaches = ctx.graph.find(model, r.chain, r.element, r.kind)
                if len(reaches) > 1:
                    paths = "; ".join(" -> ".join([model] + [f"{h.model} (on {h.entity})" for h in x.hops])
                                      for x in reaches)
                    yield at(loc, "ML302", f"{where}: '{r.text}' is ambiguous from semantic model '{model}': "
                             f"{paths}", "write the full entity path, e.g. "
                             f"{'__'.join(reaches[0].entity_path(ctx.spec.semantic_models[model]))}__{r.element}")
                    break


@rule("ML303", "natural-key-fan-out", "A natural entity on a semantic model without a validity window fans out joins.",
      what="`natural` entities join slowly changing dimensions by their validity window "
           "(`validity_params` is_start/is_end). Without that window a natural key matches many rows.",
      why="Joining on a key that is not unique per row multiplies the measures of the joining model.",
      example="entities:\n  - {name: customer, type: natural}\ndimensions:\n  - {name: tier, type: categorical}",
      fix="entities:\n  - {name: customer, type: natural}\ndimensions:\n"
          "  - {name: valid_from, type: time, type_params: {time_granularity: day, validity_params: {is_start: true}}}\n"
          "  - {name: valid_to, type: time, type_params: {time_granularity: day, validity_params: {is_end: true}}}")
def natural_fan_out(ctx: LintContext):
    for model in ctx.spec.semantic_models.values():
        for entity in model.entities:
            if entity.type == "natural" and not model.is_scd:
                yield at(entity.loc, "ML303", f"natural entity '{entity.name}' of semantic model '{model.name}' "
                         "has no validity window to join on", "add time dimensions with validity_params "
                         "is_start/is_end, or make the entity primary/unique if it is unique per row")


@rule("ML304", "dangling-foreign-entity", "A foreign entity joins to nothing: no model declares it primary or unique.",
      what="Foreign entities are join keys to another model's primary/unique/natural entity of the same name.",
      why="No join is possible on it; usually the other side's entity is misspelt.", severity="warning",
      example="entities:\n  - {name: custmer, type: foreign, expr: customer_id}",
      fix="entities:\n  - {name: customer, type: foreign, expr: customer_id}")
def dangling(ctx: LintContext):
    from ...errors import did_you_mean

    owners = {e.name for m in ctx.spec.semantic_models.values() for e in m.entities
              if e.type in JOINABLE_ENTITY_TYPES}
    owners |= {m.primary_entity for m in ctx.spec.semantic_models.values() if m.primary_entity}
    for model in ctx.spec.semantic_models.values():
        for entity in model.entities:
            if entity.type == "foreign" and entity.name not in owners:
                yield at(entity.loc, "ML304", f"foreign entity '{entity.name}' of semantic model '{model.name}' "
                         "joins to no semantic model", did_you_mean(entity.name, owners) or
                         "declare it as primary (or unique) in the semantic model it identifies")


@rule("ML305", "no-primary-entity", "A semantic model with dimensions has no primary, unique or natural entity.",
      what="Dimensions are addressed as `entity__dimension` through an entity that identifies one row; a model "
           "without one needs `primary_entity:`.",
      why="Its dimensions cannot be named or joined (MetricFlow rejects the model too).",
      example="semantic_models:\n  - name: page_views\n    entities: [{name: user, type: foreign}]\n"
              "    dimensions: [{name: browser, type: categorical}]",
      fix="semantic_models:\n  - name: page_views\n    primary_entity: page_view\n"
          "    entities: [{name: user, type: foreign}]\n    dimensions: [{name: browser, type: categorical}]")
def no_primary(ctx: LintContext):
    for model in ctx.spec.semantic_models.values():
        if model.dimensions and not model.own_entities:
            yield at(model.loc, "ML305", f"semantic model '{model.name}' has dimensions but no primary entity",
                     "add primary_entity: <name>, or an entity of type primary")
