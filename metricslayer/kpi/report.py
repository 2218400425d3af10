"""`metricslayer report --out DIR`: a static HTML site that works offline (inline CSS and SVG, no scripts).

Pages: index.html (KPI tree with status colours and a trend chart per KPI), catalog.html (every metric
with description, owner, department, label, compiled SQL and lineage to semantic models and tables) and
departments/<name>.html (the KPI nodes and metrics a department owns).
"""

from __future__ import annotations

import datetime as dt
import re
from html import escape
from pathlib import Path

from ..plan.planner import QueryRequest
from .compute import compute_status
from .render import number, percent
from .svg import COLORS, kpi_chart, render_chart, sparkline, status_bar

CSS = """
body{font:14px/1.45 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#24292f;margin:0;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:14px 28px}header a{color:#fff;margin-right:18px}
header h1{font-size:20px;margin:0 0 4px}main{padding:18px 28px;max-width:1200px}
h2{font-size:17px;border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:28px}
ul.tree{list-style:none;padding-left:18px;margin:2px 0}ul.tree.root{padding-left:0}
ul.tree li{margin:3px 0}.node{display:inline-flex;gap:10px;align-items:center;background:#fff;
border:1px solid #d0d7de;border-left:6px solid #afb8c1;border-radius:6px;padding:3px 10px}
.node .kind{font-size:11px;color:#57606a;text-transform:uppercase}.node .nums{color:#57606a;font-size:12px}
.badge{border-radius:10px;padding:0 8px;font-size:12px;color:#fff;background:#8c959f;white-space:nowrap}
.on-track{border-left-color:#1a7f37}.at-risk{border-left-color:#b7791f}.off-track{border-left-color:#cf222e}
.error{border-left-color:#8250df}.badge.on-track{background:#1a7f37}.badge.at-risk{background:#b7791f}
.badge.off-track{background:#cf222e}.badge.error{background:#8250df}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(590px,1fr));gap:14px}
.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:10px 12px}
.card h3{margin:0 0 4px;font-size:15px}.meta{color:#57606a;font-size:12px}.msg{color:#8250df;font-size:12px}
table{border-collapse:collapse;background:#fff;width:100%}th,td{border:1px solid #d0d7de;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f6f8fa}td.num{text-align:right;white-space:nowrap}
pre{background:#f6f8fa;padding:8px;overflow:auto;font-size:12px;max-height:360px}code{font-size:12px}
"""


def _page(title: str, body: str, depth: int = 0) -> str:
    up = "../" * depth
    nav = (f'<a href="{up}index.html">KPI tree</a><a href="{up}catalog.html">Metric catalog</a>'
           f'<a href="{up}departments/index.html">Departments</a>')
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body><header><h1>{escape(title)}</h1>"
            f"<nav>{nav}</nav></header><main>{body}</main></body></html>\n")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-") or "none"


def _badge(status: str) -> str:
    return f'<span class="badge {escape(status)}">{escape(status)}</span>'


def _nums(node) -> str:
    if node.metric is None:
        return ""
    done = f" · {percent(node.achieved)} of target" if node.achieved is not None else ""
    return (f'<span class="nums">{escape(number(node.actual))} / {escape(number(node.target))}{done}'
            f" · pace {percent(node.attainment)} · forecast {escape(number(node.forecast))}</span>")


def tree_html(report, link: str = "") -> str:
    """Nested lists of the status report's nodes (listed depth first)."""
    out, depth = [], -1
    for node in report.nodes:
        while depth >= node.depth:
            out.append("</li></ul>" if depth > node.depth else "</li>")
            depth -= 1 if depth > node.depth else 0
            if depth == node.depth:
                break
        if node.depth > depth:
            out.append(f'<ul class="tree{" root" if node.depth == 0 else ""}">')
            depth = node.depth
        anchor = f"{link}#kpi-{_slug(node.name)}"
        out.append(f'<li><span class="node {escape(node.status)}"><span class="kind">{escape(node.kind)}</span>'
                   f'<a href="{anchor}" id="tree-{_slug(node.name)}">{escape(node.label)}</a>{_badge(node.status)}{_nums(node)}'
                   f'<span class="meta">{escape(node.owner)}</span></span>')
    while depth >= 0:
        out.append("</li></ul>")
        depth -= 1
    return "".join(out)


def _card(node, as_of: dt.date) -> str:
    chart = render_chart(kpi_chart(node, as_of)) if node.metric else ""
    message = f'<div class="msg">{escape(node.message)}</div>' if node.message else ""
    window = f"{node.window_start} .. {node.window_end}"
    return (f'<div class="card" id="kpi-{_slug(node.name)}"><h3>{escape(node.label)} {_badge(node.status)}</h3>'
            f'<div class="meta">{escape(node.kind.upper())} · metric <a href="catalog.html#metric-'
            f'{_slug(node.metric or "")}">{escape(node.metric or "-")}</a> · {escape(node.direction)} · '
            f"{escape(node.target_type)} target {escape(number(node.target))} · {escape(window)} · "
            f"{escape(node.owner)} · {escape(node.department)}</div>{_nums(node)}{message}{chart}</div>")


