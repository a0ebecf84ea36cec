"""Rows as aligned text tables, CSV or JSON."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO


def format_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        if value == int(value) and abs(value) < 1e15:
            return f"{value:.1f}"
        return f"{value:.6g}"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return " ".join(str(value).split()) if isinstance(value, str) else str(value)


def _numeric(value: object) -> bool:
    return isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool)


def table_lines(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    max_width: int = 60,
    formatters: Mapping[int, Callable[[object], str]] | None = None,
) -> list[str]:
    """Plain aligned columns (numbers right-aligned); cells longer than max_width are cut."""
    formatters = formatters or {}
    texts: list[list[str]] = []
    right = [False] * len(headers)
    for row in rows:
        line = []
        for i, value in enumerate(row):
            text = formatters[i](value) if i in formatters else format_cell(value)
            if len(text) > max_width:
                text = text[: max_width - 3] + "..."
            line.append(text)
            right[i] = right[i] or _numeric(value)
        texts.append(line)
    widths = [max([len(h), *(len(r[i]) for r in texts)]) for i, h in enumerate(headers)]

    def join(cells: Sequence[str]) -> str:
        parts = [
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)
        ]
        return "  ".join(parts).rstrip()

    return [join(headers), join(["-" * w for w in widths]), *(join(t) for t in texts)]


def json_default(value: object) -> object:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def dumps_json(value: object) -> str:
    return json.dumps(value, indent=2, default=json_default)


def write_rows(
    names: Sequence[str], rows: Sequence[Mapping[str, Any]], fmt: str, out: TextIO
) -> None:
    """Rows as an aligned table, CSV (header + rows) or a JSON array of objects."""
    if fmt == "json":
        out.write(dumps_json([dict(r) for r in rows]) + "\n")
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(names)
        for row in rows:
            writer.writerow(_csv_cell(row[n]) for n in names)
        out.write(buffer.getvalue())
    else:
        lines = table_lines(names, [[row[n] for n in names] for row in rows])
        out.write("\n".join(lines) + "\n")
        out.write(f"({len(rows)} row{'' if len(rows) == 1 else 's'})\n")


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, default=json_default)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value
