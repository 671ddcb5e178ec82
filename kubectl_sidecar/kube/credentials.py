"""Who the requests say they are: the Authorization and impersonation headers of one connection.

Static credentials (``--token``, ``token``, ``tokenFile``, ``username``/``password``, userinfo in the
server URL, an unexpired ``oidc`` id-token) are handled here with the standard library; exec credential
plugins and the library's auth-providers come through :mod:`.clientconfig`, which alone imports the
kubernetes package. Every header value is checked before it is sent: a line break, another control
character or a character outside Latin-1 is a :class:`ConfigError` that names the field, never its value.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from kubectl_sidecar.errors import ConfigError
from kubectl_sidecar.kube.text import remember_secret

TOKEN_FILE_PERIOD = 60.0  # a tokenFile is read again after a minute, as client-go does (rotated tokens)
EXPIRY_MARGIN = 10.0  # seconds: a token this close to its expiry counts as expired (client-go's oidc)


def check_header_value(value: str, field: str) -> str:
    """``value`` if it can be an HTTP header value, else a ConfigError naming ``field`` (not the value)."""
    for char in value:
        code = ord(char)
        if char in "\r\n":
            raise ConfigError(f"{field} holds a line break, which an HTTP header cannot carry")
        if code < 32 or code == 127:
            raise ConfigError(
                f"{field} holds a control character (U+{code:04X}), which an HTTP header cannot carry"
            )
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise ConfigError(
            f"{field} holds a character outside Latin-1, which an HTTP header cannot carry"
        ) from None
    return value


def _sendable(value: str, field: str) -> str:
    """An Authorization header value, checked, and remembered so that no error sentence shows it."""
    check_header_value(value, field)
    remember_secret(value)
    remember_secret(value.partition(" ")[2])
    return value


def basic_authorization(username: str, password: str) -> str:
    remember_secret(password)
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


class Credentials:
    """The Authorization header of a connection, thread-safe; refreshed under a lock when it expires.

    Sources, first one set wins: a fixed header value (a token, basic auth, an oidc id-token), a token
    file (read again every minute), or a ``fetch`` callable (an exec plugin or a library auth-provider)
    returning ``(token, expiry)``. ``field`` names the source in error sentences.
    """

    def __init__(
        self,
        *,
        authorization: str | None = None,
        token_file: str | None = None,
        fetch: Callable[[], tuple[str | None, float | None]] | None = None,
        field: str = "the token",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._fixed = _sendable(authorization, field) if authorization else None
        self._token_file = token_file
        self._fetch = fetch
        self.field = field
        self._clock = clock
        self._lock = threading.Lock()
        self._current: str | None = None
        self._expires: float | None = None  # when _current must be fetched again (clock time)
        if token_file or fetch is not None:
            self._refresh()  # fails now, before any request, when the source is broken

    @property
    def present(self) -> bool:
        return bool(self._fixed or self._token_file or self._fetch)

    def __repr__(self) -> str:
        return f"Credentials({self.field})" if self.present else "Credentials(none)"

    def authorization(self) -> str | None:
        """The Authorization header value, or None."""
        if self._fixed is not None or (self._token_file is None and self._fetch is None):
            return self._fixed
        with self._lock:  # an expired token is fetched once, not once per thread
            if self._expires is not None and self._clock() >= self._expires:
                self._refresh()
            return self._current

    def _refresh(self) -> None:
        token: str | None
        if self._token_file is not None:
            token = read_token_file(self._token_file, self.field)
            expires: float | None = self._clock() + TOKEN_FILE_PERIOD
        else:
            assert self._fetch is not None
            token, expires = self._fetch()
            if expires is not None:
                expires -= EXPIRY_MARGIN
        self._current = _sendable(f"Bearer {token}", self.field) if token else None
        self._expires = expires


def read_token_file(path: str, field: str) -> str:
    """A token file's content without surrounding whitespace (client-go trims it too)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(1024 * 1024 + 1)
    except OSError as err:
        raise ConfigError(f"{field} cannot be read: {err.strerror or type(err).__name__}") from None
    if len(data) > 1024 * 1024:
        raise ConfigError(f"{field} is larger than 1 MiB: not a token")
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ConfigError(f"{field} is not UTF-8 text") from None


# ------------------------------------------------------------------------------------------ oidc


def oidc_authorization(config: dict, who: str, now: float | None = None) -> str:
    """The bearer header of an ``oidc`` auth-provider whose id-token has not expired (by its ``exp``).

    An expired one is refused, never refreshed: refreshing means writing the new tokens back into the
    kubeconfig (which this plugin never does), and identity providers that rotate refresh tokens would
    invalidate the stored one. kubectl refreshes and saves it; kubelogin replaces the provider.
    """
    now = time.time() if now is None else now
    field = f'the oidc id-token of user "{who}"'
    token = config.get("id-token")
    advice = (
        "run any kubectl command with this context to refresh it (kubectl saves the new token), or "
        "use kubelogin; kubectl-sidecar never writes the kubeconfig"
    )
    if not isinstance(token, str) or not token:
        raise ConfigError(f'the oidc auth-provider of user "{who}" holds no id-token: {advice}')
    expiry = _jwt_expiry(token, field)
    if expiry is None or expiry - EXPIRY_MARGIN <= now:
        when = ""
        if expiry is not None:
            stamp = datetime.fromtimestamp(expiry, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            when = f" at {stamp}"
        what = "has expired" + when if expiry is not None else "carries no expiry (exp), so counts as expired"
        raise ConfigError(f"{field} {what}: {advice}")
    return _sendable(f"Bearer {token}", field)


def _jwt_expiry(token: str, field: str) -> float | None:
    parts = token.split(".")
    if len(parts) != 3:
        raise ConfigError(f"{field} is not a JWT (three dot-separated parts)")
    try:
        payload: Any = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        raise ConfigError(f"{field} is not a JWT whose claims can be read") from None
    exp = payload.get("exp") if isinstance(payload, dict) else None
    if isinstance(exp, bool) or not isinstance(exp, (int, float)) or not math.isfinite(exp):
        return None
    return float(min(exp, 253402300799))  # the end of year 9999: any later expiry is as good


# ------------------------------------------------------------------------------------------ exec output


def parse_expiry(value: object, field: str) -> float | None:
    """An ExecCredential's ``expirationTimestamp`` (RFC 3339) as clock time; absent: None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"the expirationTimestamp of {field} is not a string")
    try:
        stamp = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ConfigError(f"the expirationTimestamp of {field} is not an RFC 3339 time") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp.timestamp()
