"""kube.http11: HTTP/1.1 framing and its limits, on canned answers over a loopback socket.

Each case starts a one-shot server on 127.0.0.1 that reads the request head, keeps it, and writes the
given bytes (then closes, or keeps the connection open when asked). What is checked: the request sent
(request line, Host, no encoding asked for, each header once per value), and the body read back under
each framing (Content-Length, chunked with extensions and trailers, until close, 1xx answers skipped),
keep-alive decisions, and every malformed or oversized answer raising, never hanging or reading past a
limit. The transport and the plugin over it are tested beside it (test_transport,
test_hostile_api).
"""

from __future__ import annotations

import socket
import threading

import pytest

from kubectl_sidecar.kube import http11


class Canned:
    """A server on 127.0.0.1 that answers each request with the next of ``answers`` (bytes)."""

    def __init__(self, *answers: bytes, keep_open: bool = False) -> None:
        self.answers = list(answers)
        self.keep_open = keep_open
        self.heads: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.done = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        with conn:
            buffer = b""
            for answer in self.answers:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                self.heads.append(head)
                conn.sendall(answer)
            if self.keep_open:
                self.done.wait(10)
        self.listener.close()

    def connection(self) -> http11.Connection:
        return http11.Connection("127.0.0.1", self.port, timeout=5)


def whole(response: http11.Response) -> bytes:
    """The body, read as the session reads it: in bounded chunks until b""."""
    parts = []
    while part := response.read(4096):
        parts.append(part)
    return b"".join(parts)


def get(server: Canned, target: str = "/api/v1/pods", headers=None) -> http11.Response:
    connection = server.connection()
    return connection.request("GET", target, headers or [])


def test_the_request_line_and_headers_sent():
    server = Canned(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
    response = get(server, "/api/v1/pods?limit=5", [("Impersonate-Group", "a"), ("Impersonate-Group", "b")])
    assert whole(response) == b"{}"
    lines = server.heads[0].decode().split("\r\n")
    assert lines[0] == "GET /api/v1/pods?limit=5 HTTP/1.1"
    assert lines[1] == f"Host: 127.0.0.1:{server.port}"
    assert "Accept-Encoding: identity" in lines
    assert [line for line in lines if line.startswith("Impersonate-Group")] == [
        "Impersonate-Group: a",
        "Impersonate-Group: b",
    ]


@pytest.mark.parametrize(
    "answer, body, reusable",
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", b"hello", True),
        (b"HTTP/1.1 200 OK\r\ncontent-length: 5, 5\r\n\r\nhello", b"hello", True),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n",
            b"hello",
            True,
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n",
            b"0123456789",
            True,
        ),
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", b"ok", False),
        (b"HTTP/1.1 200 OK\r\n\r\nuntil the end", b"until the end", False),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", b"ok", False),
        (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", b"ok", True),
        (b"HTTP/1.1 204 No Content\r\n\r\n", b"", True),
        (b"HTTP/1.1 200 OK\r\nX-Long: a\r\n b\r\nContent-Length: 0\r\n\r\n", b"", True),
    ],
)
def test_each_framing_reads_the_whole_body(answer, body, reusable):
    response = get(Canned(answer))
    assert response.status in (200, 204)
    assert whole(response) == body
    assert response.isclosed()
    assert (not response.will_close) == reusable


def test_small_reads_and_read1_follow_the_chunks():
    server = Canned(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n"
    )
    response = get(server)
    parts = []
    while True:
        part = response.read1(3)
        if not part:
            break
        parts.append(part)
    assert b"".join(parts) == b"abcdefg" and max(map(len, parts)) <= 3


def test_headers_by_any_case_and_the_first_of_repeated_ones():
    response = get(Canned(b"HTTP/1.1 429 X\r\nRetry-After: 3\r\nretry-after: 9\r\nContent-Length: 0\r\n\r\n"))
    assert response.status == 429
    assert response.headers.get("RETRY-AFTER") == "3" and "retry-after" in response.headers
    assert response.headers.get("Missing", "d") == "d"


def test_a_kept_alive_connection_carries_the_next_request():
    server = Canned(
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nb\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nc",
    )
    connection = server.connection()
    assert [whole(connection.request("GET", f"/{i}", [])) for i in range(3)] == [b"a", b"b", b"c"]
    assert [head.split(b"\r\n")[0] for head in server.heads] == [
        b"GET /0 HTTP/1.1",
        b"GET /1 HTTP/1.1",
        b"GET /2 HTTP/1.1",
    ]


@pytest.mark.parametrize(
    "answer, error, where",
    [
        (b"", http11.RemoteDisconnected, "head"),
        (b"SSH-2.0-OpenSSH\r\n\r\n", http11.ProtocolError, "head"),
        (b"HTTP/1.1 2000 OK\r\n\r\n", http11.ProtocolError, "head"),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", http11.ProtocolError, "head"),
        (b"HTTP/1.1 200 OK\r\n" + b"X: 1\r\n" * 101 + b"\r\n", http11.ProtocolError, "head"),
        (b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70000 + b"\r\n\r\n", http11.ProtocolError, "head"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nab", http11.ProtocolError, "head"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", http11.ProtocolError, "head"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", http11.ProtocolError, "head"),
        (b"HTTP/1.1 200 OK\r\nContent-Len", http11.IncompleteRead, "head"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", http11.IncompleteRead, "body"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", http11.IncompleteRead, "body"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", http11.ProtocolError, "body"),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nabcde\r\n",
            http11.ProtocolError,
            "body",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd\r\n0\r\n\r\n",
            http11.ProtocolError,
            "body",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"f" * 70000 + b"\r\n",
            http11.ProtocolError,
            "body",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + b"T: 1\r\n" * 102 + b"\r\n",
            http11.ProtocolError,
            "body",
        ),
    ],
)
def test_malformed_or_oversized_answers_raise(answer, error, where):
    connection = Canned(answer).connection()
    if where == "head":
        with pytest.raises(error):
            connection.request("GET", "/", [])
        return
    response = connection.request("GET", "/", [])
    with pytest.raises(error):
        whole(response)


@pytest.mark.parametrize(
    "target, headers",
    [
        ("/api/v1/pods/a b", []),
        ("/api/v1/pods/a\r\nX: y", []),
        ("no-slash", []),
        ("/", [("X-Bad", "a\r\nInjected: 1")]),
        ("/", [("Bad:Name", "v")]),
    ],
)
def test_what_cannot_be_sent_is_refused_before_anything_is_sent(target, headers):
    server = Canned(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    with pytest.raises(ValueError):
        server.connection().request("GET", target, headers)
    assert server.heads == []


def test_an_ipv6_host_is_bracketed_in_the_host_header():
    connection = http11.Connection("::1", 6443)
    assert connection._host_header() == "[::1]:6443"
    assert http11.Connection("h", 443, context=object())._host_header() == "h"  # type: ignore[arg-type]
    assert http11.Connection("h", 80)._host_header() == "h"


def test_a_host_name_is_resolved_and_an_ascii_name_skips_the_idna_codec():
    server = Canned(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    response = http11.Connection("localhost", server.port, timeout=5).request("GET", "/", [])
    assert whole(response) == b"ok"
    assert server.heads[0].split(b"\r\n")[1] == f"Host: localhost:{server.port}".encode()
    assert http11._name("api.example.com") == b"api.example.com"
    assert http11._name("bücher.example") == "bücher.example"  # the codec's business, as before
