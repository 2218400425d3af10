"""The `metricslayer` command line: parse flags, call the public API, print with output.py.

Exit codes: 0 done; 1 the command ran and found a problem (a failed query); 2 it could not run as asked
(bad flags, definitions that do not load, a bad profile, an unknown name in a query). Errors are printed as
``error: <file:line: message>`` with a help line, never as a traceback.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import click

from . import __version__
from .errors import MetricsLayerError
from .output import FORMATS, LIST_FORMATS, milliseconds, render_catalog, render_result, row_count

BUG_HELP = ("this is a bug in metricslayer: please report it with the command you ran "
            "(set METRICSLAYER_DEBUG=1 to see the traceback)")


# Commands that live in their own modules, imported only when used (compile stays a fast cold start).
LAZY_COMMANDS = {
    "lint": "metricslayer.cli_lint:lint",
    "schema": "metricslayer.cli_lint:schema",
    "diff": "metricslayer.cli_lint:diff",
    "kpi": "metricslayer.cli_kpi:kpi",
    "report": "metricslayer.cli_kpi:report",
    "seed": "metricslayer.cli_engines:seed",
}


class MainGroup(click.Group):
    """The top-level group: turns errors into one message and an exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS))

    def get_command(self, ctx: click.Context, name: str):
        command = super().get_command(ctx, name)
        if command is None and name in LAZY_COMMANDS:
            import importlib

            module, attribute = LAZY_COMMANDS[name].split(":")
            try:
                command = getattr(importlib.import_module(module), attribute)
            except (ImportError, AttributeError):
                return None
        return command

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except MetricsLayerError as exc:
            click.echo(f"error: {exc.render()}", err=True)
            ctx.exit(exc.exit_code)
        except BrokenPipeError:
            _silence_stdout()  # `metricslayer query ... | head`: the reader left, nothing to report
            ctx.exit(1)
        except Exception as exc:  # the one catch-all: a bug must still not print a traceback
            if os.environ.get("METRICSLAYER_DEBUG"):
                raise
            click.echo(f"internal error: {type(exc).__name__}: {exc}\n  help: {BUG_HELP}", err=True)
            ctx.exit(1)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


@click.group(cls=MainGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="metricslayer")
def main() -> None:
    """One shared, tested definition of every business metric, compiled to SQL for any warehouse."""


# -- shared options ------------------------------------------------------------------------------------


def _apply(options: list[Callable]) -> Callable:
    def decorate(func: Callable) -> Callable:
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


project_options = _apply([
    click.option("--project-dir", default=".", show_default=True, metavar="DIR",
                 help="Folder holding metricslayer.yml (or dbt_project.yml) and the YAML definitions."),
    click.option("--profiles-dir", default=None, metavar="DIR",
                 help="Folder holding profiles.yml (default: the project folder, or $METRICSLAYER_PROFILES_DIR)."),
    click.option("--target", "-t", default=None, help="Output of the profile to use (default: its target)."),
    click.option("--vars", "vars_", default=None, metavar="YAML",
                 help="Variables for Jinja, as YAML or JSON: --vars '{region: EU}'."),
])

query_options = _apply([
    click.option("--metrics", "-m", multiple=True, metavar="A,B",
                 help="Metrics, comma-separated (or repeat the flag)."),
    click.option("--group-by", "-g", multiple=True, metavar="X,Y",
                 help="Group-by items such as customer__region or metric_time__month, comma-separated."),
    click.option("--where", "-w", multiple=True, metavar="SQL",
                 help="A filter, e.g. \"{{ Dimension('customer__region') }} = 'EU'\". Repeat for more (ANDed)."),
    click.option("--order-by", multiple=True, metavar="X,-Y",
                 help="Order items, comma-separated; a leading '-' sorts descending (write --order-by=-revenue)."),
    click.option("--limit", type=click.IntRange(min=0), default=None, help="At most this many rows."),
    click.option("--start-time", default=None, metavar="DATE", help="Keep metric_time on or after this date."),
    click.option("--end-time", default=None, metavar="DATE", help="Keep metric_time on or before this date."),
    click.option("--saved-query", default=None, metavar="NAME",
                 help="Start from a saved query; the flags above add to or replace its parts."),
])


