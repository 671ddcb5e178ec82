"""kube.session over a fake transport (no sockets): retries, timeouts, GET only, no redirects, error sentences.

The last test follows a pod and runs a check end to end over the fake transport and proves every request
the plugin sends is a GET (it replaces a test that grepped the source and could not fail).
"""

from __future__ import annotations

import json
from itertools import islice

import pytest

from kubectl_sidecar.errors import ApiError, NotFoundError
from kubectl_sidecar.kube import checkreads, follow, session
from kubectl_sidecar.kube import transport as kube_transport
from kubectl_sidecar.kube.config import Connection
from kubectl_sidecar.kube.session import ApiTarget, Session

SERVER = "http://api.test:8080"


class FakeResponse:
    def __init__(
        self, status: int, body: object = None, headers: dict | None = None, lines: list | None = None
    ):
        self.status = status
        self.headers = headers or {}
        self.body = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.lines = lines
        self.offset = 0

    def read(self, amt=None, decode_content=None) -> bytes:
        assert decode_content is False, "bodies are read undecoded"
        end = len(self.body) if amt is None else self.offset + amt
        chunk, self.offset = self.body[self.offset : end], min(end, len(self.body))
        return chunk

    def stream(self, amt: int, decode_content: bool = True):
        for line in self.lines or []:
            yield json.dumps(line).encode() + b"\n"

    def release_conn(self) -> None:
        pass

    def shutdown(self) -> None:
        pass


class FakeTransport:
    """Answers from ``routes`` (path -> list of answers, the last one repeated); records every request."""

    def __init__(self, routes: dict):
        self.routes = {path: list(answers) for path, answers in routes.items()}
        self.sent: list = []

    def request(self, method, url, **kwargs):
        self.sent.append((method, url, kwargs))
        path = url[len(SERVER) :]
        answers = self.routes.get(path)
        if not answers:
            return FakeResponse(404, {"kind": "Status", "reason": "NotFound", "message": "not found"})
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer):
            return answer(kwargs)
        return answer

    def clear(self) -> None:
        pass


def make_session(routes: dict, *, timeout=None, sleeps=None, user=None) -> tuple[Session, FakeTransport]:
    connection = Connection(server=SERVER, namespace="ns", user=user)
    transport = FakeTransport(routes)
    sleep = sleeps.append if sleeps is not None else (lambda _s: None)
    return Session(connection, timeout=timeout, sleep=sleep, transport=transport), transport


POD_TARGET = ApiTarget("get", "pods", name="p1", namespace="ns", kind="pod")
POD_PATH = "/api/v1/namespaces/ns/pods/p1"
POD = {
    "kind": "Pod",
    "apiVersion": "v1",
    "metadata": {"name": "p1", "namespace": "ns", "uid": "u1", "resourceVersion": "5"},
    "spec": {},
    "status": {},
}


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504], ids=str)
def test_retries_on_429_and_5xx_then_succeeds(status):
    sleeps: list = []
    api, transport = make_session({POD_PATH: [FakeResponse(status), FakeResponse(200, POD)]}, sleeps=sleeps)
    assert api.get(POD_PATH, POD_TARGET)["metadata"]["name"] == "p1"
    assert len(transport.sent) == 2
    assert sleeps == [session.BACKOFF_SECONDS]


@pytest.mark.parametrize(
    "header, waited",
    [("1.5", 1.5), ("600", session.RETRY_AFTER_CAP), ("soon", 0.25)],
    ids=["honoured", "capped", "unreadable"],
)
def test_retry_after_is_honoured_and_capped(header, waited):
    sleeps: list = []
    answers = [FakeResponse(429, headers={"Retry-After": header}), FakeResponse(200, POD)]
    api, _transport = make_session({POD_PATH: answers}, sleeps=sleeps)
    api.get(POD_PATH, POD_TARGET)
    assert sleeps == [waited]


def test_gives_up_after_max_attempts():
    api, transport = make_session({POD_PATH: [FakeResponse(503, {"message": "busy"})]})
    with pytest.raises(ApiError, match="answered 503"):
        api.get(POD_PATH, POD_TARGET)
    assert len(transport.sent) == session.MAX_ATTEMPTS


