"""The `metricslayer` command line, run with click's CliRunner on a small project built in tmp_path."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from metricslayer import Project
from metricslayer.cli import main, split_list
from metricslayer.output import json_value, plain_table, render_json, render_result, render_table, table_cell
from metricslayer.result import Result

REPO = Path(__file__).resolve().parents[1]

MODELS_YML = """\
semantic_models:
  - name: orders
    description: One row per order.
    node_relation: {schema_name: main, alias: orders}
    defaults: {agg_time_dimension: ordered_at}
    entities:
      - {name: order, type: primary, expr: order_id}
      - {name: customer, type: foreign, expr: customer_id}
    dimensions:
      - {name: ordered_at, type: time, type_params: {time_granularity: day}}
      - {name: status, type: categorical, description: Order status.}
      - {name: placed_at, type: time, expr: ordered_at, type_params: {time_granularity: hour}}
    measures:
      - {name: order_count, agg: sum, expr: "1"}
      - {name: revenue, agg: sum, expr: amount}
  - name: customers
    description: One row per customer.
    node_relation: {schema_name: main, alias: customers}
    entities:
      - {name: customer, type: primary, expr: customer_id}
    dimensions:
      - {name: region, type: categorical, description: Sales region.}
"""

METRICS_YML = """\
metrics:
  - name: revenue
    label: "Revenue ({{ var('currency', 'USD') }})"
    description: Sum of order amounts.
    type: simple
    type_params: {measure: revenue}
    config: {meta: {owner: finance@example.com, department: finance}}
  - name: order_count
    label: Orders
    description: Number of orders.
    type: simple
    type_params: {measure: order_count}
    config: {meta: {owner: ops@example.com, department: operations}}
  - name: aov
    label: Average order value
    description: Revenue per order.
    type: ratio
    type_params: {numerator: revenue, denominator: order_count}
saved_queries:
  - name: revenue_by_region
    description: Revenue per region.
    query_params:
      metrics: [revenue]
      group_by: ["Dimension('customer__region')"]
      where: ["{{ Dimension('order__status') }} = 'completed'"]
"""

PROFILES_YML = """\
shop:
  target: dev
  outputs:
    dev: {type: duckdb, path: shop.duckdb}
    gone: {type: duckdb, path: missing.duckdb}
"""

# EU: orders 1, 3, 4 (10.50 + 5.25 + 30.00 = 45.75); US: orders 2, 5 (20.00 + 7.00 = 27.00).
DATA_SQL = """
CREATE TABLE customers (customer_id INTEGER, region VARCHAR);
INSERT INTO customers VALUES (1, 'EU'), (2, 'US'), (3, 'EU');
CREATE TABLE orders (order_id INTEGER, customer_id INTEGER, ordered_at TIMESTAMP, status VARCHAR,
                     amount DECIMAL(10, 2));
INSERT INTO orders VALUES
  (1, 1, '2024-01-05 10:00:00', 'completed', 10.50),
  (2, 2, '2024-01-20 00:00:00', 'completed', 20.00),
  (3, 3, '2024-02-03 00:00:00', 'returned', 5.25),
  (4, 1, '2024-02-14 00:00:00', 'completed', 30.00),
  (5, 2, '2024-03-01 00:00:00', 'completed', 7.00);
