"""Time-semantics query speed: metricslayer's SQL vs hand-written SQL vs MetricFlow's SQL on DuckDB.

    python bench/time.py [--rows 10000000] [--repeat 3] [--no-metricflow]

Builds a DuckDB table of `--rows` events (2 years, 200k customers), then runs three questions
(trailing 28-day distinct customers by day, month-to-date amount by day, month-over-month growth by
month) three ways in the same run and prints median seconds and ratios against the hand-written SQL.
Each pair of answers is checked equal before it is timed.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "differential"))

import duckdb  # noqa: E402

import metricslayer as ml  # noqa: E402

DEFINITIONS = """
semantic_models:
  - name: events
    model: ref('events')
    defaults: {agg_time_dimension: event_at}
    entities:
      - {name: event, type: primary, expr: event_id}
      - {name: customer, type: foreign, expr: customer_id}
    dimensions:
      - {name: event_at, type: time, type_params: {time_granularity: day}}
    measures:
      - {name: amount, agg: sum}
      - {name: active_customers, agg: count_distinct, expr: customer_id}
metrics:
  - {name: amount, type: simple, type_params: {measure: amount}}
  - name: active_customers_28d
    type: cumulative
    type_params: {measure: active_customers, cumulative_type_params: {window: 28 days}}
  - name: amount_mtd
    type: cumulative
    type_params: {measure: amount, cumulative_type_params: {grain_to_date: month}}
  - name: amount_mom_growth
    type: derived
    type_params:
      expr: (amount - amount_prev) / amount_prev
      metrics: [{name: amount}, {name: amount, offset_window: 1 month, alias: amount_prev}]
