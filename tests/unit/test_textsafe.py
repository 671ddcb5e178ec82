"""The one terminal sanitiser: what each unsafe character becomes, and that nothing unsafe is left.

The expected forms are written out here; the sweep over every BMP code point checks the output against a
character class of its own (``FORBIDDEN``), not against the sanitiser's pattern.
"""

from __future__ import annotations

import re

import pytest

from kubectl_sidecar.textsafe import UNSAFE, is_terminal_safe, terminal_safe

FORBIDDEN = re.compile(
    "[\x00-\x1f\x7f\x80-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


@pytest.mark.parametrize(
    "text, shown",
    [
        ("\x1b]0;title\x07", "^[]0;title^G"),
        ("\x1b]8;;http://evil.example/\x07link\x1b]8;;\x07", "^[]8;;http://evil.example/^Glink^[]8;;^G"),
        ("\x1b[2J", "^[[2J"),
        ("a\rb", "a\\rb"),
        ("a\nb", "a\\nb"),
        ("a\tb", "a\\tb"),
        ("\x00\x08\x0b\x0c\x1f", "^@^H^K^L^_"),
        ("\x7f", "^?"),
        ("\x9b31m\x9d0;t\x9c", "\\u009b31m\\u009d0;t\\u009c"),
        ("\x85", "\\u0085"),
        ("\u202aa\u202bb\u202cc\u202dd\u202ee", "\\u202aa\\u202bb\\u202cc\\u202dd\\u202ee"),
        ("\u2066a\u2067b\u2068c\u2069", "\\u2066a\\u2067b\\u2068c\\u2069"),
        ("\u061c\u200e\u200f\u2028\u2029", "\\u061c\\u200e\\u200f\\u2028\\u2029"),
        ("exit \ud800 \udfff", "exit \\ud800 \\udfff"),  # lone surrogates (from JSON's \ud800)
    ],
    ids=[
        "osc-title",
        "osc8-hyperlink",
        "csi-clear",
        "cr",
        "lf",
        "tab",
        "other-c0",
        "del",
        "c1-csi-osc-st",
        "nel",
        "bidi-embeddings-overrides",
        "bidi-isolates",
        "marks-and-separators",
        "lone-surrogates",
    ],
)
def test_unsafe_characters_are_made_visible(text, shown):
    assert terminal_safe(text) == shown
    assert not is_terminal_safe(text) and is_terminal_safe(shown)
    shown.encode("utf-8")  # printable on any UTF-8 terminal


@pytest.mark.parametrize(
    "text", ["", "plain", "héllo ✓ 日本語 │█▒ ≠ ↻ · …", "emoji 😀 and \u00a0 nbsp", "\\r ^[ already shown"]
)
def test_safe_text_is_unchanged(text):
    assert terminal_safe(text) == text and is_terminal_safe(text)


def test_no_character_of_the_bmp_survives_unsafe():
    every = "".join(chr(code) for code in range(0x10000))
    shown = terminal_safe(every)
    assert FORBIDDEN.search(shown) is None
    assert terminal_safe(shown) == shown  # idempotent: a second pass changes nothing
    # UNSAFE, which JSON and YAML output escape, is exactly what the sanitiser changes
    assert {c for c in every if UNSAFE.match(c)} == {c for c in every if terminal_safe(c) != c}
    assert {c for c in every if FORBIDDEN.match(c)} <= {c for c in every if UNSAFE.match(c)}
