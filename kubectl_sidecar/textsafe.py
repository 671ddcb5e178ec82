"""THE sanitiser: text from a cluster or a file, made safe to show on a terminal.

Everything the plugin did not write itself (names, reasons, messages, annotation values, an API
server's error text, a file name) passes :func:`terminal_safe` before it reaches a terminal, so a hostile
event message cannot set the window title (OSC), clear the screen (CSI), hide a hyperlink, start a fake
table row (CR, LF) or reorder what is shown (bidi overrides). Nothing is dropped: every such character is
made visible, as ``kubectl describe`` shows ESC as ``^[``:

- ESC and the other C0 controls as caret notation (``^[``, ``^G``), except tab, CR and LF, shown as the
  escapes ``\\t``, ``\\r`` and ``\\n``; DEL as ``^?``;
- C1 controls (U+0080-U+009F), bidi embeddings, overrides and isolates (U+202A-U+202E,
  U+2066-U+2069), the line and paragraph separators (U+2028, U+2029) and other zero-width format
  characters that reorder text, as ``\\u202e``;
- lone surrogates (U+D800-U+DFFF, which JSON's ``\\ud800`` can carry) as ``\\ud800``: they cannot be
  encoded, so printing one raw would fail.

JSON and YAML output do not go through here: they keep exact values, with every character of
:data:`UNSAFE` escaped in their own syntax (``render/document.py``).
"""

from __future__ import annotations

import re

_SPECIAL = {"\t": "\\t", "\r": "\\r", "\n": "\\n", "\x7f": "^?"}
_UNICODE = (
    "\u0080-\u009f"  # C1 controls (U+009B is a one-byte CSI, U+009D a one-byte OSC)
    "\u061c"  # arabic letter mark
    "\u200e\u200f"  # left-to-right and right-to-left marks
    "\u2028\u2029"  # line and paragraph separators
    "\u202a-\u202e"  # bidi embeddings and overrides
    "\u2066-\u2069"  # bidi isolates
    "\ud800-\udfff"  # lone surrogates
)
UNSAFE: re.Pattern[str] = re.compile(f"[\x00-\x1f\x7f{_UNICODE}]")
"""Every character :func:`terminal_safe` makes visible; JSON and YAML output escape the same set."""


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    special = _SPECIAL.get(char)
    if special is not None:
        return special
    code = ord(char)
    if code < 0x20:
        return "^" + chr(code + 0x40)
    return f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """``text`` with every control and bidi character made visible (fast when there is none)."""
    if UNSAFE.search(text) is None:
        return text
    return UNSAFE.sub(_visible, text)


def is_terminal_safe(text: str) -> bool:
    """Does ``text`` hold nothing :func:`terminal_safe` would change?"""
    return UNSAFE.search(text) is None
