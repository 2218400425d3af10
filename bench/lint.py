"""Lint benchmark: a generated project of 5,000 metrics over 500 semantic models.

    python bench/lint.py [--models 500] [--metrics-per-model 10] [--skip-mf] [--skip-dialects]

Prints: our lint time (no --dialects; goal < 5 s), split into load and rules; MetricFlow 0.213.0's
parse + validation of the same project (exported with Project.export_metricflow) measured in the same run
in its own venv (bash .ci/setup_metricflow.sh); and our lint time with 12 dialects.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "differential"))

DIALECTS = ("duckdb", "postgres", "snowflake", "bigquery", "redshift", "databricks", "spark", "trino",
            "clickhouse", "tsql", "mysql", "sqlite")

MF_SCRIPT = textwrap.dedent('''
    import json, sys, time
    from pathlib import Path
    t0 = time.perf_counter()
    from metricflow_semantic_interfaces.parsing.dir_to_model import (
        parse_yaml_files_to_validation_ready_semantic_manifest)
    from metricflow_semantic_interfaces.parsing.objects import YamlConfigFile
    from metricflow_semantic_interfaces.implementations.semantic_manifest import PydanticSemanticManifest
    from metricflow_semantic_interfaces.validations.semantic_manifest_validator import SemanticManifestValidator
    t1 = time.perf_counter()
    files = [YamlConfigFile(filepath=str(p), contents=p.read_text())
             for p in sorted(Path(sys.argv[1]).rglob("*.yml"))]
    files.append(YamlConfigFile(filepath="spine.yml", contents=(
        "project_configuration:\\n  time_spines:\\n    - node_relation: {schema_name: main, alias: mf_time_spine}\\n"
        "      primary_column: {name: date_day, time_granularity: day}\\n")))
    build = parse_yaml_files_to_validation_ready_semantic_manifest(files, raise_issues_as_exceptions=False)
    t2 = time.perf_counter()
    results = SemanticManifestValidator[PydanticSemanticManifest]().validate_semantic_manifest(build.semantic_manifest)
    t3 = time.perf_counter()
    print(json.dumps({"import_s": t1 - t0, "parse_s": t2 - t1, "validate_s": t3 - t2,
                      "parse_errors": len(build.issues.errors), "errors": len(results.errors),
                      "warnings": len(results.warnings)}))
''')


def generate(root: Path, n_models: int, per_model: int) -> int:
    """Write the project; return the number of metrics."""
    (root / "models").mkdir(parents=True)
    (root / "metrics").mkdir()
    (root / "metricslayer.yml").write_text("name: lint_bench\n")
    count = 0
    for chunk in range(0, n_models, 50):
        models, metrics = ["semantic_models:"], ["metrics:"]
        for i in range(chunk, min(chunk + 50, n_models)):
            parent = f"\n      - {{name: e{i // 2}, type: foreign, expr: e{i // 2}_id}}" if i > 1 else ""
            models.append(f"""
  - name: m{i}
    description: Generated model {i}.
    model: ref('t{i}')
    defaults: {{agg_time_dimension: created_at}}
    entities:
      - {{name: e{i}, type: primary, expr: id}}{parent}
    dimensions:
      - {{name: created_at, type: time, type_params: {{time_granularity: day}}}}
      - {{name: status_{i}, type: categorical, expr: status}}
      - {{name: region_{i}, type: categorical, expr: region}}
    measures:
      - {{name: rows_{i}, agg: count, expr: id}}
      - {{name: amount_{i}, agg: sum, expr: amount}}
      - {{name: users_{i}, agg: count_distinct, expr: user_id}}
      - {{name: avg_amount_{i}, agg: average, expr: amount}}""")
            meta = f"config: {{meta: {{owner: team{i % 7}@example.com, department: dept{i % 6}}}}}"
            defs = [
                ("simple", f"type_params: {{measure: rows_{i}}}"),
                ("simple", f"type_params: {{measure: amount_{i}}}"),
                ("simple", f"type_params: {{measure: users_{i}}}"),
                ("simple", f"type_params: {{measure: avg_amount_{i}}}"),
                ("simple", f"type_params: {{measure: amount_{i}}}\n    filter: \"{{{{ Dimension('e{i}__status_{i}') }}}} = 'paid'\""),
                ("simple", f"type_params: {{measure: rows_{i}}}\n    filter: \"{{{{ Dimension('e{i}__region_{i}') }}}} = 'EU'\""),
                ("ratio", f"type_params: {{numerator: metric_{i}_1, denominator: metric_{i}_0}}"),
                ("ratio", f"type_params: {{numerator: metric_{i}_4, denominator: metric_{i}_1}}"),
                ("derived", f"type_params: {{expr: total_amount - paid_amount, metrics: [{{name: metric_{i}_1, alias: total_amount}}, {{name: metric_{i}_4, alias: paid_amount}}]}}"),
                ("simple", f"type_params: {{measure: rows_{i}}}\n    filter: \"{{{{ Dimension('e{i // 2}__status_{i // 2}') }}}} = 'x'\""
                 if i > 1 else f"type_params: {{measure: rows_{i}}}\n    filter: \"{{{{ Dimension('e{i}__status_{i}') }}}} = 'x'\""),
            ]
            for j in range(per_model):
                kind, params = defs[j % len(defs)]
                name = f"metric_{i}_{j}"
                metrics.append(f"""
  - name: {name}
    label: Metric {i} {j}
    description: Generated metric {j} of model {i}.
    type: {kind}
    {params}
    {meta}""")
                count += 1
        (root / "models" / f"models_{chunk // 50:02d}.yml").write_text("\n".join(models) + "\n")
        (root / "metrics" / f"metrics_{chunk // 50:02d}.yml").write_text("\n".join(metrics) + "\n")
    return count


def time_lint(root: Path, dialects=None) -> tuple[float, float, int, dict]:
    import metricslayer as ml
    from metricslayer.validate.runner import lint

    t0 = time.perf_counter()
    ml.load_project(root, strict=False)
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = lint(root, dialects=dialects)
    total = time.perf_counter() - t0
    by_code: dict[str, int] = {}
    for issue in report.issues:
        by_code[issue.code] = by_code.get(issue.code, 0) + 1
    return total, load, len(report.issues), by_code


def time_metricflow(root: Path) -> dict | None:
    from conftest_helpers import mf_python

    python = mf_python()
    if python is None:
        return None
    import metricslayer as ml

    out = root.parent / "mf_export"
    ml.load_project(root).export_metricflow(out)
    script = root.parent / "mf_validate.py"
    script.write_text(MF_SCRIPT)
    t0 = time.perf_counter()
    done = subprocess.run([str(python), str(script), str(out)], capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:] or ["?"], "wall_s": wall}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_s"] = wall
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=500)
    parser.add_argument("--metrics-per-model", type=int, default=10)
    parser.add_argument("--skip-mf", action="store_true")
    parser.add_argument("--skip-dialects", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ml-lint-bench-"))
    try:
        root = tmp / "project"
        n = generate(root, args.models, args.metrics_per_model)
        print(f"project: {args.models} semantic models, {n} metrics")
        total, load, found, by_code = time_lint(root)
        verdict = "OK" if total < 5 else "SLOW"
        print(f"metricslayer lint (no --dialects): {total:.2f} s [{verdict}: goal < 5 s] "
              f"(of which loading the project, measured separately: {load:.2f} s); {found} findings {by_code}")
        if not args.skip_mf:
            mf = time_metricflow(root)
            if mf is None:
                print("MetricFlow: venv missing (bash .ci/setup_metricflow.sh)")
            elif "error" in mf:
                print(f"MetricFlow: failed after {mf['wall_s']:.1f} s: {mf['error']}")
            else:
                print(f"MetricFlow 0.213.0 parse + validate: {mf['parse_s'] + mf['validate_s']:.2f} s "
                      f"(parse {mf['parse_s']:.2f} s, validate {mf['validate_s']:.2f} s; imports {mf['import_s']:.2f} s; "
                      f"process {mf['wall_s']:.2f} s); {mf['errors']} errors, {mf['warnings']} warnings")
        if not args.skip_dialects:
            total, _, found, by_code = time_lint(root, dialects=list(DIALECTS))
            print(f"metricslayer lint --dialects <{len(DIALECTS)} dialects>: {total:.2f} s; {found} findings {by_code}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
