"""Fixtures: `tiny` (a hand-made DuckDB project with exact numbers) and `demo` (the demo data with the KPI
tree in fixtures/demo_kpis.yml)."""

from __future__ import annotations

import datetime as dt
import shutil
import textwrap
from pathlib import Path

import duckdb
import pytest

import metricslayer as ml

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"

TINY_MODELS = """
semantic_models:
  - name: daily
    model: ref('daily')
    defaults: {agg_time_dimension: day}
    entities:
      - {name: row, type: primary, expr: row_id}
    dimensions:
      - {name: day, type: time, type_params: {time_granularity: day}}
      - {name: channel, type: categorical}
    measures:
      - {name: visits, agg: sum}
      - {name: orders, agg: sum}
      - {name: amount, agg: sum}
metrics:
  - {name: visits, type: simple, label: Visits, type_params: {measure: visits},
     config: {meta: {owner: web@acme.test, department: marketing}}}
  - {name: orders, type: simple, label: Orders, type_params: {measure: orders},
     config: {meta: {owner: shop@acme.test, department: sales}}}
  - {name: revenue, type: simple, label: Revenue, type_params: {measure: amount},
     config: {meta: {owner: cfo@acme.test, department: finance}}}
  - {name: cvr, type: ratio, label: Conversion rate, type_params: {numerator: orders, denominator: visits},
     config: {meta: {owner: shop@acme.test, department: sales}}}
  - {name: aov, type: ratio, label: AOV, type_params: {numerator: revenue, denominator: orders},
     config: {meta: {owner: cfo@acme.test, department: finance}}}
  - name: revenue_2x
    type: derived
    type_params:
      expr: revenue + revenue
      metrics: [{name: revenue}]
"""

# As of 2025-03-31: revenue Jan-Mar = 400/day * 90 days = 36000; the year's pace expects
# 120000 * 90/365 = 29589.04 -> 122 %. Visits 200/day, orders 8/day (web 5, app 3): cvr 0.04, aov 50.
TINY_KPIS = """
kpis:
  - {name: revenue_2025, label: Revenue 2025, kind: kgi, metric: revenue, target: 120000, start: 2025-01-01,
     deadline: 2025-12-31, owner: cfo@acme.test, department: finance,
     identity: "revenue = visits * cvr * aov"}
  - {name: traffic, kind: ksf, parent: revenue_2025, owner: web@acme.test, department: marketing}
  - {name: visits_2025, kind: kpi, parent: traffic, metric: visits, target: 80000, start: 2025-01-01,
     deadline: 2025-12-31, owner: web@acme.test, department: marketing}
  - {name: web_visits, kind: kpi, parent: traffic, metric: visits, target: 3000, period: month,
     filter: "{{ Dimension('row__channel') }} = 'web'", owner: web@acme.test, department: marketing}
  - {name: shop, kind: ksf, parent: revenue_2025, owner: shop@acme.test, department: sales}
  - {name: cvr_q, kind: kpi, parent: shop, metric: cvr, target: 0.05, period: quarter, owner: shop@acme.test,
     department: sales, thresholds: {warn: 0.9, critical: 0.7}}
  - {name: aov_q, kind: kpi, parent: shop, metric: aov, target: 45, period: quarter, direction: decrease,
     owner: cfo@acme.test, department: finance}
"""


def write_project(root: Path, files: dict[str, str], db: Path | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "metricslayer.yml").write_text("name: tiny\nprofile: tiny\n")
    path = db or (root / "tiny.duckdb")
    (root / "profiles.yml").write_text(
        f"tiny:\n  target: dev\n  outputs:\n    dev: {{type: duckdb, path: '{path}'}}\n")
    for name, text in files.items():
        file = root / name
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def build_tiny_db(path: Path) -> Path:
    con = duckdb.connect(str(path))
    con.execute("""
        create or replace table daily as
        select row_number() over () as row_id, d::date as day, c.channel,
               100 as visits, case c.channel when 'web' then 5 else 3 end as orders,
               case c.channel when 'web' then 250.0 else 150.0 end as amount
        from range(date '2025-01-01', date '2025-04-01', interval 1 day) t(d)
        cross join (values ('web'), ('app')) c(channel)
    """)
    con.close()
    return path


@pytest.fixture(scope="session")
def tiny_db(tmp_path_factory) -> Path:
    return build_tiny_db(tmp_path_factory.mktemp("tinydb") / "tiny.duckdb")


@pytest.fixture
def make_tiny(tmp_path, tiny_db):
    """make_tiny(kpis_yaml) -> a loaded project on the tiny data with that `kpis:` block."""

    def make(kpis: str = TINY_KPIS, strict: bool = True):
        root = write_project(tmp_path / "tiny", {"models/daily.yml": TINY_MODELS, "metrics/kpis.yml": kpis},
                             tiny_db)
        return ml.load_project(root, strict=strict)

    return make


@pytest.fixture
def tiny(make_tiny):
    return make_tiny()


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """A copy of the demo project's definitions with the test KPI tree, on the demo database."""
    dst = tmp_path_factory.mktemp("demo")
    for folder in ("models", "metrics", "macros"):
        if (ROOT / folder).exists():
            shutil.copytree(ROOT / folder, dst / folder)
    for stray in (dst / "metrics").glob("kpis*.yml"):  # the demo's own tree, if any, is tested elsewhere
        stray.unlink()
    shutil.copy(ROOT / "metricslayer.yml", dst)
    db = ROOT / "target" / "demo.duckdb"
    (dst / "profiles.yml").write_text(
        "metricslayer_demo:\n  target: dev\n  outputs:\n"
        f"    dev: {{type: duckdb, path: '{db}', schema: main, demo: true}}\n")
    shutil.copy(FIXTURES / "demo_kpis.yml", dst / "metrics" / "kpis_fixture.yml")
    return dst


@pytest.fixture(scope="session")
def demo(demo_dir):
    project = ml.load_project(demo_dir)
    project.engine()  # builds the demo database on first use
    yield project
    project.close()


AS_OF = dt.date(2025, 6, 30)