def split_list(values: Iterable[str]) -> list[str]:
    """Comma-separated flag values, split at top-level commas only.

    >>> split_list(["revenue,aov", "TimeDimension('metric_time', 'month')"])
    ['revenue', 'aov', "TimeDimension('metric_time', 'month')"]
    """
    items: list[str] = []
    for value in values:
        depth, quote, start = 0, "", 0
        for i, char in enumerate(value):
            if quote:
                quote = "" if char == quote else quote
            elif char in "'\"":
                quote = char
            elif char in "([{":
                depth += 1
            elif char in ")]}":
                depth = max(0, depth - 1)
            elif char == "," and depth == 0:
                items.append(value[start:i])
                start = i + 1
        items.append(value[start:])
    return [item.strip() for item in items if item.strip()]


def _load(project_dir: str, profiles_dir: str | None, target: str | None, vars_: str | None):
    from . import load_project

    return load_project(project_dir, target=target, vars=vars_, profiles_dir=profiles_dir)


def _query_args(metrics, group_by, where, order_by, limit, start_time, end_time, saved_query) -> dict:
    return {
        "metrics": split_list(metrics), "group_by": split_list(group_by), "where": list(where),
        "order_by": split_list(order_by), "limit": limit, "start_time": start_time, "end_time": end_time,
        "saved_query": saved_query,
    }


def _timing(parts: list[tuple[str, float]]) -> None:
    click.echo("timing: " + ", ".join(f"{name} {milliseconds(sec)}" for name, sec in parts), err=True)


def _width() -> int | None:
    """Terminal width for tables, or None (natural width) when stdout is not a terminal."""
    if sys.stdout.isatty():
        import shutil

        return shutil.get_terminal_size().columns
    return None


# -- progress -----------------------------------------------------------------------------------------


class ProgressDisplay:
    """A progress(step, i, n) callback for building the demo data: a rich bar on a terminal, else lines."""

    def __init__(self, title: str):
        self.title = title
        self._bar = None
        self._task = None
        self._started = False

    def __call__(self, step: str, i: int, n: int) -> None:
        if not self._started:
            self._started = True
            self._start(n)
        if self._bar is not None:
            self._bar.update(self._task, completed=i, total=n, description=f"{self.title}: {step}")
        else:
            click.echo(f"  [{i + 1}/{n}] {step}", err=True)

    def _start(self, n: int) -> None:
        if sys.stderr.isatty():
            try:
                from rich.console import Console
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeElapsedColumn,
                )
            except ImportError:
                pass
            else:
                self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), console=Console(stderr=True), transient=True)
                self._bar.start()
                self._task = self._bar.add_task(self.title, total=n)
                return
        click.echo(f"{self.title}...", err=True)

    @property
    def started(self) -> bool:
        return self._started

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> ProgressDisplay:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# -- commands -----------------------------------------------------------------------------------------


@main.command()
@project_options
@query_options
@click.option("--dialect", default=None, help="SQL dialect to write (default: the target's), e.g. postgres.")
@click.option("--timing", is_flag=True, help="Print load and compile times to stderr.")
def compile(project_dir, profiles_dir, target, vars_, metrics, group_by, where, order_by, limit, start_time,
            end_time, saved_query, dialect, timing):
    """Print the SQL of a query."""
    t0 = time.perf_counter()
    project = _load(project_dir, profiles_dir, target, vars_)
    t1 = time.perf_counter()
    sql = project.compile(**_query_args(metrics, group_by, where, order_by, limit, start_time, end_time,
                                        saved_query), dialect=dialect)
    t2 = time.perf_counter()
    click.echo(sql)
    if timing:
        _timing([("load", t1 - t0), ("compile", t2 - t1)])


