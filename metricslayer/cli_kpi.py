"""`metricslayer kpi status|check|explain` and `metricslayer report`: standalone click objects.

The main CLI registers them with ``main.add_command(kpi)`` and ``main.add_command(report)``. They also run
on their own (tests invoke them with CliRunner): errors become one message and an exit code, as in cli.py.
Exit codes: 0 done; 1 ran and found a problem (a node at the --fail-on status, a node that failed to
compute, an identity that does not hold, a webhook that failed); 2 could not run as asked.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Callable

import click

from .cli import _load, project_options  # the shared project flags and loader
from .errors import MetricsLayerError

BUG_HELP = ("this is a bug in metricslayer: please report it with the command you ran "
            "(set METRICSLAYER_DEBUG=1 to see the traceback)")


def _guard(ctx: click.Context, call: Callable):
    try:
        return call()
    except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
        raise
    except MetricsLayerError as exc:
        click.echo(f"error: {exc.render()}", err=True)
        ctx.exit(exc.exit_code)
    except Exception as exc:  # one catch-all: a bug must not print a traceback
        if os.environ.get("METRICSLAYER_DEBUG"):
            raise
        click.echo(f"internal error: {type(exc).__name__}: {exc}\n  help: {BUG_HELP}", err=True)
        ctx.exit(1)


class GuardedGroup(click.Group):
    def invoke(self, ctx: click.Context):
        return _guard(ctx, lambda: super(GuardedGroup, self).invoke(ctx))


class GuardedCommand(click.Command):
    def invoke(self, ctx: click.Context):
        return _guard(ctx, lambda: super(GuardedCommand, self).invoke(ctx))


as_of_option = click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                            metavar="DATE", help="Compute as of this day (default: today).")
format_option = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                             show_default=True, help="Output format.")


def _day(value) -> dt.date:
    return value.date() if value is not None else dt.date.today()


def _color() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


@click.group("kpi", cls=GuardedGroup, context_settings={"help_option_names": ["-h", "--help"]})
def kpi() -> None:
    """KPI trees (KGI -> KSF -> KPI): status against targets, identity checks, driver analysis."""


@kpi.command("status")
@project_options
@as_of_option
@click.option("--tree", "tree_name", default=None, metavar="KGI", help="Only the tree under this node.")
@format_option
@click.option("--fail-on", type=click.Choice(["at-risk", "off-track"]), default=None,
              help="Exit 1 when a node is at this status or worse (for cron and CI alerts).")
@click.option("--notify", default=None, metavar="URL",
              help="POST a JSON payload of the off-target nodes and their owners to this webhook.")
@click.option("--timing", is_flag=True, help="Print the time taken and the number of queries (stderr).")
def status(project_dir, profiles_dir, target, vars_, as_of, tree_name, fmt, fail_on, notify, timing):
    """Actual vs target, pace, forecast and status of every KPI node."""
    from .kpi.alerts import off_target, payload, post_json
    from .kpi.compute import compute_status
    from .kpi.render import clean, render_json, render_status
    from .kpi.status import ERROR

    started = time.perf_counter()
    project = _load(project_dir, profiles_dir, target, vars_)
    report = compute_status(project, _day(as_of), tree_name)
    if fmt == "json":
        click.echo(render_json(clean(report.to_dict())))
    else:
        click.echo(render_status(report, color=_color()), nl=False)
    if timing:
        click.echo(f"timing: kpi status {(time.perf_counter() - started) * 1000:.0f} ms total, "
                   f"{report.seconds * 1000:.0f} ms computing, {report.queries} queries", err=True)
    code = 0
    if notify:
        nodes = off_target(report, fail_on or "at-risk")
        try:
            post_json(notify, payload(report, nodes, tree_name))
            click.echo(f"notified {notify}: {len(nodes)} off-target node(s)", err=True)
        except OSError as exc:
            click.echo(f"error: could not post to {notify}: {exc}", err=True)
            code = 1
    if any(n.status == ERROR for n in report.nodes):
        code = 1
    if fail_on and off_target(report, fail_on):
        code = 1
    sys.exit(code) if code else None


@kpi.command("check")
@project_options
@as_of_option
@click.option("--months", type=click.IntRange(min=1), default=12, show_default=True,
              help="Check the periods of this many months before --as-of.")
@click.option("--grain", type=click.Choice(["day", "week", "month", "quarter", "year"]), default="month",
              show_default=True, help="Check the identity per period of this grain.")
@click.option("--tolerance", type=float, default=1e-6, show_default=True, help="Relative tolerance.")
@click.option("--node", default=None, help="Only this node's identity.")
@format_option
def check(project_dir, profiles_dir, target, vars_, as_of, months, grain, tolerance, node, fmt):
    """Verify each node's identity (e.g. revenue = sessions * cvr * aov) on the data, period by period."""
    from dataclasses import asdict

    from .kpi.check import check_identities
    from .kpi.render import clean, render_json

    project = _load(project_dir, profiles_dir, target, vars_)
    checks = check_identities(project, _day(as_of), months, grain, tolerance, node)
    if fmt == "json":
        click.echo(render_json(clean([asdict(c) | {"ok": c.ok} for c in checks])))
    else:
        if not checks:
            click.echo("no KPI node declares an identity")
        for c in checks:
            bad = [p for p in c.periods if not p.ok]
            mark = "ok  " if c.ok else "FAIL"
            click.echo(f"{mark} {c.node}: {c.identity}  ({c.file}:{c.line})")
            if c.error:
                click.echo("     " + c.error.replace("\n", "\n     "))
            elif bad:
                for p in bad:
                    click.echo(f"     {p.period}: left {p.lhs:.6g}, right {p.rhs:.6g}: {p.message}")
            else:
                checked = sum(1 for p in c.periods if not p.message)
                click.echo(f"     holds in {checked} {grain}(s) within {tolerance:g}")
    if any(c.error and "does not parse" in c.error or c.error and "not a metric" in c.error for c in checks):
        sys.exit(2)
    if not all(c.ok for c in checks):
        sys.exit(1)


