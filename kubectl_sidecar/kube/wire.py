"""The bytes of one request, bounded: a deadline for the whole request, capped bodies, safe JSON decoding.

- **Deadline.** ``--request-timeout`` (else :data:`DEFAULT_REQUEST_SECONDS`) bounds a request from its
  first attempt to the last byte of its body, as kubectl's does: socket timeouts alone bound only each
  ``recv``, so a server trickling a byte every 0.3 s would never time out. :class:`Watchdog` shuts the
  connection's socket down when the deadline passes, which ends a read blocked anywhere (connect, status
  line, headers, body). It finds the connection through :func:`track_connections`, which makes every
  connection of a urllib3 pool manager record itself, per thread, when it sends a request.
- **Bytes.** A body is read in chunks up to :data:`MAX_RESPONSE_BYTES`, never decoded: the plugin asks
  for no ``Content-Encoding``, so an answer that has one (a gzip bomb) is refused, not inflated. A watch
  line is capped at :data:`MAX_WATCH_LINE_BYTES`, and lines are split without copying the buffer
  again for each chunk.
- **JSON.** Nesting too deep for the parser and numbers too long to convert are errors in words, never a
  ``RecursionError`` or a ``ValueError`` escaping as an internal error.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

from kubectl_sidecar.errors import ApiError

DEFAULT_REQUEST_SECONDS = 60.0  # a request's deadline when --request-timeout is not given (kubectl: none)
MAX_TIMEOUT_SECONDS = 10 * 365 * 24 * 3600.0  # socket and timer calls overflow far beyond this
MAX_RESPONSE_BYTES = 128 * 1024 * 1024  # one answer (a list page of 500 pods is usually 1-20 MiB)
MAX_WATCH_LINE_BYTES = 16 * 1024 * 1024  # one watch event (etcd stores objects of at most 1.5 MiB)
CHUNK = 256 * 1024

_GUARD = threading.local()  # the Watchdog of the request this thread is making


class Deadline:
    """The end of one request, as a monotonic time; ``seconds`` is what the user asked for."""

    def __init__(self, seconds: float, clock: Any = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self.end = clock() + min(seconds, MAX_TIMEOUT_SECONDS)

    def remaining(self) -> float:
        return self.end - self._clock()

    @property
    def passed(self) -> bool:
        return self.remaining() <= 0


class DeadlinePassed(Exception):
    """The deadline of a request passed (the watchdog shut its connection down, or none was left)."""


class Watchdog:
    """Shuts down the socket of the request made in this thread when ``deadline`` passes.

    ``with Watchdog(deadline): ...`` around sending the request and reading its body. ``fired`` says
    whether it had to: a read that failed because of it is a timeout, not a dropped connection.
    """

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self.connection: Any = None  # set by the tracked connection when the request is sent
        self.fired = False
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def __enter__(self) -> Watchdog:
        _GUARD.current = self
        remaining = self.deadline.remaining()
        if remaining <= 0:
            self.fired = True
            raise DeadlinePassed()
        self._timer = threading.Timer(remaining, self._fire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        _GUARD.current = None
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self.connection = None

    def attach(self, connection: Any) -> None:
        with self._lock:
            self.connection = connection
            fired = self.fired
        if fired:
            _shut(connection)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            connection = self.connection
        if connection is not None:
            _shut(connection)


def attach_to_watchdog(connection: Any) -> None:
    """Tell this thread's :class:`Watchdog` (if any) which connection its request uses."""
    guard = getattr(_GUARD, "current", None)
    if guard is not None:
        guard.attach(connection)


def _shut(connection: Any) -> None:
    sock = getattr(connection, "sock", None)
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _tracking(conn_cls: Any) -> Any:
    """A subclass of a urllib3 connection class whose ``request`` attaches it to this thread's watchdog."""

    def request(self: Any, *args: Any, **kwargs: Any) -> Any:
        attach_to_watchdog(self)
        return conn_cls.request(self, *args, **kwargs)

    return type(f"Tracked{conn_cls.__name__}", (conn_cls,), {"request": request})


def track_connections(pool_manager: Any) -> Any:
    """Make each connection of ``pool_manager`` tell this thread's :class:`Watchdog` it is in use.

    Works on any urllib3 pool manager (direct, proxy, SOCKS) by subclassing the pool classes it uses;
    anything else (a fake transport in tests) is returned as it is.
    """
    classes = getattr(pool_manager, "pool_classes_by_scheme", None)
    if not isinstance(classes, dict):
        return pool_manager
    tracked = {}
    for scheme, pool_cls in classes.items():
        connection_cls = _tracking(pool_cls.ConnectionCls)
        tracked[scheme] = type(f"Tracked{pool_cls.__name__}", (pool_cls,), {"ConnectionCls": connection_cls})
    pool_manager.pool_classes_by_scheme = tracked
    return pool_manager


