"""kube.transport on real sockets (127.0.0.1): the standard-library transport a direct connection uses.

What urllib3 did for the first release and http.client must do now: keep connections alive and reuse
them, notice an idle connection the server closed (no failed attempt), follow no redirect, retry
nothing, ask for no encoding, send a header once per value (Impersonate-Group), check the certificate
against ``tls-server-name``, and give every failure as one of the transport's kinds. The plugin's own
tests over the stand-in (test_live_timeline, test_faults, test_hostile_api, test_canary) and the real
kube-apiserver (tests/e2e) run through it too.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kubectl_sidecar.kube import transport
from kubectl_sidecar.kube.transport import StdlibTransport

TIMEOUT = (5.0, 5.0)


class Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list = []
    close_after = False

    def do_GET(self):  # noqa: N802
        type(self).seen.append((self.path, self.client_address[1], list(self.headers.items())))
        if self.path.startswith("/redirect"):
            body = b""
            self.send_response(302)
            self.send_header("Location", "/elsewhere")
        else:
            body = json.dumps({"path": self.path}).encode()
            self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        if type(self).close_after:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    handler = type("Handler", (Recorder,), {"seen": [], "close_after": False})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd, handler
    httpd.shutdown()
    httpd.server_close()


def get(pool: StdlibTransport, url: str, **kwargs) -> tuple[int, bytes]:
    response = pool.request("GET", url, timeout=TIMEOUT, **kwargs)
    try:
        return response.status, response.read(1 << 20)
    finally:
        response.release_conn()


def test_connections_are_kept_alive_and_reused(server):
    httpd, handler = server
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    pool = StdlibTransport(None)
    assert get(pool, url + "/a", fields=[("limit", "500"), ("continue", "x y")]) == (
        200,
        b'{"path": "/a?limit=500&continue=x+y"}',
    )
    get(pool, url + "/b")
    assert len({port for _path, port, _headers in handler.seen}) == 1


def test_an_idle_connection_the_server_closed_is_not_reused(server):
    httpd, handler = server
    handler.close_after = True
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    pool = StdlibTransport(None)
    for _ in range(3):  # each would fail once if a closed connection were reused
        assert get(pool, url + "/a")[0] == 200
    assert len({port for _path, port, _headers in handler.seen}) == 3


def test_a_redirect_is_an_answer_and_nothing_is_retried(server):
    httpd, handler = server
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    assert get(StdlibTransport(None), url + "/redirect")[0] == 302
    assert [path for path, _port, _headers in handler.seen] == ["/redirect"]


def test_headers_once_per_value_and_no_encoding_asked_for(server):
    httpd, handler = server
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    headers = [("Impersonate-User", "alice"), ("Impersonate-Group", "dev"), ("Impersonate-Group", "ops")]
    get(StdlibTransport(None), url + "/a", headers=headers)
    sent = handler.seen[0][2]
    assert [v for k, v in sent if k == "Impersonate-Group"] == ["dev", "ops"]
    assert [v for k, v in sent if k.lower() == "accept-encoding"] == ["identity"]


def test_refused_and_unresolvable_are_unreachable():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(transport.Unreachable, match="refused"):
        StdlibTransport(None).request("GET", f"http://127.0.0.1:{port}/", timeout=TIMEOUT)
    with pytest.raises(transport.Unreachable, match="failed to resolve"):
        StdlibTransport(None).request("GET", "http://no-such-host.invalid/", timeout=TIMEOUT)
    with pytest.raises(transport.BadAddress):
        StdlibTransport(None).request("GET", "http://127.0.0.1:99999999/", timeout=TIMEOUT)


def test_a_silent_server_is_a_read_timeout_and_a_reset_is_a_drop():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]
    accepted: list = []

    def accept():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(conn)
            if len(accepted) == 2:  # the second: read the request, then reset
                conn.recv(65536)
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                conn.close()

    threading.Thread(target=accept, daemon=True).start()
    try:
        with pytest.raises(transport.ReadTimedOut):
            StdlibTransport(None).request("GET", f"http://127.0.0.1:{port}/", timeout=(5.0, 0.3))
        with pytest.raises(transport.Dropped):
            StdlibTransport(None).request("GET", f"http://127.0.0.1:{port}/", timeout=TIMEOUT)
    finally:
        listener.close()
        for conn in accepted:
            conn.close()


def test_tls_checks_the_certificate_against_tls_server_name():
    """The stand-in's certificate names 127.0.0.1 and localhost: tls-server-name "localhost" passes,
    another name is refused (the name checked is the one given, not the URL's host)."""
    from fakeapi.certs import session_certs

    certs = session_certs()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs.cert_path, certs.key_path)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (Recorder,), {"seen": []}))
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client.load_verify_locations(cafile=certs.ca_path)
        url = f"https://127.0.0.1:{httpd.server_address[1]}/a"
        assert get(StdlibTransport(client), url)[0] == 200
        assert get(StdlibTransport(client, server_name="localhost"), url)[0] == 200
        with pytest.raises(transport.TlsFailure, match="certificate"):
            StdlibTransport(client, server_name="api.example").request("GET", url, timeout=TIMEOUT)
        with pytest.raises(transport.TlsFailure, match="certificate verify failed"):
            StdlibTransport(ssl.create_default_context()).request("GET", url, timeout=TIMEOUT)
    finally:
        httpd.shutdown()
        httpd.server_close()
