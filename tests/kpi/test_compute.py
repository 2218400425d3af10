"""`kpi status` computed on data: exact numbers on the tiny project, batching, per-node errors, the demo."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import AS_OF, TINY_KPIS

from metricslayer.errors import QueryError
from metricslayer.kpi.compute import compute_status
from metricslayer.kpi.render import render_status
from metricslayer.kpi.status import AT_RISK, ERROR, NO_DATA, OFF_TRACK, ON_TRACK
from metricslayer.kpi.tree import build_tree, target_type

Q1_END = dt.date(2025, 3, 31)


def test_tiny_numbers(tiny):
    report = compute_status(tiny, Q1_END)
    rev = report.node("revenue_2025")
    assert rev.actual == 36000 and rev.target_type == "cumulative"
    assert rev.expected == pytest.approx(120000 * 90 / 365)
    assert rev.attainment == pytest.approx(36000 / (120000 * 90 / 365)) and rev.status == ON_TRACK
    assert rev.forecast == pytest.approx(36000 + 275 * 400)  # flat 400/day for the 275 days left
    assert rev.achieved == pytest.approx(0.3)
    assert report.node("visits_2025").actual == 18000
    web = report.node("web_visits")  # filtered to web, March only
    assert web.actual == 3100 and web.window_start == "2025-03-01" and web.status == ON_TRACK
    cvr = report.node("cvr_q")
    assert cvr.target_type == "rate" and cvr.actual == pytest.approx(0.04) and cvr.status == AT_RISK
    aov = report.node("aov_q")  # decrease: 45 / 50 = 0.9 -> on-track at the warn line
    assert aov.attainment == pytest.approx(0.9) and aov.status == ON_TRACK
    assert report.node("traffic").status == ON_TRACK and report.node("shop").status == AT_RISK
    assert [n.depth for n in report.nodes] == [0, 1, 2, 2, 1, 2, 2]
    assert rev.series[0] == ("2025-01-01", 12400.0)


def test_one_query_per_window_and_filter(tiny):
    report = compute_status(tiny, Q1_END)
    # actuals: Jan 1..Mar 31 (the year so far and Q1 share it), March for web; series: unfiltered, web
    assert report.queries == 4


def test_per_node_errors_leave_the_rest_of_the_tree(make_tiny):
    project = make_tiny(TINY_KPIS + """
  - {name: broken, kind: kpi, parent: shop, metric: revenu, target: 10, period: quarter}
  - {name: old, kind: kpi, parent: shop, metric: revenue, target: 10, start: 2024-01-01, deadline: 2024-12-31}
  - {name: zero, kind: kpi, parent: shop, metric: cvr, target: 0, period: quarter}
  - {name: bad_dim, kind: kpi, parent: shop, metric: revenue, target: 5, period: quarter,
     filter: "{{ Dimension('row__colour') }} = 'red'"}
""")
    report = compute_status(project, Q1_END)
    broken = report.node("broken")
    assert broken.status == ERROR and "revenu" in broken.message and "did you mean 'revenue'" in broken.message
    assert report.node("old").status == NO_DATA and "no data for 2024-01-01..2024-12-31" in report.node("old").message
    zero = report.node("zero")
    assert zero.status == ERROR and "target is 0" in zero.message and zero.actual == pytest.approx(0.04)
    assert report.node("bad_dim").status == ERROR and "colour" in report.node("bad_dim").message
    assert report.node("revenue_2025").status == ON_TRACK and report.node("cvr_q").status == AT_RISK
    text = render_status(report)
    assert "broken: error:" in text and "old: no-data:" in text


def test_tree_problems_unknown_parent_and_cycle(make_tiny):
    project = make_tiny(TINY_KPIS + """
  - {name: orphan, kind: kpi, parent: shopp, metric: revenue, target: 1, period: month}
  - {name: loop_a, kind: ksf, parent: loop_b}
  - {name: loop_b, kind: ksf, parent: loop_a}
""", strict=False)
    tree = build_tree(project.spec.kpis)
    assert "did you mean 'shop'" in tree.problems["orphan"]
    assert "cycle" in tree.problems["loop_a"] or "cycle" in tree.problems["loop_b"]
    report = compute_status(project, Q1_END, tree=tree)
    assert report.node("orphan").status == ERROR and report.node("revenue_2025").status == ON_TRACK


def test_single_tree_and_unknown_tree(tiny):
    assert [n.name for n in compute_status(tiny, Q1_END, "shop").nodes] == ["shop", "cvr_q", "aov_q"]
    with pytest.raises(QueryError, match="unknown KPI tree 'revenue'"):
        compute_status(tiny, Q1_END, "revenue")


def test_target_type_inference(tiny):
    kpis = tiny.spec.kpis
    assert target_type(tiny.spec, kpis["revenue_2025"]) == "cumulative"
    assert target_type(tiny.spec, kpis["cvr_q"]) == "rate"
    derived = type(kpis["cvr_q"])(name="x", kind="kpi", metric="revenue_2x")
    assert target_type(tiny.spec, derived) == "cumulative"
    forced = type(kpis["cvr_q"])(name="y", kind="kpi", metric="revenue", raw={"meta": {"target_type": "rate"}})
    assert target_type(tiny.spec, forced) == "rate"


def test_status_table_fits_100_columns(tiny):
    text = render_status(compute_status(tiny, Q1_END))
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "└─" in text and "at-risk" in text


# -- the demo data ---------------------------------------------------------------------------------------


def test_demo_tree_mix_and_speed(demo):
    report = compute_status(demo, AS_OF)
    counts = report.counts()
    assert counts.get(ON_TRACK, 0) >= 3 and counts.get(AT_RISK, 0) >= 2 and counts.get(OFF_TRACK, 0) >= 1
    assert report.queries <= 8  # batched: per window and filter, not per node and period
    assert report.seconds < 2.0
    assert report.node("retention").status == OFF_TRACK  # worst child
    rev = report.node("annual_revenue")
    assert rev.actual == pytest.approx(1332584.10) and rev.forecast > rev.actual
    text = render_status(report)
    assert max(len(line) for line in text.splitlines()) <= 100
