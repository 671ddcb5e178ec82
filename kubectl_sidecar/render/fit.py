"""Lines that fit the terminal: items wrapped at their separators, a table's last column wrapped.

Down to 60 columns every line of the default output fits (tests/unit/test_width.py checks 40, 60, 80 and
200); narrower, lines break where they can and a table keeps at least :data:`MIN_DETAIL` columns for its
last column, so it stays readable though wider than the terminal.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

MIN_DETAIL = 16  # a last column narrower than this would be a column of fragments: let the line run on
COLUMN_GAP = 2  # as render.plain lays tables out
HEADER_PADDING = 2


def wrap_items(head: str, items: Sequence[str], separator: str, width: int, indent: str = "  ") -> str:
    """``head`` then ``items`` joined by ``separator``, broken between items into lines of ``width``."""
    lines = [head]
    for index, item in enumerate(items):
        glue = separator if index else ""
        if len(lines[-1]) + len(glue) + len(item) <= width or len(lines[-1].strip()) == 0:
            lines[-1] += glue + item
        else:
            lines[-1] = lines[-1].rstrip()
            lines.append(indent + item)
    return "\n".join(lines)


def wrap_text(text: str, width: int, indent: str = "  ") -> str:
    """One paragraph broken into lines of ``width`` at spaces (continuation lines indented)."""
    if len(text) <= width:
        return text
    return "\n".join(
        textwrap.wrap(text, width=max(width, 20), subsequent_indent=indent, break_on_hyphens=False)
    )


def last_column_room(rows: Sequence[Sequence[str]], headers: Sequence[str], width: int) -> int:
    """How many columns the last column gets when the others keep their widths (as render.plain
    lays them out)."""
    columns = len(headers)
    widths = [len(h) + HEADER_PADDING for h in headers[:-1]]
    for row in rows:
        for i in range(columns - 1):
            widths[i] = max(widths[i], len(row[i]))
    return width - sum(widths) - COLUMN_GAP * (columns - 1)


def wrap_last_column(rows: list[list[str]], headers: Sequence[str], width: int) -> list[list[str]]:
    """Rows whose last cell is broken over continuation rows, so each line of the table fits ``width``.

    The other columns keep their widths; when the last column would get fewer than :data:`MIN_DETAIL`
    columns, the rows are left whole (see :func:`under_rows`).
    """
    if not rows:
        return rows
    columns = len(headers)
    room = last_column_room(rows, headers, width)
    if room < MIN_DETAIL or all(len(row[-1]) <= room for row in rows):
        return rows
    out: list[list[str]] = []
    for row in rows:
        pieces = textwrap.wrap(row[-1], width=room, break_on_hyphens=False) or [""]
        out.append([*row[:-1], pieces[0]])
        out.extend([*([""] * (columns - 1)), piece] for piece in pieces[1:])
    return out


def under_rows(table_lines: list[str], details: Sequence[str], width: int, indent: int) -> str:
    """A table laid out without its last column, each row followed by its last cell, indented and
    wrapped: for terminals too narrow to give that column :data:`MIN_DETAIL` columns."""
    out = [table_lines[0]]
    pad = " " * indent
    for line, detail in zip(table_lines[1:], details):
        out.append(line)
        if detail:
            pieces = textwrap.wrap(detail, width=max(width - indent, MIN_DETAIL), break_on_hyphens=False)
            out.extend(pad + piece for piece in pieces)
    return "\n".join(out)
