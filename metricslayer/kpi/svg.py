"""Inline SVG line charts for the report: pure functions from numbers to an <svg> string (no JS, no CDN)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from .render import number

COLORS = {"on-track": "#1a7f37", "at-risk": "#b7791f", "off-track": "#cf222e", "error": "#8250df"}
MONTHS = "JFMAMJJASOND"


@dataclass
class Line:
    points: list[tuple[dt.date, float]]
    label: str
    color: str = "#0969da"
    dashed: bool = False
    width: float = 2.0


@dataclass
class Chart:
    title: str
    lines: list[Line] = field(default_factory=list)
    marker: dt.date | None = None  # the as-of day


def _x_scale(lo: dt.date, hi: dt.date, left: float, right: float):
    span = max(1, (hi - lo).days)
    return lambda d: left + (right - left) * (d - lo).days / span


def render_chart(chart: Chart, width: int = 560, height: int = 220) -> str:
    """An SVG with the lines, y grid labels, month ticks, an as-of marker and a legend."""
    points = [p for line in chart.lines for p in line.points if p[1] is not None]
    title = escape(chart.title)
    if not points:
        return (f'<svg class="chart" role="img" aria-label="{title}" viewBox="0 0 {width} {height}" width="{width}" '
                f'height="{height}"><text x="20" y="{height / 2}" fill="#57606a">no data</text></svg>')
    left, right, top, bottom = 56.0, width - 12.0, 12.0, height - 48.0
    xs = [p[0] for p in points] + ([chart.marker] if chart.marker else [])
    lo_d, hi_d = min(xs), max(xs)
    ys = [p[1] for p in points]
    lo_y, hi_y = min(0.0, min(ys)), max(ys)
    if hi_y == lo_y:
        hi_y = lo_y + (abs(lo_y) or 1.0)
    hi_y += (hi_y - lo_y) * 0.08
    sx = _x_scale(lo_d, hi_d, left, right)

    def sy(v: float) -> float:
        return bottom - (bottom - top) * (v - lo_y) / (hi_y - lo_y)

    parts = [f'<svg class="chart" role="img" aria-label="{title}" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">', f"<title>{title}</title>"]
    for i in range(5):
        value = lo_y + (hi_y - lo_y) * i / 4
        y = sy(value)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#d0d7de" stroke-width="1"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="10" '
                     f'fill="#57606a">{escape(number(value))}</text>')
    months = _months(lo_d, hi_d)
    step = max(1, len(months) // 12)
    for m in months[::step]:
        x = sx(m)
        label = MONTHS[m.month - 1] + (f" {m.year}" if m.month == 1 or m == months[0] else "")
        parts.append(f'<line x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 4}" stroke="#8c959f"/>')
        parts.append(f'<text x="{x:.1f}" y="{bottom + 15}" text-anchor="middle" font-size="10" '
                     f'fill="#57606a">{label}</text>')
    if chart.marker:
        x = sx(chart.marker)
        near_end = x > right - 30
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="#8c959f" '
                     f'stroke-dasharray="2 3"/><text x="{x - 3 if near_end else x + 3:.1f}" y="{top + 9}" '
                     f'font-size="9" fill="#57606a" text-anchor="{"end" if near_end else "start"}">as of</text>')
    for line in chart.lines:
        pts = [(sx(d), sy(v)) for d, v in line.points if v is not None]
        if not pts:
            continue
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        dash = ' stroke-dasharray="6 4"' if line.dashed else ""
        parts.append(f'<polyline fill="none" stroke="{line.color}" stroke-width="{line.width}"{dash} '
                     f'points="{path}"/>')
        if not line.dashed and len(pts) < 40:
            parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.2" fill="{line.color}"/>' for x, y in pts]
    x = left
    for line in chart.lines:
        dash = ' stroke-dasharray="6 4"' if line.dashed else ""
        parts.append(f'<line x1="{x}" y1="{height - 12}" x2="{x + 18}" y2="{height - 12}" stroke="{line.color}" '
                     f'stroke-width="2"{dash}/><text x="{x + 22}" y="{height - 8}" font-size="11" '
                     f'fill="#24292f">{escape(line.label)}</text>')
        x += 34 + 6.5 * len(line.label)
    parts.append("</svg>")
    return "".join(parts)


def _months(lo: dt.date, hi: dt.date) -> list[dt.date]:
    out, m = [], lo.replace(day=1)
    if m < lo:
        m = _next(m)
    while m <= hi:
        out.append(m)
        m = _next(m)
    return out


def _next(m: dt.date) -> dt.date:
    return dt.date(m.year + (m.month == 12), m.month % 12 + 1, 1)


def kpi_chart(node, as_of: dt.date) -> Chart:
    """The chart of one KPI node: actual, target line and forecast, from its status (see module doc)."""
    color = COLORS.get(node.status, "#0969da")
    series = [(dt.date.fromisoformat(m), v) for m, v in node.series]
    start, end = dt.date.fromisoformat(node.window_start), dt.date.fromisoformat(node.window_end)
    cut = min(as_of, end)
    chart = Chart(node.label, marker=as_of if start <= as_of <= end else None)
    if node.target_type == "cumulative" and (end - start).days > 62:
        running, total = [(start, 0.0)], 0.0
        for month, value in series:
            if month < start.replace(day=1) or month > cut:
                continue
            total += value or 0.0
            running.append((min(_next(month) - dt.timedelta(days=1), cut), total))
        chart.lines.append(Line(running, "actual (cumulative)", color))
        if node.target is not None:
            chart.lines.append(Line([(start, 0.0), (end, node.target)], "target pace", "#57606a", width=1.2))
        if node.forecast is not None and as_of < end:
            chart.lines.append(Line([(cut, node.actual or total), (end, node.forecast)], "forecast", color,
                                    dashed=True))
        return chart
    months_per_period = {"month": 1, "quarter": 3, "year": 12}.get(_period_kind(start, end), 1)
    scale = months_per_period if node.target_type == "cumulative" else 1
    points = [(m, v) for m, v in series if m <= cut][-18:]
    chart.lines.append(Line(points, "actual per month", color))
    if node.target is not None and points:
        label = "target" if scale == 1 else f"target / {scale}"
        chart.lines.append(Line([(points[0][0], node.target / scale), (end.replace(day=1), node.target / scale)],
                                label, "#57606a", width=1.2))
    if node.forecast is not None and points and as_of < end:
        chart.lines.append(Line([points[-1], (end.replace(day=1), node.forecast / scale)], "forecast", color,
                                dashed=True))
    return chart


def _period_kind(start: dt.date, end: dt.date) -> str:
    days = (end - start).days
    return "month" if days < 32 else "quarter" if days < 93 else "year"


def status_bar(counts: dict[str, int], width: int = 560) -> str:
    """A one-line stacked bar of statuses."""
    total = sum(counts.values()) or 1
    x, parts = 0.0, [f'<svg class="bar" viewBox="0 0 {width} 14" width="{width}" height="14" '
                     f'xmlns="http://www.w3.org/2000/svg">']
    for status, count in sorted(counts.items()):
        w = width * count / total
        parts.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="14" '
                     f'fill="{COLORS.get(status, "#afb8c1")}"><title>{escape(status)}: {count}</title></rect>')
        x += w
    parts.append("</svg>")
    return "".join(parts)


def sparkline(values: Sequence[float | None], color: str, width: int = 90, height: int = 20) -> str:
    pts = [v for v in values if v is not None]
    if len(pts) < 2:
        return ""
    lo, hi = min(pts), max(pts)
    span = (hi - lo) or 1.0
    step = width / (len(pts) - 1)
    path = " ".join(f"{i * step:.1f},{height - 2 - (height - 4) * (v - lo) / span:.1f}" for i, v in enumerate(pts))
    return (f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'xmlns="http://www.w3.org/2000/svg"><polyline fill="none" stroke="{color}" stroke-width="1.5" '
            f'points="{path}"/></svg>')
