"""Text from outside (servers, files, libraries) made fit for one line of stderr, URL userinfo removed."""

from __future__ import annotations

import re

# scheme://userinfo@host: a password in a server or proxy URL (https://admin:PASS@host) is never shown
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/?#\s]*@")


def redact_url(text: str) -> str:
    """``https://admin:PASS@host`` -> ``https://***@host``, wherever a URL sits in ``text``."""
    return _USERINFO.sub(r"\1***@", str(text))


def one_line(text: str, limit: int = 300) -> str:
    """Whitespace runs folded to one space, URL userinfo removed, cut at ``limit`` characters."""
    text = redact_url(" ".join(str(text).split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"
