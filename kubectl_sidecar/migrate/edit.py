"""Text surgery on block-style YAML, guided by PyYAML's node marks: cut a sequence item out (with the
comment lines right above it), drop one entry of a nested sequence, re-indent, and insert lines.

Every line the edit does not touch is kept byte for byte: comments, quoting, key order, line endings.
Lines are kept with their endings (``str.splitlines(keepends=True)``).
"""

from __future__ import annotations

import yaml

from kubectl_sidecar.record import record


class EditError(Exception):
    """The YAML is written in a way the line-based edit cannot change safely (flow style, ...)."""


def content_end_line(node: yaml.Node) -> int:
    """The 0-based line of the last character that belongs to ``node`` (block collections end where the
    next token starts, possibly lines later: their last child tells)."""
    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        return content_end_line(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        return content_end_line(node.value[-1])
    end = node.end_mark
    return end.line - 1 if end.column == 0 and end.line > node.start_mark.line else end.line


def dash_line(lines: list[str], item: yaml.Node) -> int:
    """The line of a block sequence item's ``-`` indicator (the item's own line, or one above it)."""
    line = item.start_mark.line
    for candidate in (line, line - 1):
        if 0 <= candidate < len(lines) and lines[candidate].lstrip().startswith("-"):
            head = lines[candidate]
            if candidate == line and head[: item.start_mark.column].strip() not in ("-", ""):
                break
            return candidate
    raise EditError("its containers are not a block sequence ('- name: ...' lines)")


def dash_column(lines: list[str], item: yaml.Node) -> int:
    line = lines[dash_line(lines, item)]
    return len(line) - len(line.lstrip(" "))


def comments_above(lines: list[str], line: int, column: int) -> int:
    """The first of the comment lines directly above ``line`` indented at least ``column``."""
    first = line
    while first > 0:
        above = lines[first - 1]
        stripped = above.lstrip(" ")
        if stripped.startswith("#") and len(above) - len(stripped) >= column:
            first -= 1
        else:
            break
    return first


@record(frozen=True)
class Span:
    """Lines ``first`` to ``last`` (0-based, inclusive) of a source."""

    first: int
    last: int


def item_span(lines: list[str], item: yaml.Node, with_comments: bool = True) -> Span:
    """The lines of one block sequence item, from its comments (optionally) to its last content line."""
    start = dash_line(lines, item)
    if with_comments:
        start = comments_above(lines, start, dash_column(lines, item))
    return Span(start, content_end_line(item))


def check_block(node: yaml.Node, what: str) -> None:
    if getattr(node, "flow_style", False):
        raise EditError(
            f"its {what} are written in flow style (JSON or [...]); migrate rewrites block-style YAML only"
        )


def shift(lines: list[str], by: int) -> list[str]:
    """Indent (or dedent, never past a line's own indentation) every non-blank line by ``by`` spaces."""
    if by == 0:
        return list(lines)
    result = []
    for line in lines:
        if not line.strip():
            result.append(line)
        elif by > 0:
            result.append(" " * by + line)
        else:
            spaces = len(line) - len(line.lstrip(" "))
            result.append(line[min(spaces, -by) :])
    return result


def newline_of(text: str) -> str:
    return "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"