@kpi.command("explain")
@project_options
@click.argument("node")
@click.option("--period", required=True, metavar="PERIOD", help="2025-06, 2025-Q2, 2025 or A..B.")
@click.option("--vs", "vs", required=True, metavar="PERIOD", help="The period to compare with.")
@click.option("--by", default=None, metavar="DIM", help="Attribute the change to segments of a dimension.")
@click.option("--top", type=click.IntRange(min=1, max=13), default=10, show_default=True,
              help="Segments shown with --by (the rest are one '(other)' segment).")
@format_option
def explain_cmd(project_dir, profiles_dir, target, vars_, node, period, vs, by, top, fmt):
    """Attribute a node's change between two periods to its identity's drivers or to segments."""
    from .kpi.explain import explain
    from .kpi.render import clean, number, render_json

    project = _load(project_dir, profiles_dir, target, vars_)
    result = explain(project, node, period, vs, by, top)
    if fmt == "json":
        click.echo(render_json(clean(result.to_dict())))
        return
    change = "-" if result.change is None else f"{result.change:+.6g}"
    click.echo(f"{node} ({result.metric}): {number(result.previous)} in {result.vs} -> "
               f"{number(result.value)} in {result.period}, change {change}")
    if result.identity:
        click.echo(f"identity: {result.identity}")
    if result.method:
        click.echo(f"method: {result.method}")
    if result.drivers:
        width = max(len(d["name"]) for d in result.drivers)
        for d in result.drivers:
            share = "" if not result.change else f"  {d['contribution'] / result.change:7.1%}"
            click.echo(f"  {d['name']:<{width}}  {number(d['previous']):>8} -> {number(d['value']):>8}  "
                       f"{d['contribution']:+14.6g}{share}")
        total = sum(d["contribution"] for d in result.drivers)
        click.echo(f"  {'total':<{width}}  {'':>8}    {'':>8}  {total:+14.6g}")
    for note in result.notes:
        click.echo(f"note: {note}")


explain_cmd.name = "explain"


@click.command("report", cls=GuardedCommand)
@project_options
@as_of_option
@click.option("--out", "out_dir", required=True, metavar="DIR", help="Folder to write the HTML site into.")
def report(project_dir, profiles_dir, target, vars_, as_of, out_dir):
    """Write a static, offline HTML site: KPI tree, trend charts, metric catalog, department pages."""
    from .kpi.report import write_report

    project = _load(project_dir, profiles_dir, target, vars_)
    pages = write_report(project, out_dir, _day(as_of))
    click.echo(f"wrote {len(pages)} pages to {out_dir} (open {pages[0]})")
