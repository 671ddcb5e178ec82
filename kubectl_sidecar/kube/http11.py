"""The HTTP/1.1 the plugin speaks to an API server: GET requests, responses read as bytes.

``http.client`` costs a live ``timeline`` about 10 ms before its first request: it imports the ``email``
package (parser, policies, header registry, ``random``, ``calendar``, ``locale``) to parse a dozen
response headers. This module is what the plugin needs of it and nothing more: one connection over a
socket (TLS from the caller's ``ssl.SSLContext``), a request line and headers out, and a response read
back with HTTP/1.1's framing (RFC 9112 section 6): ``Transfer-Encoding: chunked``, ``Content-Length``, or
until the server closes; ``Connection: close`` and HTTP/1.0 noted; interim 1xx answers skipped.

Bounded as ``http.client`` is: a status or header line of at most 64 KiB, at most 100 headers, a chunk
size line of at most 64 KiB; the body itself is bounded by the caller (``wire.read_body``). Every
failure is an ``OSError`` (from the socket), an ``ssl.SSLError``, or one of the two errors below, named
as ``http.client`` names them, so :func:`~.apierrors.drop_reason` words them the same.
"""

from __future__ import annotations

import socket
import ssl
from typing import Any

MAX_LINE = 65536  # bytes in a status, header or chunk-size line (http.client's _MAXLINE)
MAX_HEADERS = 100  # header lines in one response (http.client's _MAXHEADERS)
_FORBIDDEN_IN_TARGET = frozenset(chr(c) for c in (*range(0x21), 0x7F))


class ProtocolError(Exception):
    """The server's answer is not HTTP/1.1 the plugin can read (a status line, a header, a framing)."""


class RemoteDisconnected(ProtocolError, ConnectionResetError):
    """The server closed the connection before answering (a kept-alive connection it had dropped)."""


class IncompleteRead(ProtocolError):
    """The body ended before its framing said it would: the answer was cut short."""

    def __init__(self, got: int, expected: int | None = None) -> None:
        more = f", {expected} more expected" if expected is not None else ""
        super().__init__(f"IncompleteRead({got} bytes read{more})")


