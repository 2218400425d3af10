"""Helpers for differential tests against dbt MetricFlow (no MetricFlow import here).

MetricFlow runs in its own virtualenv (`bash .ci/setup_metricflow.sh`) through `mf_runner.py`:

    from tests.differential.conftest_helpers import mf_python, run_metricflow, assert_same_results
    if mf_python() is None: pytest.skip("MetricFlow venv missing: bash .ci/setup_metricflow.sh")
    mf = run_metricflow(defs_dir, db_path, [{"id": "q", "metrics": ["revenue"], "group_by": ["metric_time__month"]}])
    assert mf["q"]["error"] is None
    assert_same_results(our_columns, our_rows, mf["q"]["columns"], mf["q"]["rows"])
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

RUNNER = Path(__file__).resolve().with_name("mf_runner.py")
MINI_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "mini"
DEFAULT_VENV = Path.home() / ".cache" / "metricslayer" / "mfvenv"
DEFAULT_TIMEOUT = float(os.environ.get("ML_MF_TIMEOUT", "600"))


class MetricFlowRunError(RuntimeError):
    """The MetricFlow runner could not run (bad definitions, missing venv, crash, timeout)."""


def mf_venv() -> Path:
    return Path(os.environ.get("ML_MF_VENV") or DEFAULT_VENV).expanduser()


def mf_python() -> Path | None:
    """The MetricFlow virtualenv's python if the venv exists (honours $ML_MF_VENV), else None."""
    venv = mf_venv()
    for candidate in (venv / "bin" / "python", venv / "Scripts" / "python.exe"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def run_metricflow(
    defs_dir: os.PathLike | str,
    db_path: os.PathLike | str,
    queries: list[dict],
    mode: str = "results",
    repeat: int = 1,
    timeout: float = DEFAULT_TIMEOUT,
    column_order: str = "legacy",
    with_meta: bool = False,
) -> dict:
    """Run mf_runner.py in the MetricFlow venv and return its JSON output.

    results/sql mode: {query_id: {"columns", "types", "rows", "sql", "error", ...}} ("__meta__" only if with_meta).
    bench mode: {"queries": {...}, "overall": {...}, "meta": {...}}.
    A query MetricFlow rejects has "error" set; anything that stops the whole run raises MetricFlowRunError.
    """
    python = mf_python()
    if python is None:
        raise MetricFlowRunError(
            f"MetricFlow venv not found at {mf_venv()}: run `bash .ci/setup_metricflow.sh` (or set ML_MF_VENV)"
        )
    with tempfile.TemporaryDirectory(prefix="mfrun") as tmp:
        qpath, opath = Path(tmp) / "queries.json", Path(tmp) / "out.json"
        qpath.write_text(json.dumps(queries, default=str))
        cmd = [
            str(python),
            str(RUNNER),
            "--defs",
            str(defs_dir),
            "--db",
            str(db_path),
            "--queries",
            str(qpath),
            "--out",
            str(opath),
            "--mode",
            mode,
            "--repeat",
            str(repeat),
            "--column-order",
            column_order,
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise MetricFlowRunError(
                f"MetricFlow runner timed out after {timeout:.0f}s: {' '.join(cmd)}"
            ) from e
        if proc.returncode != 0:
            why = {2: "bad arguments or inputs", 3: "definitions do not parse/validate in MetricFlow"}.get(
                proc.returncode, "crashed"
            )
            raise MetricFlowRunError(
                f"MetricFlow runner exit {proc.returncode} ({why}).\ncommand: {' '.join(cmd)}\n"
                f"stderr:\n{proc.stderr.strip()[-8000:]}"
            )
        result = json.loads(opath.read_text())
    if mode != "bench" and not with_meta:
        result.pop("__meta__", None)
    return result


def build_duckdb_from_sql(sql_path: os.PathLike | str, db_path: os.PathLike | str) -> Path:
    """Create (or replace) a DuckDB file from a SQL script, e.g. fixtures/mini/data.sql. Uses our duckdb."""
    import duckdb

    db_path = Path(db_path)
    if db_path.exists():
        db_path.unlink()
    conn = duckdb.connect(str(db_path))
    try:
        conn.execute(Path(sql_path).read_text())
    finally:
        conn.close()
    return db_path


# ------------------------------------------------------------------------------------------ comparison
_ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?)?$")


def _norm_datetime(v: dt.datetime) -> str:
    if v.tzinfo is not None:
        v = v.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if v.time() == dt.time(0, 0):
        return v.date().isoformat()
    return v.isoformat()


def _round_sig(x: float, digits: int = 9) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


def normalize_value(v: Any) -> Any:
    """One comparable value: dates/datetimes and ISO date/datetime strings -> 'YYYY-MM-DD' when the time is
    00:00:00 else full ISO (aware values in UTC, without offset); int/float/Decimal -> float rounded to 9
    significant digits; other strings and bools unchanged; None and NaN -> None; lists -> tuples."""
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, dt.datetime):
        return _norm_datetime(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (int, float, decimal.Decimal)):
        f = float(v)
        if math.isnan(f):
            return None
        return _round_sig(f) + 0.0  # + 0.0 turns -0.0 into 0.0
    if isinstance(v, str):
        if _ISO_RE.match(v):
            try:
                return _norm_datetime(dt.datetime.fromisoformat(v.replace("Z", "+00:00")))
            except ValueError:
                return v
        return v
    if isinstance(v, (list, tuple)):
        return tuple(normalize_value(x) for x in v)
    if hasattr(v, "item"):  # numpy / pandas scalars
        return normalize_value(v.item())
    return v