@pytest.mark.parametrize(
    "error, sentence",
    [
        (kube_transport.ReadTimedOut("read timed out"), "did not answer within 2s (--request-timeout)"),
        (kube_transport.ConnectTimedOut("connect timed out"), "did not answer within 2s (--request-timeout)"),
    ],
    ids=["read", "connect"],
)
def test_timeouts_are_not_retried(error, sentence):
    api, transport = make_session({POD_PATH: [error]}, timeout=2.0)
    with pytest.raises(ApiError, match=sentence.replace("(", r"\(").replace(")", r"\)")):
        api.get(POD_PATH, POD_TARGET)
    assert len(transport.sent) == 1


def test_only_get_and_a_redirect_is_an_answer_not_followed():
    """The transports follow no redirect and retry nothing (tests/integration/test_transport.py shows it
    on sockets); the session takes a 302 as the answer."""
    api, fake = make_session({POD_PATH: [FakeResponse(302, b"", headers={"Location": "/elsewhere"})]})
    with pytest.raises(ApiError, match="answered 302"):
        api.get(POD_PATH, POD_TARGET)
    assert [(method, url) for method, url, _kwargs in fake.sent] == [("GET", SERVER + POD_PATH)]
    assert set(fake.sent[0][2]) == {"fields", "headers", "timeout"}


@pytest.mark.parametrize(
    "status, body, error, sentence",
    [
        (
            401,
            {"message": "Unauthorized"},
            ApiError,
            'the API server http://api.test:8080 rejected the credentials of user "alice" (401 Unauthorized): the '
            "token, client certificate or credential plugin output is wrong or expired",
        ),
        (
            403,
            {"message": 'pods "p1" is forbidden'},
            ApiError,
            'the API server http://api.test:8080 refused to get pods "p1" in namespace "ns" (403 Forbidden): '
            'pods "p1" is forbidden',
        ),
        (
            404,
            {"message": "not found"},
            NotFoundError,
            'pod "p1" not found in namespace "ns" on the API server http://api.test:8080',
        ),
    ],
    ids=["401", "403", "404"],
)
def test_error_sentences(status, body, error, sentence):
    api, _transport = make_session({POD_PATH: [FakeResponse(status, body)]}, user="alice")
    with pytest.raises(error) as caught:
        api.get(POD_PATH, POD_TARGET)
    assert str(caught.value) == sentence
    if status == 403:
        assert caught.value.detail == 'pods "p1" is forbidden'


def _list(kind: str, items: list, rv: str = "7") -> FakeResponse:
    return FakeResponse(
        200, {"kind": f"{kind}List", "apiVersion": "v1", "metadata": {"resourceVersion": rv}, "items": items}
    )


def test_every_request_of_a_check_and_a_follow_is_a_get():
    job = {
        "kind": "Job",
        "apiVersion": "batch/v1",
        "metadata": {"name": "j", "namespace": "ns", "uid": "ju"},
        "spec": {"selector": {"matchLabels": {"app": "j"}}},
    }
    owned = dict(
        POD,
        metadata=dict(
            POD["metadata"],
            ownerReferences=[{"apiVersion": "batch/v1", "kind": "Job", "name": "j", "uid": "ju"}],
        ),
        spec={"nodeName": "n1"},
    )
    gone = {"type": "DELETED", "object": owned}

    def pods(kwargs):
        fields = dict(kwargs.get("fields") or [])
        if fields.get("watch") == "true":
            return FakeResponse(200, lines=[gone])
        return _list("Pod", [owned])

    def events(kwargs):
        fields = dict(kwargs.get("fields") or [])
        return FakeResponse(200, lines=[]) if fields.get("watch") == "true" else _list("Event", [])

    routes = {
        "/version": [FakeResponse(200, {"gitVersion": "v1.30.2"})],
        "/apis/batch/v1/namespaces/ns/jobs/j": [FakeResponse(200, job)],
        "/api/v1/namespaces/ns/pods": [pods],
        "/api/v1/namespaces/ns/events": [events],
        "/api/v1/nodes/n1": [FakeResponse(200, {"kind": "Node", "metadata": {"name": "n1"}})],
        POD_PATH: [FakeResponse(200, owned)],
    }
    api, transport = make_session(routes)
    snapshot = checkreads.read_check(api, job="j")
    assert [p["metadata"]["name"] for p in snapshot.pods] == ["p1"]
    updates = list(islice(follow.follow_pod(api, "p1", poll=0.05), 3))
    assert updates[-1].deleted
    methods = {method for method, _url, _kwargs in transport.sent}
    assert methods == {"GET"}
    assert any("watch" in dict(kwargs.get("fields") or []) for _m, _u, kwargs in transport.sent)
    assert all(set(kwargs) == {"fields", "headers", "timeout"} for _m, _u, kwargs in transport.sent)
