"""Plain tables (columns left-aligned, two spaces apart): tabulate's ``plain`` format, fast for ASCII.

Importing tabulate costs about 28 ms (it loads wcwidth, importlib.metadata and html), more than the
rest of a ``timeline`` command's rendering. Nearly every table is ASCII (names, reasons, times), and for
ASCII text :func:`plain_table` lays the table out itself, exactly as ``tabulate(rows, headers,
tablefmt="plain", disable_numparse=True)`` does (tests/unit/test_plain_table.py compares the two on
generated tables). Any other text (wide CJK characters in an event message, escape codes, line
breaks) goes to tabulate, whose display widths come from wcwidth.
"""

from __future__ import annotations

from collections.abc import Sequence

MIN_HEADER_PADDING = 2  # tabulate makes a column at least as wide as its header plus this
SEPARATOR = "  "


def _fast(table: list[list[str]], headers: Sequence[str] | None) -> bool:
    """A regular table of printable ASCII (the only kind laid out here)."""
    columns = len(headers) if headers else len(table[0]) if table else 0
    if headers and any(not h.isascii() or not h.isprintable() or h != h.strip() for h in headers):
        return False
    return all(
        len(row) == columns and all(cell.isascii() and cell.isprintable() for cell in row) for row in table
    )


def plain_table(rows: Sequence[Sequence[str]], headers: Sequence[str] | None = None) -> str:
    """The rows (and headers) as tabulate's plain table, without a final newline."""
    raw = [[str(cell) for cell in row] for row in rows]
    head = [str(h) for h in headers] if headers else None
    if not _fast(raw, head):  # the cells as given: a control character tabulate sees is not stripped away
        from tabulate import tabulate

        if headers:
            return tabulate(rows, headers=headers, tablefmt="plain", disable_numparse=True)
        return tabulate(rows, tablefmt="plain", disable_numparse=True)
    table = [[cell.strip() for cell in row] for row in raw]
    columns = len(head) if head else len(table[0]) if table else 0
    widths = [0] * columns
    for row in table:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    if head:
        for i, cell in enumerate(head):
            widths[i] = max(widths[i], len(cell) + MIN_HEADER_PADDING)
    lines = []
    for row in [head] + table if head else table:
        padded = [cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append(SEPARATOR.join(padded).rstrip())
    return "\n".join(lines)
