"""One parquet data set and one engine per kind for the whole test session (Spark starts once)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from metricslayer.engines import parity

REPO = Path(__file__).resolve().parents[2]
DRIVERS = {"clickhouse": "chdb", "spark": "pyspark", "datafusion": "datafusion", "postgres": "psycopg"}
REQUIRE = os.environ.get("ML_REQUIRE_ENGINES") == "1"


def missing(engine: str) -> str:
    """Why `engine` cannot run here ('' when it can)."""
    module = DRIVERS.get(engine)
    if module and importlib.util.find_spec(module) is None:
        return f"{module} is not installed (pip install 'metricslayer[{engine}]')"
    if engine == "postgres" and not parity.postgres_settings():
        return "no PostgreSQL server (run the tests under .ci/with_postgres.sh)"
    if engine == "spark" and os.system("java -version >/dev/null 2>&1") != 0:
        return "no Java runtime for Spark"
    return ""


@pytest.fixture(scope="session")
def parquet_files(tmp_path_factory):
    from metricslayer.seed import demo_parquet

    return demo_parquet(tmp_path_factory.mktemp("parquet"), scale=0.05)


@pytest.fixture(scope="session")
def engines(parquet_files, tmp_path_factory):
    folder = next(iter(parquet_files.values())).parent
    targets = parity.parity_targets(folder, tmp_path_factory.mktemp("engines"))
    opened, skipped = {}, {}
    for name in parity.ENGINES:
        why = missing(name)
        if why:
            if REQUIRE:
                pytest.fail(f"ML_REQUIRE_ENGINES=1 but {name} cannot run: {why}")
            skipped[name] = why
            continue
        opened[name] = parity.open_engine(name, targets[name], parquet_files)
    yield opened, skipped
    for engine in opened.values():
        engine.close()
    if "spark" in opened:
        from metricslayer.engines import spark

        spark.stop()


@pytest.fixture(scope="session")
def demo_project():
    from metricslayer import load_project

    return load_project(REPO)
