"""A stand-in Kubernetes API server on 127.0.0.1 for tests (HTTP or HTTPS, standard library only).

It serves read-only GETs of pods, events (core/v1 and events.k8s.io/v1), nodes, namespaces, services,
Jobs and a few more built-in resources from an in-memory store, with discovery, server-side Tables,
selectors, pagination, watches, bearer-token auth and on-demand faults. See docs/testing.md.
"""

import base64
import binascii
import copy
import json
import re
import socket
import ssl
import struct
import threading
import time
import traceback
from collections import namedtuple
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, NamedTuple, Optional, Union
from urllib.parse import parse_qs, unquote, urlsplit

from . import selectors as sel
from .certs import session_certs
from .kubeconfig import write_kubeconfig
from .loader import load_objects
from .resources import GROUP_VERSIONS, RESOURCES, Resource, find_resource, resource_for_kind
from .store import Change, Store, core_event_to_events_v1
from .tables import table_for

__all__ = ["FakeApiServer", "Fault", "LoggedRequest", "unused_port", "status_body"]

_JSON = "application/json"
_TABLE_CT = "application/json;as=Table;g=meta.k8s.io;v=v1"
_AGG_V2_CT = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
_AGG_V2BETA1_CT = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"


def unused_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (for connection-refused tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class _Headers(dict):
    """Request headers; lookups ignore case (keys are stored lower-case)."""

    def __getitem__(self, key: str) -> str:
        return dict.__getitem__(self, key.lower())

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return dict.get(self, key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and dict.__contains__(self, key.lower())


class LoggedRequest(namedtuple("LoggedRequest", "method path query headers")):
    """One request: unpacks as (method, path, query, headers); query maps each parameter to its
    last value; headers ignore case. Also: .status (answer's HTTP status, None while streaming),
    .raw_query, .body (bytes sent with non-GET requests), .time."""

    status = None  # type: Optional[int]
    raw_query = ""
    body = b""
    time = 0.0

    @property
    def is_watch(self) -> bool:
        return self.query.get("watch") in ("1", "true", "True") or "/watch/" in self.path


class Fault:
    """A rule made by FakeApiServer.fail(); .hits counts the requests it answered."""

    def __init__(
        self,
        path: str,
        status: Optional[int] = None,
        times: Optional[int] = 1,
        method: Optional[str] = None,
        body: Union[None, bytes, str, dict] = None,
        headers: Optional[dict[str, str]] = None,
        delay: Optional[float] = None,
        mode: Optional[str] = None,
        query: Optional[str] = None,
        reason: Optional[str] = None,
        message: Optional[str] = None,
        retry_after: Optional[int] = None,
        in_stream: bool = False,
    ):
        if mode not in (None, "reset", "truncate", "close"):
            raise ValueError("mode must be None, 'reset', 'truncate' or 'close'")
        self.pattern = re.compile(path)
        self.status = status
        self.times = times
        self.method = method.upper() if method else None
        self.body = body
        self.headers = dict(headers or {})
        self.delay = delay
        self.mode = mode
        self.query = re.compile(query) if query else None
        self.reason = reason
        self.message = message
        self.retry_after = retry_after
        self.in_stream = in_stream
        self.hits = 0

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def matches(self, method: str, path: str, raw_query: str) -> bool:
        if self.exhausted:
            return False
        if self.method and self.method != method:
            return False
        if not self.pattern.search(path):
            return False
        if self.query is not None and not self.query.search(raw_query):
            return False
        return True

    def __repr__(self) -> str:
        return "Fault(%r, status=%r, mode=%r, times=%r, hits=%d)" % (
            self.pattern.pattern,
            self.status,
            self.mode,
            self.times,
            self.hits,
        )


class _Response(NamedTuple):
    status: int
    body: bytes
    content_type: str = _JSON
    headers: tuple[tuple[str, str], ...] = ()


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


_REASONS = {
    400: ("BadRequest", "the server rejected our request for an unknown reason"),
    401: ("Unauthorized", "Unauthorized"),
    403: ("Forbidden", "forbidden"),
    404: ("NotFound", "the server could not find the requested resource"),
    405: ("MethodNotAllowed", "the server does not allow this method on the requested resource"),
    406: ("NotAcceptable", "the server was unable to respond with a content type that the client supports"),
    409: ("Conflict", "the server reported a conflict"),
    410: ("Expired", "too old resource version"),
    415: ("UnsupportedMediaType", "the body of the request was in an unknown format"),
    422: ("Invalid", "the server rejected our request due to an error in our request"),
    429: ("TooManyRequests", "Too many requests, please try again later."),
    500: (
        "InternalError",
        'Internal error occurred: an error on the server ("") has prevented the request from succeeding',
    ),
    503: ("ServiceUnavailable", "the server is currently unable to handle the request"),
    504: ("Timeout", "Timeout: request did not complete within the allotted timeout"),
}


def status_body(
    code: int,
    message: Optional[str] = None,
    reason: Optional[str] = None,
    details: Optional[dict] = None,
    list_meta: Optional[dict] = None,
) -> dict:
    """A metav1.Status failure like the API server writes."""
    default_reason, default_message = _REASONS.get(code, ("", "unknown error"))
    st = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": list_meta or {},
        "status": "Failure",
        "message": message if message is not None else default_message,
        "reason": reason if reason is not None else default_reason,
    }  # type: dict
    if not st["reason"]:
        del st["reason"]
    if details:
        st["details"] = details
    st["code"] = code
    return st


def _encode_continue(rv: int, start: str) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_continue(token: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        if data.get("v") != "meta.k8s.io/v1":
            raise ValueError(
                "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
            )
        return int(data["rv"]), str(data["start"])
    except (ValueError, KeyError, TypeError, binascii.Error) as e:
        raise ValueError("continue key is not valid: %s" % e) from e


def _parse_accept(value: Optional[str]) -> list[tuple[str, dict[str, str]]]:
    out = []
    for part in (value or "").split(","):
        part = part.strip()
        if not part:
            continue
        bits = [b.strip() for b in part.split(";")]
        params = {}
        for b in bits[1:]:
            if "=" in b:
                k, v = b.split("=", 1)
                params[k.strip().lower()] = v.strip().strip('"')
        out.append((bits[0].lower(), params))
    return out


class _RequestInfo:
    """What a request asks for, parsed from its path (used for routing and error messages)."""

    def __init__(self) -> None:
        self.resource = None  # type: Optional[Resource]
        self.group = ""
        self.version = ""
        self.plural = ""
        self.namespace = ""
        self.name = ""
        self.subresource = ""
        self.verb = "get"
        self.watch_path = False

    @property
    def is_resource(self) -> bool:
        return bool(self.plural)


def _parse_resource_path(path: str) -> Optional[_RequestInfo]:
    segs = [unquote(s) for s in path.strip("/").split("/")]
    info = _RequestInfo()
    if len(segs) >= 3 and segs[0] == "api":
        info.group, info.version, rest = "", segs[1], segs[2:]
    elif len(segs) >= 4 and segs[0] == "apis":
        info.group, info.version, rest = segs[1], segs[2], segs[3:]
    else:
        return None
    if rest and rest[0] == "watch":
        info.watch_path = True
        rest = rest[1:]
    if not rest:
        return None
    if len(rest) >= 3 and rest[0] == "namespaces":
        r = find_resource(info.group, info.version, rest[2])
        if r is not None and r.namespaced:
            info.namespace, info.plural = rest[1], rest[2]
            rest = rest[3:]
            info.name = rest[0] if rest else ""
            info.subresource = "/".join(rest[1:])
            info.resource = r
            return info
    info.plural = rest[0]
    info.name = rest[1] if len(rest) > 1 else ""
    info.subresource = "/".join(rest[2:])
    info.resource = find_resource(info.group, info.version, info.plural)
    return info


def _truthy(v: Optional[str]) -> bool:
    return v is not None and v.lower() in ("1", "true", "yes")


class _ApiError(Exception):
    def __init__(
        self,
        code: int,
        message: Optional[str] = None,
        reason: Optional[str] = None,
        details: Optional[dict] = None,
        list_meta: Optional[dict] = None,
    ) -> None:
        Exception.__init__(self, message)
        self.status = status_body(code, message, reason, details, list_meta)
        self.code = code


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakeapi/1"
    sys_version = ""
    timeout = 30  # idle keep-alive connections are closed after this
    server = None  # type: _HTTPServer  # type: ignore[assignment]

    # ---- plumbing ------------------------------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    @property
    def fake(self) -> "FakeApiServer":
        return self.server.fake

    def _read_body(self) -> bytes:
        n = self.headers.get("Content-Length")
        if n:
            try:
                return self.rfile.read(int(n))
            except (ValueError, OSError):
                self.close_connection = True
                return b""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = b""
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return b""

    def _send(self, resp: _Response) -> None:
        self._logged.status = resp.status
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Length", str(len(resp.body)))
        for k, v in resp.headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(resp.body)

    def _reset(self) -> None:
        """Abort the connection with a TCP RST."""
        try:
            self.wfile.flush()
        except OSError:
            pass
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            socket.socket.close(self.connection)
        except OSError:
            pass
        self.close_connection = True

    # ---- dispatch ------------------------------------------------------------------------------
    def _dispatch(self) -> None:
        fake = self.fake
        split = urlsplit(self.path)
        path = split.path or "/"
        qs = parse_qs(split.query, keep_blank_values=True)
        self.query = {k: v[-1] for k, v in qs.items()}  # type: dict[str, str]
        headers = _Headers((k.lower(), v) for k, v in self.headers.items())
        logged = LoggedRequest(self.command, path, dict(self.query), headers)
        logged.raw_query = split.query
        logged.time = time.time()
        self._logged = logged
        self.req_path = path
        body = b""
        if self.command not in ("GET", "HEAD"):
            body = self._read_body()
            logged.body = body
        fake._log(logged)
        if fake.latency:
            if fake._stop_event.wait(fake.latency):
                self.close_connection = True
                return
        self.info = _parse_resource_path(path)
        if self.info is not None:
            self.info.verb = self._verb()
        fault = fake._match_fault(self.command, path, split.query)
        try:
            if fault is not None and self._apply_fault(fault):
                return
            resp = self._route()
            if resp is not None:
                self._send(resp)
        except _ApiError as e:
            self._send(_Response(e.code, _dumps(e.status)))
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout):
            self.close_connection = True
        except Exception:  # a bug in the stand-in: answer 500 and keep it for the test to see
            tb = traceback.format_exc()
            fake.errors.append(tb)
            try:
                self._send(_Response(500, _dumps(status_body(500, "fakeapi bug: " + tb))))
            except OSError:
                self.close_connection = True

    def _verb(self) -> str:
        info = self.info
        assert info is not None
        if self.command != "GET":
            return {
                "POST": "create",
                "PUT": "update",
                "PATCH": "patch",
                "DELETE": "delete" if info.name else "deletecollection",
                "HEAD": "get",
                "OPTIONS": "options",
            }.get(self.command, "get")
        if info.watch_path or _truthy(self.query.get("watch")):
            return "watch"
        return "get" if info.name else "list"

    # ---- faults --------------------------------------------------------------------------------
    def _apply_fault(self, fault: Fault) -> bool:
        """Act out a fault; True when the request is answered (or the connection is gone)."""
        fake = self.fake
        if fault.delay:
            if fake._stop_event.wait(fault.delay):
                self.close_connection = True
                return True
        if fault.mode == "close":
            self._logged.status = 0
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return True
        if fault.status is None and fault.body is None and fault.mode is None:
            return False  # only slow: answer normally
        if fault.status is not None or fault.body is not None:
            code = fault.status if fault.status is not None else 200
            body = fault.body
            if body is None:
                body = self._fault_status(code, fault)
            if isinstance(body, (dict, list)):
                body = _dumps(body)
            elif isinstance(body, str):
                body = body.encode("utf-8")
            headers = dict(fault.headers)
            if fault.retry_after is not None:
                headers.setdefault("Retry-After", str(fault.retry_after))
            elif code == 429:
                headers.setdefault("Retry-After", "1")
            ctype = headers.pop("Content-Type", _JSON)
            if fault.in_stream and self.info is not None and self.info.verb == "watch":
                self._start_stream()
                obj = json.loads(body) if body.strip().startswith(b"{") else status_body(code)
                self._write_event("ERROR", obj)
                self._end_stream()
                return True
            resp = _Response(code, body, ctype, tuple(headers.items()))
        elif self.info is not None and self.info.verb == "watch":
            # a watch stream broken after part of its first event
            self._start_stream()
            self._write_chunk(b'{"type":"ADDED","object":{"kind":"')
            time.sleep(0.01)
            self._reset()
            return True
        else:
            resp = self._route_or_error()
            if resp is None:
                return True
        if fault.mode is None:
            self._send(resp)
            return True
        # reset / truncate: send part of the body only
        cut = max(1, len(resp.body) // 2) if resp.body else 0
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        for k, v in resp.headers:
            self.send_header(k, v)
        if fault.mode == "truncate":
            self.send_header("Content-Length", str(cut))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(resp.body[:cut])
            self._logged.status = resp.status
            self.close_connection = True
            return True
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        self.wfile.write(resp.body[:cut])
        self._logged.status = resp.status
        time.sleep(0.01)  # let the client read the partial body before the RST discards it
        self._reset()
        return True

    def _route_or_error(self) -> Optional[_Response]:
        try:
            return self._route(stream_ok=False)
        except _ApiError as e:
            return _Response(e.code, _dumps(e.status))

    def _fault_status(self, code: int, fault: Fault) -> dict:
        info = self.info
        fake = self.fake
        message, reason, details = fault.message, fault.reason, None  # type: Optional[str], Optional[str], Any
        if info is not None and info.resource is not None:
            r = info.resource
            details = {"name": info.name} if info.name else {}
            if r.group:
                details["group"] = r.group
            details["kind"] = r.plural
            if not info.name:
                details.pop("name", None)
        if code == 403 and message is None:
            who = 'User "%s" cannot %s ' % (fake.user, info.verb if info else "get")
            if info is not None and info.resource is not None:
                r = info.resource
                res_name = r.plural + ("/" + info.subresource if info.subresource else "")
                scope = (
                    ('in the namespace "%s"' % info.namespace) if info.namespace else "at the cluster scope"
                )
                why = who + 'resource "%s" in API group "%s" %s' % (res_name, r.group, scope)
                if info.name:
                    message = '%s "%s" is forbidden: %s' % (r.qualified, info.name, why)
                else:
                    message = "%s is forbidden: %s" % (r.qualified, why)
            else:
                message = 'forbidden: %spath "%s"' % (who, self.req_path)
        elif code == 404 and message is None and info is not None and info.resource is not None and info.name:
            message = '%s "%s" not found' % (info.resource.qualified, info.name)
        elif code == 410 and message is None:
            if self.query.get("continue"):
                message = (
                    "The provided continue parameter is too old to display a consistent list result. "
                    "You can start a new list without the continue parameter."
                )
            else:
                rv = self.query.get("resourceVersion") or "0"
                message = "too old resource version: %s (%d)" % (rv, fake.store.compacted_rv)
        elif code == 429:
            details = dict(details or {}, retryAfterSeconds=int(fault.retry_after or 1))
        elif code == 500 and message is None:
            details = dict(details or {}, causes=[{"message": "fault injected by the test"}])
        if code in (401, 404) and info is None:
            details = None
        return status_body(code, message, reason, details)

    # ---- routing -------------------------------------------------------------------------------
    def _route(self, stream_ok: bool = True) -> Optional[_Response]:
        fake = self.fake
        path = self.req_path
        if fake.token is not None:
            auth = self.headers.get("Authorization") or ""
            if auth != "Bearer " + fake.token:
                raise _ApiError(401)
        if self.command != "GET":
            raise _ApiError(405, details=self._details())
        if path in ("/healthz", "/livez", "/readyz"):
            return _Response(200, b"ok", "text/plain; charset=utf-8")
        if path in ("/version", "/version/"):
            return _Response(200, _dumps(fake.version_info))
        if path == "/api" or path == "/api/":
            return self._discovery_api()
        if path == "/apis" or path == "/apis/":
            return self._discovery_apis()
        segs = path.strip("/").split("/")
        if segs[0] == "api" and len(segs) == 2:
            return self._resource_list("", segs[1])
        if segs[0] == "apis" and len(segs) == 2:
            return self._api_group(segs[1])
        if segs[0] == "apis" and len(segs) == 3:
            return self._resource_list(segs[1], segs[2])
        if segs[0] == "openapi" and fake.openapi is not None:
            doc = fake.openapi.get(path)
            if doc is not None:
                return _Response(200, _dumps(doc))
        info = self.info
        if info is None:
            return _Response(404, b"404 page not found\n", "text/plain; charset=utf-8")
        if info.group not in GROUP_VERSIONS or info.version not in GROUP_VERSIONS[info.group]:
            return _Response(404, b"404 page not found\n", "text/plain; charset=utf-8")
        if info.resource is None:
            raise _ApiError(404)
        return self._resource(info, stream_ok)

    def _details(self) -> Optional[dict]:
        info = self.info
        if info is None or info.resource is None:
            return None
        d = {}  # type: dict
        if info.name:
            d["name"] = info.name
        if info.resource.group:
            d["group"] = info.resource.group
        d["kind"] = info.resource.plural
        return d

    def _accept(self) -> list[tuple[str, dict[str, str]]]:
        return _parse_accept(self.headers.get("Accept"))

    def _wants(self) -> str:
        """'table', 'json', or 'none' (nothing we can produce) from the Accept header."""
        accepted = self._accept()
        if not accepted:
            return "json"
        for mt, params in accepted:
            if params.get("as") == "Table" and params.get("g") == "meta.k8s.io" and self.fake.tables:
                if mt in ("application/json", "*/*", "application/*"):
                    return "table"
                continue
            if params.get("as"):
                continue
            if mt in ("application/json", "*/*", "application/*"):
                return "json"
        return "none"

    # ---- discovery -----------------------------------------------------------------------------
    def _aggregated_wanted(self) -> Optional[str]:
        if not self.fake.aggregated_discovery:
            return None
        for mt, params in self._accept():
            if params.get("g") == "apidiscovery.k8s.io" and params.get("as") == "APIGroupDiscoveryList":
                if params.get("v") == "v2":
                    return "v2"
                if params.get("v") == "v2beta1":
                    return "v2beta1"
            elif mt in ("application/json", "*/*"):
                return None
        return None

    def _agg_group(self, group: str) -> dict:
        versions = []
        for v in GROUP_VERSIONS[group]:
            resources = []
            for r in RESOURCES:
                if r.group != group or r.version != v:
                    continue
                kind = {"group": r.group, "version": r.version, "kind": r.kind}
                entry = {
                    "resource": r.plural,
                    "responseKind": kind,
                    "scope": "Namespaced" if r.namespaced else "Cluster",
                    "singularResource": r.singular,
                    "verbs": list(r.verbs),
                }  # type: dict
                if r.short_names:
                    entry["shortNames"] = list(r.short_names)
                if r.categories:
                    entry["categories"] = list(r.categories)
                if r.subresources:
                    entry["subresources"] = [
                        {
                            "subresource": name,
                            "responseKind": {"group": r.group, "version": r.version, "kind": skind or r.kind},
                            "verbs": list(verbs),
                        }
                        for name, skind, verbs in r.subresources
                    ]
                resources.append(entry)
            versions.append({"version": v, "resources": resources, "freshness": "Current"})
        meta = {"creationTimestamp": None}  # type: dict
        if group:
            meta = {"name": group, "creationTimestamp": None}
        return {"metadata": meta, "versions": versions}

    def _agg_response(self, groups: list[str], which: str) -> _Response:
        doc = {
            "kind": "APIGroupDiscoveryList",
            "apiVersion": "apidiscovery.k8s.io/" + which,
            "metadata": {},
            "items": [self._agg_group(g) for g in groups],
        }
        ct = _AGG_V2_CT if which == "v2" else _AGG_V2BETA1_CT
        return _Response(200, _dumps(doc), ct, (("Vary", "Accept"),))

    def _discovery_api(self) -> _Response:
        which = self._aggregated_wanted()
        if which:
            return self._agg_response([""], which)
        doc = {
            "kind": "APIVersions",
            "versions": GROUP_VERSIONS[""],
            "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": "%s:%d" % self.server.server_address[:2]}
            ],
        }
        return _Response(200, _dumps(doc), headers=(("Vary", "Accept"),))

    @staticmethod
    def _group_doc(group: str) -> dict:
        versions = [{"groupVersion": "%s/%s" % (group, v), "version": v} for v in GROUP_VERSIONS[group]]
        return {"name": group, "versions": versions, "preferredVersion": versions[0]}

    def _discovery_apis(self) -> _Response:
        groups = [g for g in GROUP_VERSIONS if g]
        which = self._aggregated_wanted()
        if which:
            return self._agg_response(groups, which)
        doc = {"kind": "APIGroupList", "apiVersion": "v1", "groups": [self._group_doc(g) for g in groups]}
        return _Response(200, _dumps(doc), headers=(("Vary", "Accept"),))

    def _api_group(self, group: str) -> _Response:
        if group not in GROUP_VERSIONS or not group:
            return _Response(404, b"404 page not found\n", "text/plain; charset=utf-8")
        doc = dict(kind="APIGroup", apiVersion="v1", **self._group_doc(group))
        return _Response(200, _dumps(doc))

    def _resource_list(self, group: str, version: str) -> _Response:
        if group not in GROUP_VERSIONS or version not in GROUP_VERSIONS[group]:
            return _Response(404, b"404 page not found\n", "text/plain; charset=utf-8")
        resources = []
        for r in RESOURCES:
            if r.group != group or r.version != version:
                continue
            entry = {
                "name": r.plural,
                "singularName": r.singular,
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": list(r.verbs),
            }  # type: dict
            if r.short_names:
                entry["shortNames"] = list(r.short_names)
            if r.categories:
                entry["categories"] = list(r.categories)
            if r.storage_version_hash:
                entry["storageVersionHash"] = r.storage_version_hash
            resources.append(entry)
            for name, skind, verbs in r.subresources:
                resources.append(
                    {
                        "name": "%s/%s" % (r.plural, name),
                        "singularName": "",
                        "namespaced": r.namespaced,
                        "kind": skind or r.kind,
                        "verbs": list(verbs),
                    }
                )
        gv = "%s/%s" % (group, version) if group else version
        doc = {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}
        return _Response(200, _dumps(doc))

    # ---- resources -----------------------------------------------------------------------------
    def _view(self, r: Resource, obj: dict) -> dict:
        if r.group == "events.k8s.io":
            return core_event_to_events_v1(obj)
        return obj

    def _resource(self, info: _RequestInfo, stream_ok: bool) -> Optional[_Response]:
        r = info.resource
        assert r is not None
        if info.namespace and not r.namespaced:
            raise _ApiError(404)
        if info.name:
            if info.watch_path:
                raise _ApiError(404)
            return self._get(info, r)
        if info.verb == "watch":
            if not stream_ok:
                # a stream cannot be cut in the middle of its body: answer its start and stop
                return _Response(200, b"", _JSON)
            self._watch(info, r)
            return None
        return self._list(info, r)

    def _get(self, info: _RequestInfo, r: Resource) -> _Response:
        store = self.fake.store
        if r.namespaced and not info.namespace:
            raise _ApiError(404)
        key = "%s/%s" % (info.namespace, info.name) if r.namespaced else info.name
        obj = store.current(r.store_key, key)
        if obj is None:
            raise _ApiError(404, '%s "%s" not found' % (r.qualified, info.name), details=self._details())
        if info.subresource:
            if info.subresource == "log" and r.plural == "pods" and not r.group:
                return self._log(obj)
            if info.subresource != "status" or not any(s[0] == "status" for s in r.subresources):
                raise _ApiError(404)
        view = self._view(r, obj)
        wants = self._wants()
        if wants == "none":
            raise _ApiError(406)
        if wants == "table":
            table = table_for(
                r.store_key,
                [obj],
                self.query.get("includeObject", "Metadata"),
                {"resourceVersion": obj["metadata"].get("resourceVersion", "")},
                partial_meta=lambda o: self._view(r, o),
            )
            return _Response(200, _dumps(table), _TABLE_CT)
        return _Response(200, _dumps(view))

    def _log(self, pod: dict) -> _Response:
        meta, spec = pod["metadata"], pod.get("spec") or {}
        names = [c.get("name") for c in spec.get("containers") or []]
        init_names = [c.get("name") for c in spec.get("initContainers") or []]
        container = self.query.get("container")
        if not container:
            if len(names) == 1:
                container = names[0]
            else:
                msg = "a container name must be specified for pod %s, choose one of: [%s]" % (
                    meta["name"],
                    " ".join(names),
                )
                if init_names:
                    msg += " or one of the init containers: [%s]" % " ".join(init_names)
                raise _ApiError(400, msg)
        if container not in names and container not in init_names:
            raise _ApiError(400, "container %s is not valid for pod %s" % (container, meta["name"]))
        previous = _truthy(self.query.get("previous"))
        text = self.fake._logs.get((meta.get("namespace", ""), meta["name"], container, previous))
        if text is None and previous:
            raise _ApiError(
                400, 'previous terminated container "%s" in pod "%s" not found' % (container, meta["name"])
            )
        data = (text or "").encode("utf-8")
        tail = self.query.get("tailLines")
        if tail is not None and tail.isdigit():
            lines = data.splitlines(True)
            data = b"".join(lines[len(lines) - int(tail) :]) if int(tail) else b""
        return _Response(200, data, "text/plain")

    def _selectors(self, r: Resource) -> tuple[list, list]:
        try:
            labels = sel.parse_label_selector(self.query.get("labelSelector"))
            fields = sel.parse_field_selector(self.query.get("fieldSelector"))
            fields = sel.convert_field_requirements(r.group, r.plural, fields)
            sel.check_field_labels(fields, sel.fields_for(r.store_key[0], r.store_key[1], r.namespaced, {}))
        except sel.SelectorError as e:
            raise _ApiError(400, str(e)) from e
        return labels, fields

    def _matcher(
        self, r: Resource, namespace: str, labels: list, fields: list
    ) -> Callable[[str, dict], bool]:
        prefix = namespace + "/" if namespace else ""

        def match(key: str, obj: dict) -> bool:
            if prefix and not key.startswith(prefix):
                return False
            meta = obj.get("metadata") or {}
            if labels and not sel.label_selector_matches(labels, meta.get("labels")):
                return False
            if fields and not sel.field_selector_matches(
                fields, sel.fields_for(r.store_key[0], r.store_key[1], r.namespaced, obj)
            ):
                return False
            return True

        return match

    def _list(self, info: _RequestInfo, r: Resource) -> _Response:
        store = self.fake.store
        labels, fields = self._selectors(r)
        match = self._matcher(r, info.namespace, labels, fields)
        wants = self._wants()
        if wants == "none":
            raise _ApiError(406)
        limit = 0
        if self.query.get("limit"):
            try:
                limit = max(0, int(self.query["limit"]))
            except ValueError:
                raise _ApiError(400, "invalid limit: %r" % self.query["limit"]) from None
        token = self.query.get("continue") or ""
        rv_param = self.query.get("resourceVersion") or ""
        with store.cond:
            at_rv = store.rv
            start = ""
            if token:
                if rv_param not in ("", "0"):
                    raise _ApiError(400, "specifying resource version is not allowed when using continue")
                try:
                    token_rv, start = _decode_continue(token)
                except ValueError as e:
                    raise _ApiError(400, str(e)) from e
                if token_rv == -1:
                    at_rv = store.rv
                elif token_rv < store.compacted_rv:
                    raise _ApiError(
                        410,
                        "The provided continue parameter is too old to display a consistent "
                        "list result. You can start a new list without the continue parameter, "
                        "or use the continue token in this response to retrieve the remainder "
                        "of the results. Continuing with the provided token results in an "
                        "inconsistent list - objects that were created, modified, or deleted "
                        "between the time the first chunk was returned and now may show up in "
                        "the list.",
                        list_meta={"continue": _encode_continue(-1, start)},
                    )
                else:
                    at_rv = token_rv
            elif rv_param not in ("", "0"):
                try:
                    want_rv = int(rv_param)
                except ValueError:
                    raise _ApiError(
                        400, "resourceVersion: Invalid value: %r: must be a valid integer" % rv_param
                    ) from None
                if self.query.get("resourceVersionMatch") == "Exact":
                    if want_rv < store.compacted_rv:
                        raise _ApiError(410, "The resourceVersion for the provided list is too old.")
                    at_rv = want_rv
                elif want_rv > store.rv:
                    raise _ApiError(
                        504,
                        "Too large resource version: %d, current: %d" % (want_rv, store.rv),
                        "Timeout",
                        details={
                            "causes": [
                                {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}
                            ],
                            "retryAfterSeconds": 1,
                        },
                    )
            snapshot = store.snapshot(r.store_key, at_rv)
        items = []  # type: list[dict]
        next_token = ""
        remaining = None
        items_last_key = ""
        i = 0
        if start:
            while i < len(snapshot) and snapshot[i][0] < start:
                i += 1
        n = len(snapshot)
        while i < n:
            key, obj = snapshot[i]
            i += 1
            if not match(key, obj):
                continue
            if limit and len(items) >= limit:
                # there is at least one more match: stop before it
                i -= 1
                next_token = _encode_continue(at_rv, items_last_key + "\x00")
                if not labels and not fields:
                    prefix = info.namespace + "/" if info.namespace else ""
                    remaining = sum(1 for k, _o in snapshot[i:] if not prefix or k.startswith(prefix))
                break
            items.append(obj)
            items_last_key = key
        list_meta = {"resourceVersion": str(at_rv)}  # type: dict
        if next_token:
            list_meta["continue"] = next_token
            if remaining is not None:
                list_meta["remainingItemCount"] = remaining
        if wants == "table":
            table = table_for(
                r.store_key,
                items,
                self.query.get("includeObject", "Metadata"),
                list_meta,
                partial_meta=lambda o: self._view(r, o),
            )
            return _Response(200, _dumps(table), _TABLE_CT)
        out_items = []
        for obj in items:
            v = self._view(r, obj)
            out_items.append({k: val for k, val in v.items() if k not in ("kind", "apiVersion")})
        doc = {"kind": r.list_kind, "apiVersion": r.api_version, "metadata": list_meta, "items": out_items}
        return _Response(200, _dumps(doc))

    # ---- watch ---------------------------------------------------------------------------------
    def _start_stream(self, content_type: str = _JSON) -> None:
        self._logged.status = 200
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        self._logged.status = 200

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _write_event(self, etype: str, obj: dict) -> None:
        self._write_chunk(_dumps({"type": etype, "object": obj}) + b"\n")

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _watch(self, info: _RequestInfo, r: Resource) -> None:
        fake = self.fake
        store = fake.store
        labels, fields = self._selectors(r)
        match = self._matcher(r, info.namespace, labels, fields)
        wants = self._wants()
        if wants == "none":
            raise _ApiError(406)
        rv_param = self.query.get("resourceVersion") or ""
        bookmarks = _truthy(self.query.get("allowWatchBookmarks"))
        send_initial = _truthy(self.query.get("sendInitialEvents"))
        timeout = None  # type: Optional[float]
        if self.query.get("timeoutSeconds"):
            try:
                timeout = float(self.query["timeoutSeconds"])
            except ValueError:
                raise _ApiError(400, "invalid timeoutSeconds") from None
        if timeout is None:
            timeout = fake.max_watch_seconds
        deadline = time.monotonic() + timeout if timeout else None
        include_object = self.query.get("includeObject", "Metadata")
        gone = None  # type: Optional[dict]
        initial = []  # type: list[dict]
        with store.cond:
            drop_seq = store.drop_seq
            bookmark_seq = store.bookmark_seq
            if rv_param not in ("", "0") and not send_initial:
                try:
                    cursor = int(rv_param)
                except ValueError:
                    raise _ApiError(
                        400, "resourceVersion: Invalid value: %r: must be a valid integer" % rv_param
                    ) from None
                if cursor < store.compacted_rv:
                    gone = status_body(
                        410, "too old resource version: %d (%d)" % (cursor, store.compacted_rv)
                    )
            else:
                cursor = store.rv
                initial = [obj for key, obj in store.snapshot(r.store_key) if match(key, obj)]
        first_table = [True]

        def render(obj: dict) -> dict:
            if wants == "table":
                t = table_for(
                    r.store_key,
                    [obj],
                    include_object,
                    {"resourceVersion": obj["metadata"].get("resourceVersion", "")},
                    with_columns=first_table[0],
                    partial_meta=lambda o: self._view(r, o),
                )
                first_table[0] = False
                return t
            return self._view(r, obj)

        def bookmark(annotate: bool = False) -> None:
            meta = {"resourceVersion": str(cursor), "creationTimestamp": None}  # type: dict
            if annotate:
                meta["annotations"] = {"k8s.io/initial-events-end": "true"}
            self._write_event("BOOKMARK", {"kind": r.kind, "apiVersion": r.api_version, "metadata": meta})

        fake._watch_opened(self)
        wid = id(self)
        with store.cond:
            store.watch_cursors[wid] = cursor
        try:
            self._start_stream()
            if gone is not None:
                self._write_event("ERROR", gone)
                self._end_stream()
                return
            for obj in initial:
                self._write_event("ADDED", render(obj))
            if send_initial and bookmarks:
                bookmark(annotate=True)
            interval = fake.bookmark_interval
            next_bookmark = time.monotonic() + interval if interval else None
            pre_timeout_bookmark = deadline - 2.0 if deadline and timeout and timeout > 4 else None
            while True:
                events = []  # type: list[tuple[str, dict]]
                do_bookmark = False
                with store.cond:
                    while True:
                        if fake._stopping or store.drop_seq != drop_seq:
                            if fake._stopping or store.abrupt_drop:
                                self._reset()
                            else:
                                self._end_stream()
                            return
                        changes = store.changes_after(cursor)
                        if changes:
                            break
                        now = time.monotonic()
                        if store.bookmark_seq != bookmark_seq:
                            bookmark_seq = store.bookmark_seq
                            if bookmarks:
                                do_bookmark = True
                                cursor = store.rv
                                break
                        if deadline is not None and now >= deadline:
                            self._end_stream()
                            return
                        if bookmarks and next_bookmark is not None and now >= next_bookmark:
                            do_bookmark = True
                            next_bookmark = now + interval
                            break
                        if bookmarks and pre_timeout_bookmark is not None and now >= pre_timeout_bookmark:
                            do_bookmark = True
                            pre_timeout_bookmark = None
                            break
                        wait = 1.0
                        for t in (
                            deadline,
                            next_bookmark if bookmarks else None,
                            pre_timeout_bookmark if bookmarks else None,
                        ):
                            if t is not None:
                                wait = min(wait, max(0.0, t - now))
                        store.cond.wait(wait + 0.001)
                    for ch in changes:
                        ev = self._convert_change(ch, r, match)
                        if ev is not None:
                            events.append(ev)
                    if changes:
                        cursor = changes[-1].rv
                    store.watch_cursors[wid] = cursor
                if do_bookmark:
                    bookmark()
                for etype, obj in events:
                    self._write_event(etype, render(obj))
        finally:
            with store.cond:
                store.watch_cursors.pop(wid, None)
            fake._watch_closed(self)

    @staticmethod
    def _convert_change(
        ch: Change, r: Resource, match: Callable[[str, dict], bool]
    ) -> Optional[tuple[str, dict]]:
        """The event a filtered watcher sees (the watch cache's convertToWatchEvent)."""
        if ch.store != r.store_key:
            return None
        cur = ch.type != "DELETED" and match(ch.key, ch.obj)
        old = ch.prev is not None and match(ch.key, ch.prev)
        if cur and not old:
            return ("ADDED", ch.obj)
        if cur and old:
            return ("MODIFIED", ch.obj)
        if old:
            prev = copy.deepcopy(ch.prev)
            prev["metadata"]["resourceVersion"] = str(ch.rv)
            return ("DELETED", prev if ch.type != "DELETED" else ch.obj)
        return None


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(
        self, fake: "FakeApiServer", address: tuple[str, int], ssl_context: Optional[ssl.SSLContext]
    ):
        self.fake = fake
        self.ssl_context = ssl_context
        self._conn_lock = threading.Lock()
        self._conns = set()  # type: set
        self._conn_threads = set()  # type: ignore[assignment]
        ThreadingHTTPServer.__init__(self, address, _Handler)

    def process_request(self, request: socket.socket, client_address: Any) -> None:
        t = threading.Thread(
            target=self._serve_connection, args=(request, client_address), name="fakeapi-conn", daemon=True
        )
        with self._conn_lock:
            self._conns.add(request)
            self._conn_threads.add(t)
        t.start()

    def _serve_connection(self, request: socket.socket, client_address: Any) -> None:
        conn = request
        try:
            if self.ssl_context is not None:
                request.settimeout(10)
                conn = self.ssl_context.wrap_socket(request, server_side=True)
                with self._conn_lock:
                    self._conns.discard(request)
                    self._conns.add(conn)
            self.finish_request(conn, client_address)
        except Exception:
            pass
        finally:
            try:
                self.shutdown_request(conn)
            except Exception:
                pass
            with self._conn_lock:
                self._conns.discard(conn)
                self._conns.discard(request)
                self._conn_threads.discard(threading.current_thread())

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass

    def close_connections(self) -> None:
        with self._conn_lock:
            conns = list(self._conns)
        for c in conns:
            try:
                socket.socket.shutdown(c, socket.SHUT_RDWR)
            except OSError:
                pass

    def join_threads(self, deadline: float) -> None:
        with self._conn_lock:
            threads = list(self._conn_threads)
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))


