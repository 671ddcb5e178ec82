"""A Markdown page drawn for the terminal (``kubectl sidecar explain``), as ``rustc --explain`` prints one.

Only what the finding pages use: headings, paragraphs, lists, fenced code, tables, ``**bold**``,
```code``` and links. Paragraphs and list items are wrapped to the width; code and tables are kept as
they are (YAML must stay copyable), so they may run past a narrow terminal. Links become their text and,
when ``resolve`` knows where they lead, that place in parentheses. Pure: width and colour are passed in.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable

from kubectl_sidecar.textsafe import terminal_safe

_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")
_ITEM = re.compile(r"^(\s*)([-*]|\d+\.)\s+")
_BOLD_ON, _OFF = "\x1b[1m", "\x1b[0m"


def render_markdown(
    text: str,
    *,
    width: int = 80,
    colour: bool = False,
    resolve: Callable[[str], str | None] = lambda target: None,
) -> str:
    """``text`` (Markdown) as terminal lines, wrapped to ``width`` (at least 20 columns)."""
    width = max(width, 20)
    out: list[str] = []
    lines = [terminal_safe(line) for line in text.splitlines()]
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                out.append(f"    {lines[i]}".rstrip())
                i += 1
            i += 1
            continue
        if not line.strip() or line.lstrip().startswith("|"):
            out.append(line.rstrip())
            i += 1
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)", line)
        if heading:
            title = textwrap.wrap(
                _inline(heading.group(2), resolve),
                width=width,
                break_long_words=False,
                break_on_hyphens=False,
            )
            out.extend(f"{_BOLD_ON}{line}{_OFF}" if colour else line for line in title)
            if not colour:
                out.append(("=" if len(heading.group(1)) == 1 else "-") * max(map(len, title)))
            i += 1
            continue
        # A paragraph or a list item: its continuation lines are the next non-blank, non-special ones.
        block = [line]
        i += 1
        while i < len(lines) and _continues(lines[i]):
            block.append(lines[i])
            i += 1
        out.extend(_wrap(block, width, resolve))
    return "\n".join(out).rstrip("\n") + "\n"


def _continues(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not (
        _ITEM.match(line) or stripped.startswith(("#", "```", "|")) or line.startswith("```")
    )


def _wrap(block: list[str], width: int, resolve: Callable[[str], str | None]) -> list[str]:
    item = _ITEM.match(block[0])
    first_indent = item.group(0) if item else ""
    rest_indent = " " * len(first_indent)
    words = " ".join(part.strip() for part in [block[0][len(first_indent) :], *block[1:]])
    return textwrap.wrap(
        _inline(words, resolve),
        width=width,
        initial_indent=first_indent,
        subsequent_indent=rest_indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _inline(text: str, resolve: Callable[[str], str | None]) -> str:
    def link(match: re.Match[str]) -> str:
        label, target = match.group(1), match.group(2)
        where = resolve(target)
        return f"{label} ({where})" if where and not where.endswith(label) else label

    return _BOLD.sub(r"\1", _LINK.sub(link, text))
