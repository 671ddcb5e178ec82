"""Text from outside (servers, files, libraries) made fit for one line of stderr, with no secret in it.

URL userinfo is removed wherever a URL appears, and every credential this process sends (registered by
:mod:`.credentials` with :func:`remember_secret`) is replaced by ``***``: a server or proxy that echoes
the Authorization header in an error body cannot make the plugin print it.
"""

from __future__ import annotations

import re
import threading

# scheme://userinfo@host: a password in a server or proxy URL (https://admin:PASS@host) is never shown
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/?#\s]*@")
_MIN_SECRET = 6  # shorter values would blank ordinary words; no real credential is that short
_secrets: list[str] = []  # longest first; the one process-wide list of values never to print
_lock = threading.Lock()


def remember_secret(value: str) -> None:
    """Never print ``value`` (a token, a password, an Authorization header) from now on."""
    if len(value) < _MIN_SECRET:
        return
    with _lock:
        if value not in _secrets:
            _secrets.append(value)
            _secrets.sort(key=len, reverse=True)


def redact_url(text: str) -> str:
    """``https://admin:PASS@host`` -> ``https://***@host``, wherever a URL sits in ``text``."""
    return _USERINFO.sub(r"\1***@", str(text))


def redact(text: str) -> str:
    """``text`` without URL userinfo and without any remembered secret."""
    text = redact_url(text)
    for secret in list(_secrets):
        if secret in text:
            text = text.replace(secret, "***")
    return text


def one_line(text: str, limit: int = 300) -> str:
    """Whitespace runs folded to one space, secrets and URL userinfo removed, cut at ``limit`` characters."""
    text = redact(" ".join(str(text).split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"
