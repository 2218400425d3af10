"""join_to_timespine, fill_nulls_with, and semi-additive measures (non_additive_dimension)."""

from __future__ import annotations

import datetime as dt

import pytest


def _period_spine(grain: str, lo: str, hi: str) -> str:
    step = {"day": "1 DAY", "week": "7 DAY", "month": "1 MONTH", "quarter": "3 MONTH"}[grain]
    return (f"SELECT CAST(x AS DATE) AS p FROM generate_series(CAST(date_trunc('{grain}', {lo}) AS DATE), "
            f"CAST(date_trunc('{grain}', {hi}) AS DATE), INTERVAL {step}) AS t(x)")


def _filled(grain: str, lo: str, hi: str, fill: str = "0") -> str:
    value = (f"(SELECT sum(amount) FROM orders WHERE CAST(date_trunc('{grain}', ordered_at) AS DATE) = s.p)")
    return f"SELECT s.p, coalesce({value}, {fill}) FROM ({_period_spine(grain, lo, hi)}) AS s"


FIRST = "(SELECT min(ordered_at) FROM orders)"
LAST = "(SELECT max(ordered_at) FROM orders)"


# -- join_to_timespine ------------------------------------------------------------------------------
@pytest.mark.parametrize("grain", ["day", "week", "month", "quarter"])
def test_join_to_timespine_without_range_covers_first_to_last_period(clock, grain):
    result = clock.check(_filled(grain, FIRST, LAST), metrics=["revenue_filled"], group_by=[f"metric_time__{grain}"])
    if grain == "month":
        rows = dict(result.rows)
        assert rows[dt.date(2024, 5, 1)] == 0 and rows[dt.date(2024, 9, 1)] == 0


@pytest.mark.parametrize(("start", "end"), [("2024-04-25", "2024-06-05"), ("2025-03-25", "2025-05-10"),
                                            ("2023-12-01", "2024-01-05")])
