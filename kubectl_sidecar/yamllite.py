"""A fast path for the plain YAML of kubeconfigs and the sidecar catalogue, without importing PyYAML.

Importing PyYAML costs about 90 million instructions (some 12 ms: its reader compiles a large Unicode
regex), more than a ``timeline``'s requests. The files read on every live command (the kubeconfig that
kubectl, gcloud, aws or az wrote; the package's sidecar catalogue) use a small part of YAML: block
mappings and sequences, plain and quoted scalars, one-line flow collections of scalars, comments.

:func:`parse` reads exactly that part and returns :data:`UNSUPPORTED` for anything else (anchors,
aliases, tags, block scalars, multi-line scalars, tabs, document markers, duplicate keys, nesting past
:data:`MAX_DEPTH`, scalars whose YAML 1.1 type it does not resolve itself: floats, timestamps, octal,
hex, long integers, merge keys), and the caller then reads the text with PyYAML as before
(:mod:`kubectl_sidecar.yamlsafe`). Where it answers, the answer equals PyYAML's safe loader's:
tests/unit/test_yamllite.py compares the two on generated documents, on every YAML file of the tests and
the package, and on the kubeconfig corpus.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 200  # as yamlsafe.MAX_DEPTH


class _Unsupported(Exception):
    """Outside the subset: the caller reads the text with PyYAML."""


UNSUPPORTED: Any = object()  # what parse returns for text outside the subset

_BOOLS = {
    **dict.fromkeys(("yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
}
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_DIGITS = frozenset("0123456789")
_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f"}
_ESCAPES.update({"r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85"})
_ESCAPES.update({"_": "\xa0", "L": "\u2028", "P": "\u2029"})
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


def parse(text: str) -> Any:
    """The document in ``text``, or :data:`UNSUPPORTED` when it is outside the subset."""
    try:
        lines = _lines(text)
        if not lines:
            return None
        value, end = _block(lines, 0, lines[0][0], 0)
        if end != len(lines):
            raise _Unsupported("text after the document")
        return value
    except (_Unsupported, RecursionError):
        return UNSUPPORTED


def _lines(text: str) -> list[tuple[int, str]]:
    """(indent, content) of each line that holds something: comments and blank lines dropped."""
    out = []
    for line in text.split("\n"):
        if line.endswith("\r"):
            line = line[:-1]
        if not line.isprintable() or line.startswith("\ufeff"):
            raise _Unsupported("a tab, a control character or a byte order mark")
        content = line.lstrip(" ")
        if not content or content.startswith("#"):
            continue
        if content.startswith(("---", "...", "%")) and len(line) == len(content):
            raise _Unsupported("a document marker or a directive")
        out.append((len(line) - len(content), content.rstrip(" ")))
    return out


def _block(lines: list, i: int, indent: int, depth: int) -> tuple[Any, int]:
    """The block node starting at line ``i``, whose lines are indented ``indent``."""
    if depth > MAX_DEPTH:
        raise _Unsupported("nested deeper than the limit")
    content = lines[i][1]
    if content == "-" or content.startswith("- "):
        return _sequence(lines, i, indent, depth)
    if _split_key(content) is not None:
        return _mapping(lines, i, indent, depth)
    value = _scalar(content)
    if i + 1 < len(lines) and lines[i + 1][0] > indent:
        raise _Unsupported("a multi-line scalar")
    return value, i + 1


def _sequence(lines: list, i: int, indent: int, depth: int) -> tuple[list, int]:
    items = []
    while i < len(lines) and lines[i][0] == indent and (lines[i][1] == "-" or lines[i][1].startswith("- ")):
        rest = lines[i][1][1:].lstrip(" ")
        if not rest:
            i += 1
            if i < len(lines) and lines[i][0] > indent:
                value, i = _block(lines, i, lines[i][0], depth + 1)
            else:
                value = None
        else:
            column = indent + len(lines[i][1]) - len(rest)
            lines[i] = (column, rest)  # "- key: v": the item is the block that starts at "key"
            value, i = _block(lines, i, column, depth + 1)
        items.append(value)
    if i < len(lines) and lines[i][0] > indent:
        raise _Unsupported("a line indented under a sequence item it does not belong to")
    return items, i


def _mapping(lines: list, i: int, indent: int, depth: int) -> tuple[dict, int]:
    mapping: dict = {}
    while i < len(lines) and lines[i][0] == indent:
        split = _split_key(lines[i][1])
        if split is None:
            raise _Unsupported("a line in a mapping that is not a key")
        key, rest = split
        if key in mapping or not isinstance(key, (str, int, bool)) or key == "<<":
            raise _Unsupported("a duplicate key, a merge key or a key of another type")
        i += 1
        if rest:
            value = _scalar(rest)
            if i < len(lines) and lines[i][0] > indent:
                raise _Unsupported("a multi-line scalar")
        elif i < len(lines) and lines[i][0] > indent:
            value, i = _block(lines, i, lines[i][0], depth + 1)
        elif (
            i < len(lines) and lines[i][0] == indent and (lines[i][1] == "-" or lines[i][1].startswith("- "))
        ):
            value, i = _sequence(lines, i, indent, depth + 1)  # "key:" then "- item" at the key's indent
        else:
            value = None
        mapping[key] = value
    if i < len(lines) and lines[i][0] > indent:
        raise _Unsupported("a line indented deeper than its mapping")
    return mapping, i


def _split_key(content: str) -> tuple[Any, str] | None:
    """``(key, rest)`` of ``key: rest`` or ``key:``; ``None`` when the line is not a mapping entry."""
    if content[0] in "\"'":
        text, end = _quoted(content, 0)
        after = content[end:]
        if after == ":" or after.startswith(": "):
            return text, _strip_comment(after[1:].lstrip(" "))
        return None
    if content[0] in _INDICATORS and not (content[0] == "-" and content[1:2] not in ("", " ")):
        return None
    at = content.find(":")
    while at != -1 and at + 1 < len(content) and content[at + 1] != " ":
        at = content.find(":", at + 1)
    if at == -1:
        return None
    key_text = content[:at].rstrip(" ")
    if " #" in key_text or not key_text:
        raise _Unsupported("a comment or nothing before a colon")
    return _plain(key_text), _strip_comment(content[at + 1 :].lstrip(" "))


def _strip_comment(rest: str) -> str:
    if rest.startswith("#"):
        return ""
    if rest[:1] in ("'", '"', "[", "{"):
        return rest  # the quoted or flow parser finds where it ends
    at = rest.find(" #")
    return rest if at == -1 else rest[:at].rstrip(" ")


def _scalar(text: str) -> Any:
    """One scalar, or a one-line flow collection of scalars, with nothing after it but a comment."""
    first = text[0]
    if first in "\"'":
        value, end = _quoted(text, 0)
        _only_comment(text[end:])
        return value
    if first in "[{":
        value, end = _flow(text)
        _only_comment(text[end:])
        return value
    return _plain(text)


def _only_comment(rest: str) -> None:
    rest = rest.lstrip(" ")
    if rest and not rest.startswith("#"):
        raise _Unsupported("text after a quoted scalar or a flow collection")


def _plain(text: str) -> Any:
    """A plain scalar, resolved as PyYAML's safe loader resolves it (or unsupported)."""
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    first = text[0]
    if first == "-" and (text.startswith("---") or len(text) < 2 or text[1] in " 0123456789.+"):
        raise _Unsupported("a negative number, a document marker or a lone dash")
    if first in _INDICATORS and first != "-":
        raise _Unsupported("a plain scalar that starts with an indicator")
    if ": " in text or text.endswith(":") or " #" in text:
        raise _Unsupported("a colon or a comment inside a plain scalar")
    if first in _DIGITS or first in "+.":
        if text.isdigit() and (text == "0" or (first != "0" and len(text) <= 18)):
            return int(text)
        if any(c in _DIGITS for c in text[:2]):
            raise _Unsupported("a number, a date or a time PyYAML would resolve")
    if text in (".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN") or text.startswith(("=", "<<")):
        raise _Unsupported("a float, a value tag or a merge key")
    return text