def _version_info(version: str, overrides: Optional[dict]) -> dict:
    git = version if version.startswith("v") else "v" + version
    m = re.match(r"v?(\d+)\.(\d+)", version)
    major, minor = (m.group(1), m.group(2)) if m else ("1", "30")
    info = {
        "major": major,
        "minor": minor,
        "gitVersion": git,
        "gitCommit": "39683505b630ff2121012f3c5b16215a1449d5ed",
        "gitTreeState": "clean",
        "buildDate": "2024-06-11T20:21:00Z",
        "goVersion": "go1.22.4",
        "compiler": "gc",
        "platform": "linux/amd64",
    }
    info.update(overrides or {})
    return info


class FakeApiServer:
    """A read-only Kubernetes API stand-in on 127.0.0.1.

    ``with FakeApiServer(objects=[...]) as api:`` then point a kubeconfig at ``api.url``
    (``api.write_kubeconfig(path)``). ``objects`` takes what load_objects() takes: dicts, Lists, or
    paths of files printed by ``kubectl get -o json|yaml``.
    """

    def __init__(
        self,
        objects: Optional[Iterable[Any]] = None,
        tls: bool = False,
        version: str = "1.30.2",
        token: Optional[str] = None,
        *,
        version_info: Optional[dict] = None,
        aggregated_discovery: bool = True,
        tables: bool = True,
        latency: float = 0.0,
        bookmark_interval: Optional[float] = 60.0,
        max_watch_seconds: Optional[float] = None,
        auto_namespaces: bool = True,
        user: str = "test-user",
        openapi: Optional[dict] = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if host not in ("127.0.0.1", "localhost", "::1") and not host.startswith("127."):
            raise ValueError("the stand-in listens on loopback only")
        self.tls = tls
        self.token = token
        self.version_info = _version_info(version, version_info)
        self.aggregated_discovery = aggregated_discovery
        self.tables = tables
        self.latency = latency
        self.bookmark_interval = bookmark_interval
        self.max_watch_seconds = max_watch_seconds
        self.user = user
        self.openapi = openapi  # {"/openapi/v2": {...}} to serve; None: 404 like a server without it
        self.host = host
        self._port = port
        self.store = Store(auto_namespaces=auto_namespaces)
        self.errors = []  # type: list[str]  # tracebacks of bugs in the stand-in itself
        self._log_lock = threading.Lock()
        self._requests = []  # type: list[LoggedRequest]
        self._faults = []  # type: list[Fault]
        self._logs = {}  # type: dict[tuple[str, str, str, bool], str]
        self._watches = set()  # type: set
        self._stop_event = threading.Event()
        self._stopping = False
        self._httpd = None  # type: Optional[_HTTPServer]
        self._thread = None  # type: Optional[threading.Thread]
        self.ca_path = None  # type: Optional[str]
        if objects is not None:
            self.load(objects)

    # ---- lifecycle -----------------------------------------------------------------------------
    def start(self) -> "FakeApiServer":
        if self._httpd is not None:
            return self
        ctx = None
        if self.tls:
            certs = session_certs()
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(certs.cert_path, certs.key_path)
            ctx.set_alpn_protocols(["http/1.1"])
            self.ca_path = certs.ca_path
        self._stopping = False
        self._stop_event.clear()
        self._httpd = _HTTPServer(self, (self.host, self._port), ctx)
        self._port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fakeapi-%d" % self._port,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection (within about a second). start() may follow:
        the server comes back on the same port with the same objects."""
        httpd = self._httpd
        if httpd is None:
            return
        deadline = time.monotonic() + 0.9
        self._stopping = True
        self._stop_event.set()
        with self.store.cond:
            self.store.cond.notify_all()
        httpd.shutdown()
        httpd.server_close()
        httpd.close_connections()
        httpd.join_threads(deadline)
        if self._thread is not None:
            self._thread.join(max(0.0, deadline - time.monotonic()))
        self._httpd = None
        self._thread = None

    def __enter__(self) -> "FakeApiServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._httpd is not None

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "%s://%s:%d" % ("https" if self.tls else "http", host, self._port)

    @staticmethod
    def refused_url(tls: bool = False) -> str:
        """A URL where nothing listens (connection refused)."""
        return "%s://127.0.0.1:%d" % ("https" if tls else "http", unused_port())

    def write_kubeconfig(self, path: Any, **kwargs: Any) -> str:
        """write_kubeconfig() for this server: url, token and CA filled in (overridable)."""
        kwargs.setdefault("token", self.token)
        if self.tls:
            kwargs.setdefault("ca_path", self.ca_path or session_certs().ca_path)
        return write_kubeconfig(path, kwargs.pop("server_url", self.url), **kwargs)

    # ---- objects -------------------------------------------------------------------------------
    def load(self, paths_or_dicts: Any) -> list[dict]:
        """Add objects from files/dicts (see load_objects); returns the stored copies."""
        if isinstance(paths_or_dicts, (str, dict)) or hasattr(paths_or_dicts, "__fspath__"):
            paths_or_dicts = [paths_or_dicts]
        stored = []
        for item in paths_or_dicts:
            owned = not isinstance(item, (dict, list))  # parsed from a file here: no copy needed
            stored.extend(self.store.put(o, copy=not owned) for o in load_objects([item]))
        return stored

    load_objects = load

    def put(self, obj: dict) -> dict:
        """Add or replace an object (watchers see ADDED/MODIFIED); returns the stored copy."""
        return self.store.put(obj)

    def delete(self, kind: str, namespace: Optional[str], name: str) -> dict:
        """Remove an object (watchers see DELETED); kind may be "Pod", "pods" or "po"."""
        return self.store.delete(kind, namespace, name)

    def get_object(self, kind: str, namespace: Optional[str], name: str) -> Optional[dict]:
        """The stored object (as served), or None."""
        r = resource_for_kind(kind)
        if r is None:
            raise KeyError("unknown kind %r" % kind)
        key = "%s/%s" % (namespace, name) if r.namespaced else name
        obj = self.store.current(r.store_key, key)
        return copy.deepcopy(obj) if obj is not None else None

    def objects(self, kind: Optional[str] = None, namespace: Optional[str] = None) -> list[dict]:
        if kind is None:
            objs = self.store.all_objects()
        else:
            r = resource_for_kind(kind)
            if r is None:
                raise KeyError("unknown kind %r" % kind)
            objs = [o for _k, o in self.store.snapshot(r.store_key)]
        if namespace is not None:
            objs = [o for o in objs if o["metadata"].get("namespace") == namespace]
        return copy.deepcopy(objs)

    @property
    def resource_version(self) -> int:
        return self.store.rv

    def compact(self, rv: Optional[int] = None) -> int:
        """Forget history up to rv (default: now): older watches and continue tokens get 410 Gone."""
        return self.store.compact(rv)

    def set_log(self, namespace: str, pod: str, container: str, text: str, previous: bool = False) -> None:
        """What GET .../pods/POD/log?container=C[&previous=true] answers."""
        self._logs[(namespace, pod, container, previous)] = text

    # ---- watches -------------------------------------------------------------------------------
    def _watch_opened(self, handler: Any) -> None:
        with self._log_lock:
            self._watches.add(handler)

    def _watch_closed(self, handler: Any) -> None:
        with self._log_lock:
            self._watches.discard(handler)

    @property
    def open_watches(self) -> int:
        with self._log_lock:
            return len(self._watches)

    def wait_for_watches(self, n: int = 1, timeout: float = 5.0) -> bool:
        """Wait until at least n watch streams are open."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.open_watches >= n:
                return True
            time.sleep(0.01)
        return self.open_watches >= n

    def drop_watches(self, abrupt: bool = False) -> None:
        """End every open watch: cleanly (terminating chunk) or, abrupt=True, with a TCP reset."""
        with self.store.cond:
            self.store.drop_seq += 1
            self.store.abrupt_drop = abrupt
            self.store.cond.notify_all()

    def bookmark(self) -> None:
        """Send a BOOKMARK now to every watch that allows bookmarks."""
        with self.store.cond:
            self.store.bookmark_seq += 1
            self.store.cond.notify_all()

    # ---- faults --------------------------------------------------------------------------------
    def fail(
        self,
        path: str,
        status: Optional[int] = None,
        times: Optional[int] = 1,
        method: Optional[str] = None,
        body: Union[None, bytes, str, dict] = None,
        headers: Optional[dict[str, str]] = None,
        delay: Optional[float] = None,
        *,
        mode: Optional[str] = None,
        query: Optional[str] = None,
        reason: Optional[str] = None,
        message: Optional[str] = None,
        retry_after: Optional[int] = None,
        in_stream: bool = False,
    ) -> Fault:
        """Make the next ``times`` requests (None: all) whose path matches the regex ``path`` misbehave.

        status: answer with a metav1.Status of that code (403 and 404 name the verb and resource like
        the real server; 429 adds Retry-After). body: answer with this body instead (status default 200).
        delay: wait first (with nothing else: a slow but normal answer). mode: "reset" (TCP RST after
        half the body), "truncate" (half the body, consistent Content-Length, connection closed),
        "close" (no answer). query: regex the raw query string must match. in_stream: for watches,
        send the Status as an ERROR event in a 200 stream (how the real server reports 410 there).
        Rules are tried in the order they were added."""
        rule = Fault(
            path,
            status=status,
            times=times,
            method=method,
            body=body,
            headers=headers,
            delay=delay,
            mode=mode,
            query=query,
            reason=reason,
            message=message,
            retry_after=retry_after,
            in_stream=in_stream,
        )
        with self._log_lock:
            self._faults.append(rule)
        return rule

    def clear_faults(self) -> None:
        with self._log_lock:
            self._faults = []

    def _match_fault(self, method: str, path: str, raw_query: str) -> Optional[Fault]:
        with self._log_lock:
            for rule in self._faults:
                if rule.matches(method, path, raw_query):
                    rule.hits += 1
                    return rule
        return None

    # ---- request log ---------------------------------------------------------------------------
    def _log(self, entry: LoggedRequest) -> None:
        with self._log_lock:
            self._requests.append(entry)

    @property
    def requests(self) -> list[LoggedRequest]:
        """Every request so far, oldest first (a copy)."""
        with self._log_lock:
            return list(self._requests)

    def reset_log(self) -> None:
        with self._log_lock:
            self._requests = []

    def requests_to(self, path: Optional[str] = None, method: Optional[str] = None) -> list[LoggedRequest]:
        """Logged requests whose path matches the regex ``path`` (and method)."""
        pat = re.compile(path) if path else None
        return [
            r
            for r in self.requests
            if (pat is None or pat.search(r.path)) and (method is None or r.method == method.upper())
        ]

    def writes(self) -> list[LoggedRequest]:
        """Logged requests that were not GETs (the plugin must send none)."""
        return [r for r in self.requests if r.method != "GET"]