"""


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    (tmp_path / "defs").mkdir()
    (tmp_path / "metricslayer.yml").write_text("name: shop\nprofile: shop\ndefinition-paths: [defs]\n")
    (tmp_path / "profiles.yml").write_text(PROFILES_YML)
    (tmp_path / "defs" / "models.yml").write_text(MODELS_YML)
    (tmp_path / "defs" / "metrics.yml").write_text(METRICS_YML)
    con = duckdb.connect(str(tmp_path / "shop.duckdb"))
    con.execute(DATA_SQL)
    con.close()
    return tmp_path


def run(project: Path | None, *args: str, env: dict | None = None):
    """Invoke the CLI; every run must end in a clean exit (no exception escaping) and no traceback."""
    argv = list(args)
    if project is not None:
        argv += ["--project-dir", str(project)]
    result = CliRunner().invoke(main, argv, env=env)
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def ok(project: Path | None, *args: str):
    result = run(project, *args)
    assert result.exit_code == 0, result.output
    return result


# -- compile ------------------------------------------------------------------------------------------


def test_version():
    result = ok(None, "--version")
    assert "metricslayer" in result.stdout and "0.1.0" in result.stdout


def test_compile_prints_sql(shop):
    result = ok(shop, "compile", "--metrics", "revenue,aov", "--group-by", "customer__region",
                "--order-by=-revenue", "--limit", "2")
    sql = result.stdout
    assert "SUM(orders.amount)" in sql and "NULLIF" in sql
    assert "ORDER BY" in sql and "revenue DESC" in sql and "LIMIT 2" in sql
    assert result.stderr == ""
    # The printed SQL runs and gives the numbers.
    con = duckdb.connect(str(shop / "shop.duckdb"), read_only=True)
    assert con.execute(sql).fetchall() == [("EU", Decimal("45.75"), 15.25), ("US", Decimal("27.00"), 13.5)]


def test_compile_dialect_postgres(shop):
    duck = ok(shop, "compile", "-m", "aov").stdout
    pg = ok(shop, "compile", "-m", "aov", "--dialect", "postgres").stdout
    assert "AS DOUBLE)" in duck and "DOUBLE PRECISION" not in duck
    assert "AS DOUBLE PRECISION)" in pg


def test_compile_dialect_bogus(shop):
    result = run(shop, "compile", "-m", "revenue", "--dialect", "postgress")
    assert result.exit_code == 2
    assert "error: unsupported SQL dialect 'postgress'" in result.stderr
    assert "did you mean 'postgres'" in result.stderr


def test_compile_timing(shop):
    result = ok(shop, "compile", "-m", "revenue", "--timing")
    assert result.stderr.startswith("timing: load ") and "compile" in result.stderr and "ms" in result.stderr


def test_compile_does_not_import_duckdb_or_rich(shop):
    code = (
        "import sys\n"
        "from metricslayer.cli import main\n"
        "try:\n"
        f"    main(['compile', '-m', 'revenue', '--project-dir', {str(shop)!r}])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        "bad = [m for m in ('duckdb', 'rich', 'pyarrow') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "SUM(orders.amount)" in proc.stdout


# -- query --------------------------------------------------------------------------------------------


def test_query_table(shop):
    result = ok(shop, "query", "--metrics", "revenue,order_count,aov", "--group-by", "customer__region",
                "--order-by", "customer__region")
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["customer__region", "revenue", "order_count", "aov"]
    rows = [line.split() for line in lines[2:]]
    assert rows == [["EU", "45.75", "3", "15.25"], ["US", "27.00", "2", "13.5"]]
    # Numbers right-aligned: their last characters line up under the header's end.
    header_end = lines[0].index("aov") + len("aov")
    assert all(len(line) == header_end for line in lines[2:])
    assert result.stderr.strip() == "2 rows"


def test_query_table_without_rich(shop, monkeypatch):
    monkeypatch.setitem(sys.modules, "rich", None)  # `import rich` now raises ImportError
    result = ok(shop, "query", "-m", "revenue", "-g", "customer__region", "--order-by", "customer__region")
    assert result.stdout == ("customer__region  revenue\n"
                             "----------------  -------\n"
                             "EU                  45.75\n"
                             "US                  27.00\n")


def test_query_csv(shop):
    result = ok(shop, "query", "-m", "revenue,order_count,aov", "-g", "metric_time__month",
                "--order-by", "metric_time__month", "--format", "csv")
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows == [
        ["metric_time__month", "revenue", "order_count", "aov"],
        ["2024-01-01", "30.50", "2", "15.25"],
        ["2024-02-01", "35.25", "2", "17.625"],
        ["2024-03-01", "7.00", "1", "7.0"],
    ]


def test_query_json(shop):
    result = ok(shop, "query", "-m", "revenue,aov", "-g", "metric_time__month,order__status",
                "--order-by", "metric_time__month,order__status", "--format", "json")
    data = json.loads(result.stdout, parse_float=Decimal)
    assert data == [
        {"metric_time__month": "2024-01-01", "order__status": "completed", "revenue": Decimal("30.50"),
         "aov": Decimal("15.25")},
        {"metric_time__month": "2024-02-01", "order__status": "completed", "revenue": Decimal("30.00"),
         "aov": Decimal("30.0")},
        {"metric_time__month": "2024-02-01", "order__status": "returned", "revenue": Decimal("5.25"),
         "aov": Decimal("5.25")},
        {"metric_time__month": "2024-03-01", "order__status": "completed", "revenue": Decimal("7.00"),
         "aov": Decimal("7.0")},
    ]


def test_query_json_datetime_iso(shop):
    result = ok(shop, "query", "-m", "order_count", "-g", "order__placed_at__hour", "--order-by",
                "order__placed_at__hour", "--limit", "1", "--format", "json")
    data = json.loads(result.stdout)
    assert data == [{"order__placed_at__hour": "2024-01-05T10:00:00", "order_count": 1}]
    assert dt.datetime.fromisoformat(data[0]["order__placed_at__hour"]) == dt.datetime(2024, 1, 5, 10)


def test_query_json_empty(shop):
    result = ok(shop, "query", "-m", "revenue", "-g", "customer__region", "--where",
                "{{ Dimension('customer__region') }} = 'APAC'", "--format", "json")
    assert json.loads(result.stdout) == []
    assert result.stderr.strip() == "0 rows"


@pytest.mark.parametrize("order_flags", [["--order-by=-revenue"], ["--order-by", "-revenue"]])
def test_query_order_desc_and_limit(shop, order_flags):
    result = ok(shop, "query", "-m", "revenue", "-g", "metric_time__month", *order_flags, "--limit", "2",
                "--format", "csv")
    assert result.stdout.splitlines() == ["metric_time__month,revenue", "2024-02-01,35.25", "2024-01-01,30.50"]
    assert result.stderr.strip() == "2 rows"


def test_query_order_by_several_with_desc(shop):
    result = ok(shop, "query", "-m", "order_count", "-g", "order__status,customer__region",
                "--order-by=-order__status,customer__region", "--format", "csv")
    assert result.stdout.splitlines()[1:] == ["returned,EU,1", "completed,EU,2", "completed,US,2"]


def test_query_repeated_flags_equal_comma_lists(shop):
    a = ok(shop, "query", "-m", "revenue", "-m", "order_count", "-g", "customer__region",
           "--order-by", "customer__region", "--format", "csv").stdout
    b = ok(shop, "query", "--metrics", "revenue, order_count", "--group-by=customer__region",
           "--order-by", "customer__region", "--format", "csv").stdout
    assert a == b == "customer__region,revenue,order_count\nEU,45.75,3\nUS,27.00,2\n"


def test_query_group_by_call_with_comma_is_not_split(shop):
    result = ok(shop, "query", "-m", "revenue", "-g", "TimeDimension('metric_time', 'month')",
                "--order-by", "metric_time__month", "--limit", "1", "--format", "csv")
    assert result.stdout.splitlines() == ["metric_time__month,revenue", "2024-01-01,30.50"]


def test_query_where_with_commas_is_not_split(shop):
    result = ok(shop, "query", "-m", "revenue", "--where",
                "{{ Dimension('order__status') }} IN ('returned', 'pending')", "--format", "csv")
    assert result.stdout.splitlines() == ["revenue", "5.25"]


def test_query_where_repeated_is_anded(shop):
    result = ok(shop, "query", "-m", "order_count", "--where", "{{ Dimension('customer__region') }} = 'EU'",
                "--where", "{{ Dimension('order__status') }} = 'completed'", "--format", "csv")
    assert result.stdout.splitlines() == ["order_count", "2"]


def test_query_time_range(shop):
    result = ok(shop, "query", "-m", "revenue,order_count", "--start-time", "2024-01-15",
                "--end-time", "2024-02-14", "--format", "csv")
    # Orders 2 (20.00), 3 (5.25) and 4 (30.00, on the end day) are inside.
    assert result.stdout.splitlines() == ["revenue,order_count", "55.25,3"]


def test_query_saved_query(shop):
    result = ok(shop, "query", "--saved-query", "revenue_by_region", "--order-by", "customer__region",
                "--format", "csv")
    # The saved query keeps completed orders only: EU 10.50 + 30.00, US 20.00 + 7.00.
    assert result.stdout.splitlines() == ["customer__region,revenue", "EU,40.50", "US,27.00"]
    compiled = ok(shop, "compile", "--saved-query", "revenue_by_region").stdout
    assert "'completed'" in compiled


def test_query_timing(shop):
    result = ok(shop, "query", "-m", "revenue", "--timing")
    timing = result.stderr.splitlines()[-1]
    assert timing.startswith("timing: load ")
    for part in ("compile", "connect", "execute"):
        assert part in timing


def test_query_vars(shop):
    result = ok(shop, "list", "metrics", "--format", "json", "--vars", "{currency: EUR}")
    labels = {m["name"]: m["label"] for m in json.loads(result.stdout)}
    assert labels["revenue"] == "Revenue (EUR)"
    default = ok(shop, "list", "metrics", "--format", "json")
    assert {m["name"]: m["label"] for m in json.loads(default.stdout)}["revenue"] == "Revenue (USD)"


def test_query_profiles_dir(shop, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("profiles")
    (elsewhere / "profiles.yml").write_text(PROFILES_YML.replace("shop.duckdb", str(shop / "shop.duckdb")))
    (shop / "profiles.yml").unlink()
    result = ok(shop, "query", "-m", "order_count", "--profiles-dir", str(elsewhere), "--format", "csv")
    assert result.stdout.splitlines() == ["order_count", "5"]


# -- errors: exit codes and messages ------------------------------------------------------------------


def test_unknown_metric(shop):
    result = run(shop, "query", "--metrics", "revenu")
    assert result.exit_code == 2
    assert result.stderr == "error: unknown metric 'revenu'\n  help: did you mean 'revenue'?\n"
    assert result.stdout == ""


def test_bad_format(shop):
    result = run(shop, "query", "-m", "revenue", "--format", "xml")
    assert result.exit_code == 2
    assert "'xml' is not one of 'table', 'csv', 'json'" in result.stderr


def test_broken_yaml_names_file_and_line(shop):
    (shop / "defs" / "metrics.yml").write_text(METRICS_YML + "  - name: broken\n    type: [simple\n")
    result = run(shop, "query", "-m", "revenue")
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert first.startswith("error: defs/metrics.yml:")
    line = int(first.split(":")[2])
    assert 27 <= line <= 29  # the broken flow sequence is on line 28


def test_missing_duckdb_file_is_engine_error(shop):
    result = run(shop, "query", "-m", "revenue", "--target", "gone")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: DuckDB file ") and "missing.duckdb" in result.stderr
    assert "help:" in result.stderr


def test_where_that_is_not_sql(shop):
    result = run(shop, "query", "-m", "revenue", "--where", "not sql (((")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: filter 'not sql (((' is not valid SQL")


def test_failing_sql_exits_1(shop):
    # Valid SQL the warehouse cannot run: the command ran and found a problem.
    result = run(shop, "query", "-m", "revenue", "--where", "CAST('x' AS INTEGER) = 1")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: DuckDB failed to run the query")


@pytest.mark.parametrize(("args", "code", "needle"), [
    (["query", "-m", "revenu"], 2, "did you mean 'revenue'"),
    (["query", "-m", "revenue", "-g", "customer__regoin"], 2, "customer__region"),
    (["query", "--saved-query", "revenue_by_regoin"], 2, "did you mean 'revenue_by_region'"),
    (["query", "-m", "revenue", "--order-by=-aov"], 2, "order_by 'aov'"),
    (["query", "-m", "revenue", "--format", "xml"], 2, "Invalid value for '--format'"),
    (["query", "-m", "revenue", "--limit", "-1"], 2, "Invalid value for '--limit'"),
    (["query", "-m", "revenue", "--target", "prod"], 2, "target 'prod'"),
    (["query", "-m", "revenue", "--vars", "[1, 2]"], 2, "--vars must be a mapping"),
    (["query", "-m", "revenue", "--vars", "{a: [}"], 2, "--vars is not valid YAML"),
    (["query", "-m", "revenue", "--target", "gone"], 1, "does not exist"),
    (["query", "-m", "revenue", "--where", "not sql ((("], 2, "is not valid SQL"),
    (["query", "-m", "revenue", "--where", "amount > 10"], 2, "refers to 'amount' directly"),
    (["compile", "-m", "revenue", "--dialect", "bogus"], 2, "unsupported SQL dialect"),
    (["list", "tables"], 2, "Invalid value for '{metrics|dimensions|entities|saved-queries}'"),
    (["list", "metrics", "--metrics", "revenue"], 2, "--metrics applies to"),
    (["list", "dimensions", "--metrics", "revenu"], 2, "did you mean 'revenue'"),
    (["demo"], 2, "not a demo target"),
    (["nonsense"], 2, "No such command"),
])
def test_error_exit_codes_and_no_traceback(shop, args, code, needle):
    result = run(shop, *args)
    assert result.exit_code == code, result.output
    assert needle in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_missing_project_dir(tmp_path):
    result = run(tmp_path / "nope", "compile", "-m", "revenue")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_unexpected_exception_is_internal_error(shop, monkeypatch):
    def boom(self, *args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(Project, "compile", boom)
    result = run(shop, "compile", "-m", "revenue")
    assert result.exit_code == 1
    assert result.stderr.startswith("internal error: ZeroDivisionError: division by zero\n")
    assert "please report it" in result.stderr
    assert "Traceback" not in result.output


def test_unexpected_exception_with_debug_reraises(shop, monkeypatch):
    def boom(self, *args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(Project, "compile", boom)
    result = CliRunner().invoke(main, ["compile", "-m", "revenue", "--project-dir", str(shop)],
                                env={"METRICSLAYER_DEBUG": "1"})
    assert isinstance(result.exception, ZeroDivisionError)


# -- list ---------------------------------------------------------------------------------------------


def test_list_metrics_table(shop):
    lines = ok(shop, "list", "metrics").stdout.splitlines()
    assert lines[0].split() == ["name", "type", "label", "owner", "department", "description"]
    revenue = next(line for line in lines if line.startswith("revenue "))
    for text in ("simple", "Revenue (USD)", "finance@example.com", "finance", "Sum of order amounts."):
        assert text in revenue
    assert [line.split()[0] for line in lines[2:]] == ["aov", "order_count", "revenue"]


def test_list_metrics_json(shop):
    data = json.loads(ok(shop, "list", "metrics", "--format", "json").stdout)
    revenue = next(m for m in data if m["name"] == "revenue")
    assert revenue["owner"] == "finance@example.com" and revenue["department"] == "finance"
    assert revenue["type"] == "simple" and revenue["file"] == "defs/metrics.yml" and revenue["line"] == 2


def test_list_dimensions(shop):
    names = [line.split()[0] for line in ok(shop, "list", "dimensions").stdout.splitlines()[2:]]
    assert {"customer__region", "order__status", "metric_time"} <= set(names)
    data = json.loads(ok(shop, "list", "dimensions", "--metrics", "aov", "--format", "json").stdout)
    region = next(d for d in data if d["name"] == "customer__region")
    assert region == {"name": "customer__region", "type": "categorical", "description": "Sales region.",
                      "semantic_model": "customers"}


def test_list_entities(shop):
    data = json.loads(ok(shop, "list", "entities", "--format", "json").stdout)
    assert [(e["name"], e["type"]) for e in data] == [("customer", "primary"), ("order", "primary")]
    table = ok(shop, "list", "entities", "-m", "revenue").stdout
    assert "customer" in table and "order" in table


def test_list_saved_queries(shop):
    table = ok(shop, "list", "saved-queries").stdout
    assert "revenue_by_region" in table and "Revenue per region." in table
    data = json.loads(ok(shop, "list", "saved-queries", "--format", "json").stdout)
    assert data == [{"name": "revenue_by_region", "description": "Revenue per region.", "metrics": ["revenue"],
                     "group_by": ["customer__region"],
                     "where": ["{{ Dimension('order__status') }} = 'completed'"]}]


# -- demo and export ----------------------------------------------------------------------------------


@pytest.fixture
def demo_project(tmp_path: Path) -> Path:
    if not (REPO / "metricslayer.yml").is_file():
        pytest.skip("the demo project is not in the repository")
    for name in ("metricslayer.yml", "profiles.yml"):
        shutil.copy(REPO / name, tmp_path / name)
    for folder in ("models", "metrics", "macros"):
        if (REPO / folder).is_dir():
            shutil.copytree(REPO / folder, tmp_path / folder)
    return tmp_path


def test_demo_builds_with_progress(demo_project):
    result = ok(demo_project, "demo", "--scale", "0.02")
    assert result.stderr.startswith("building demo data...\n  [1/")
    out = result.stdout.strip()
    assert out.endswith(" s") and " built in " in out
    path = Path(out.split(" built in ")[0])
    assert (path if path.is_absolute() else Path.cwd() / path).resolve() == \
        (demo_project / "target" / "demo.duckdb").resolve()


def test_demo_bad_scale(demo_project):
    result = run(demo_project, "demo", "--scale", "0")
    assert result.exit_code == 2 and "--scale" in result.stderr


def test_query_builds_missing_demo_first(demo_project):
    assert not (demo_project / "target" / "demo.duckdb").exists()
    result = ok(demo_project, "query", "-m", "order_count", "--format", "json")
    assert result.stderr.startswith("demo data is missing; building it...\n  [1/")
    assert result.stderr.rstrip().endswith(" s\n1 row") and "demo data built in " in result.stderr
    assert json.loads(result.stdout)[0]["order_count"] > 0
    assert (demo_project / "target" / "demo.duckdb").exists()
    again = ok(demo_project, "query", "-m", "order_count", "--format", "json")
    assert again.stderr == "1 row\n" and again.stdout == result.stdout


def test_export_metricflow(shop, tmp_path_factory):
    out = tmp_path_factory.mktemp("mf")
    result = ok(shop, "export", "metricflow", "--out", str(out))
    written = [Path(line) for line in result.stdout.splitlines()]
    assert written and all(p.is_file() for p in written)
    text = "\n".join(p.read_text() for p in written)
    assert "revenue_by_region" in text and "semantic_model" in text


def test_export_needs_out(shop):
    result = run(shop, "export", "metricflow")
    assert result.exit_code == 2 and "--out" in result.stderr


# -- output.py: pure rendering ------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "text"), [
    (None, "NULL"), (True, "true"), (3, "3"), (2.0, "2"), (15.256789, "15.2568"), (-1.5, "-1.5"),
    (0.000123456, "0.0001235"), (0.1, "0.1"), (1e-20, "0"), (Decimal("45.50"), "45.50"),
    (dt.date(2024, 1, 31), "2024-01-31"), (dt.datetime(2024, 1, 31, 8, 5), "2024-01-31 08:05:00"),
    ("EU", "EU"), (float("nan"), "nan"),
])
def test_table_cell(value, text):
    assert table_cell(value) == text


@pytest.mark.parametrize(("value", "text"), [
    (None, "null"), (False, "false"), (7, "7"), (0.1 + 0.2, "0.30000000000000004"), (Decimal("45.50"), "45.50"),
    (Decimal("NaN"), "null"), (float("inf"), "null"), (dt.date(2024, 1, 31), '"2024-01-31"'),
    (dt.datetime(2024, 1, 31, 8, 5), '"2024-01-31T08:05:00"'), ('say "hi"', '"say \\"hi\\""'),
    ([1, Decimal("2.5")], "[1, 2.5]"),
])
def test_json_value(value, text):
    assert json_value(value) == text
    json.loads(text)  # always valid JSON


def test_render_json_round_trip():
    rows = [(dt.date(2024, 1, 1), Decimal("1.10"), 0.5, None, "a\"b")]
    text = render_json(["d", "x", "y", "z", "s"], rows)
    assert json.loads(text) == [{"d": "2024-01-01", "x": 1.1, "y": 0.5, "z": None, "s": "a\"b"}]


def test_render_result_full_precision_outside_tables():
    result = Result(columns=["ratio"], rows=[(2 / 3,)])
    assert render_result(result, "csv") == f"ratio\n{2 / 3!r}\n"
    assert json.loads(render_result(result, "json")) == [{"ratio": 2 / 3}]
    table = render_result(result, "table", use_rich=False)
    assert table.splitlines()[-1].strip() == "0.6667"


def test_plain_table_alignment():
    text = render_table(["name", "n"], [("a", 1), ("bbb", 1234), ("c", None)], use_rich=False)
    assert text == "name     n\n----  ----\na        1\nbbb   1234\nc     NULL\n"
    assert plain_table(["x"], [], [False]) == "x\n-\n"


def test_rich_table_fits_width():
    pytest.importorskip("rich")
    rows = [("a" * 60, 1.0), ("b", 2.5)]
    text = render_table(["description", "value"], rows, width=40, use_rich=True)
    assert max(len(line) for line in text.splitlines()) <= 40
    assert "2.5" in text


def test_split_list():
    assert split_list(["a,b", " c ", "", "d,"]) == ["a", "b", "c", "d"]
    assert split_list(["Dimension('x__y', entity_path=['a', 'b']),z"]) == [
        "Dimension('x__y', entity_path=['a', 'b'])", "z"]
