"""`kpi` output as text: a status tree (rich, 100 columns) and JSON. Pure: reports in, strings out."""

from __future__ import annotations

import io
import json
import math

from .status import AT_RISK, ERROR, OFF_TRACK, ON_TRACK

WIDTH = 100
STYLES = {ON_TRACK: "green", AT_RISK: "yellow", OFF_TRACK: "bold red", ERROR: "magenta"}
MARKS = {ON_TRACK: "●", AT_RISK: "▲", OFF_TRACK: "✖", ERROR: "!"}


def number(value) -> str:
    """A compact number for a 9-character column.

    >>> [number(v) for v in (None, 3042302.07, 187131, 237.157, 4.2, 0.029840, 0.0, -1500.0)]
    ['-', '3.04M', '187k', '237', '4.20', '0.0298', '0', '-1.50k']
    """
    if value is None:
        return "-"
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return "∞" if value > 0 else "-"
    value = float(value)
    size = abs(value)
    if size == 0:
        return "0"
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            scaled = value / limit
            return f"{scaled:.3g}{suffix}" if abs(scaled) >= 100 else f"{scaled:.2f}{suffix}" \
                if abs(scaled) < 10 else f"{scaled:.1f}{suffix}"
    if size >= 100:
        return f"{value:.0f}"
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def percent(value) -> str:
    if value is None:
        return "-"
    if math.isinf(value):
        return "∞"
    return f"{value * 100:.0f}%"


def guides(nodes) -> list[str]:
    """Tree prefixes ('├─ ', '└─ ', '│  ') for nodes listed depth first with a .depth attribute."""
    out = []
    for i, node in enumerate(nodes):
        prefix = ""
        for level in range(1, node.depth + 1):
            # is there a later node at this level before the tree climbs above it?
            later = False
            for nxt in nodes[i + 1:]:
                if nxt.depth < level:
                    break
                if nxt.depth == level:
                    later = True
                    break
            if level == node.depth:
                prefix += "├─ " if later else "└─ "
            else:
                prefix += "│  " if later else "   "
        out.append(prefix)
    return out


def render_status(report, color: bool = False, width: int = WIDTH) -> str:
    """The status tree as a table that fits `width` columns, with per-node messages below it."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False, padding=(0, 1), show_edge=False, header_style="bold")
    table.add_column("KPI", no_wrap=True, overflow="ellipsis", min_width=22, max_width=36)
    for name in ("Actual", "Target", "Done", "Pace", "Forecast"):
        table.add_column(name, justify="right", no_wrap=True, min_width=4 if name in ("Done", "Pace") else 8 if name == "Forecast" else 6)
    table.add_column("Status", no_wrap=True, min_width=11)
    table.add_column("Owner", no_wrap=True, overflow="ellipsis", max_width=24)
    for prefix, node in zip(guides(report.nodes), report.nodes):
        style = STYLES.get(node.status, "dim")
        label = Text(prefix, style="dim")
        label.append(node.label if node.label == node.name else f"{node.label}")
        if node.kind != "kpi":
            label.append(f" [{node.kind.upper()}]", style="dim")
        table.add_row(label, number(node.actual), number(node.target), percent(node.achieved),
                      percent(node.attainment), number(node.forecast),
                      Text(f"{MARKS.get(node.status, '·')} {node.status}", style=style), node.owner)
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=color, color_system="standard" if color else None,
                      no_color=not color, highlight=False, emoji=False)
    console.print(table)
    notes = [n for n in report.nodes if n.message and n.status not in (ON_TRACK, AT_RISK, OFF_TRACK)]
    for node in notes:
        console.print(Text(f"{node.name}: {node.status}: ", style=STYLES.get(node.status, "dim")) +
                      Text(node.message.replace("\n", " ")), overflow="fold")
    console.print(Text(f"as of {report.as_of.isoformat()}: " + ", ".join(
        f"{count} {status}" for status, count in sorted(report.counts().items())), style="dim"))
    return buffer.getvalue()


def render_json(data) -> str:
    return json.dumps(data, indent=2, default=_default, ensure_ascii=False, allow_nan=False)


def _default(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def clean(value):
    """Replace inf/nan (not JSON) by None, recursively."""
    if isinstance(value, float) and (math.isinf(value) or math.isnan(value)):
        return None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value
