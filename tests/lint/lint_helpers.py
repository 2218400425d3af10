"""A small clean project and helpers to lint variants of it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from click.testing import CliRunner

from metricslayer.cli_lint import lint

MODELS = """
semantic_models:
  - name: customers
    description: One row per customer.
    model: ref('customers')
    defaults: {agg_time_dimension: signed_up_at}
    entities:
      - {name: customer, type: primary, expr: customer_id}
    dimensions:
      - {name: signed_up_at, type: time, type_params: {time_granularity: day}}
      - {name: region, type: categorical}
    measures:
      - {name: customer_count, agg: count_distinct, expr: customer_id}
  - name: orders
    description: One row per order.
    model: ref('orders')
    defaults: {agg_time_dimension: ordered_at}
    entities:
      - {name: order, type: primary, expr: order_id}
      - {name: customer, type: foreign, expr: customer_id}
    dimensions:
      - {name: ordered_at, type: time, type_params: {time_granularity: day}}
      - {name: status, type: categorical}
    measures:
      - {name: order_total, agg: sum, expr: amount}
      - {name: order_count, agg: count, expr: order_id}
      - {name: buyer_count, agg: count_distinct, expr: customer_id}
"""

META = "config: {meta: {owner: data@shop.test, department: finance}}"

METRICS = f"""
metrics:
  - name: revenue
    label: Revenue
    description: Order amounts, cancelled orders excluded.
    type: simple
    type_params: {{measure: order_total}}
    filter: "{{{{ Dimension('order__status') }}}} != 'cancelled'"
    {META}
  - name: orders
    label: Orders
    description: Orders placed.
    type: simple
    type_params: {{measure: order_count}}
    {META}
  - name: aov
    label: Average order value (AOV)
    description: Revenue per order.
    type: ratio
    type_params: {{numerator: revenue, denominator: orders}}
    {META}
  - name: eu_revenue
    label: EU revenue
    description: Revenue from EU customers.
    type: simple
    type_params: {{measure: order_total}}
    filter: "{{{{ Dimension('customer__region') }}}} = 'EU'"
    {META}
  - name: buyers
    label: Buyers
    description: Distinct customers who ordered.
    type: simple
    type_params: {{measure: buyer_count}}
    {META}
"""

KPIS = """
kpis:
  - name: revenue_goal
    kind: kgi
    metric: revenue
    target: 1000000
    direction: increase
    start: 2025-01-01
    deadline: 2025-12-31
    owner: cfo@shop.test
  - name: order_value
    kind: ksf
    parent: revenue_goal
    owner: cmo@shop.test
  - name: aov_kpi
    kind: kpi
    parent: order_value
    metric: aov
    target: 50
    direction: increase
    period: month
    owner: shop@shop.test
"""

BASE = {"metricslayer.yml": "name: shop\n", "models/shop.yml": MODELS, "metrics/shop.yml": METRICS,
        "metrics/kpis.yml": KPIS}


def write(root: Path, files: dict[str, str | None]) -> Path:
    for name, text in files.items():
        path = root / name
        if text is None:
            if path.exists():
                path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def project(root: Path, files: dict[str, str | None] | None = None) -> Path:
    return write(root, {**BASE, **(files or {})})


def run(root: Path, *args: str):
    return CliRunner().invoke(lint, ["--project-dir", str(root), *args])


def findings(root: Path, *args: str) -> list[dict]:
    result = run(root, "--format", "json", *args)
    assert result.exit_code in (0, 1, 2), result.output
    assert not (result.exception and not isinstance(result.exception, SystemExit)), result.exception
    return json.loads(result.stdout)


def codes(root: Path, *args: str) -> set[str]:
    return {f["code"] for f in findings(root, *args)}


def make_warehouse(path: Path, *, amount_type: str = "DECIMAL(12, 2)", drop: str | None = None) -> None:
    import duckdb

    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE customers (customer_id INTEGER, signed_up_at DATE, region VARCHAR)")
    con.execute(f"CREATE TABLE orders (order_id INTEGER, customer_id INTEGER, ordered_at DATE, status VARCHAR, "
                f"amount {amount_type})")
    if drop:
        con.execute(f"DROP TABLE {drop}")
    con.close()
