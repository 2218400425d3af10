"""`metricslayer diff`: metric definitions at a git ref vs the working tree, with SQL and value impact."""

from __future__ import annotations

import difflib
import io
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import MetricsLayerError


class DiffError(Exception):
    """git or the base definitions could not be read."""


@dataclass
class MetricChange:
    name: str
    status: str  # added | removed | changed
    fields: list[str] = field(default_factory=list)  # which parts changed: definition, sql, label, ...
    sql_diff: str = ""
    values: list[tuple] = field(default_factory=list)  # (key, base value, new value)
    value_columns: tuple[str, ...] = ()
    error: str = ""


@dataclass
class DiffResult:
    base: str
    changes: list[MetricChange]
    base_problems: int = 0
    head_problems: int = 0


def _git(root: Path, *args: str, binary: bool = False):
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DiffError(f"git failed: {exc}") from None
    if done.returncode != 0:
        raise DiffError(f"git {' '.join(args)} failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout if binary else done.stdout.decode().strip()


def checkout_ref(project_dir: Path, ref: str, into: Path) -> Path:
    """Extract the project folder as it is at `ref` into `into`; return the project folder there."""
    top = Path(_git(project_dir, "rev-parse", "--show-toplevel")).resolve()
    rel = project_dir.resolve().relative_to(top)
    _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    data = _git(top, "archive", "--format=tar", ref, *([str(rel)] if str(rel) != "." else []), binary=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(into, filter="data")
    return into / rel


def _forms(project) -> dict[str, str]:
    from .context import LintConfig, LintContext
    from .rules.ml6_governance import Canon

    ctx = LintContext(project.root, project, LintConfig(), {}, [])
    canon = Canon(ctx)
    return {name: canon.metric(name) for name in project.spec.metrics}


def _sql(project, name: str, dialect: str | None = None) -> str:
    try:
        return project.compile(metrics=[name], dialect=dialect)
    except MetricsLayerError as exc:
        return f"-- does not compile: {exc.message}"


def diff_project(project_dir, base: str, target: str | None = None, profiles_dir=None,
                 group_by: str = "metric_time__month", limit: int = 12) -> DiffResult:
    import metricslayer as ml

    project_dir = Path(project_dir).resolve()
    profiles = profiles_dir or (project_dir if (project_dir / "profiles.yml").is_file() else None)
    head = ml.load_project(project_dir, target=target, profiles_dir=profiles, strict=False)
    with tempfile.TemporaryDirectory(prefix="metricslayer-diff-") as tmp:
        base_dir = checkout_ref(project_dir, base, Path(tmp))
        if not base_dir.is_dir():
            raise DiffError(f"the project folder does not exist at {base}")
        old = ml.load_project(base_dir, target=target, profiles_dir=profiles, strict=False)
        result = DiffResult(base, [], len(old.problems), len(head.problems))
        old_forms, new_forms = _forms(old), _forms(head)
        for name in sorted(set(old_forms) | set(new_forms)):
            if name not in old_forms:
                result.changes.append(MetricChange(name, "added", sql_diff=_sql(head, name)))
                continue
            if name not in new_forms:
                result.changes.append(MetricChange(name, "removed"))
                continue
            a, b = old.spec.metrics[name], head.spec.metrics[name]
            fields = [f for f in ("label", "description", "owner", "department") if getattr(a, f) != getattr(b, f)]
            old_sql, new_sql = _sql(old, name), _sql(head, name)
            if old_forms[name] != new_forms[name]:
                fields.insert(0, "definition")
            if old_sql != new_sql:
                fields.append("sql")
            if not fields:
                continue
            change = MetricChange(name, "changed", fields)
            if old_sql != new_sql:
                change.sql_diff = "\n".join(difflib.unified_diff(
                    old_sql.splitlines(), new_sql.splitlines(), f"{name} @ {base}", f"{name} (working tree)",
                    lineterm=""))
            if target and ("definition" in fields or "sql" in fields):
                _values(change, old, head, group_by, limit)
            result.changes.append(change)
        head.close()
        old.close()
    return result


def _values(change: MetricChange, old, head, group_by: str, limit: int) -> None:
    """Run the metric under both definitions on the head project's warehouse connection."""
    try:
        engine = head.engine()
        groups = [g for g in group_by.split(",") if g.strip()]
        new_sql = head.compile(metrics=[change.name], group_by=groups, order_by=groups, dialect=engine.dialect)
        old_sql = old.compile(metrics=[change.name], group_by=groups, order_by=groups, dialect=engine.dialect)
        new, before = engine.execute(new_sql), engine.execute(old_sql)
    except MetricsLayerError as exc:
        change.error = exc.message
        return
    k = len(before.columns) - 1
    old_rows = {tuple(r[:k]): r[k] for r in before.rows}
    new_rows = {tuple(r[:k]): r[k] for r in new.rows}
    keys = sorted(set(old_rows) | set(new_rows), key=repr)[-limit:]
    change.value_columns = tuple(new.columns[:k])
    change.values = [(key, old_rows.get(key), new_rows.get(key)) for key in keys]


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _key(key: tuple) -> str:
    return ", ".join(_fmt(k) for k in key) or "(total)"


def render_diff(result: DiffResult, fmt: str) -> str:
    if fmt == "json":
        import json

        return json.dumps({"base": result.base, "changes": [
            {"metric": c.name, "status": c.status, "fields": c.fields, "sql_diff": c.sql_diff, "error": c.error,
             "values": [{"key": [_fmt(k) for k in key], "base": _fmt(a), "new": _fmt(b)} for key, a, b in c.values]}
            for c in result.changes]}, indent=2)
    counts = {s: sum(1 for c in result.changes if c.status == s) for s in ("added", "removed", "changed")}
    summary = f"{counts['added']} added, {counts['removed']} removed, {counts['changed']} changed metric(s) vs {result.base}"
    md = fmt == "markdown"
    lines = [f"### Metric changes vs `{result.base}`" if md else f"Metric changes vs {result.base}", "", summary]
    if result.head_problems:
        lines.append(f"{result.head_problems} definition problem(s) in the working tree: run metricslayer lint")
    for change in result.changes:
        what = f" ({', '.join(change.fields)})" if change.fields else ""
        lines += ["", f"#### {change.status}: `{change.name}`{what}" if md else f"{change.status}: {change.name}{what}"]
        if change.sql_diff:
            lines += (["```diff" if change.status == "changed" else "```sql"] if md else []) + \
                [change.sql_diff] + (["```"] if md else [])
        if change.error:
            lines.append(f"values: {change.error}")
        if change.values:
            cols = ", ".join(change.value_columns) or "total"
            if md:
                lines += ["", f"| {cols} | {result.base} | working tree | change |", "|---|---:|---:|---:|"]
            for key, a, b in change.values:
                delta = _delta(a, b)
                lines.append(f"| {_key(key)} | {_fmt(a)} | {_fmt(b)} | {delta} |" if md
                             else f"  {_key(key):<24} {_fmt(a):>16} -> {_fmt(b):<16} {delta}")
    return "\n".join(lines)


def _delta(a, b) -> str:
    try:
        a, b = float(a), float(b)
    except (TypeError, ValueError):
        return ""
    if a == b:
        return "="
    return f"{(b - a) / abs(a) * 100:+.1f}%" if a else f"{b - a:+.6g}"