def metric_lineage(project, name: str) -> tuple[list[str], list[str], str]:
    """(semantic models, tables, compiled SQL or the compile error) of one metric."""
    try:
        plan = project.planner.plan(QueryRequest(metrics=(name,)))
        models = list(dict.fromkeys(s.model for s in plan.scans))
        tables = []
        for model in models:
            relation = project.spec.semantic_models[model].relation
            tables.append(relation.qualified + (f" (inlined SELECT, {relation.origin})" if relation.sql else ""))
        return models, list(dict.fromkeys(tables)), project.compile(metrics=[name])
    except Exception as exc:  # noqa: BLE001 - the catalog shows the problem instead of failing
        return [], [], f"-- does not compile: {exc}"


def catalog_html(project, metrics=None) -> str:
    rows = []
    for name in sorted(metrics if metrics is not None else project.spec.metrics):
        m = project.spec.metrics[name]
        models, tables, sql = metric_lineage(project, name)
        rows.append(
            f'<tr id="metric-{_slug(name)}"><td><code>{escape(name)}</code><br>{escape(m.label)}</td>'
            f"<td>{escape(m.type)}</td><td>{escape(m.description)}<details><summary>SQL</summary>"
            f"<pre>{escape(sql)}</pre></details></td><td>{escape(m.owner)}</td>"
            f'<td><a href="departments/{_slug(m.department)}.html">{escape(m.department)}</a></td>'
            f"<td>{'<br>'.join(escape(x) for x in models)}</td><td>{'<br>'.join(escape(t) for t in tables)}</td></tr>")
    return ("<table><tr><th>Metric</th><th>Type</th><th>Description</th><th>Owner</th><th>Department</th>"
            f"<th>Semantic models</th><th>Tables</th></tr>{''.join(rows)}</table>")


def write_report(project, out_dir, as_of: dt.date | None = None) -> list[Path]:
    """Write the site; returns the pages written, index.html first."""
    as_of = as_of or dt.date.today()
    out = Path(out_dir)
    (out / "departments").mkdir(parents=True, exist_ok=True)
    report = compute_status(project, as_of)
    name = project.settings.name if hasattr(project.settings, "name") else "metricslayer"
    counts = report.counts()
    summary = ", ".join(f"{c} {s}" for s, c in sorted(counts.items()))
    if report.nodes:
        body = (f"<p>As of <b>{as_of.isoformat()}</b>: {escape(summary)}.</p>{status_bar(counts)}"
                f"<h2>KPI tree</h2>{tree_html(report)}<h2>KPIs</h2><div class=\"cards\">"
                + "".join(_card(n, as_of) for n in report.nodes if n.metric) + "</div>")
    else:
        body = "<p>The project defines no KPI tree (add a <code>kpis:</code> block).</p>"
    pages = [out / "index.html"]
    pages[0].write_text(_page(f"{name}: KPIs", body), encoding="utf-8")
    catalog = out / "catalog.html"
    catalog.write_text(_page(f"{name}: metric catalog", catalog_html(project)), encoding="utf-8")
    pages.append(catalog)
    departments = sorted({m.department for m in project.spec.metrics.values()} |
                         {n.department for n in report.nodes})
    links = []
    for dept in departments:
        metrics = [n for n, m in project.spec.metrics.items() if m.department == dept]
        nodes = [n for n in report.nodes if n.department == dept]
        label = dept or "(no department)"
        rows = "".join(
            f'<tr><td><a href="../index.html#kpi-{_slug(n.name)}">{escape(n.label)}</a></td><td>{_badge(n.status)}'
            f'</td><td class="num">{escape(number(n.actual))}</td><td class="num">{escape(number(n.target))}</td>'
            f"<td>{sparkline([v for _, v in n.series][-12:], COLORS.get(n.status, '#0969da'))}</td>"
            f"<td>{escape(n.owner)}</td></tr>" for n in nodes)
        kpi_table = (f"<h2>KPI nodes</h2><table><tr><th>Node</th><th>Status</th><th>Actual</th><th>Target</th>"
                     f"<th>Last 12 months</th><th>Owner</th></tr>{rows}</table>" if nodes else "")
        metric_rows = "".join(
            f'<tr><td><a href="../catalog.html#metric-{_slug(m)}"><code>{escape(m)}</code></a></td>'
            f"<td>{escape(project.spec.metrics[m].label)}</td><td>{escape(project.spec.metrics[m].description)}"
            f"</td><td>{escape(project.spec.metrics[m].owner)}</td></tr>" for m in sorted(metrics))
        body = (f"{kpi_table}<h2>Metrics ({len(metrics)})</h2><table><tr><th>Metric</th><th>Label</th>"
                f"<th>Description</th><th>Owner</th></tr>{metric_rows}</table>")
        page = out / "departments" / f"{_slug(dept)}.html"
        page.write_text(_page(f"Department: {label}", body, depth=1), encoding="utf-8")
        pages.append(page)
        links.append(f'<li><a href="{_slug(dept)}.html">{escape(label)}</a>: {len(metrics)} metrics, '
                     f"{len(nodes)} KPI nodes</li>")
    index = out / "departments" / "index.html"
    index.write_text(_page("Departments", f"<ul>{''.join(links)}</ul>", depth=1), encoding="utf-8")
    pages.append(index)
    return pages
