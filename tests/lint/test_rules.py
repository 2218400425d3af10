"""One failing and one passing fixture per lint rule (the base project in helpers.py lints clean)."""

from __future__ import annotations

import pytest
from lint_helpers import KPIS, META, METRICS, MODELS, codes, make_warehouse, project

from metricslayer.validate.registry import all_rules


def metric(name: str, body: str, meta: str = META, label: str | None = None) -> str:
    return (f"metrics:\n  - name: {name}\n    label: {label or name}\n    description: d.\n"
            + "".join(f"    {line}\n" for line in body.strip("\n").splitlines()) + f"    {meta}\n")


def model(name: str, body: str) -> str:
    return (f"semantic_models:\n  - name: {name}\n    description: d.\n    model: ref('{name}')\n"
            + "".join(f"    {line}\n" for line in body.strip("\n").splitlines()))


EXTRA = "metrics/extra.yml"
MODELX = "models/extra.yml"
EVENTS_OK = """
defaults: {agg_time_dimension: happened_at}
entities:
  - {name: event, type: primary, expr: event_id}
dimensions:
  - {name: happened_at, type: time, type_params: {time_granularity: day}}
measures:
  - {name: event_count, agg: count, expr: event_id}
"""
PROFILE = "shop:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: wh.duckdb}\n"
KPI_OK = "kpis:\n" + "".join(f"""
  - name: k{i}
    kind: kpi
    parent: order_value
    metric: orders
    target: 10
    direction: increase
    period: month
    owner: a@shop.test
""" for i in range(3))


def kpi(body: str) -> str:
    return "kpis:\n  - name: extra_kpi\n" + "".join(f"    {line}\n" for line in body.strip("\n").splitlines())


KPI_BASE = "kind: kpi\nparent: order_value\nmetric: orders\ntarget: 10\ndirection: increase\nperiod: month\nowner: a@x\n"

