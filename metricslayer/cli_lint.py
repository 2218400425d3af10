"""`metricslayer lint`, `metricslayer schema` and `metricslayer diff`: standalone click commands.

The lead registers them in cli.py with ``main.add_command(lint)`` (and schema, diff). Exit codes:
0 no errors (warnings allowed), 1 errors found, 2 could not run as asked (flags, config).
"""

from __future__ import annotations

import json
import os
import sys

import click

from .cli import project_options  # the shared project flags
from .errors import MetricsLayerError

BUG_HELP = "this is a bug in metricslayer: please report it (METRICSLAYER_DEBUG=1 shows the traceback)"


def _split(values) -> list[str]:
    return [v.strip() for value in values or () for v in str(value).split(",") if v.strip()]


@click.command("lint")
@project_options
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github", "sarif", "junit"]), default="text",
              show_default=True, help="Output format (github: workflow annotations; sarif: code scanning).")
@click.option("--select", multiple=True, metavar="CODES", help="Only these codes or prefixes, e.g. ML2,ML601.")
@click.option("--ignore", multiple=True, metavar="CODES", help="Skip these codes or prefixes.")
@click.option("--dialects", default=None, metavar="A,B",
              help="Compile every metric for these dialects and re-parse the SQL (ML504/ML505); "
                   "'targets' = the dialects of every output in profiles.yml.")
@click.option("--against-target", default=None, metavar="T",
              help="Check tables, columns and types in this profiles.yml output (ML8xx).")
@click.option("--explain", default=None, metavar="CODE", help="Print a rule's documentation and exit.")
@click.option("--list-rules", is_flag=True, help="Print the rule catalog and exit.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when errors are found.")
def lint(project_dir, profiles_dir, target, vars_, fmt, select, ignore, dialects, against_target, explain,
         list_rules, exit_zero):
    """Check the definitions: YAML and Jinja, references, joins, time, SQL, governance, KPI trees.

    Findings print as file:line:column: CODE message, with a help line. Suppress one with a trailing
    '# metricslayer: noqa ML601' on the reported line (or a comment line right above it).
    """
    from .validate import formats
    from .validate.registry import RULES, all_rules
    from .validate.runner import UsageError
    from .validate.runner import lint as run_lint

    if list_rules:
        rules = all_rules()
        if fmt == "json":
            click.echo(json.dumps([{"code": r.code, "name": r.name, "severity": r.severity, "summary": r.summary}
                                   for r in rules], indent=2))
        else:
            for r in rules:
                click.echo(f"{r.code}  {r.name:<36} {r.severity:<8} {r.summary}")
        return
    if explain:
        all_rules()
        rule = RULES.get(explain.strip().upper())
        if rule is None:
            from .errors import did_you_mean

            click.echo(f"error: unknown rule code '{explain}'\n  help: "
                       f"{did_you_mean(explain.upper(), RULES) or 'see metricslayer lint --list-rules'}", err=True)
            sys.exit(2)
        click.echo(rule.doc())
        return
    dialect_list = None
    if dialects is not None:
        dialect_list = _split([dialects])
        if dialect_list == ["targets"]:
            dialect_list = _target_dialects(project_dir, profiles_dir)
    try:
        report = run_lint(project_dir, select=_split(select), ignore=_split(ignore), dialects=dialect_list,
                          against_target=against_target, target=target, vars=vars_, profiles_dir=profiles_dir)
    except UsageError as exc:
        click.echo(f"error: {exc}\n  help: see 'metricslayer lint --help' and --list-rules", err=True)
        sys.exit(2)
    except Exception as exc:  # the linter must never show a traceback
        if os.environ.get("METRICSLAYER_DEBUG"):
            raise
        click.echo(f"internal error: {type(exc).__name__}: {exc}\n  help: {BUG_HELP}", err=True)
        sys.exit(2)
    click.echo(formats.render(report.issues, fmt))
    code = report.exit_code
    if exit_zero and code == 1:
        code = 0
    sys.exit(code)


def _target_dialects(project_dir, profiles_dir) -> list[str]:
    """The dialect of every output of the project's profile."""
    from pathlib import Path

    import yaml

    from .engines.base import dialect_of

    folder = Path(profiles_dir or os.environ.get("METRICSLAYER_PROFILES_DIR") or project_dir)
    try:
        data = yaml.safe_load((folder / "profiles.yml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return []
    out = []
    for profile in data.values() if isinstance(data, dict) else ():
        for output in ((profile or {}).get("outputs") or {}).values() if isinstance(profile, dict) else ():
            if isinstance(output, dict) and output.get("type"):
                out.append(dialect_of(str(output["type"]).lower()))
    return list(dict.fromkeys(out))


@click.command("schema")
@click.option("--indent", default=2, show_default=True, help="JSON indentation.")
def schema(indent):
    """Print the JSON Schema of the definition YAML (for editor completion and validation)."""
    from .validate.schema import JSON_SCHEMA

    click.echo(json.dumps(JSON_SCHEMA, indent=indent))


@click.command("diff")
@click.option("--base", required=True, metavar="REF", help="Git ref to compare the working tree with (e.g. main).")
@click.option("--project-dir", default=".", show_default=True, metavar="DIR", help="The project folder.")
@click.option("--profiles-dir", default=None, metavar="DIR", help="Folder holding profiles.yml.")
@click.option("--target", "-t", default=None, help="Run changed metrics on this output to show their values.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
@click.option("--group-by", default="metric_time__month", show_default=True,
              help="Group-by for the value comparison with --target (empty for a grand total).")
@click.option("--limit", default=12, show_default=True, help="Rows per metric in the value comparison.")
def diff(base, project_dir, profiles_dir, target, fmt, group_by, limit):
    """Compare metric definitions at a git ref with the working tree: added, removed, changed (+ SQL, values)."""
    from .validate.diff import DiffError, diff_project, render_diff

    try:
        result = diff_project(project_dir, base, target=target, profiles_dir=profiles_dir,
                              group_by=group_by, limit=limit)
    except (DiffError, MetricsLayerError) as exc:
        message = exc.render() if isinstance(exc, MetricsLayerError) else str(exc)
        click.echo(f"error: {message}", err=True)
        sys.exit(2)
    click.echo(render_diff(result, fmt))
    sys.exit(0)
