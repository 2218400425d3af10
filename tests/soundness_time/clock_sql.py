"""Hand-written reference SQL for the time tests: a generate_series spine and correlated subqueries.

Deliberately the slow, obviously-correct formulation, never the one the compiler uses.
"""

from __future__ import annotations

from collections.abc import Sequence

FACTS = ("SELECT CAST(o.ordered_at AS DATE) AS d, o.order_id, o.customer_id, o.amount, o.channel, "
         "c.region AS customer__region, o.channel AS order__channel "
         "FROM orders o LEFT JOIN customers c ON o.customer_id = c.customer_id")


def spine(lo: str, hi: str) -> str:
    """Every day from `lo` to `hi` (SQL DATE expressions), inclusive."""
    return (f"SELECT CAST(x AS DATE) AS d FROM generate_series(CAST({lo} AS DATE), CAST({hi} AS DATE), "
            "INTERVAL 1 DAY) AS t(x)")


def window_condition(window_days: int | None = None, grain_to_date: str | None = None,
                     interval: str | None = None) -> str:
    """Which fact days `f.d` a spine day `s.d` aggregates."""
    if window_days is not None:
        return f"f.d <= s.d AND f.d > s.d - {window_days}"
    if interval is not None:
        return f"f.d <= s.d AND f.d > CAST(s.d - INTERVAL {interval} AS DATE)"
    if grain_to_date is not None:
        return f"f.d <= s.d AND f.d >= CAST(date_trunc('{grain_to_date}', s.d) AS DATE)"
    return "f.d <= s.d"


def daily_cumulative(agg: str, cond: str, lo: str, hi: str, *, fact_filter: str = "TRUE",
                     dims: Sequence[str] = ()) -> str:
    """One row (day, dims..., value) per spine day in [lo, hi] and dimension combination whose window
    holds at least one fact row; `lo`/`hi` may refer to the facts CTE `f0` (e.g. `(SELECT min(d) FROM f0)`)."""
    dim_match = "".join(f" AND f.{d} IS NOT DISTINCT FROM k.{d}" for d in dims)
    dim_cols = "".join(f", k.{d}" for d in dims)
    combos = f"(SELECT DISTINCT {', '.join(dims)} FROM f0)" if dims else "(SELECT 1 AS one)"
    return (f"WITH f0 AS (SELECT * FROM ({FACTS}) WHERE {fact_filter}), "
            f"s AS ({spine(lo, hi)}) "
            f"SELECT s.d{dim_cols}, (SELECT {agg} FROM f0 AS f WHERE {cond}{dim_match}) AS v "
            f"FROM s CROSS JOIN {combos} AS k "
            f"WHERE EXISTS (SELECT 1 FROM f0 AS f WHERE {cond}{dim_match})")


def at_grain(daily_sql: str, grain: str, period_agg: str = "first", dims: Sequence[str] = ()) -> str:
    """Roll daily cumulative rows up to `grain`: first / last day present, or the average of the days."""
    pick = {"first": "arg_min(v, d)", "last": "arg_max(v, d)", "average": "avg(v)"}[period_agg]
    dim_cols = "".join(f", {d}" for d in dims)
    keys = ", ".join(str(i + 1) for i in range(1 + len(dims)))
    return (f"SELECT CAST(date_trunc('{grain}', d) AS DATE) AS p{dim_cols}, {pick} "
            f"FROM ({daily_sql}) GROUP BY {keys}")


def by_period(grain: str, agg: str = "sum(amount)", table: str = "orders", column: str = "ordered_at") -> str:
    return f"SELECT CAST(date_trunc('{grain}', {column}) AS DATE) AS k, {agg} AS v FROM {table} GROUP BY 1"
