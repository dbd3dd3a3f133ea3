"""Shared rendering of tables as text and HTML."""

from __future__ import annotations

import html
from typing import Any


def fmt(v: Any, digits: int = 4) -> str:
    """Format a cell: numbers to `digits` significant decimals, the rest as text."""
    if isinstance(v, bool) or v is None:
        return "" if v is None else str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v != v:
            return "NaN"
        if v != 0 and (abs(v) < 10 ** -(digits) or abs(v) >= 1e7):
            return f"{v:.{digits - 1}e}"
        return f"{v:.{digits}f}"
    return str(v)


def text_table(header: list[str], rows: list[list[Any]]) -> str:
    """A fixed-width text table."""
    cells = [header] + [[fmt(v) for v in r] for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    lines = []
    for j, c in enumerate(cells):
        lines.append("  ".join(s.ljust(w) if i == 0 else s.rjust(w) for i, (s, w) in enumerate(zip(c, widths))))
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def html_table(header: list[str], rows: list[list[Any]], cls: str = "virkning-table") -> str:
    """An HTML table with escaped cells."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(fmt(v))}</td>" for v in r) + "</tr>" for r in rows
    )
    return f"<table class='{cls}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