"""

HAND_WRITTEN = {
    # The straightforward formulation: every day joined to the customer-days of its trailing 28 days.
    "trailing_28d_distinct": """
        WITH customer_days AS (
          SELECT DISTINCT CAST(event_at AS DATE) AS day, customer_id FROM events),
        spine AS (
          SELECT CAST(d AS DATE) AS day
          FROM (SELECT MIN(day) AS lo, MAX(day) + 27 AS hi FROM customer_days) b,
               UNNEST(GENERATE_SERIES(b.lo, b.hi, INTERVAL 1 DAY)) AS t(d))
        SELECT s.day, COUNT(DISTINCT c.customer_id)
        FROM spine s JOIN customer_days c ON c.day <= s.day AND c.day > s.day - 28
        GROUP BY s.day""",
    # An expert's formulation: each customer is active until 28 days after its last visit; count the
    # starts and ends in day order.
    "trailing_28d_distinct_expert": """
        WITH customer_days AS (
          SELECT DISTINCT CAST(event_at AS DATE) AS day, customer_id FROM events),
        live AS (
          SELECT day AS s, LEAST(COALESCE(LEAD(day) OVER (PARTITION BY customer_id ORDER BY day), day + 28),
                                 day + 28) AS e
          FROM customer_days),
        changes AS (
          SELECT day, SUM(c) AS c FROM (SELECT s AS day, 1 AS c FROM live UNION ALL SELECT e, -1 FROM live)
          GROUP BY day)
        SELECT day, n FROM (SELECT day, SUM(c) OVER (ORDER BY day) AS n FROM changes) WHERE n > 0
          AND day <= (SELECT MAX(day) + 27 FROM customer_days)""",
    "mtd_by_day": """
        WITH daily AS (SELECT CAST(event_at AS DATE) AS day, SUM(amount) AS amount FROM events GROUP BY 1),
        spine AS (
          SELECT CAST(d AS DATE) AS day
          FROM (SELECT MIN(day) AS lo, CAST(DATE_TRUNC('month', MAX(day)) + INTERVAL 1 MONTH AS DATE) - 1 AS hi
                FROM daily) b,
               UNNEST(GENERATE_SERIES(b.lo, b.hi, INTERVAL 1 DAY)) AS t(d))
        SELECT s.day, SUM(d.amount) OVER (PARTITION BY DATE_TRUNC('month', s.day) ORDER BY s.day)
        FROM spine s LEFT JOIN daily d ON d.day = s.day""",
    "mom_growth_by_month": """
        WITH monthly AS (
          SELECT CAST(DATE_TRUNC('month', event_at) AS DATE) AS month, SUM(amount) AS amount FROM events GROUP BY 1)
        SELECT COALESCE(m.month, p.month), (m.amount - p.amount) / p.amount
        FROM monthly m
        FULL JOIN (SELECT CAST(month + INTERVAL 1 MONTH AS DATE) AS month, amount FROM monthly) p
          ON m.month = p.month""",
}
QUERIES = {
    "trailing_28d_distinct": {"metrics": ["active_customers_28d"], "group_by": ["metric_time__day"]},
    "trailing_28d_distinct_expert": {"metrics": ["active_customers_28d"], "group_by": ["metric_time__day"]},
    "mtd_by_day": {"metrics": ["amount_mtd"], "group_by": ["metric_time__day"]},
    "mom_growth_by_month": {"metrics": ["amount_mom_growth"], "group_by": ["metric_time__month"]},
}


def build_events(path: Path, rows: int) -> None:
    con = duckdb.connect(str(path))
    print(f"building {rows:,} events ...", flush=True)
    start = time.perf_counter()
    con.execute(f"""
        CREATE TABLE events AS
        SELECT i AS event_id,
               (hash(i, 'c') % 200000)::INTEGER AS customer_id,
               TIMESTAMP '2024-01-01' + to_microseconds((hash(i, 't') % (730 * 86400))::BIGINT * 1000000) AS event_at,
               ((hash(i, 'a') % 10000) / 100.0)::DECIMAL(12, 2) AS amount
        FROM range({rows}) t(i)""")
    con.execute("""CREATE TABLE mf_time_spine AS
                   SELECT CAST(d AS DATE) AS date_day FROM generate_series(DATE '2020-01-01', DATE '2030-12-31',
                   INTERVAL 1 DAY) t(d)""")
    con.close()
    print(f"built in {time.perf_counter() - start:.1f} s", flush=True)


def timed(con, sql: str, repeat: int) -> tuple[float, list]:
    rows = con.execute(sql).fetchall()  # warm-up, and the answer
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        con.execute(sql).fetchall()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), rows


def same(a: list, b: list) -> bool:
    def norm(rows):
        out = []
        for row in rows:
            out.append(tuple(None if v is None or (isinstance(v, float) and math.isnan(v)) else
                             round(float(v), 6) if isinstance(v, (int, float)) or hasattr(v, "as_tuple")
                             else str(v)[:10] for v in row))
        return sorted(out, key=lambda r: tuple((x is None, x) for x in r))
    return norm(a) == norm(b)


def metricflow_sql(project, db: Path) -> dict[str, str]:
    from conftest_helpers import mf_python, run_metricflow

    if mf_python() is None:
        print("MetricFlow venv missing (bash .ci/setup_metricflow.sh): skipping its SQL")
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        project.export_metricflow(Path(tmp) / "defs")
        queries = [{"id": k, **v} for k, v in QUERIES.items() if not k.endswith("_expert")]
        answers = run_metricflow(Path(tmp) / "defs", db, queries, mode="sql")
    return {k: v["sql"] for k, v in answers.items() if v.get("sql")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-metricflow", action="store_true")
    parser.add_argument("--skip-slow-metricflow", action="store_true",
                        help="print MetricFlow's SQL ratio only for queries it answers in reasonable time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mltime") as tmp:
        root = Path(tmp)
        db = root / "events.duckdb"
        build_events(db, args.rows)
        (root / "defs.yml").write_text(textwrap.dedent(DEFINITIONS))
        (root / "profiles.yml").write_text(f"b:\n  target: dev\n  outputs:\n    dev: {{type: duckdb, path: {db}}}\n")
        project = ml.load_project(root)
        mf = {} if args.no_metricflow else metricflow_sql(project, db)
        con = duckdb.connect(str(db), read_only=True)
        print(f"\n{'question':24} {'hand s':>8} {'ours s':>8} {'ours/hand':>10} {'MF s':>8} {'MF/hand':>8}")
        ok = True
        for name, query in QUERIES.items():
            hand_s, hand_rows = timed(con, HAND_WRITTEN[name], args.repeat)
            ours_s, ours_rows = timed(con, project.compile(**query), args.repeat)
            equal = same(hand_rows, ours_rows)
            ok &= equal
            mf_cell = f"{'n/a':>8} {'n/a':>8}"
            if name in mf and not args.skip_slow_metricflow:
                mf_s, mf_rows = timed(con, mf[name], max(1, args.repeat - 2))
                mf_cell = f"{mf_s:8.3f} {mf_s / hand_s:7.1f}x" + ("" if same(mf_rows, hand_rows) else " (differs)")
            flag = "" if equal else "  ANSWERS DIFFER"
            print(f"{name:24} {hand_s:8.3f} {ours_s:8.3f} {ours_s / hand_s:9.2f}x {mf_cell}{flag}")
        con.close()
        project.close()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