class Headers:
    """Response headers: ``get`` by any case, the first value of a repeated header."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs
        self._first: dict[str, str] = {}
        for name, value in pairs:
            self._first.setdefault(name.lower(), value)

    def get(self, name: str, default: Any = None) -> Any:
        return self._first.get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._first

    def items(self) -> list[tuple[str, str]]:
        return list(self._pairs)


class Connection:
    """One HTTP/1.1 connection to ``host:port``; TLS when a ``context`` is given. ``sock`` is ``None``
    until :meth:`connect` (the watchdog and the pool read it); one request at a time."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        context: ssl.SSLContext | None = None,
        server_name: str | None = None,
        timeout: float | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.context = context
        self.server_name = server_name
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self._file: Any = None

    def connect(self) -> None:
        """Open the socket (``timeout`` for the connection and the handshake), then shake hands."""
        address = (_name(self.host), self.port)  # bytes pass to getaddrinfo as they are (typeshed: str)
        sock = socket.create_connection(address, self.timeout)  # type: ignore[arg-type]
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.context is not None:
                sock = self.context.wrap_socket(sock, server_hostname=_name(self.server_name or self.host))
        except BaseException:
            sock.close()
            raise
        self.sock = sock
        self._file = sock.makefile("rb")

    def request(self, method: str, target: str, headers: list[tuple[str, str]]) -> Response:
        """Send one request (no body) and read the answer's status line and headers."""
        if self.sock is None:
            self.connect()
        if not target.startswith("/") or any(c in _FORBIDDEN_IN_TARGET for c in target):
            raise ValueError("the request target holds characters a URL cannot carry")
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self._host_header()}", "Accept-Encoding: identity"]
        for name, value in headers:
            if any(c in "\r\n\0" for c in name + value) or not name or ":" in name:
                raise ValueError(f"header {name!r} cannot be sent")
            lines.append(f"{name}: {value}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        assert self.sock is not None
        self.sock.sendall(data)
        return self._response()

    def _host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.context is not None else 80
        return host if self.port == default else f"{host}:{self.port}"

    def _response(self) -> Response:
        while True:
            line = self._line("status line")
            if not line:
                raise RemoteDisconnected(
                    "RemoteDisconnected: the server closed the connection without answering"
                )
            if not line.endswith(b"\n"):
                raise IncompleteRead(0)  # the connection ended inside the status line
            version, status = _status(line)
            headers = self._headers()
            if 100 <= status < 200 and status != 101:
                continue  # an interim answer (100 Continue, 103 Early Hints): the real one follows
            return Response(self, version, status, headers)

    def _line(self, what: str) -> bytes:
        line = self._file.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise ProtocolError(f"{what} longer than {MAX_LINE} bytes")
        return bytes(line)

    def _headers(self) -> Headers:
        pairs: list[tuple[str, str]] = []
        while True:
            line = self._line("header line")
            if line in (b"\r\n", b"\n"):
                return Headers(pairs)
            if not line.endswith(b"\n"):
                raise IncompleteRead(0)  # the connection ended inside the headers
            if len(pairs) >= MAX_HEADERS:
                raise ProtocolError(f"got more than {MAX_HEADERS} headers")
            text = line.decode("latin-1").rstrip("\r\n")
            if text[:1] in (" ", "\t") and pairs:  # an obsolete folded line continues the last value
                name, value = pairs[-1]
                pairs[-1] = (name, f"{value} {text.strip()}")
                continue
            name, colon, value = text.partition(":")
            if not colon or not name or name != name.strip():
                raise ProtocolError("a malformed header line")
            pairs.append((name, value.strip()))

    def close(self) -> None:
        sock, self.sock = self.sock, None
        file, self._file = self._file, None
        for part in (file, sock):
            if part is not None:
                try:
                    part.close()
                except OSError:
                    pass


def _name(host: str) -> str | bytes:
    """A host name as ``socket`` and ``ssl`` take it: an ASCII name as bytes, which they use as it is
    (a str goes through the ``idna`` codec, whose import, with ``stringprep`` and ``unicodedata``, costs
    2 ms; for an ASCII name it changes nothing), any other as text for the codec."""
    return host.encode("ascii") if host.isascii() else host


def _status(line: bytes) -> tuple[str, int]:
    """``HTTP/1.1 200 OK`` -> (``HTTP/1.1``, 200)."""
    parts = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    if len(parts) < 2 or parts[0] not in ("HTTP/1.1", "HTTP/1.0") or not parts[1].isdigit():
        raise ProtocolError(f"not an HTTP/1.1 status line: {line[:40]!r}")
    status = int(parts[1])
    if not 100 <= status <= 999 or len(parts[1]) != 3:
        raise ProtocolError(f"not an HTTP status: {parts[1][:10]!r}")
    return parts[0], status


class Response:
    """An answer whose body is read as sent: :meth:`read` (up to ``amt`` bytes, ``b""`` at the end) or
    :meth:`read1` (what one receive brings, for watch streams). The body is never decoded."""

    def __init__(self, connection: Connection, version: str, status: int, headers: Headers) -> None:
        self._connection = connection
        self._file = connection._file
        self.status = status
        self.headers = headers
        self.will_close = version == "HTTP/1.0" or "close" in _tokens(headers.get("Connection"))
        if version == "HTTP/1.0" and "keep-alive" in _tokens(headers.get("Connection")):
            self.will_close = False
        codings = _tokens(headers.get("Transfer-Encoding"))
        self._chunked = bool(codings)
        if codings and codings[-1] != "chunked":
            raise ProtocolError("a Transfer-Encoding that does not end in chunked")
        self._left: int | None = None  # bytes left: of the body (Content-Length) or of this chunk
        self._read_so_far = 0
        self._done = status in (204, 304)
        if not self._chunked and not self._done:
            length = headers.get("Content-Length")
            if length is not None:
                values = {v.strip() for v in str(length).split(",")}
                if len(values) != 1 or not next(iter(values)).isdigit():
                    raise ProtocolError("a Content-Length that is not a number")
                self._left = int(values.pop())
                self._done = self._left == 0
            else:
                self.will_close = True  # the body ends when the server closes the connection

    def isclosed(self) -> bool:
        """Has the whole body been read?"""
        return self._done

    def read(self, amt: int) -> bytes:
        """Up to ``amt`` bytes of the body; ``b""`` once it is read whole (the caller bounds the total)."""
        return self._take(amt, self._file.read)

    def read1(self, amt: int) -> bytes:
        """At most ``amt`` bytes, with at most one receive: what has arrived (watch streams)."""
        return self._take(amt, self._file.read1)

    def _take(self, amt: int, reader: Any) -> bytes:
        if self._done or amt <= 0:
            return b""
        if self._chunked:
            if not self._left:
                self._left = self._next_chunk()
                if self._left == 0:
                    return b""
            data = reader(min(amt, self._left))
            if not data:
                raise IncompleteRead(self._read_so_far, self._left)
            self._left -= len(data)
            if self._left == 0 and self._line("chunk end") not in (b"\r\n", b"\n"):
                raise ProtocolError("a chunk that does not end where its size says")
        elif self._left is not None:
            data = reader(min(amt, self._left))
            if not data:
                raise IncompleteRead(self._read_so_far, self._left)
            self._left -= len(data)
            self._done = self._left == 0
        else:
            data = reader(amt)
            self._done = not data
        self._read_so_far += len(data)
        return bytes(data)

    def _next_chunk(self) -> int:
        """The size of the next chunk; at the last (0), the trailers are read and the body is done."""
        line = self._line("chunk size line")
        if not line:
            raise IncompleteRead(self._read_so_far)
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise ProtocolError(f"a chunk size that is not a number: {size_text[:20]!r}") from None
        if size < 0 or not size_text.isalnum():
            raise ProtocolError("a negative chunk size")
        if size == 0:
            for _ in range(MAX_HEADERS + 1):
                trailer = self._line("trailer line")
                if trailer in (b"\r\n", b"\n", b""):
                    break
            else:
                raise ProtocolError(f"got more than {MAX_HEADERS} trailers")
            self._done = True
        return size

    def _line(self, what: str) -> bytes:
        return self._connection._line(what)

    def close(self) -> None:
        """Give up on the body: the connection cannot be used again."""
        self._done = True
        self.will_close = True
        self._connection.close()


def _tokens(value: Any) -> list[str]:
    """The comma-separated tokens of a header value, lower case (``Connection``, ``Transfer-Encoding``)."""
    return [token.strip().lower() for token in str(value or "").split(",") if token.strip()]