@main.command()
@project_options
@query_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="table for people; csv, or json (an array of objects) for programs.")
@click.option("--timing", is_flag=True, help="Print load, compile and execute times to stderr.")
def query(project_dir, profiles_dir, target, vars_, metrics, group_by, where, order_by, limit, start_time,
          end_time, saved_query, fmt, timing):
    """Run a query on the target warehouse and print the rows."""
    t0 = time.perf_counter()
    project = _load(project_dir, profiles_dir, target, vars_)
    args = _query_args(metrics, group_by, where, order_by, limit, start_time, end_time, saved_query)
    t1 = time.perf_counter()
    project.compile(**args)  # a wrong query fails here, before any warehouse is opened or demo data built
    t2 = time.perf_counter()
    try:
        with ProgressDisplay("demo data is missing; building it") as progress:
            project.progress = progress
            project.engine()
        t3 = time.perf_counter()
        result = project.query(**args)
        t4 = time.perf_counter()
    finally:
        project.close()
    if progress.started:
        click.echo(f"demo data built in {t3 - t2:.2f} s", err=True)
    click.echo(render_result(result, fmt, width=_width()), nl=False)
    click.echo(row_count(len(result.rows)), err=True)
    if timing:
        parts = [("load", t1 - t0), ("compile", t2 - t1)]
        parts += [("demo build" if progress.started else "connect", t3 - t2), ("execute", t4 - t3)]
        _timing(parts)


LIST_KINDS = ("metrics", "dimensions", "entities", "saved-queries")


@main.command("list")
@click.argument("kind", type=click.Choice(LIST_KINDS))
@project_options
@click.option("--metrics", "-m", multiple=True, metavar="A,B",
              help="dimensions/entities: only those every one of these metrics can be grouped by.")
@click.option("--format", "fmt", type=click.Choice(LIST_FORMATS), default="table", show_default=True)
def list_(kind, project_dir, profiles_dir, target, vars_, metrics, fmt):
    """List the project's metrics, dimensions, entities or saved queries."""
    names = split_list(metrics)
    if names and kind not in ("dimensions", "entities"):
        raise click.UsageError(f"--metrics applies to 'list dimensions' and 'list entities', not 'list {kind}'")
    project = _load(project_dir, profiles_dir, target, vars_)
    if kind == "metrics":
        items = project.list_metrics()
    elif kind == "dimensions":
        items = project.list_dimensions(names)
    elif kind == "entities":
        items = project.list_entities(names)
    else:
        items = project.list_saved_queries()
    click.echo(render_catalog(kind, items, fmt, width=_width()), nl=False)


@main.command()
@project_options
@click.option("--scale", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="Multiply the demo's row counts by this.")
@click.option("--force", is_flag=True, help="Build even if the target is not marked 'demo: true'.")
def demo(project_dir, profiles_dir, target, vars_, scale, force):
    """Build the demo DuckDB database of the project's target (one marked 'demo: true' in profiles.yml)."""
    from .errors import ProjectError

    project = _load(project_dir, profiles_dir, target, vars_)
    if not project.target.settings.get("demo") and not force:
        raise ProjectError(f"target '{project.target.name}' is not a demo target; building the demo would "
                           "replace its database", help="add 'demo: true' to the target in profiles.yml, "
                           "pick one with --target, or pass --force")
    t0 = time.perf_counter()
    with ProgressDisplay("building demo data") as progress:
        path = project.build_demo(progress, scale=scale)
    elapsed = time.perf_counter() - t0
    click.echo(f"{_show_path(path)} built in {elapsed:.2f} s")


@main.group()
def export() -> None:
    """Write the definitions in another tool's format."""


@export.command("metricflow")
@project_options
@click.option("--out", "out_dir", required=True, metavar="DIR", help="Folder to write the YAML files into.")
def export_metricflow(project_dir, profiles_dir, target, vars_, out_dir):
    """Write MetricFlow-readable YAML (Jinja rendered, refs resolved)."""
    project = _load(project_dir, profiles_dir, target, vars_)
    written = project.export_metricflow(out_dir)
    for path in written:
        click.echo(_show_path(Path(path)))
    click.echo(f"{len(written)} file(s) written", err=True)


def _show_path(path: Path) -> str:
    """`path` relative to the working folder when it is inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


if __name__ == "__main__":  # pragma: no cover
    main()
