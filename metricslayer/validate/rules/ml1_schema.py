"""ML0xx internal/config and ML1xx YAML, Jinja and schema rules."""

from __future__ import annotations

import re

from ..context import LintContext
from ..issue import Issue
from ..registry import attach, declare, rule
from ..schema import walk

declare("ML000", "internal-error", "A lint rule crashed; the finding names the rule (the others still ran).",
        what="Reported when a rule raises instead of returning findings.",
        why="The linter must never stop with a traceback; a crash is a bug to report, not a reason to skip "
            "the remaining rules.",
        example="# any project that triggers a bug in a rule", fix="# report the bug; --ignore the rule meanwhile")
declare("ML001", "project-config-error", "metricslayer.yml, profiles.yml or --vars cannot be read.",
        what="The project settings or the profile do not load, so the project cannot be set up as asked. "
             "The linter still reports every definition finding it can (with an in-memory stand-in target) "
             "and exits with 2.",
        why="A CI job must show the configuration problem at its file and line, not a traceback.",
        example="# profiles.yml\nmy_profile:\n  target: prod\n  outputs:\n    dev: {type: duckdb}",
        fix="# profiles.yml\nmy_profile:\n  target: dev\n  outputs:\n    dev: {type: duckdb}")
declare("ML002", "lint-config-error", "The lint: block of metricslayer.yml is invalid.",
        what="Unknown keys, unknown rule codes or bad values under `lint:` in metricslayer.yml. Exit code 2.",
        why="A typo in `ignore:` would otherwise silently switch a rule back on (or off).",
        example="lint:\n  ignore: [ML9999]", fix="lint:\n  ignore: [ML602]")
declare("ML100", "definition-error", "A definition does not load (a problem the other ML1xx codes do not name).",
        what="The loader rejected a semantic model, metric, saved query or KPI node.",
        why="A definition that does not load is invisible to every query and to the other rules.",
        example="metrics:\n  - name: revenue\n    type: derived\n    type_params: {expr: a + b}",
        fix="metrics:\n  - name: revenue\n    type: derived\n    type_params: {expr: a + b, metrics: [{name: a}, {name: b}]}")
declare("ML101", "yaml-syntax", "The file is not valid YAML.",
        what="A YAML syntax error, reported at the line and column where the parser stopped.",
        why="Nothing in a file that does not parse is defined.",
        example="metrics:\n  - name: revenue\n    filter: {{ Dimension('order__status') }} = 'paid'",
        fix="metrics:\n  - name: revenue\n    filter: \"{{ Dimension('order__status') }} = 'paid'\"")
declare("ML102", "jinja-error", "The Jinja template of a file does not render.",
        what="A Jinja syntax error, an undefined variable or macro, or a macro that raised; reported at the "
             "template line of the source file.",
        why="Templates are rendered strictly: an undefined name is an error, never an empty string.",
        example="metrics:\n  - name: big_orders\n    filter: \"{{ Dimension('order__total') }} > {{ var('min_total') }}\"",
        fix="# metricslayer.yml\nvars: {min_total: 100}")
declare("ML104", "wrong-type", "A value has the wrong type (a list where a mapping belongs, text for a number, ...).",
        what="Checks every value against the JSON Schema of the format (`metricslayer schema`).",
        why="A wrongly typed value is either rejected by the loader or silently misread.",
        example="semantic_models:\n  - name: orders\n    entities: {name: order, type: primary}",
        fix="semantic_models:\n  - name: orders\n    entities:\n      - {name: order, type: primary}")
declare("ML105", "unknown-enum-value", "An enum value is unknown (agg, entity type, granularity, kind ...).",
        what="Values of `agg`, entity and dimension `type`, `time_granularity`, metric `type`, KPI `kind`, "
             "`direction`, `period`, `funnel_stage` must be among the allowed values; the help names the "
             "closest one.",
        why="A misspelt aggregation or grain makes the definition fail to load.",
        example="measures:\n  - name: revenue\n    agg: summ", fix="measures:\n  - name: revenue\n    agg: sum")
declare("ML106", "missing-key", "A required key is missing (name, type, agg, ...).",
        what="Every semantic model, entity, dimension, measure, metric, saved query and KPI node needs its "
             "required keys.",
        why="The loader cannot build the definition without them.",
        example="measures:\n  - name: revenue\n    expr: amount", fix="measures:\n  - name: revenue\n    agg: sum\n    expr: amount")
declare("ML207", "duplicate-name", "Two definitions share a name; the later one is reported, naming the earlier.",
        what="Semantic models, metrics, saved queries and KPI nodes need project-wide unique names; elements "
             "of one semantic model need distinct names.",
        why="One name must mean one thing: which of two `revenue` metrics a dashboard gets would be an accident "
            "of file order.",
        example="# metrics/sales.yml\nmetrics:\n  - name: revenue\n# metrics/finance.yml\nmetrics:\n  - name: revenue",
        fix="# rename one (e.g. bookings) or delete the duplicate")

_CLASSES = [
    (re.compile(r"^(invalid YAML|cannot read file)"), "ML101"),
    (re.compile(r"^Jinja"), "ML102"),
    (re.compile(r"defined twice"), "ML207"),
    (re.compile(r"^unknown [\w ]+ '"), "ML105"),
    (re.compile(r"must be (a|an|text|SQL|one)\b"), "ML104"),
    (re.compile(r"has no '|needs a name|lists no input"), "ML106"),
]


def classify(message: str) -> str:
    for pattern, code in _CLASSES:
        if pattern.search(message):
            return code
    return "ML100"


def schema_findings(ctx: LintContext) -> list[Issue]:
    cached = getattr(ctx, "_schema_findings", None)
    if cached is not None:
        return cached
    out = []
    for source in ctx.files.values():
        for doc in source.docs or ():
            for code, message, help_text, pos in walk(doc):
                loc = source.loc(pos)
                out.append(Issue(code, message, help_text, loc.file, loc.line, loc.column))
    ctx._schema_findings = out
    return out


@rule("ML103", "unknown-key", "A key is not part of the format (often a misspelling); help suggests the nearest.",
      what="Walks every definition file against the JSON Schema of the format and reports keys it does not "
           "know, with the closest known key. Also reports ML104 (wrong type), ML105 (unknown enum value) "
           "and ML106 (missing key).",
      why="The loader ignores unknown keys, so `descripton:` or `filters:` silently do nothing.",
      example="metrics:\n  - name: revenue\n    descripton: Order revenue",
      fix="metrics:\n  - name: revenue\n    description: Order revenue")
def unknown_keys(ctx: LintContext):
    return schema_findings(ctx)


def loader_findings(ctx: LintContext):
    precise = {(i.code, i.file, i.line) for i in schema_findings(ctx)}
    lines = {(i.file, i.line) for i in schema_findings(ctx)}
    for problem in ctx.project.problems:
        code = classify(problem.message)
        issue = Issue(code, problem.message, problem.help, problem.file or "", problem.line or 0,
                      problem.column or 0)
        if (code, issue.file, issue.line) in precise:
            continue
        if code == "ML100" and (issue.file, issue.line) in lines:
            continue
        yield issue


attach("ML100", loader_findings)  # the loader's problems carry several codes
