"""The demo data generator: deterministic, scaled, written atomically, with its edge cases in place."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
import yaml

from metricslayer.demo import BASE_ROWS, TABLES, build_demo_database

ROOT = Path(__file__).resolve().parents[1]
SCALE = 0.01


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    return path, build_demo_database(path, scale=SCALE)


@pytest.fixture(scope="module")
def con(demo_db):
    c = duckdb.connect(str(demo_db[0]), read_only=True)
    yield c
    c.close()


def checksums(path: Path) -> dict[str, tuple]:
    with duckdb.connect(str(path), read_only=True) as c:
        return {t: c.execute(f"SELECT count(*), sum(hash(t)) FROM main.{t} AS t").fetchone() for t in TABLES}


def one(con, sql: str):
    return con.execute(sql).fetchone()[0]


def test_returns_row_count_of_every_table(demo_db, con):
    _, counts = demo_db
    assert list(counts) == TABLES
    sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    tables = {r[0] for r in con.execute(sql).fetchall()}
    assert tables == set(TABLES)
    for table, n in counts.items():
        assert n == one(con, f"SELECT count(*) FROM main.{table}") and n > 0, table


def test_deterministic(demo_db, tmp_path):
    again = tmp_path / "again.duckdb"
    build_demo_database(again, scale=SCALE)
    assert checksums(again) == checksums(demo_db[0])


def test_atomic_write_leaves_only_the_database(tmp_path):
    steps = []
    path = tmp_path / "sub" / "demo.duckdb"
    build_demo_database(path, scale=0.001, progress=lambda name, i, n: steps.append((name, i, n)))
    assert path.is_file()
    assert [p.name for p in path.parent.iterdir()] == ["demo.duckdb"]
    assert steps == [(name, i, len(TABLES)) for i, name in enumerate(TABLES)]
    # Rebuilding over an existing file replaces it.
    build_demo_database(path, scale=0.001)
    assert [p.name for p in path.parent.iterdir()] == ["demo.duckdb"]


def test_row_counts_scale(demo_db, tmp_path):
    _, small = demo_db
    for table, base in BASE_ROWS.items():
        assert small[table] == round(base * SCALE), table
    bigger = build_demo_database(tmp_path / "x2.duckdb", scale=SCALE * 2)
    for table, base in BASE_ROWS.items():
        assert bigger[table] == round(base * SCALE * 2), table
    for table in ("carts", "orders", "order_items", "customer_tiers", "subscription_snapshots"):
        assert 1.6 < bigger[table] / small[table] < 2.4, table


def test_scale_one_has_a_million_rows(tmp_path):
    # The full build takes about 2 s on 2 cores.
    counts = build_demo_database(tmp_path / "full.duckdb", scale=1.0)
    assert sum(counts.values()) >= 1_000_000
    assert counts["sessions"] == BASE_ROWS["sessions"]


def test_time_range_and_types(con):
    for table, col in [
        ("sessions", "started_at"),
        ("orders", "ordered_at"),
        ("carts", "created_at"),
        ("customers", "signup_at"),
        ("opportunities", "created_at"),
        ("applicants", "applied_at"),
        ("production_runs", "started_at"),
        ("subscriptions", "started_at"),
    ]:
        lo, hi, typ = con.execute(
            f"SELECT min({col}), max({col}), typeof(any_value({col})) FROM {table}"
        ).fetchone()
        assert typ == "TIMESTAMP", (table, col)
        assert str(lo) >= "2024-01-01" and str(hi) < "2026-01-01", (table, col)
    lo, hi, typ = con.execute(
        "SELECT min(date_day), max(date_day), typeof(any_value(date_day)) FROM ad_performance"
    ).fetchone()
    assert typ == "DATE" and str(lo) >= "2024-01-01" and str(hi) <= "2025-12-31"


def test_edge_cases_present(con):
    assert one(con, "SELECT count(*) FROM customers WHERE region IS NULL") > 0
    assert one(con, "SELECT count(*) FROM sessions WHERE channel IS NULL") > 0
    assert one(con, "SELECT count(*) FROM sessions WHERE customer_id IS NULL") > 0
    assert one(con, "SELECT count(*) FROM products WHERE category IS NULL") == 2
    orphans = "SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.customer_id = o.customer_id)"
    assert one(con, orphans) > 0
    assert (
        one(
            con,
            "SELECT count(*) FROM ad_performance WHERE campaign_id NOT IN (SELECT campaign_id FROM campaigns)",
        )
        > 0
    )
    # Zero denominators: a campaign with impressions but no clicks, maintenance runs with 0 planned minutes.
    assert con.execute(
        "SELECT sum(impressions) > 0, sum(clicks) FROM ad_performance WHERE campaign_id = 41"
    ).fetchone() == (True, 0)
    assert one(con, "SELECT count(*) FROM production_runs WHERE planned_minutes = 0") > 0
    # Days with no rows: tracking outages (sessions, orders) and Sundays (production).
    assert (
        one(
            con,
            "SELECT count(*) FROM sessions WHERE CAST(started_at AS DATE) IN ('2024-07-19', '2025-03-09')",
        )
        == 0
    )
    assert (
        one(con, "SELECT count(*) FROM orders WHERE CAST(ordered_at AS DATE) IN ('2024-07-19', '2025-03-09')")
        == 0
    )
    assert one(con, "SELECT count(*) FROM production_runs WHERE isodow(started_at) = 7") == 0
    assert (
        one(con, "SELECT count(*) FROM subscription_snapshots WHERE snapshot_month = DATE '2024-01-01'") == 0
    )


def test_referential_shape(con):
    assert one(con, "SELECT count(*) - count(DISTINCT order_id) FROM orders") == 0
    assert (
        one(con, "SELECT count(*) FROM order_items WHERE order_id NOT IN (SELECT order_id FROM orders)") == 0
    )
    assert one(con, "SELECT count(*) FROM carts WHERE is_checked_out") == one(
        con, "SELECT count(*) FROM orders"
    )
    assert one(con, "SELECT count(*) FROM orders o JOIN carts c ON c.converted_order_id = o.order_id") == one(
        con, "SELECT count(*) FROM orders"
    )
    assert one(con, "SELECT count(*) FROM orders WHERE order_total <> subtotal - discount") == 0
    assert one(con, "SELECT count(*) FROM opportunities WHERE is_won AND closed_at IS NULL") == 0
    assert one(con, "SELECT count(*) FROM subscriptions WHERE cancelled_at < started_at") == 0


def test_scd2_tiers_are_contiguous(con):
    gaps = """
        SELECT count(*) FROM (
          SELECT valid_to, lead(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from) AS next_from,
                 row_number() OVER (PARTITION BY customer_id ORDER BY valid_from DESC) AS rn
          FROM customer_tiers)
        WHERE (rn > 1 AND valid_to IS DISTINCT FROM next_from) OR (rn = 1 AND valid_to IS NOT NULL)"""
    assert one(con, gaps) == 0
    assert one(con, "SELECT count(DISTINCT customer_id) FROM customer_tiers") == one(
        con, "SELECT count(*) FROM customers"
    )


def _columns(con) -> dict[str, set[str]]:
    cols: dict[str, set[str]] = {}
    sql = "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'"
    for table, column in con.execute(sql).fetchall():
        cols.setdefault(table, set()).add(column)
    return cols


def test_demo_definitions_match_the_tables(con):
    """Every semantic model's table exists; every plain-identifier expr (or bare name) is a column of it."""
    cols = _columns(con)
    models = [
        sm
        for p in sorted((ROOT / "models").glob("*.yml"))
        for sm in yaml.safe_load(p.read_text())["semantic_models"]
    ]
    assert len(models) >= 15
    for sm in models:
        table = re.fullmatch(r"ref\('(\w+)'\)", sm["model"]).group(1)
        assert table in cols, sm["name"]
        for kind in ("entities", "dimensions", "measures"):
            for element in sm.get(kind, []):
                expr = element.get("expr", element["name"])
                if isinstance(expr, str) and re.fullmatch(r"\w+", expr):
                    assert expr in cols[table], f"{sm['name']}.{element['name']}: no column {expr} in {table}"