def _quoted(text: str, start: int) -> tuple[str, int]:
    """A single- or double-quoted scalar that ends on this line; ``(value, index after it)``."""
    quote = text[start]
    out = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == quote:
            if quote == "'" and text[i + 1 : i + 2] == "'":
                out.append("'")
                i += 2
                continue
            return "".join(out), i + 1
        if char == "\\" and quote == '"':
            code = text[i + 1 : i + 2]
            if code in _ESCAPES:
                out.append(_ESCAPES[code])
                i += 2
                continue
            width = _HEX_ESCAPES.get(code)
            digits = text[i + 2 : i + 2 + width] if width else ""
            if not width or len(digits) != width or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise _Unsupported("an escape PyYAML reads otherwise")
            out.append(chr(int(digits, 16)))
            i += 2 + width
            continue
        out.append(char)
        i += 1
    raise _Unsupported("a quoted scalar that goes on past its line")


def _flow(text: str) -> tuple[Any, int]:
    """``[a, "b"]`` or ``{k: v}`` of scalars on one line; ``(value, index after it)``."""
    opening = text[0]
    closing = "]" if opening == "[" else "}"
    items: list = []
    pairs: dict = {}
    i = 1
    while True:
        while i < len(text) and text[i] == " ":
            i += 1
        if i >= len(text):
            raise _Unsupported("a flow collection that goes on past its line")
        if text[i] == closing and not (items or pairs):
            return ([] if opening == "[" else {}), i + 1
        key, i = _flow_scalar(text, i)
        if opening == "{":
            if text[i : i + 2] != ": ":
                raise _Unsupported("a flow mapping entry without a value")
            value, i = _flow_scalar(text, i + 2)
            if key in pairs:
                raise _Unsupported("a duplicate key")
            pairs[key] = value
        else:
            items.append(key)
        while i < len(text) and text[i] == " ":
            i += 1
        if text[i : i + 1] == ",":
            i += 1
            continue
        if text[i : i + 1] == closing:
            return (items if opening == "[" else pairs), i + 1
        raise _Unsupported("a flow collection of another shape")


def _flow_scalar(text: str, i: int) -> tuple[Any, int]:
    while i < len(text) and text[i] == " ":
        i += 1
    if i < len(text) and text[i] in "\"'":
        return _quoted(text, i)
    end = i
    while end < len(text) and text[end] not in ",]}" and text[end : end + 2] != ": ":
        end += 1
    raw = text[i:end].rstrip(" ")
    if not raw or raw[0] in "[{" or raw.endswith(":") or "#" in raw:
        raise _Unsupported("a nested, empty or unusual flow scalar")
    return _plain(raw), end
