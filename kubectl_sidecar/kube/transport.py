"""HTTP to one API server: the plugin's own HTTP/1.1 for direct connections, urllib3 behind a proxy.

A ``timeline`` spends more time importing an HTTP library than talking to the server: urllib3 costs
about 130 million instructions to import (some 18 ms) on top of ``http.client`` and ``ssl``, and
``http.client`` itself some 10 ms more for the ``email`` package it parses headers with. So a direct
connection (the common case) goes through :class:`StdlibTransport`: :mod:`.http11` connections over the
standard library's sockets and ``ssl``, kept alive in a small pool, one ``ssl.SSLContext``, the server
name for ``tls-server-name``. A proxy (``proxy-url``, ``HTTPS_PROXY``; SOCKS5 with PySocks) goes through
:class:`Urllib3Transport`, which imports urllib3 only then.

Both speak the session's :class:`Transport` protocol and raise only the :class:`TransportError` kinds
below, so the session maps failures to sentences without importing either library's exceptions. Neither
retries, follows redirects or decodes a body: the session does what it wants of that itself.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

from kubectl_sidecar.kube import http11
from kubectl_sidecar.kube.wire import attach_to_watchdog


class TransportError(Exception):
    """A request failed below HTTP; ``cause`` is the library's own exception (for its words)."""

    def __init__(self, cause: BaseException | str) -> None:
        super().__init__(str(cause))
        self.cause = cause


class TlsFailure(TransportError):
    """The TLS handshake failed (certificate verification, unreadable key or certificate data)."""


class Unreachable(TransportError):
    """No connection: refused, no such host, no route."""


class ConnectTimedOut(TransportError):
    """Connecting took longer than allowed."""


class ReadTimedOut(TransportError):
    """The server stopped sending within the time allowed."""


class Dropped(TransportError):
    """The connection ended early: reset, closed without an answer, an answer cut short."""


class ProxyFailure(TransportError):
    """The proxy refused or failed."""


class BadAddress(TransportError):
    """The URL cannot be used (a malformed host or port)."""


Timeout = tuple  # (connect seconds, read seconds or None)


# ------------------------------------------------------------------------------------------- stdlib


