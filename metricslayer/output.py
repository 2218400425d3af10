"""Rendering query results and catalog lists as text: pure functions (values in, str out).

The CLI picks a function by ``--format``; nothing here prints, reads flags or touches the terminal.
``rich`` is optional and imported only when a table is drawn with it.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from .result import Result

FORMATS = ("table", "csv", "json")
LIST_FORMATS = ("table", "json")
TABLE_DECIMALS = 4

# -- single values -------------------------------------------------------------------------------------


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def table_cell(value: Any) -> str:
    """A value as shown in a table: floats rounded to 4 significant decimals, NULL spelled out.

    >>> [table_cell(v) for v in (None, True, 3, 2.0, 15.256789, 0.000123456, Decimal("45.50"))]
    ['NULL', 'true', '3', '2', '15.2568', '0.0001235', '45.50']
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _short_float(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(_plain(value), ensure_ascii=False)
    return str(value)


def _short_float(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if value == 0:
        return "0"
    magnitude = abs(value)
    # Keep 4 decimals; below 1 keep 4 *significant* decimals (0.0001235, not 0.0001).
    decimals = TABLE_DECIMALS if magnitude >= 1 else min(15, TABLE_DECIMALS - 1 - math.floor(math.log10(magnitude)))
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def csv_cell(value: Any) -> str:
    """A value in CSV: full precision, ISO 8601 dates, empty for NULL."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(_plain(value), ensure_ascii=False)
    return str(value)


def json_value(value: Any) -> str:
    """One value as JSON text: Decimal as an exact number, dates in ISO 8601, NaN/inf as null.

    >>> [json_value(v) for v in (None, Decimal("45.50"), 1.5, dt.date(2024, 1, 31), float("nan"))]
    ['null', '45.50', '1.5', '"2024-01-31"', 'null']
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "null" if math.isnan(value) or math.isinf(value) else repr(value)
    if isinstance(value, Decimal):
        return str(value) if value.is_finite() else "null"
    if isinstance(value, (dt.date, dt.time)):
        return json.dumps(value.isoformat())
    if isinstance(value, dt.timedelta):
        return json.dumps(str(value))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(json_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {json_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(str(value), ensure_ascii=False)


def _plain(value: Any) -> Any:
    """Nested values as json.loads would give them back (for cells holding lists or structs)."""
    return json.loads(json_value(value))


# -- results ------------------------------------------------------------------------------------------


def render_result(result: Result, fmt: str = "table", width: int | None = None, use_rich: bool | None = None) -> str:
    """`result` in one of FORMATS. Every rendering ends with a newline (or is empty for an empty CSV)."""
    if fmt == "csv":
        return render_csv(result.columns, result.rows)
    if fmt == "json":
        return render_json(result.columns, result.rows)
    if fmt == "table":
        return render_table(result.columns, result.rows, width=width, use_rich=use_rich)
    raise ValueError(f"unknown format {fmt!r}")


def render_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return buffer.getvalue()


def render_json(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """An array of objects keyed by column name, one object per line."""
    if not rows:
        return "[]\n"
    keys = [json.dumps(str(c), ensure_ascii=False) for c in columns]
    lines = ["  {" + ", ".join(f"{k}: {json_value(v)}" for k, v in zip(keys, row)) + "}" for row in rows]
    return "[\n" + ",\n".join(lines) + "\n]\n"


def render_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], width: int | None = None,
                 use_rich: bool | None = None) -> str:
    """An aligned text table, numbers right-aligned; drawn with rich when it is installed.

    `width` is the terminal width to fit (rich wraps long text cells to fit; the plain table does not).
    """
    numeric = [bool(rows) and all(is_number(r[i]) for r in rows if r[i] is not None)
               and any(r[i] is not None for r in rows) for i in range(len(columns))]
    cells = [[table_cell(v) for v in row] for row in rows]
    if use_rich is None or use_rich:
        try:
            return _rich_table(columns, cells, numeric, width)
        except ImportError:
            if use_rich:
                raise
    return plain_table(columns, cells, numeric)


def plain_table(columns: Sequence[str], cells: Sequence[Sequence[str]], numeric: Sequence[bool]) -> str:
    """A table of already formatted cells, without rich.

    >>> print(plain_table(["region", "revenue"], [["EU", "45.75"], ["US", "7"]], [False, True]), end="")
    region  revenue
    ------  -------
    EU        45.75
    US            7
    """
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)]
        return "  ".join(parts).rstrip()

    out = [line(list(columns)), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in cells]
    return "\n".join(out) + "\n"


def _rich_table(columns: Sequence[str], cells: Sequence[Sequence[str]], numeric: Sequence[bool],
                width: int | None) -> str:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, highlight=False)
    for name, num in zip(columns, numeric):
        table.add_column(name, justify="right" if num else "left", no_wrap=num, overflow="fold")
    for row in cells:
        table.add_row(*row)
    buffer = io.StringIO()
    console = Console(file=buffer, width=width or 10_000, force_terminal=False, no_color=True,
                      highlight=False, markup=False, emoji=False, soft_wrap=False)
    console.print(table)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


# -- catalog lists ------------------------------------------------------------------------------------

# Columns shown per catalog kind in table mode; json has every field of the dataclass.
LIST_COLUMNS = {
    "metrics": ("name", "type", "label", "owner", "department", "description"),
    "dimensions": ("name", "type", "semantic_model", "description"),
    "entities": ("name", "type", "semantic_model", "description"),
    "saved-queries": ("name", "metrics", "group_by", "description"),
}


def render_catalog(kind: str, items: Sequence[Any], fmt: str = "table", width: int | None = None,
                   use_rich: bool | None = None) -> str:
    """Catalog dataclasses (catalog.py) as a table or a JSON array of objects."""
    if fmt == "json":
        records = [dataclasses.asdict(item) for item in items]
        return json.dumps(records, indent=2, ensure_ascii=False, default=str) + "\n"
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}")
    columns = LIST_COLUMNS[kind]
    rows = [[_list_cell(getattr(item, c)) for c in columns] for item in items]
    if not rows:
        return f"no {kind.replace('-', ' ')} defined\n"
    if use_rich is None or use_rich:
        try:
            return _rich_table(columns, rows, [False] * len(columns), width)
        except ImportError:
            if use_rich:
                raise
    return plain_table(columns, rows, [False] * len(columns))


def _list_cell(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


# -- small messages -----------------------------------------------------------------------------------


def row_count(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"