def check_encoding(headers: Any, what: str) -> None:
    """Refuse a body in an encoding the plugin never asked for (it sends no Accept-Encoding)."""
    encoding = str(headers.get("Content-Encoding") or "").strip().lower()
    if encoding and encoding != "identity":
        raise ApiError(f"{what} in an encoding it was not asked for ({encoding[:20]}); refused", fatal=True)


def read_body(response: Any, what: str, limit: int = MAX_RESPONSE_BYTES) -> bytes:
    """The raw body of ``response``, at most ``limit`` bytes (else :class:`ApiError`)."""
    check_encoding(response.headers, what)
    length = str(response.headers.get("Content-Length") or "")
    if length.isdigit() and int(length) > limit:
        raise ApiError(
            f"{what} with {_size(int(length))}, more than the {_size(limit)} allowed; refused", fatal=True
        )
    parts: list[bytes] = []
    total = 0
    while True:
        chunk = response.read(CHUNK, decode_content=False)
        if not chunk:
            return b"".join(parts)
        total += len(chunk)
        if total > limit:
            raise ApiError(f"{what} with more than the {_size(limit)} allowed; refused", fatal=True)
        parts.append(chunk)


def decode_json(body: bytes | str, what: str) -> Any:
    """Parse JSON; nesting and numbers the parser cannot take are :class:`ApiError` in words.

    Raises ``json.JSONDecodeError`` (a ``ValueError``) for text that is not JSON, which a caller may
    retry (a truncated answer).
    """
    try:
        return json.loads(body)
    except RecursionError:
        raise ApiError(f"{what} with JSON nested too deeply to read; refused", fatal=True) from None
    except json.JSONDecodeError:
        raise
    except ValueError as err:  # "Exceeds the limit (4300 digits) for integer string conversion"
        if "digits" in str(err) or "integer" in str(err):
            raise ApiError(
                f"{what} with a number too long to read (over 4300 digits); refused", fatal=True
            ) from None
        raise ApiError(f"{what} with JSON that cannot be read", fatal=True) from None


def split_lines(chunks: Iterable[bytes], what: str, limit: int = MAX_WATCH_LINE_BYTES) -> Iterator[bytes]:
    """The non-blank lines of a stream of chunks; a line longer than ``limit`` is an :class:`ApiError`.

    The buffer is scanned only past what was already searched, and consumed lines are cut off once
    per chunk, so a stream without newlines costs linear time and at most ``limit`` bytes.
    """
    buffer = bytearray()
    for chunk in chunks:
        searched = len(buffer)
        buffer += chunk
        start = 0
        while True:
            end = buffer.find(b"\n", max(start, searched))
            if end < 0:
                break
            line = bytes(buffer[start:end])
            start = end + 1
            if line.strip():
                yield line
        if start:
            del buffer[:start]
        if len(buffer) > limit:
            raise ApiError(
                f"{what} sent a line longer than {_size(limit)} without an end; refused", fatal=True
            )
    if bytes(buffer).strip():
        yield bytes(buffer)


def json_type(value: Any) -> str:
    """The JSON name of a decoded value's type, for error messages."""
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )


def compact_item(obj: dict, strings: dict) -> None:
    """Make a listed object smaller in memory without changing anything the plugin reads.

    ``metadata.managedFields`` (server-side apply bookkeeping: often half of a pod's JSON, and never
    read here) is dropped, and every string value is replaced by one shared copy: the pods and events
    of a Job repeat the same images, names, reasons, node names and timestamps thousands of times, and
    JSON decoding makes a new string for each. A 5,000-pod check peaked at 568 MB before, 262 MB after.
    """
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    share = strings.setdefault
    stack = [obj]
    while stack:
        node = stack.pop()
        pairs = node.items() if type(node) is dict else enumerate(node)
        for key, value in pairs:
            kind = type(value)
            if kind is str:
                node[key] = share(value, value)
            elif kind is dict or kind is list:
                stack.append(value)


def parse_watch_line(line: bytes, what: str) -> dict:
    """One line of a watch stream: an object, else :class:`ApiError`."""
    event = decode_json(line, what)
    if not isinstance(event, dict):
        raise ApiError(f"{what} sent a JSON {json_type(event)} where a watch event belongs")
    return event


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):,.0f} MiB"
    return f"{n:,} bytes"