def test_join_to_timespine_by_day_fills_whole_range(clock, start, end):
    hand = _filled("day", f"DATE '{start}'", f"DATE '{end}'")
    result = clock.check(hand, metrics=["revenue_filled"], group_by=["metric_time__day"], start_time=start,
                         end_time=end)
    assert len(result.rows) == (dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days + 1


def test_join_to_timespine_by_month_with_range_widened(clock):
    hand = _filled("month", "DATE '2024-03-01'", "DATE '2024-10-01'")
    clock.check(hand, metrics=["revenue_filled"], group_by=["metric_time__month"], start_time="2024-03-15",
                end_time="2024-10-02")


def test_join_to_timespine_without_fill_gives_nulls(clock):
    hand = _filled("day", "DATE '2024-04-25'", "DATE '2024-05-10'", fill="NULL")
    result = clock.check(hand, metrics=["revenue_spine_nulls"], group_by=["metric_time__day"],
                         start_time="2024-04-25", end_time="2024-05-10")
    assert sum(r[1] is None for r in result.rows) >= 10


def test_join_to_timespine_next_to_plain_metric(clock):
    visits = ("SELECT CAST(date_trunc('month', visited_at) AS DATE) AS p, count(*) AS n FROM visits "
              "WHERE visited_at >= '2024-01-01' AND visited_at < '2024-07-01' GROUP BY 1")
    filled = _filled("month", "DATE '2024-01-01'", "DATE '2024-06-01'")
    hand = (f"WITH f AS ({filled}), "
            f"v AS ({visits}) SELECT f.*, v.n FROM f LEFT JOIN v ON f.p = v.p")
    clock.check(hand, metrics=["revenue_filled", "visit_count"], group_by=["metric_time__month"],
                start_time="2024-01-01", end_time="2024-06-30")


# -- fill_nulls_with ---------------------------------------------------------------------------------
DAILY_REVENUE = "SELECT CAST(ordered_at AS DATE) AS k, sum(amount) AS r FROM orders GROUP BY 1"
DAILY_VISITS = "SELECT CAST(visited_at AS DATE) AS k, count(*) AS v FROM visits GROUP BY 1"


def _outer(expr: str) -> str:
    return (f"SELECT coalesce(a.k, b.k), {expr} FROM ({DAILY_REVENUE}) AS a "
            f"FULL OUTER JOIN ({DAILY_VISITS}) AS b ON a.k = b.k")


def test_fill_nulls_with_on_simple_metric_next_to_other(clock):
    result = clock.check(_outer("coalesce(a.r, 0), b.v"), metrics=["revenue_zero", "visit_count"],
                         group_by=["metric_time__day"])
    assert any(r[1] == 0 for r in result.rows)


def test_fill_nulls_with_on_other_side(clock):
    clock.check(_outer("a.r, coalesce(b.v, 0)"), metrics=["revenue", "visits_zero"], group_by=["metric_time__day"])


def test_fill_nulls_with_on_derived_input(clock):
    result = clock.check(_outer("coalesce(a.r, 0) / b.v"), metrics=["revenue_per_visit_filled"],
                         group_by=["metric_time__day"])
    assert any(r[1] == 0 for r in result.rows) and any(r[1] is None for r in result.rows)


def test_fill_nulls_with_alone_changes_nothing(clock):
    clock.check(DAILY_REVENUE, metrics=["revenue_zero"], group_by=["metric_time__day"])


# -- semi-additive measures ----------------------------------------------------------------------------
def _semi(grain: str | None, pick: str = "max", per_customer: bool = True, dims: tuple[str, ...] = (),
          where: str = "TRUE") -> str:
    """Rows whose snapshot_date is the max/min within (period, customer) are summed, grouped by period+dims."""
    period = f"CAST(date_trunc('{grain}', snapshot_date) AS DATE)" if grain else "NULL"
    same_customer = " AND b2.customer_id IS NOT DISTINCT FROM b.customer_id" if per_customer else ""
    keys = ([f"{period}"] if grain else []) + list(dims)
    group = f" GROUP BY {', '.join(str(i + 1) for i in range(len(keys)))}" if keys else ""
    cols = "".join(f"{k} AS g{i}, " for i, k in enumerate(keys))
    src = (f"SELECT b.*, c.region AS customer__region FROM balances b LEFT JOIN customers c "
           f"ON b.customer_id = c.customer_id WHERE {where}")
    period2 = period.replace("snapshot_date", "b2.snapshot_date")
    return (f"WITH b AS ({src}) SELECT {cols}sum(balance) FROM b WHERE snapshot_date = "
            f"(SELECT {pick}(b2.snapshot_date) FROM b AS b2 WHERE {period2} IS NOT DISTINCT FROM "
            f"{period.replace('snapshot_date', 'b.snapshot_date')}{same_customer}){group}")


@pytest.mark.parametrize("grain", ["day", "week", "month", "quarter", "year"])
@pytest.mark.parametrize(("metric", "pick"), [("balance_end", "max"), ("balance_start", "min")])
def test_semi_additive_per_customer(clock, grain, metric, pick):
    clock.check(_semi(grain, pick), metrics=[metric], group_by=[f"metric_time__{grain}"])


@pytest.mark.parametrize("grain", ["month", "quarter"])
def test_semi_additive_without_groupings_uses_last_day_overall(clock, grain):
    clock.check(_semi(grain, per_customer=False), metrics=["balance_last_day"], group_by=[f"metric_time__{grain}"])


def test_semi_additive_known_values(clock):
    end = dict(clock.query(metrics=["balance_end"], group_by=["metric_time__month"]).rows)
    assert end[dt.date(2024, 1, 1)] == 120 + 70 + 30  # each customer's own last snapshot
    assert end[dt.date(2024, 2, 1)] == 130 + 80 + 35 + 15  # leap day, Feb 10 and Feb 28
    last = dict(clock.query(metrics=["balance_last_day"], group_by=["metric_time__month"]).rows)
    assert last[dt.date(2024, 1, 1)] == 120 + 30  # only Jan 31 rows
    assert last[dt.date(2024, 4, 1)] == 140 + 17


def test_semi_additive_without_metric_time(clock):
    clock.check(_semi(None), metrics=["balance_end"], group_by=[])


def test_semi_additive_without_metric_time_by_region(clock):
    clock.check(_semi(None, dims=("customer__region",)), metrics=["balance_end"], group_by=["customer__region"])


def test_semi_additive_last_day_by_region_is_not_per_region(clock):
    """Without window_groupings the max date is taken over the period, not per group-by value."""
    hand = _semi("month", per_customer=False, dims=("customer__region",))
    clock.check(hand, metrics=["balance_last_day"], group_by=["metric_time__month", "customer__region"])


def test_semi_additive_without_metric_time_within_range(clock):
    hand = _semi(None, where="snapshot_date BETWEEN DATE '2024-01-01' AND DATE '2024-02-29'")
    clock.check(hand, metrics=["balance_end"], group_by=[], start_time="2024-01-01", end_time="2024-02-29")


def test_semi_additive_next_to_additive_measure(clock):
    hand = (f"WITH s AS ({_semi('month')}) SELECT s.*, n FROM s JOIN (SELECT CAST(date_trunc('month', "
            "snapshot_date) AS DATE) AS m, count(balance) AS n FROM balances GROUP BY 1) c ON s.g0 = c.m")
    clock.check(hand, metrics=["balance_end", "balance_rows"], group_by=["metric_time__month"])