class _Response:
    """An :mod:`.http11` response in the session's terms; gives its connection back when read."""

    def __init__(self, raw: Any, connection: Any, pool: StdlibTransport, key: tuple) -> None:
        self._raw = raw
        self._connection = connection
        self._pool = pool
        self._key = key
        self.status = raw.status
        self.headers = raw.headers  # http11.Headers: case-insensitive get

    def read(self, amt: int, decode_content: bool | None = None) -> bytes:
        """Up to ``amt`` bytes of the body as sent (never decoded)."""
        try:
            return self._raw.read(amt)
        except Exception as err:  # noqa: BLE001 - every failure of a read becomes one of ours
            raise _read_failure(err) from None

    def stream(self, amt: int, decode_content: bool = False) -> Iterator[bytes]:
        """Chunks as they arrive (``read1``: one receive at most), for watch streams."""
        while True:
            try:
                chunk = self._raw.read1(amt)
            except Exception as err:  # noqa: BLE001
                raise _read_failure(err) from None
            if not chunk:
                return
            yield chunk

    def release_conn(self) -> None:
        """Keep the connection for the next request when the body was read whole; else close it."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if self._raw.isclosed() and not self._raw.will_close:
            self._pool._put(self._key, connection)
        else:
            self._raw.close()
            connection.close()

    def shutdown(self) -> None:
        """End a read blocked in another thread (a watch being stopped)."""
        sock = getattr(self._connection, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _dropped(connection: Any) -> bool:
    """Has the server closed an idle kept-alive connection (it is readable: EOF or stray bytes)?"""
    import select

    sock = connection.sock
    if sock is None:
        return True
    try:
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


def _read_failure(err: BaseException) -> TransportError:
    if isinstance(err, (socket.timeout, TimeoutError)):
        return ReadTimedOut(err)
    return Dropped(err)


class StdlibTransport:
    """GETs over :mod:`.http11` with keep-alive connections (at most ``maxsize`` idle per server)."""

    def __init__(
        self, context: ssl.SSLContext | None, server_name: str | None = None, maxsize: int = 8
    ) -> None:
        self._context = context
        self._server_name = server_name
        self._maxsize = maxsize
        self._idle: dict[tuple, list] = {}
        self._lock = threading.Lock()

    def _put(self, key: tuple, connection: Any) -> None:
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < self._maxsize:
                idle.append(connection)
                return
        connection.close()

    def _take(self, key: tuple) -> Any:
        """An idle connection the server has not closed meanwhile (as urllib3 checks), or ``None``."""
        while True:
            with self._lock:
                idle = self._idle.get(key)
                connection = idle.pop() if idle else None
            if connection is None or not _dropped(connection):
                return connection
            connection.close()

    def _new(self, scheme: str, host: str, port: int, connect: float) -> http11.Connection:
        context = None
        if scheme == "https":
            context = self._context if self._context is not None else ssl.create_default_context()
        return http11.Connection(host, port, context=context, server_name=self._server_name, timeout=connect)

    def request(
        self,
        method: str,
        url: str,
        *,
        fields: list | None = None,
        headers: list | None = None,
        timeout: Timeout = (30.0, None),
    ) -> _Response:
        """Send one request; the response's body is left to read."""
        try:
            parts = urlsplit(url)
            scheme, host, port = parts.scheme, parts.hostname or "", parts.port
        except ValueError as err:
            raise BadAddress(err) from None
        port = port or (443 if scheme == "https" else 80)
        target = (parts.path or "/") + (f"?{urlencode(fields)}" if fields else "")
        key = (scheme, host, port)
        connect, read = timeout
        connection = self._take(key)
        reused = connection is not None
        if connection is None:
            connection = self._new(scheme, host, port, connect)
        try:
            if connection.sock is None:
                self._connect(connection, connect)
            attach_to_watchdog(connection)  # from here a deadline shuts the socket down
            assert connection.sock is not None
            connection.sock.settimeout(read)
            raw = connection.request(method, target, headers or [])  # Host, Accept-Encoding: identity
        except TransportError:
            connection.close()
            raise
        except (socket.timeout, TimeoutError) as err:
            connection.close()
            raise ReadTimedOut(err) from None
        except ssl.SSLError as err:
            connection.close()
            raise (Dropped(err) if reused else TlsFailure(err)) from None
        except (http11.ProtocolError, OSError) as err:
            connection.close()
            raise Dropped(err) from None  # a kept-alive connection the server had closed, garbage
        except ValueError as err:
            connection.close()
            raise BadAddress(err) from None  # a target or header that cannot be sent
        return _Response(raw, connection, self, key)

    def _connect(self, connection: http11.Connection, timeout: float) -> None:
        """Connect (and shake hands, checking the certificate against ``tls-server-name`` when given)."""
        connection.timeout = timeout
        try:
            connection.connect()
        except (socket.timeout, TimeoutError) as err:
            raise ConnectTimedOut(err) from None
        except ssl.SSLError as err:  # certificate verification included
            raise TlsFailure(err) from None
        except socket.gaierror as err:
            raise Unreachable(f"failed to resolve: {err}") from None
        except OSError as err:  # refused, no route
            raise Unreachable(err) from None

    def clear(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()


# ------------------------------------------------------------------------------------------- urllib3


class _Urllib3Response:
    """A urllib3 response in the session's terms (its exceptions mapped to ours)."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self.status = raw.status
        self.headers = raw.headers

    def read(self, amt: int, decode_content: bool | None = None) -> bytes:
        try:
            return self._raw.read(amt, decode_content=False)
        except Exception as err:  # noqa: BLE001
            raise _urllib3_read_failure(err) from None

    def stream(self, amt: int, decode_content: bool = False) -> Iterator[bytes]:
        try:
            yield from self._raw.stream(amt, decode_content=False)
        except Exception as err:  # noqa: BLE001
            raise _urllib3_read_failure(err) from None

    def release_conn(self) -> None:
        self._raw.release_conn()

    def shutdown(self) -> None:
        shutdown = getattr(self._raw, "shutdown", None)  # urllib3 2.3+
        if shutdown is not None:
            shutdown()
            return
        sock = getattr(getattr(self._raw, "_connection", None), "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _urllib3_read_failure(err: BaseException) -> TransportError:
    import urllib3.exceptions as ux

    if isinstance(err, (ux.ReadTimeoutError, socket.timeout, TimeoutError)):
        return ReadTimedOut(err)
    return Dropped(err)


class Urllib3Transport:
    """GETs through a urllib3 pool manager (a proxy, HTTP or SOCKS5), its failures mapped to ours."""

    def __init__(self, pool: Any) -> None:
        from kubectl_sidecar.kube.wire import track_connections

        self._pool = track_connections(pool)

    def request(
        self,
        method: str,
        url: str,
        *,
        fields: list | None = None,
        headers: list | None = None,
        timeout: Timeout = (30.0, None),
    ) -> _Urllib3Response:
        import urllib3
        import urllib3.exceptions as ux

        try:
            from urllib3 import HTTPHeaderDict
        except ImportError:  # urllib3 1.x
            from urllib3._collections import HTTPHeaderDict
        sent = HTTPHeaderDict()
        for name, value in headers or []:
            sent.add(name, value)
        connect, read = timeout
        try:
            raw = self._pool.request(
                method,
                url,
                fields=fields or None,
                headers=sent,
                timeout=urllib3.Timeout(connect=connect, read=read),
                preload_content=False,
                decode_content=False,
                retries=False,
                redirect=False,
            )
        except ux.SSLError as err:
            raise TlsFailure(err) from None
        except ux.ProxyError as err:
            raise ProxyFailure(getattr(err, "original_error", err)) from None
        except ux.NewConnectionError as err:  # refused, unreachable, no such host
            raise Unreachable(err) from None
        except ux.ConnectTimeoutError as err:
            raise ConnectTimedOut(err) from None
        except ux.ReadTimeoutError as err:
            raise ReadTimedOut(err) from None
        except ux.LocationParseError as err:
            raise BadAddress(err) from None
        except (ux.ProtocolError, ConnectionError) as err:
            raise Dropped(err) from None
        except (ux.HTTPError, OSError, ValueError) as err:
            raise Dropped(err) from None
        return _Urllib3Response(raw)

    def clear(self) -> None:
        self._pool.clear()
