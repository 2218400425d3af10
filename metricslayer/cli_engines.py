"""`metricslayer seed --target T`: load the demo data into any runnable target (registered in cli.py)."""

from __future__ import annotations

import click


@click.command("seed")
@click.option("--project-dir", default=".", show_default=True, type=click.Path(file_okay=False),
              help="The project folder (metricslayer.yml).")
@click.option("--profiles-dir", default=None, type=click.Path(file_okay=False),
              help="Folder of profiles.yml (default: the project folder).")
@click.option("--target", "-t", default=None, help="The profiles.yml output to load the demo into.")
@click.option("--vars", "vars_", default=None, help="Project variables as YAML, e.g. '{key: value}'.")
@click.option("--scale", default=1.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="Demo size: 1.0 is about 1.3M rows; 0.05 is a quick try.")
@click.option("--data-dir", default=None, type=click.Path(file_okay=False),
              help="Where the parquet files are built (default: target/demo_parquet_<scale>).")
def seed(project_dir, profiles_dir, target, vars_, scale, data_dir):
    """Load the demo tables into TARGET (COPY for PostgreSQL, parquet for Spark, ClickHouse and DataFusion)."""
    from . import load_project
    from .seed import seed_target

    project = load_project(project_dir, target=target, vars=vars_, profiles_dir=profiles_dir)
    where = project.target.schema or "the default schema"

    def progress(step: str, i: int, n: int) -> None:
        click.echo(f"[{i + 1}/{n}] {step}", err=True)

    files = seed_target(project.target, scale=scale, data_dir=data_dir, progress=progress)
    click.echo(f"seeded {len(files)} demo tables into target '{project.target.name}' "
               f"({project.target.type}, {where})")
