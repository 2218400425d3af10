"""Print the engines x queries parity matrix (every engine's result compared with DuckDB's).

    python bench/parity.py [--scale 0.05] [--engines duckdb,sqlite,...]
Run under .ci/with_postgres.sh to include PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from metricslayer import load_project  # noqa: E402
from metricslayer.engines import parity  # noqa: E402
from metricslayer.seed import demo_parquet  # noqa: E402

QUERY_FILES = ["tests/differential/demo_queries.json", "tests/differential/time_queries.json",
               "tests/engines/extra_queries.json"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--engines", default=",".join(parity.ENGINES))
    args = parser.parse_args()
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="ml-parity-"))
    files = demo_parquet(work / "parquet", scale=args.scale)
    targets = parity.parity_targets(work / "parquet", work / "engines")
    engines = {}
    for name in args.engines.split(","):
        if name not in targets:
            print(f"skip {name}: not configured (PostgreSQL needs .ci/with_postgres.sh)", file=sys.stderr)
            continue
        try:
            engines[name] = parity.open_engine(name, targets[name], files)
        except Exception as exc:  # noqa: BLE001 - report and go on with the other engines
            print(f"skip {name}: {str(exc).splitlines()[0]}", file=sys.stderr)
    queries = [q for f in QUERY_FILES if (REPO / f).exists() for q in json.loads((REPO / f).read_text())]
    matrix = parity.run_matrix(load_project(REPO), engines, queries)
    print(matrix.render())
    print(f"\n{len(queries)} queries x {len(engines)} engines in {time.perf_counter() - started:.1f} s")
    if "spark" in engines:
        from metricslayer.engines import spark

        spark.stop()
    return 1 if any(s.startswith(("diff", "error")) for s in matrix.cells.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
