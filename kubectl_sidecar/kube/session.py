"""One connection to one API server: GET requests with retries, pagination and watch streams; raw JSON out.

Every request is a GET (get, list, watch), sent without following redirects and without urllib3's own
retries. The transport is injectable (:class:`Transport`: what urllib3's ``PoolManager.request`` offers),
so tests can pass a fake without sockets; the default is the TLS-configured urllib3 pool of the
kubernetes ``ApiClient``, which also supplies the credentials (tokens, exec plugins, client certificates).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any, Callable, Protocol

from kubectl_sidecar import __version__
from kubectl_sidecar.errors import ApiError, ConfigError
from kubectl_sidecar.kube import shim
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
from kubectl_sidecar.options import KubeOptions
from kubectl_sidecar.raw import as_dict, as_list, as_str

PAGE_SIZE = 500
MAX_ATTEMPTS = 4  # one request and up to three retries (429, 5xx, dropped connections)
BACKOFF_SECONDS = 0.25  # doubled at each retry
RETRY_AFTER_CAP = 5.0  # a server asking for a longer wait is not waited for longer than this
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
WATCH_TIMEOUT_SECONDS = 300  # server-side timeoutSeconds of one watch request; then we reconnect

_LIST_KINDS = {"PodList": "Pod", "EventList": "Event", "JobList": "Job", "NodeList": "Node"}
_USER_AGENT = f"kubectl-sidecar/{__version__}"


class Response(Protocol):
    """What the session reads of an HTTP response (urllib3's ``HTTPResponse``, body not preloaded)."""

    status: int
    headers: Any  # a case-insensitive mapping

    def read(self) -> bytes: ...

    def stream(self, amt: int, decode_content: bool) -> Iterator[bytes]: ...

    def release_conn(self) -> None: ...


class Transport(Protocol):
    """Sends one request (urllib3's ``PoolManager``). The session only ever calls it with ``"GET"``."""

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
        ApiClient = shim.load().ApiClient

        self.connection = connection
        self.timeout = timeout
        self._sleep = sleep
        if len(connection.impersonate_groups) > 1 and not _urllib3_sends_repeated_headers():
            raise ConfigError(
                "several --as-group values need urllib3 2 or later (urllib3 1.x would send them "
                "joined in one header, which the API server reads as one group)"
            )
        if not connection.configuration.verify_ssl:
            import urllib3

            # the user asked for it (--insecure-skip-tls-verify); kubectl prints no warning per request
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        self._api = ApiClient(connection.configuration)
        self._pool: Transport = transport if transport is not None else self._api.rest_client.pool_manager
        self._lock = threading.Lock()
        self._auth_lock = threading.Lock()
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
        try:
            self._pool.clear()
        except Exception:
            pass

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------------------------- plumbing

    def _headers(self) -> Any:
        try:
            from urllib3 import HTTPHeaderDict
        except ImportError:  # urllib3 1.x
            from urllib3._collections import HTTPHeaderDict

        headers = HTTPHeaderDict({"Accept": "application/json", "User-Agent": _USER_AGENT})
        auth: dict = {}
        with self._auth_lock:  # an expired exec-plugin token is refreshed once, not once per thread
            self._api.update_params_for_auth(auth, [], ["BearerToken"])
        for key, value in auth.items():
            scheme, _, credential = str(value).partition(" ")
            if scheme.lower() == "bearer":  # the in-cluster loader writes "bearer <file content>"
                value = f"Bearer {credential.strip()}"
            headers[key] = value
        if self.connection.impersonate_user:
            headers["Impersonate-User"] = self.connection.impersonate_user
        for group in self.connection.impersonate_groups:
            headers.add("Impersonate-Group", group)  # one header line per group, as kubectl sends them
        return headers

    def _timeout(self, stream: bool) -> Any:
        import urllib3

        if stream:
            connect = min(CONNECT_TIMEOUT, self.timeout) if self.timeout else CONNECT_TIMEOUT
            return urllib3.Timeout(connect=connect, read=WATCH_TIMEOUT_SECONDS + 30)
        if self.timeout:
            return urllib3.Timeout(total=self.timeout)
        return urllib3.Timeout(connect=CONNECT_TIMEOUT, read=None)

    def _open(self, path: str, query: dict | None, target: ApiTarget, stream: bool) -> Response:
        """One GET; the urllib3 response (body unread), or a mapped error."""
        import urllib3.exceptions as ux

        url = self.connection.server + path
        with self._lock:
            self.requests += 1
        try:
            return self._pool.request(
                "GET",
                url,
                fields=list((query or {}).items()) or None,
                headers=self._headers(),
                timeout=self._timeout(stream),
                preload_content=False,
                retries=False,
                redirect=False,
            )
        except ux.SSLError as err:
            raise tls_error(self.connection, err) from None
        except ux.NewConnectionError as err:  # refused, unreachable, no such host (before ConnectTimeout)
            raise unreachable(self.connection, err) from None
        except ux.ConnectTimeoutError:
            raise timeout_error(self.connection, self.timeout, connect=True) from None
        except ux.ReadTimeoutError:
            raise timeout_error(self.connection, self.timeout, connect=False) from None
        except (ux.ProtocolError, ConnectionError) as err:
            raise DroppedConnection(drop_reason(err)) from None
        except ux.ProxyError as err:
            raise ApiError(
                f"cannot reach {self.connection.described} through the proxy: "
                f"{one_line(str(err.original_error if hasattr(err, 'original_error') else err))}"
            ) from None
        except ux.HTTPError as err:
            raise ApiError(f"cannot talk to {self.connection.described}: {one_line(str(err))}") from None

    def _read(self, response: Response) -> bytes:
        import urllib3.exceptions as ux

        try:
            return response.read()
        except ux.ReadTimeoutError:
            raise timeout_error(self.connection, self.timeout, connect=False) from None
        except (ux.ProtocolError, ux.SSLError, ConnectionError) as err:
            raise DroppedConnection(drop_reason(err)) from None
        finally:
            response.release_conn()

    def _retry_delay(self, response: Response | None, attempt: int) -> float:
        backoff = BACKOFF_SECONDS * (2 ** (attempt - 1))
        header = response.headers.get("Retry-After") if response is not None else None
        if header:
            try:
                return min(RETRY_AFTER_CAP, max(0.0, float(header)))
            except ValueError:
                pass
        return min(RETRY_AFTER_CAP, backoff)

    def _send(self, path: str, query: dict | None, target: ApiTarget, stream: bool = False) -> Any:
        """GET with bounded retries; returns ``(status, body)``, or the open response for a stream.

        Retried: 429 (after Retry-After, capped), 500/502/503/504, dropped connections and truncated
        bodies. Not retried: timeouts (they would multiply the wait), TLS and connection refusal.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._open(path, query, target, stream)
                if response.status in RETRY_STATUSES and attempt < MAX_ATTEMPTS:
                    delay = self._retry_delay(response, attempt)
                    self._read(response)
                    self._sleep(delay)
                    continue
                if stream and response.status == 200:
                    return response
                body = self._read(response)
                if response.status == 200 and not stream:
                    try:
                        return response.status, json.loads(body)
                    except ValueError:
                        if attempt < MAX_ATTEMPTS:
                            self._sleep(self._retry_delay(None, attempt))
                            continue
                        raise ApiError(
                            f"{self.connection.described} answered {target} with something that is not JSON"
                        ) from None
                raise status_error(self.connection, response.status, body, target)
            except DroppedConnection as err:
                if attempt >= MAX_ATTEMPTS:
                    raise ApiError(
                        f"{self.connection.described} dropped the connection {attempt} times "
                        f"({one_line(str(err), 120)})"
                    ) from None
                self._sleep(self._retry_delay(None, attempt))

    # ----------------------------------------------------------------------------------- errors

    # ----------------------------------------------------------------------------------- verbs

    def get(self, path: str, target: ApiTarget, query: dict | None = None) -> dict:
        """GET one object (or ``/version``) as a raw dict."""
        return as_dict(self._send(path, query, target)[1])

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
        unpaginated, as client-go's pager does.
        """
        items: list = []
        token = None
        paginate = True
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
                    continue
                raise
            kind = _LIST_KINDS.get(as_str(doc.get("kind")) or "")
            if kind is None and isinstance(doc.get("kind"), str) and doc["kind"].endswith("List"):
                kind = doc["kind"][:-4]
            api_version = as_str(doc.get("apiVersion"))
            strings: dict = {}  # one copy of each string value of the page (see _compact)
            for item in as_list(doc.get("items")):
                if isinstance(item, dict):
                    if kind and "kind" not in item:
                        item["kind"] = kind
                    if api_version and "apiVersion" not in item:
                        item["apiVersion"] = api_version
                    _compact(item, strings)
                    if each is None:
                        items.append(item)
                    else:
                        record = each(item)
                        if record is not None:
                            items.append(record)
            meta = as_dict(doc.get("metadata"))
            token = as_str(meta.get("continue"))
            if not token:
                return items, as_str(meta.get("resourceVersion")) or ""

    def watch(
        self,
        path: str,
        target: ApiTarget,
        query: dict,
        stop: threading.Event | None = None,
        opened: Callable | None = None,
    ) -> Iterator[dict]:
        """Stream watch events (``{"type", "object"}`` dicts) until the server ends the stream.

        A dropped stream raises :class:`DroppedConnection`; HTTP errors raise as for :meth:`get`.
        """
        import urllib3.exceptions as ux

        watch_query = dict(
            query, watch="true", allowWatchBookmarks="true", timeoutSeconds=str(WATCH_TIMEOUT_SECONDS)
        )
        response = self._send(path, watch_query, target, stream=True)
        if opened is not None:
            opened(response)
        buffer = b""
        try:
            for chunk in response.stream(2**16, decode_content=True):
                if stop is not None and stop.is_set():
                    return
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if line.strip():
                        yield _parse_watch_line(line)
            if buffer.strip():
                yield _parse_watch_line(buffer)
        except (
            ux.ProtocolError,
            ux.ReadTimeoutError,
            ux.SSLError,
            ConnectionError,
            OSError,
            ValueError,
        ) as err:
            if stop is not None and stop.is_set():
                return
            raise DroppedConnection(drop_reason(err)) from None
        finally:
            response.release_conn()


def _compact(obj: dict, strings: dict) -> None:
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


def _urllib3_sends_repeated_headers() -> bool:
    import urllib3

    return int(str(getattr(urllib3, "__version__", "2")).split(".")[0]) >= 2


def _parse_watch_line(line: bytes) -> dict:
    event = json.loads(line)
    if not isinstance(event, dict):
        raise ValueError("a watch event is not an object")
    return event
