"""One connection to one API server: GET requests with retries, pagination and watch streams; raw JSON out.

Every request is a GET (get, list, watch), sent without following redirects and without a library's own
retries. The transport is injectable (:class:`Transport`), so tests can pass a fake without sockets; the
default is the connection's (:meth:`Connection.pool`: the plugin's own HTTP/1.1, :mod:`.http11`, or urllib3
behind a proxy; see :mod:`.transport`), and :meth:`Connection.headers` supplies the credentials and
impersonation headers. Transports raise only :class:`~.transport.TransportError` kinds, mapped to
sentences here.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any, Callable, Protocol

from kubectl_sidecar import __version__
from kubectl_sidecar.errors import ApiError
from kubectl_sidecar.kube.apierrors import (
    CONNECT_TIMEOUT,
    ApiTarget,
    drop_reason,
    status_error,
    timeout_error,
    tls_error,
    unreachable,
)
from kubectl_sidecar.kube.config import Connection, one_line, resolve_connection
from kubectl_sidecar.kube.transport import (
    BadAddress,
    ConnectTimedOut,
    Dropped,
    ProxyFailure,
    ReadTimedOut,
    TlsFailure,
    TransportError,
    Unreachable,
)
from kubectl_sidecar.kube.wire import (
    DEFAULT_REQUEST_SECONDS,
    MAX_TIMEOUT_SECONDS,
    Deadline,
    DeadlinePassed,
    Watchdog,
    check_encoding,
    compact_item,
    decode_json,
    json_type,
    parse_watch_line,
    read_body,
    split_lines,
)
from kubectl_sidecar.options import KubeOptions
from kubectl_sidecar.raw import as_dict, as_str

PAGE_SIZE = 500
MAX_ATTEMPTS = 4  # one request and up to three retries (429, 5xx, dropped connections)
BACKOFF_SECONDS = 0.25  # doubled at each retry
RETRY_AFTER_CAP = 5.0  # a server asking for a longer wait is not waited for longer than this
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_LIST_PAGES = 2000  # 1,000,000 objects: a server still paging after this is refused
WATCH_TIMEOUT_SECONDS = 300  # server-side timeoutSeconds of one watch request; then we reconnect

_LIST_KINDS = {"PodList": "Pod", "EventList": "Event", "JobList": "Job", "NodeList": "Node"}
_USER_AGENT = f"kubectl-sidecar/{__version__}"


class Response(Protocol):
    """What the session reads of an HTTP response (body not preloaded, never decoded)."""

    status: int
    headers: Any  # a case-insensitive mapping

    def read(self, amt: int, decode_content: bool | None = None) -> bytes:
        """Up to ``amt`` bytes; the session reads in bounded chunks (``wire.read_body``)."""
        ...

    def stream(self, amt: int, decode_content: bool) -> Iterator[bytes]: ...

    def release_conn(self) -> None: ...


class Transport(Protocol):
    """Sends one request; the session only ever calls it with ``"GET"``, query ``fields``, a list of
    ``headers`` pairs and a ``timeout`` of ``(connect, read)`` seconds."""

    def request(self, method: str, url: str, **kwargs: Any) -> Response: ...

    def clear(self) -> None: ...


class DroppedConnection(Exception):
    """A failure worth another attempt: dropped connection, truncated answer."""


class Session:
    """One connection to one API server: GETs with retries, pagination and watches; raw JSON out.

    ``requests`` counts the HTTP requests made (watches included), for the request budgets.
    """

    def __init__(
        self,
        connection: Connection,
        *,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float | None = None,
        transport: Transport | None = None,
    ) -> None:
        self.connection = connection
        self.timeout = timeout
        self._sleep = sleep
        # the TLS context is built here, so a CA or client key that cannot be read fails before any request;
        # 8 connections: the parallel reads, and two watches while following a pod
        self._pool: Transport = transport if transport is not None else connection.pool(maxsize=8)
        self._lock = threading.Lock()
        self.requests = 0

    @classmethod
    def open(cls, opts: KubeOptions, environ: Mapping[str, str] | None = None, **kwargs: Any) -> Session:
        """Resolve the connection of ``opts`` and open a session to it (no request is made yet)."""
        return cls(resolve_connection(opts, environ), timeout=opts.request_timeout, **kwargs)

    @property
    def namespace(self) -> str:
        return self.connection.namespace

    @property
    def source(self) -> str:
        return self.connection.source

    @property
    def described(self) -> str:
        return self.connection.described

    def pause(self, seconds: float) -> None:
        """Wait between attempts (the injected ``sleep``)."""
        self._sleep(seconds)

    def reconnect_delay(self, failures: int) -> float:
        """How long to wait before reconnecting after ``failures`` failed attempts in a row."""
        return min(RETRY_AFTER_CAP, BACKOFF_SECONDS * 2**failures)

    def close(self) -> None:
        """Close the pool's connections (idle ones; a watch in flight ends with its stream)."""
        try:
            self._pool.clear()
        except Exception:  # closing must never hide the error that ended the command
            pass

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------------------------- plumbing

    def _headers(self) -> list[tuple[str, str]]:
        """Accept, User-Agent, then the credentials (refreshed under the connection's lock when they
        expire) and impersonation, each value checked; Impersonate-Group once per group, as kubectl."""
        return [("Accept", "application/json"), ("User-Agent", _USER_AGENT), *self.connection.headers()]

    def _deadline(self) -> Deadline:
        """The deadline of one request: --request-timeout, else DEFAULT_REQUEST_SECONDS."""
        return Deadline(self.timeout or DEFAULT_REQUEST_SECONDS)

    def _timeout(self, stream: bool, deadline: Deadline | None) -> tuple[float, float]:
        """``(connect, read)`` seconds for one request: what is left of the deadline (a watch: its own)."""
        limit = self.timeout if self.timeout else CONNECT_TIMEOUT
        if stream or deadline is None:
            return min(CONNECT_TIMEOUT, limit), WATCH_TIMEOUT_SECONDS + 30
        remaining = max(0.001, min(deadline.remaining(), MAX_TIMEOUT_SECONDS))
        return min(remaining, CONNECT_TIMEOUT), remaining

    def _timed_out(self, deadline: Deadline | None, connect: bool) -> ApiError:
        return timeout_error(self.connection, deadline.seconds if deadline else self.timeout, connect=connect)

    def _open(
        self, path: str, query: dict | None, target: ApiTarget, stream: bool, deadline: Deadline | None = None
    ) -> Response:
        """One GET; the response (body unread), or a mapped error."""
        url = self.connection.server + path
        with self._lock:
            self.requests += 1
        try:
            return self._pool.request(
                "GET",
                url,
                fields=list((query or {}).items()) or None,
                headers=self._headers(),
                timeout=self._timeout(stream, deadline),
            )
        except TransportError as err:
            raise self._failure(err, deadline) from None

    def _failure(self, err: TransportError, deadline: Deadline | None) -> Exception:
        """A transport's failure as the session raises it: a sentence, or a drop worth a retry."""
        cause = err.cause if isinstance(err.cause, BaseException) else err
        if isinstance(err, TlsFailure):
            return tls_error(self.connection, cause)  # type: ignore[arg-type]
        if isinstance(err, Unreachable):
            return unreachable(self.connection, cause)  # type: ignore[arg-type]
        if isinstance(err, ConnectTimedOut):
            return self._timed_out(deadline, connect=True)
        if isinstance(err, ReadTimedOut):
            return self._timed_out(deadline, connect=False)
        if isinstance(err, Dropped):
            return DroppedConnection(drop_reason(cause))
        if isinstance(err, ProxyFailure):
            return ApiError(
                f"cannot reach {self.connection.described} through the proxy: {one_line(str(err))}"
            )
        if isinstance(err, BadAddress):
            return ApiError(f"the address of {self.connection.described} cannot be parsed")
        return ApiError(f"cannot talk to {self.connection.described}: {one_line(str(err), 120)}")

    def _read(self, response: Response, target: ApiTarget, deadline: Deadline | None = None) -> bytes:
        """The body (capped, never decoded), then the connection goes back to the pool."""
        try:
            return read_body(response, f"{self.connection.described} answered {target}")
        except TransportError as err:
            raise self._failure(err, deadline) from None
        finally:
            response.release_conn()

    def _retry_delay(self, headers: Any, attempt: int) -> float:
        """Retry-After (capped) when the answer says it, else exponential backoff."""
        backoff = BACKOFF_SECONDS * (2 ** (attempt - 1))
        header = headers.get("Retry-After") if headers is not None else None
        if header:
            try:
                return min(RETRY_AFTER_CAP, max(0.0, float(header)))
            except ValueError:
                pass
        return min(RETRY_AFTER_CAP, backoff)

    def _wait(self, delay: float, deadline: Deadline) -> None:
        """Sleep before the next attempt, unless the deadline would pass first."""
        if delay >= deadline.remaining():
            raise DeadlinePassed()
        self._sleep(delay)

    def _attempt(self, path: str, query: dict | None, target: ApiTarget, deadline: Deadline) -> tuple:
        """One attempt under the watchdog: ``(status, headers, body)``."""
        with Watchdog(deadline) as watchdog:
            try:
                response = self._open(path, query, target, False, deadline)
                return response.status, response.headers, self._read(response, target, deadline)
            except (DroppedConnection, ApiError):
                if watchdog.fired:
                    raise DeadlinePassed() from None
                raise

    def _send(self, path: str, query: dict | None, target: ApiTarget) -> Any:
        """GET with bounded retries within one deadline; returns ``(status, parsed body)``.

        Retried: 429 (after Retry-After, capped), 500/502/503/504, dropped connections and truncated
        bodies. Not retried: timeouts, TLS and connection refusal. The deadline covers every attempt,
        the waits between them and every body.
        """
        deadline = self._deadline()
        what = f"{self.connection.described} answered {target}"
        attempt = 0
        try:
            while True:
                attempt += 1
                try:
                    status, headers, body = self._attempt(path, query, target, deadline)
                except DroppedConnection as err:
                    if attempt >= MAX_ATTEMPTS:
                        raise ApiError(
                            f"{self.connection.described} dropped the connection {attempt} times "
                            f"({one_line(str(err), 120)})"
                        ) from None
                    self._wait(self._retry_delay(None, attempt), deadline)
                    continue
                if status in RETRY_STATUSES and attempt < MAX_ATTEMPTS:
                    self._wait(self._retry_delay(headers, attempt), deadline)
                    continue
                if status != 200:
                    raise status_error(self.connection, status, body, target)
                try:
                    return status, decode_json(body, what)
                except ValueError:
                    if attempt < MAX_ATTEMPTS:
                        self._wait(self._retry_delay(None, attempt), deadline)
                        continue
                    raise ApiError(f"{what} with something that is not JSON") from None
        except DeadlinePassed:
            raise self._timed_out(deadline, connect=False) from None

    def _open_stream(self, path: str, query: dict, target: ApiTarget) -> Response:
        """Open a watch stream (retried as :meth:`_send`); its body is read by :meth:`watch`."""
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._open(path, query, target, True)
            except DroppedConnection:
                if attempt >= MAX_ATTEMPTS:
                    raise
                self._sleep(self._retry_delay(None, attempt))
                continue
            if response.status == 200:
                check_encoding(response.headers, f"{self.connection.described} answered {target}")
                return response
            body = self._read(response, target)
            if response.status in RETRY_STATUSES and attempt < MAX_ATTEMPTS:
                self._sleep(self._retry_delay(response.headers, attempt))
                continue
            raise status_error(self.connection, response.status, body, target)

    # ----------------------------------------------------------------------------------- errors

    # ----------------------------------------------------------------------------------- verbs

    def get(self, path: str, target: ApiTarget, query: dict | None = None) -> dict:
        """GET one object (or ``/version``) as a raw dict; anything but a JSON object is an error."""
        doc = self._send(path, query, target)[1]
        if not isinstance(doc, dict):
            raise ApiError(
                f"{self.connection.described} answered {target} with a JSON {json_type(doc)}, "
                "not an object: is it a Kubernetes API server?"
            )
        return doc

    def list(
        self,
        path: str,
        target: ApiTarget,
        query: dict | None = None,
        each: Callable[[dict], Any] | None = None,
    ) -> tuple[list, str]:
        """List every item, following ``limit``/``continue``; items get ``kind`` and ``apiVersion``.

        With ``each``, the items are ``each(item)`` for each item as its page is read (``None`` is
        dropped), so a caller that keeps compact records never holds every raw item at once.

        Returns ``(items, resourceVersion)``. An expired continue token (410) restarts the list once,
        unpaginated, as client-go's pager does. A continue token seen before (a server that would page
        for ever) and more than :data:`MAX_LIST_PAGES` pages are errors naming the resource; so is a page
        whose ``items`` is not a list.
        """
        items: list = []
        token = None
        paginate = True
        seen_tokens: set = set()
        pages = 0
        while True:
            page_query = dict(query or {})
            if paginate:
                page_query["limit"] = str(PAGE_SIZE)
            if token:
                page_query["continue"] = token
            try:
                doc = self.get(path, target, page_query)
            except ApiError as err:
                if err.status == 410 and token and paginate:
                    items, token, paginate = [], None, False
                    seen_tokens.clear()
                    pages = 0
                    continue
                raise
            pages += 1
            page_items = doc.get("items", [])
            if page_items is None:
                page_items = []  # Go's encoding of an empty list
            if not isinstance(page_items, list):
                raise ApiError(
                    f"{self.connection.described} answered {target} with a malformed list "
                    f'("items" is a {json_type(page_items)}, not a list)'
                )
            kind = _LIST_KINDS.get(as_str(doc.get("kind")) or "")
            if kind is None and isinstance(doc.get("kind"), str) and doc["kind"].endswith("List"):
                kind = doc["kind"][:-4]
            api_version = as_str(doc.get("apiVersion"))
            strings: dict = {}  # one copy of each string value of the page (see compact_item)
            for item in page_items:
                if isinstance(item, dict):
                    if kind and "kind" not in item:
                        item["kind"] = kind
                    if api_version and "apiVersion" not in item:
                        item["apiVersion"] = api_version
                    compact_item(item, strings)
                    if each is None:
                        items.append(item)
                    else:
                        record = each(item)
                        if record is not None:
                            items.append(record)
            del page_items, doc["items"]
            meta = as_dict(doc.get("metadata"))
            token = as_str(meta.get("continue"))
            if not token:
                return items, as_str(meta.get("resourceVersion")) or ""
            if token in seen_tokens:
                raise ApiError(
                    f"{self.connection.described} sent the same continue token twice while we listed "
                    f"{target.resource}: the list would never end; refused"
                )
            if pages >= MAX_LIST_PAGES:
                raise ApiError(
                    f"{self.connection.described} was still paging after {MAX_LIST_PAGES:,} pages of "
                    f"{target.resource} ({MAX_LIST_PAGES * PAGE_SIZE:,} objects): stopped; narrow the "
                    "read with -n or a selector"
                )
            seen_tokens.add(token)

    def watch(
        self,
        path: str,
        target: ApiTarget,
        query: dict,
        stop: threading.Event | None = None,
        opened: Callable | None = None,
    ) -> Iterator[dict]:
        """Stream watch events (``{"type", "object"}`` dicts) until the server ends the stream.

        A dropped stream raises :class:`DroppedConnection`; HTTP errors raise as for :meth:`get`. The
        body is never decoded and a line is capped (:func:`~kubectl_sidecar.kube.wire.split_lines`).
        """
        watch_query = dict(
            query, watch="true", allowWatchBookmarks="true", timeoutSeconds=str(WATCH_TIMEOUT_SECONDS)
        )
        response = self._open_stream(path, watch_query, target)
        if opened is not None:
            opened(response)
        what = f"the watch of {target.resource} on {self.connection.described}"
        try:
            for line in split_lines(response.stream(2**16, decode_content=False), what):
                if stop is not None and stop.is_set():
                    return
                yield parse_watch_line(line, what)
        except (TransportError, ConnectionError, OSError, json.JSONDecodeError) as err:
            if stop is not None and stop.is_set():
                return
            cause = err.cause if isinstance(err, TransportError) else err
            raise DroppedConnection(drop_reason(cause if isinstance(cause, BaseException) else err)) from None
        finally:
            response.release_conn()
