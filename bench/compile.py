"""Compile latency: metricslayer vs MetricFlow on the demo queries, measured in the same run.

    python bench/compile.py [--repeat 30] [--no-metricflow]

Prints the median in-process compile time per query for both (an already-loaded project; every call
plans and renders afresh, no result cache), their ratio, and the wall time of `metricslayer compile`
processes (cold start). MetricFlow runs in its own venv (bash .ci/setup_metricflow.sh).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "differential"))

import metricslayer as ml  # noqa: E402

QUERIES = [q for q in json.loads((REPO / "tests/differential/demo_queries.json").read_text())]
SIMPLE = {"metrics": ["revenue"], "group_by": ["metric_time__month"]}


def _args(query: dict) -> dict:
    return {k: query.get(k) or ([] if k in ("metrics", "group_by", "where", "order_by") else None)
            for k in ("metrics", "group_by", "where", "order_by", "limit", "start_time", "end_time")}


def time_ours(project, query: dict, repeat: int) -> float:
    """Median milliseconds of project.compile(query) over `repeat` calls, after one warm-up."""
    args = _args(query)
    project.compile(**args)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        project.compile(**args)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def time_cli(runs: int = 5) -> float:
    exe = shutil.which("metricslayer") or str(Path(sys.executable).with_name("metricslayer"))
    cmd = [exe, "compile", "--project-dir", str(REPO), "--metrics", "revenue", "--group-by", "metric_time__month"]
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        samples.append((time.perf_counter() - start) * 1000)
        if proc.returncode != 0:
            raise SystemExit(f"metricslayer compile failed: {proc.stderr}")
    return statistics.median(samples)


def time_metricflow(project, repeat: int) -> dict | None:
    from conftest_helpers import mf_python, run_metricflow

    if mf_python() is None:
        print("MetricFlow venv missing: run `bash .ci/setup_metricflow.sh` (skipping the comparison)")
        return None
    from metricslayer.demo import build_demo_database

    with tempfile.TemporaryDirectory(prefix="mlbench") as tmp:
        db = Path(tmp) / "demo.duckdb"
        build_demo_database(db, scale=0.01)
        project.export_metricflow(Path(tmp) / "defs")
        queries = QUERIES + [{"id": "simple", **SIMPLE}]
        return run_metricflow(Path(tmp) / "defs", db, queries, mode="bench", repeat=repeat)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--no-metricflow", action="store_true")
    args = parser.parse_args()
    start = time.perf_counter()
    project = ml.load_project(REPO)
    load_ms = (time.perf_counter() - start) * 1000
    ours = {q["id"]: time_ours(project, q, args.repeat) for q in QUERIES}
    ours_simple = time_ours(project, SIMPLE, args.repeat * 3)
    mf = None if args.no_metricflow else time_metricflow(project, args.repeat)
    mf_queries = (mf or {}).get("queries", {})

    print(f"{'query':34} {'metricslayer ms':>16} {'MetricFlow ms':>14} {'speed-up':>9}")
    for q in QUERIES:
        theirs = (mf_queries.get(q["id"]) or {}).get("median_ms")
        ratio = f"{theirs / ours[q['id']]:8.1f}x" if theirs else "      n/a"
        print(f"{q['id']:34} {ours[q['id']]:16.3f} {theirs if theirs else float('nan'):14.3f} {ratio}")
    our_median = statistics.median(ours.values())
    mf_medians = [v["median_ms"] for k, v in mf_queries.items() if k != "simple" and v.get("median_ms")]
    print()
    print(f"queries: {len(QUERIES)}, repeats each: {args.repeat}, project load: {load_ms:.1f} ms")
    print(f"metricslayer median compile: {our_median:.3f} ms; simple metric (revenue by month): {ours_simple:.3f} ms")
    if mf_medians:
        mf_median = statistics.median(mf_medians)
        print(f"MetricFlow   median compile: {mf_median:.3f} ms (plan cache emptied per call)")
        print(f"speed-up (MetricFlow / metricslayer, medians): {mf_median / our_median:.1f}x")
    cli = time_cli()
    print(f"CLI cold start, `metricslayer compile` process wall time (median of 5): {cli:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