# code -> (failing files, passing files, extra CLI args, warehouse setup for both)
CASES: dict[str, tuple[dict, dict, tuple, dict | None]] = {
    "ML001": ({"profiles.yml": "shop:\n  target: prod\n  outputs:\n    dev: {type: duckdb}\n"},
              {"profiles.yml": "shop:\n  target: dev\n  outputs:\n    dev: {type: duckdb}\n"}, (), None),
    "ML002": ({"metricslayer.yml": "name: shop\nlint: {ignore: [ML999]}\n"},
              {"metricslayer.yml": "name: shop\nlint: {ignore: [ML602]}\n"}, (), None),
    "ML100": ({MODELX: model("events", EVENTS_OK.replace("agg: count, expr: event_id", "agg: percentile, expr: x"))},
              {MODELX: model("events", EVENTS_OK)}, (), None),
    "ML101": ({EXTRA: "metrics:\n  - name: x\n    filter: {{ Dimension('order__status') }} = 'a'\n"},
              {EXTRA: metric("x", "type: simple\ntype_params: {measure: order_count}\n"
                                  "filter: \"{{ Dimension('order__status') }} = 'a'\"")}, (), None),
    "ML102": ({EXTRA: metric("x", "type: simple\ntype_params: {measure: order_count}\n"
                                  "filter: \"{{ Dimension('order__status') }} = '{{ var('status') }}'\"")},
              {EXTRA: metric("x", "type: simple\ntype_params: {measure: order_count}\n"
                                  "filter: \"{{ Dimension('order__status') }} = '{{ var('status', 'paid') }}'\"")},
              (), None),
    "ML103": ({EXTRA: metric("x", "type: simple\ntype_params: {measure: order_count}\ndescripton: oops")},
              {EXTRA: metric("x", "type: simple\ntype_params: {measure: order_count}")}, (), None),
    "ML104": ({MODELX: model("events", EVENTS_OK.replace("entities:\n  - {name: event, type: primary, expr: event_id}",
                                                         "entities: {name: event, type: primary}"))},
              {MODELX: model("events", EVENTS_OK)}, (), None),
    "ML105": ({MODELX: model("events", EVENTS_OK.replace("agg: count", "agg: cnt"))},
              {MODELX: model("events", EVENTS_OK)}, (), None),
    "ML106": ({MODELX: model("events", EVENTS_OK.replace("agg: count, ", ""))},
              {MODELX: model("events", EVENTS_OK)}, (), None),
    "ML201": ({EXTRA: metric("x", "type: simple\ntype_params: {measure: order_totl}")},
              {EXTRA: metric("x", "type: simple\ntype_params: {measure: order_total}")}, (), None),
    "ML202": ({EXTRA: metric("x", "type: ratio\ntype_params: {numerator: revenu, denominator: orders}")},
              {EXTRA: metric("x", "type: ratio\ntype_params: {numerator: buyers, denominator: orders}")}, (), None),
    "ML203": ({EXTRA: metric("x", "type: simple\ntype_params: {measure: order_count}\n"
                                  "filter: \"{{ Dimension('customer__regoin') }} = 'EU'\"")},
              {EXTRA: metric("x", "type: simple\ntype_params: {measure: order_count}\n"
                                  "filter: \"{{ Dimension('customer__region') }} = 'US'\"")}, (), None),
    "ML204": ({EXTRA: metric("x", "type: derived\ntype_params: {expr: revenue - cost, metrics: [{name: revenue}]}")},
              {EXTRA: metric("x", "type: derived\ntype_params: {expr: revenue / 2, metrics: [{name: revenue}]}")},
              (), None),
    "ML205": ({EXTRA: metric("x", "type: derived\ntype_params: {expr: revenue * 2, metrics: [{name: revenue}, "
                                  "{name: orders}]}")},
              {EXTRA: metric("x", "type: derived\ntype_params: {expr: revenue * orders, metrics: [{name: revenue}, "
                                  "{name: orders}]}")}, (), None),
    "ML206": ({EXTRA: "metrics:\n" + "".join(metric(n, f"type: derived\ntype_params: {{expr: {o} + 1, metrics: "
                                                       f"[{{name: {o}}}]}}").split("\n", 1)[1]
                                             for n, o in (("a", "b"), ("b", "a")))},
              {EXTRA: metric("a", "type: derived\ntype_params: {expr: revenue + 1, metrics: [{name: revenue}]}")},
              (), None),
    "ML207": ({EXTRA: metric("revenue", "type: simple\ntype_params: {measure: order_count}")},
              {EXTRA: metric("order_volume", "type: simple\ntype_params: {measure: order_count}\n"
                                             "filter: \"{{ Dimension('order__status') }} = 'x'\"")}, (), None),
    "ML208": ({MODELX: model("events", EVENTS_OK.replace("event_count", "order_count"))},
              {MODELX: model("events", EVENTS_OK)}, (), None),
    "ML209": ({EXTRA: metric("x", "type: conversion\ntype_params:\n  conversion_type_params:\n    entity: custmer\n"
                                  "    base_measure: customer_count\n    conversion_measure: buyer_count")},
              {EXTRA: metric("x", "type: conversion\ntype_params:\n  conversion_type_params:\n    entity: customer\n"
                                  "    base_measure: customer_count\n    conversion_measure: buyer_count")}, (), None),
    "ML301": ({MODELX: model("events", EVENTS_OK), EXTRA: metric(
                  "x", "type: simple\ntype_params: {measure: event_count}\n"
                       "filter: \"{{ Dimension('customer__region') }} = 'EU'\"")},
              {MODELX: model("events", EVENTS_OK + "  - {name: customer, type: foreign, expr: customer_id}\n"
                             .replace("  - {name: customer", "  - {name: customer")).replace(
                  "entities:\n", "entities:\n  - {name: customer, type: foreign, expr: customer_id}\n"),
               EXTRA: metric("x", "type: simple\ntype_params: {measure: event_count}\n"
                                  "filter: \"{{ Dimension('customer__region') }} = 'EU'\"")}, (), None),
    "ML302": ({MODELX: model("stores", "entities:\n  - {name: store, type: primary}\n  - {name: region, type: foreign}")
               + model("customer_regions", "entities:\n  - {name: customer, type: unique}\n"
                                           "  - {name: region, type: foreign}").split("\n", 1)[1]
               + model("regions", "entities:\n  - {name: region, type: primary}\n"
                                  "dimensions:\n  - {name: area, type: categorical}").split("\n", 1)[1]
               + model("visits", "defaults: {agg_time_dimension: at}\nentities:\n  - {name: visit, type: primary}\n"
                                 "  - {name: store, type: foreign}\n  - {name: customer, type: foreign}\n"
                                 "dimensions:\n  - {name: at, type: time, type_params: {time_granularity: day}}\n"
                                 "measures:\n  - {name: visit_count, agg: count, expr: visit}").split("\n", 1)[1],
               EXTRA: metric("x", "type: simple\ntype_params: {measure: visit_count}\n"
                                  "filter: \"{{ Dimension('region__area') }} = 'N'\"")},
              {EXTRA: metric("x", "type: simple\ntype_params: {measure: order_count}\n"
                                  "filter: \"{{ Dimension('customer__region') }} = 'N'\"")}, (), None),
    "ML303": ({MODELX: model("tiers", "entities:\n  - {name: tier_customer, type: natural, expr: customer_id}\n"
                                      "dimensions:\n  - {name: tier, type: categorical}")},
              {MODELX: model("tiers", "entities:\n  - {name: tier_customer, type: natural, expr: customer_id}\n"
                                      "dimensions:\n  - {name: tier, type: categorical}\n"
                                      "  - {name: valid_from, type: time, type_params: {time_granularity: day, "
                                      "validity_params: {is_start: true}}}\n"
                                      "  - {name: valid_to, type: time, type_params: {time_granularity: day, "
                                      "validity_params: {is_end: true}}}")}, (), None),
    "ML304": ({MODELX: model("events", EVENTS_OK.replace("entities:\n", "entities:\n  - {name: custmer, type: foreign}\n"))},
              {MODELX: model("events", EVENTS_OK.replace("entities:\n", "entities:\n  - {name: customer, type: foreign}\n"))},
              (), None),
    "ML305": ({MODELX: model("events", EVENTS_OK.replace("{name: event, type: primary, expr: event_id}",
                                                         "{name: customer, type: foreign}"))},
              {MODELX: model("events", "primary_entity: event\n" + EVENTS_OK.replace(
                  "{name: event, type: primary, expr: event_id}", "{name: customer, type: foreign}"))}, (), None),
    "ML401": ({MODELX: model("events", EVENTS_OK.replace(", type_params: {time_granularity: day}", ""))},
              {MODELX: model("events", EVENTS_OK)}, (), None),
    "ML402": ({MODELX: model("events", EVENTS_OK.replace("agg_time_dimension: happened_at", "agg_time_dimension: hapened"))},
              {MODELX: model("events", EVENTS_OK)}, (), None),
    "ML403": ({MODELX: model("events", EVENTS_OK.replace("defaults: {agg_time_dimension: happened_at}\n", ""))},
              {MODELX: model("events", EVENTS_OK)}, (), None),
    "ML404": ({EXTRA: metric("x", "type: cumulative\ntype_params: {measure: order_total, window: 7 dayz}")},
              {EXTRA: metric("x", "type: cumulative\ntype_params: {measure: order_total, window: 7 days}")}, (), None),
    "ML405": ({MODELX: model("events", EVENTS_OK.replace("time_granularity: day", "time_granularity: month")),
               EXTRA: metric("x", "type: simple\ntime_granularity: day\ntype_params: {measure: event_count}")},
              {MODELX: model("events", EVENTS_OK.replace("time_granularity: day", "time_granularity: month")),
               EXTRA: metric("x", "type: simple\ntime_granularity: quarter\ntype_params: {measure: event_count}")},
              (), None),
    "ML406": ({MODELX: model("events", EVENTS_OK.replace("expr: event_id}", "expr: event_id, "
                                                         "non_additive_dimension: {name: happend_at}}"))},
              {MODELX: model("events", EVENTS_OK.replace("expr: event_id}", "expr: event_id, "
                                                         "non_additive_dimension: {name: happened_at}}"))}, (), None),
    "ML501": ({MODELX: model("events", EVENTS_OK.replace("agg: count, expr: event_id", "agg: sum, expr: 'a * (b'"))},
              {MODELX: model("events", EVENTS_OK.replace("agg: count, expr: event_id", "agg: sum, expr: 'a * (b)'"))},
              (), None),
    "ML502": ({EXTRA: metric("x", "type: simple\ntype_params: {measure: order_count}\n"
                                  "filter: \"{{ Dimension('order__status') }} = = 'a'\"")},
              {EXTRA: metric("x", "type: simple\ntype_params: {measure: order_count}\n"
                                  "filter: \"{{ Dimension('order__status') }} = 'a'\"")}, (), None),
    "ML503": ({EXTRA: metric("x", "type: simple\ntype_params: {measure: order_count}\n"
                                  "filter: \"{{ TimeDimension('order__status', 'month') }} = 'a'\"")},
              {EXTRA: metric("x", "type: simple\ntype_params: {measure: order_count}\n"
                                  "filter: \"{{ TimeDimension('order__ordered_at', 'month') }} = '2025-01-01'\"")},
              (), None),
    "ML505": ({MODELX: model("events", EVENTS_OK.replace("agg: count, expr: event_id", "agg: sum, expr: MY_UDF(v)"))},
              {MODELX: model("events", EVENTS_OK.replace("agg: count, expr: event_id", "agg: sum, expr: ABS(v)"))},
              ("--dialects", "duckdb,bigquery"), None),
    "ML601": ({EXTRA: metric("order_volume", "type: simple\ntype_params: {measure: order_count}")},
              {EXTRA: metric("order_volume", "type: simple\ntype_params: {measure: order_count}\n"
                                             "filter: \"{{ Dimension('order__status') }} = 'x'\"")}, (), None),
    "ML602": ({EXTRA: metric("x", "type: simple\ntype_params: {measure: order_total}\n"
                                  "filter: \"{{ Dimension('order__status') }} = 'x'\"").replace("description: d.", "")},
              {EXTRA: metric("x", "type: simple\ntype_params: {measure: order_total}\n"
                                  "filter: \"{{ Dimension('order__status') }} = 'x'\"")}, (), None),
    "ML603": ({EXTRA: metric("x", "type: simple\ntype_params: {measure: order_total}\nfilter: \"1 = 2\"",
                             meta="config: {meta: {department: finance}}")},
              {EXTRA: metric("x", "type: simple\ntype_params: {measure: order_total}\nfilter: \"1 = 2\"")}, (), None),
    "ML604": ({EXTRA: metric("x", "type: simple\ntype_params: {measure: order_total}\nfilter: \"1 = 2\"",
                             meta="config: {meta: {owner: a@x}}")},
              {EXTRA: metric("x", "type: simple\ntype_params: {measure: order_total}\nfilter: \"1 = 2\"")}, (), None),
    "ML605": ({EXTRA: metric("sales_aov", "type: ratio\ntype_params: {numerator: revenue, denominator: buyers}",
                             meta="config: {meta: {owner: s@x, department: sales}}", label="AOV")},
              {EXTRA: metric("sales_aov", "type: ratio\ntype_params: {numerator: revenue, denominator: buyers}",
                             meta="config: {meta: {owner: s@x, department: sales}}", label="Revenue per buyer")},
              (), None),
    "ML606": ({EXTRA: metric("x", "type: derived\ntype_params: {expr: (aov + aov_2) / 2, metrics: [{name: aov}, "
                                  "{name: aov, alias: aov_2, filter: \"1 = 1\"}]}")},
              {EXTRA: metric("x", "type: derived\ntype_params: {expr: aov * 2, metrics: [{name: aov}]}")}, (), None),
    "ML607": ({EXTRA: metric("x", "type: derived\ntype_params: {expr: buyers + buyers_2, metrics: [{name: buyers}, "
                                  "{name: buyers, alias: buyers_2, filter: \"1 = 1\"}]}")},
              {EXTRA: metric("x", "type: derived\ntype_params: {expr: buyers / orders, metrics: [{name: buyers}, "
                                  "{name: orders}]}")}, (), None),
    "ML701": ({"metrics/k.yml": kpi(KPI_BASE.replace("target: 10\n", ""))}, {"metrics/k.yml": kpi(KPI_BASE)}, (), None),
    "ML702": ({"metrics/k.yml": kpi(KPI_BASE.replace("direction: increase\n", ""))},
              {"metrics/k.yml": kpi(KPI_BASE.replace("increase", "decrease"))}, (), None),
    "ML703": ({"metrics/k.yml": kpi(KPI_BASE.replace("period: month\n", ""))},
              {"metrics/k.yml": kpi(KPI_BASE.replace("period: month\n", "start: 2025-01-01\ndeadline: 2025-06-30\n"))},
              (), None),
    "ML704": ({"metrics/k.yml": kpi(KPI_BASE.replace("owner: a@x\n", ""))}, {"metrics/k.yml": kpi(KPI_BASE)}, (), None),
    "ML705": ({"metrics/k.yml": kpi(KPI_BASE.replace("parent: order_value", "parent: order_valu"))},
              {"metrics/k.yml": kpi(KPI_BASE)}, (), None),
    "ML706": ({"metrics/k.yml": kpi(KPI_BASE.replace("metric: orders", "metric: ordrs"))},
              {"metrics/k.yml": kpi(KPI_BASE)}, (), None),
    "ML707": ({"metrics/k.yml": kpi(KPI_BASE.replace("parent: order_value\n", ""))},
              {"metrics/k.yml": kpi(KPI_BASE)}, (), None),
    "ML708": ({"metrics/k.yml": KPI_OK + KPI_OK.replace("name: k", "name: j").split("\n", 1)[1]},
              {"metrics/k.yml": KPI_OK}, (), None),
    "ML709": ({"metrics/k.yml": kpi(KPI_BASE.replace("metric: orders\n", ""))}, {"metrics/k.yml": kpi(KPI_BASE)},
              (), None),
    "ML710": ({"metrics/k.yml": kpi(KPI_BASE.replace("period: month", "start: 2025-06-01\ndeadline: 2025-01-01"))},
              {"metrics/k.yml": kpi(KPI_BASE.replace("period: month", "start: 2025-01-01\ndeadline: 2025-06-01"))},
              (), None),
    "ML711": ({"metrics/k.yml": kpi("kind: ksf\nparent: revenue_goal\nowner: a@x")},
              {"metrics/k.yml": kpi("kind: ksf\nparent: revenue_goal\nowner: a@x") + KPI_OK.split("\n", 1)[1]
               .replace("order_value", "extra_kpi")}, (), None),
    "ML712": ({"metrics/k.yml": kpi(KPI_BASE + "identity: orders = revenue / aov_x")},
              {"metrics/k.yml": kpi(KPI_BASE + "identity: orders = revenue / aov")}, (), None),
    "ML800": ({"profiles.yml": PROFILE}, {"profiles.yml": PROFILE}, ("--against-target", "prod"), {}),
    "ML801": ({"profiles.yml": PROFILE}, {"profiles.yml": PROFILE}, ("--against-target", "dev"), {"drop": "orders"}),
    "ML802": ({"profiles.yml": PROFILE, "models/shop.yml": MODELS.replace("expr: amount", "expr: amont")},
              {"profiles.yml": PROFILE}, ("--against-target", "dev"), {}),
    "ML803": ({"profiles.yml": PROFILE}, {"profiles.yml": PROFILE}, ("--against-target", "dev"),
              {"amount_type": "VARCHAR"}),
}
# the passing fixture of ML800 targets the output that exists
PASS_ARGS = {"ML800": ("--against-target", "dev")}
# codes that need monkeypatching rather than a fixture (tested in test_cli.py)
ELSEWHERE = {"ML000", "ML504"}


def test_every_rule_has_fixtures():
    assert {r.code for r in all_rules()} - ELSEWHERE == set(CASES)


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_fails(tmp_path, code):
    bad, _good, args, warehouse = CASES[code]
    if warehouse is not None:
        make_warehouse(tmp_path / "wh.duckdb", **warehouse)
    found = codes(project(tmp_path, bad), *args)
    assert code in found, found


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_passes(tmp_path, code):
    _bad, good, args, warehouse = CASES[code]
    if warehouse is not None:
        make_warehouse(tmp_path / "wh.duckdb", **{k: v for k, v in warehouse.items() if k == "_"})
    found = codes(project(tmp_path, good), *PASS_ARGS.get(code, args))
    assert code not in found, found
    assert not {c for c in found if c.startswith("ML0")}, found


def test_base_project_is_clean(tmp_path):
    assert codes(project(tmp_path)) == set()
    assert METRICS and KPIS
