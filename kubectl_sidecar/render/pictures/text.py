"""Text from a cluster or a file, made safe for XML (SVG and HTML): every picture's one escaper.

Nothing is dropped: controls, bidi characters and lone surrogates are first made visible by the
terminal sanitiser (``^[``, ``\\u202e``), so no character XML 1.0 forbids (C0 controls, lone surrogates)
reaches the page; the two non-characters U+FFFE and U+FFFF are shown the same way. Then ``&``, ``<``,
``>`` and both quotes are escaped, so the result is safe in element text and in attribute values.
"""

from __future__ import annotations

import re

from kubectl_sidecar.textsafe import terminal_safe

_NON_XML = re.compile("[\ufffe\uffff]")
_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})


def xml_escape(text: object, *, lines: bool = False) -> str:
    """``text`` (any value, as ``str``) safe in XML text and attributes; with ``lines``, its line feeds
    are kept (for ``<pre>`` and pre-wrapped cells), every line escaped on its own."""
    if lines:
        return "\n".join(xml_escape(line) for line in str(text).split("\n"))
    visible = terminal_safe(str(text))
    visible = _NON_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", visible)
    return visible.translate(_ENTITIES)