def _sort_key(row: Sequence[Any]) -> tuple:
    # None first; then by type name so mixed types never compare; then the value.
    return tuple((0, "", "") if x is None else (1, type(x).__name__, x) for x in row)


def normalize_rows(columns: Sequence[str], rows: Iterable[Sequence[Any]], sort: bool = True) -> list[tuple]:
    """Rows of comparable values (see normalize_value), sorted None-safely unless sort=False."""
    width = len(columns)
    out = []
    for i, row in enumerate(rows):
        row = tuple(row)
        if len(row) != width:
            raise AssertionError(
                f"row {i} has {len(row)} values for {width} columns {list(columns)}: {row!r}"
            )
        out.append(tuple(normalize_value(v) for v in row))
    if sort:
        out.sort(key=_sort_key)
    return out


def _align(ours_columns: Sequence[str], mf_columns: Sequence[str]) -> tuple[list[int], list[str]]:
    """Index into MetricFlow's columns for each of ours, plus notes on how names were matched."""
    ours_l = [c.lower() for c in ours_columns]
    mf_l = [c.lower() for c in mf_columns]
    if len(ours_l) != len(mf_l):
        raise AssertionError(
            f"column count differs: ours {list(ours_columns)} vs MetricFlow {list(mf_columns)}"
        )
    if sorted(ours_l) == sorted(mf_l) and len(set(mf_l)) == len(mf_l):
        return [mf_l.index(c) for c in ours_l], []
    # Names differ (e.g. our `metric_time` vs MetricFlow's `metric_time__day`): compare by position.
    notes = [
        f"columns compared by position; names differ: ours {list(ours_columns)} vs MetricFlow {list(mf_columns)}"
    ]
    return list(range(len(mf_l))), notes


def assert_same_results(
    ours_columns: Sequence[str],
    ours_rows: Iterable[Sequence[Any]],
    mf_columns: Sequence[str],
    mf_rows: Iterable[Sequence[Any]],
    sort: bool = True,
    max_diff_rows: int = 10,
) -> None:
    """Assert that our result equals MetricFlow's, up to column order (when the names match case-insensitively;
    by position otherwise), row order (unless sort=False) and value representation (see normalize_value)."""
    index, notes = _align(ours_columns, mf_columns)
    mf_reordered_cols = [mf_columns[i] for i in index]
    ours = normalize_rows(ours_columns, ours_rows, sort=sort)
    mf = normalize_rows(mf_reordered_cols, ([row[i] for i in index] for row in mf_rows), sort=sort)
    if ours == mf:
        return
    lines = [f"results differ from MetricFlow ({len(ours)} rows ours, {len(mf)} rows MetricFlow)"]
    lines += notes
    lines.append(f"columns: {list(ours_columns)}")
    shown = 0
    for i in range(max(len(ours), len(mf))):
        a = ours[i] if i < len(ours) else "<missing>"
        b = mf[i] if i < len(mf) else "<missing>"
        if a != b:
            lines.append(f"  row {i}: ours {a!r}")
            lines.append(f"  {' ' * len(str(i))}      MF   {b!r}")
            shown += 1
            if shown >= max_diff_rows:
                lines.append("  ...")
                break
    only_ours = sorted(set(ours) - set(mf), key=_sort_key)[:max_diff_rows]
    only_mf = sorted(set(mf) - set(ours), key=_sort_key)[:max_diff_rows]
    if only_ours:
        lines.append(f"rows only in ours (first {len(only_ours)}): {only_ours!r}")
    if only_mf:
        lines.append(f"rows only in MetricFlow (first {len(only_mf)}): {only_mf!r}")
    raise AssertionError("\n".join(lines))
