"""A hostile API server on loopback: every read bounded in time and bytes, every malformed answer exit 2.

Each case runs the real plugin (a subprocess) against a raw HTTP server that misbehaves on purpose:
trickling bytes, bombs, endless pages, watch storms, answers of the wrong shape. What must hold:
exit 2 and one sentence naming the API server, nothing on stdout, a bounded number of requests, and an
end (the subprocess timeout is what fails a hang; no timing is asserted). Issue 12, items 6-9, 11, 12.
"""

from __future__ import annotations

import gzip
import json
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

POD = "p1"
HANG = 60.0  # a case that has not ended after this is a hang: the test fails


def pod(name: str = POD, uid: str = "u1") -> dict:
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {"name": name, "namespace": "default", "uid": uid, "resourceVersion": "5"},
        "spec": {"containers": [{"name": "app", "image": "busybox"}], "nodeName": "n1"},
        "status": {"phase": "Running", "startTime": "2026-01-01T00:00:00Z"},
    }


def body(doc: object, status: int = 200, headers: dict | None = None) -> bytes:
    data = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(data)}", "Content-Type: application/json"]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + data


class RawServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 whose answers are written by ``handler(path, query,
    sock)`` byte by byte; it records every request line."""

    def __init__(self, handler: Callable[[str, dict, socket.socket], None]) -> None:
        self.handler = handler
        self.requests: list = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            buffer = b""
            while not self.closed.is_set():
                while b"\r\n\r\n" not in buffer:
                    try:
                        data = conn.recv(65536)
                    except OSError:
                        return
                    if not data:
                        return
                    buffer += data
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
                parts = urlsplit(target)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                self.requests.append((method, parts.path, query))
                try:
                    self.handler(parts.path, query, conn)
                except OSError:
                    return

    def close(self) -> None:
        self.closed.set()
        self.sock.close()


@pytest.fixture
def serve():
    servers: list = []

    def start(handler: Callable) -> RawServer:
        server = RawServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def run_plugin(server: RawServer, *args: str, timeout: float = HANG) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent-home", "NO_COLOR": "1"}
    cmd = [sys.executable, "-m", "kubectl_sidecar", *args, "-s", server.url, "-n", "default"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


def assert_refused(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def standard(path: str, query: dict, conn: socket.socket, **overrides: object) -> None:
    """A well-behaved answer for the reads of ``timeline p1``; ``overrides`` maps a path to bytes."""
    for prefix, answer in overrides.items():
        if path.endswith(prefix):
            conn.sendall(answer() if callable(answer) else answer)  # type: ignore[arg-type]
            return
    if path == "/version":
        conn.sendall(body({"major": "1", "minor": "30", "gitVersion": "v1.30.2"}))
    elif path.endswith(f"/pods/{POD}"):
        conn.sendall(body(pod()))
    elif path.endswith("/events") or path.endswith("/pods"):
        kind = "EventList" if path.endswith("/events") else "PodList"
        conn.sendall(
            body({"kind": kind, "apiVersion": "v1", "metadata": {"resourceVersion": "9"}, "items": []})
        )
    else:
        conn.sendall(body({"kind": "Status", "code": 404, "reason": "NotFound"}, status=404))


# ------------------------------------------------------------------------------------------ item 7


def trickle(conn: socket.socket, data: bytes, every: float = 0.3) -> None:
    for i in range(len(data)):
        conn.sendall(data[i : i + 1])
        time.sleep(every)


@pytest.mark.parametrize("where", ["body", "headers", "endless"])
def test_request_timeout_is_a_deadline_for_the_whole_request(serve, where):
    """A server trickling a byte every 0.3 s: --request-timeout 1s ends the request, body included."""
    answer = body(pod())

    def handler(path: str, query: dict, conn: socket.socket) -> None:
        if not path.endswith(f"/pods/{POD}"):
            return standard(path, query, conn)
        if where == "body":
            head, rest = answer.split(b"\r\n\r\n", 1)
            conn.sendall(head + b"\r\n\r\n")
            trickle(conn, rest)
        elif where == "headers":
            trickle(conn, answer)
        else:
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            while True:
                conn.sendall(b"1\r\n \r\n")
                time.sleep(0.3)

    server = serve(handler)
    started = time.monotonic()
    result = run_plugin(server, "timeline", POD, "--request-timeout", "1s")
    assert_refused(result, "did not answer within 1s", "--request-timeout")
    pod_gets = [r for r in server.requests if r[1].endswith(f"/pods/{POD}")]
    assert len(pod_gets) == 1, "a deadline is not retried"
    assert time.monotonic() - started < HANG


def test_optional_reads_obey_the_deadline_too(serve):
    """/version trickles for ever: the timeline still ends, with a note (it is optional data)."""

    def handler(path: str, query: dict, conn: socket.socket) -> None:
        if path == "/version":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            trickle(conn, b"{" * 100000)
        standard(path, query, conn)

    result = run_plugin(serve(handler), "timeline", POD, "--request-timeout", "1s")
    assert result.returncode == 0, result.stderr
    assert "did not answer within 1s" in result.stderr and "/version" in result.stderr


# ------------------------------------------------------------------------------------------ item 8


def test_an_unasked_for_gzip_bomb_is_not_inflated(serve):
    bomb = gzip.compress(b" " * (64 * 1024 * 1024), compresslevel=9)  # 64 MiB of spaces in ~64 KiB

    def handler(path: str, query: dict, conn: socket.socket) -> None:
        standard(path, query, conn, **{f"/pods/{POD}": body(bomb, headers={"Content-Encoding": "gzip"})})

    server = serve(handler)
    result = run_plugin(server, "timeline", POD)
    assert_refused(result, "in an encoding it was not asked for (gzip)")
    assert all("accept-encoding" not in str(r).lower() for r in server.requests)


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_body_larger_than_the_cap_is_refused(serve, declared, monkeypatch):
    size = 129 * 1024 * 1024

    def handler(path: str, query: dict, conn: socket.socket) -> None:
        if not path.endswith(f"/pods/{POD}"):
            return standard(path, query, conn)
        block = b" " * (1024 * 1024)
        if declared:
            conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode())
            for _ in range(size // len(block)):
                conn.sendall(block)
        else:
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = f"{len(block):x}\r\n".encode() + block + b"\r\n"
            for _ in range(size // len(block)):
                conn.sendall(chunk)
            conn.sendall(b"0\r\n\r\n")

    result = run_plugin(serve(handler), "timeline", POD)
    assert_refused(result, "more than the 128 MiB allowed")


def test_deflate_is_refused_as_well(serve):
    data = zlib.compress(json.dumps(pod()).encode())

    def handler(path: str, query: dict, conn: socket.socket) -> None:
        standard(path, query, conn, **{f"/pods/{POD}": body(data, headers={"Content-Encoding": "deflate"})})

    assert_refused(run_plugin(serve(handler), "timeline", POD), "(deflate)")


# ------------------------------------------------------------------------------------------ item 9


DEEP = b"[" * 100_000 + b"]" * 100_000
HUGE = b"1" * 5000


@pytest.mark.parametrize(
    ("path", "answer", "fragment"),
    [
        (f"/pods/{POD}", DEEP, "nested too deeply"),
        (f"/pods/{POD}", b'{"kind": "Pod", "x": ' + DEEP + b"}", "nested too deeply"),
        (
            f"/pods/{POD}",
            b'{"kind": "Pod", "metadata": {"name": "p1"}, "n": ' + HUGE + b"}",
            "over 4300 digits",
        ),
        ("/events", b'{"kind": "EventList", "items": [' + DEEP + b"]}", "nested too deeply"),
    ],
    ids=["pod-array", "pod-field", "pod-huge-int", "events-deep"],
)
def test_json_the_parser_cannot_take_is_exit_2(serve, path, answer, fragment):
    def handler(p: str, query: dict, conn: socket.socket) -> None:
        standard(p, query, conn, **{path: body(answer)})

    result = run_plugin(serve(handler), "timeline", POD)
    if path == "/events":  # events are optional data: a note, and the timeline
        assert result.returncode == 0, result.stderr
        assert fragment in result.stderr
    else:
        assert_refused(result, fragment)


def test_deep_version_is_a_note(serve):
    def handler(path: str, query: dict, conn: socket.socket) -> None:
        standard(path, query, conn, **{"/version": body(DEEP)})

    result = run_plugin(serve(handler), "timeline", POD)
    assert result.returncode == 0, result.stderr
    assert "nested too deeply" in result.stderr


@pytest.mark.parametrize(
    "fragment",
    [b'"exitCode": ' + HUGE, b'"exitCode": 1, "message": "' + HUGE + b'"'],
    ids=["exit-code", "message-digits"],
)
def test_huge_numbers_in_a_termination_are_never_exit_3(serve, fragment):
    doc = pod()
    terminated = {"reason": "Error", "startedAt": "2026-01-01T00:00:01Z", "exitCode": "@"}
    doc["status"]["containerStatuses"] = [
        {"name": "app", "ready": False, "restartCount": 0, "state": {"terminated": terminated}}
    ]
    raw = json.dumps(doc).encode().replace(b'"exitCode": "@"', fragment)

    def handler(path: str, query: dict, conn: socket.socket) -> None:
        standard(path, query, conn, **{f"/pods/{POD}": body(raw)})

    result = run_plugin(serve(handler), "timeline", POD)
    assert result.returncode in (0, 2), result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


# ------------------------------------------------------------------------------------------ item 6


@pytest.mark.parametrize("tokens", ["same", "new-every-page"])
def test_a_continue_token_that_never_ends_is_refused(serve, tokens):
    count = iter(range(10**9))

    def handler(path: str, query: dict, conn: socket.socket) -> None:
        if not path.endswith("/pods"):
            return standard(path, query, conn)
        token = "again" if tokens == "same" else f"t{next(count)}"
        conn.sendall(
            body({"kind": "PodList", "metadata": {"continue": token, "resourceVersion": "9"}, "items": []})
        )

    server = serve(handler)
    result = run_plugin(server, "check", "-l", "app=x")
    fragment = "same continue token twice" if tokens == "same" else "still paging after 2,000 pages"
    assert_refused(result, fragment, "pods")
    lists = [r for r in server.requests if r[1].endswith("/pods")]
    assert len(lists) <= 2001


# ------------------------------------------------------------------------------------------ item 12


@pytest.mark.parametrize(
    "answer",
    [
        {"kind": "PodList", "metadata": {}, "items": {"a": 1}},
        {"kind": "PodList", "metadata": {}, "items": "nope"},
        [1, 2, 3],
    ],
    ids=["items-object", "items-string", "array"],
)
def test_a_malformed_list_is_exit_2_not_an_empty_list(serve, answer):
    def handler(path: str, query: dict, conn: socket.socket) -> None:
        standard(path, query, conn, **{"/pods": body(answer)})

    result = run_plugin(serve(handler), "check", "-l", "app=x")
    assert_refused(result, "127.0.0.1")
    assert "no pods" not in result.stderr.lower()


# ------------------------------------------------------------------------------------------ item 11


def watch_handler(mode: str) -> Callable:
    def handler(path: str, query: dict, conn: socket.socket) -> None:
        if query.get("watch") != "true":
            if path.endswith("/pods"):
                doc = {"kind": "PodList", "metadata": {"resourceVersion": "9"}, "items": [pod()]}
                conn.sendall(body(doc))
                return
            return standard(path, query, conn)
        if mode == "410-status":
            conn.sendall(body({"kind": "Status", "code": 410, "reason": "Expired"}, status=410))
            return
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        if mode == "410-event":
            line = json.dumps({"type": "ERROR", "object": {"kind": "Status", "code": 410}}).encode() + b"\n"
            conn.sendall(f"{len(line):x}\r\n".encode() + line + b"\r\n0\r\n\r\n")
            return
        block = b"x" * (1024 * 1024)  # no newline, ever
        while True:
            conn.sendall(f"{len(block):x}\r\n".encode() + block + b"\r\n")

    return handler


@pytest.mark.parametrize("mode", ["410-status", "410-event"])
def test_watch_410_storms_back_off_and_give_up(serve, mode):
    server = serve(watch_handler(mode))
    result = run_plugin(server, "timeline", POD, "--watch")
    assert result.returncode == 2, result.stderr
    assert "410" in result.stderr or "expired" in result.stderr.lower()
    lists = [r for r in server.requests if r[1].endswith("/pods") and r[2].get("watch") != "true"]
    assert 2 <= len(lists) <= 12, len(lists)


def test_a_watch_line_without_end_is_capped(serve):
    result = run_plugin(serve(watch_handler("endless-line")), "timeline", POD, "--watch")
    assert result.returncode == 2, result.stderr
    assert "line longer than 16 MiB" in result.stderr


# ------------------------------------------------------------------------------------------ item 14


@pytest.mark.parametrize("timeout", ["1000000000000", "2562047h"])
def test_a_request_timeout_past_any_clock_is_no_crash(serve, timeout):
    """Socket and timer calls overflow on such values: the deadline is capped, the answer read."""
    result = run_plugin(serve(standard), "timeline", POD, "--request-timeout", timeout)
    assert result.returncode == 0, result.stderr
    assert "app" in result.stdout
