"""Request planning (kube.reads, kube.checkreads) in memory: a fake Reader, no sockets.

Which reads each command makes, and what a refused or missing optional read becomes (a note), or a
missing required one (an error).
"""

from __future__ import annotations

import threading

import pytest

from kubectl_sidecar.errors import ApiError, NotFoundError
from kubectl_sidecar.kube import checkreads, reads
from kubectl_sidecar.model import EventsState, parse_cluster_version

JOB = {
    "kind": "Job",
    "apiVersion": "batch/v1",
    "metadata": {"name": "j", "namespace": "ns", "uid": "ju"},
    "spec": {"selector": {"matchLabels": {"app": "j"}}},
}
POD = {
    "kind": "Pod",
    "apiVersion": "v1",
    "spec": {"nodeName": "n1"},
    "metadata": {
        "name": "p1",
        "namespace": "ns",
        "uid": "u1",
        "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": "j", "uid": "ju"}],
    },
}
EVENT = {
    "kind": "Event",
    "metadata": {"name": "p1.1", "namespace": "ns", "uid": "e1"},
    "involvedObject": {"kind": "Pod", "name": "p1", "namespace": "ns"},
    "reason": "Started",
}
NODE = {"kind": "Node", "metadata": {"name": "n1"}}


def forbidden(what: str) -> ApiError:
    return ApiError(f"refused to {what} (403 Forbidden): no", status=403, detail=f"cannot {what}")


class FakeReader:
    """Serves (verb, path) -> answer; an exception answer is raised. Records what was asked, thread-safely."""

    namespace = "ns"
    source = "fake"
    described = "the fake API server"

    def __init__(self, answers: dict):
        self.answers = answers
        self.asked: list = []
        self._lock = threading.Lock()

    def _answer(self, verb, path, query):
        with self._lock:
            self.asked.append((verb, path, tuple(sorted((query or {}).items()))))
        answer = self.answers.get((verb, path))
        if answer is None:
            raise NotFoundError("thing", path, None, "on the fake")
        if isinstance(answer, Exception):
            raise answer
        return answer

    def get(self, path, target, query=None):
        return dict(self._answer("get", path, query))

    def list(self, path, target, query=None, each=None):
        items = [dict(i) for i in self._answer("list", path, query)]
        if each is not None:
            items = [r for r in map(each, items) if r is not None]
        return items, "1"


def base_answers() -> dict:
    return {
        ("get", "/version"): {"gitVersion": "v1.29.3"},
        ("get", "/api/v1/namespaces/ns/pods/p1"): POD,
        ("get", "/apis/batch/v1/namespaces/ns/jobs/j"): JOB,
        ("get", "/api/v1/nodes/n1"): NODE,
        ("list", "/api/v1/namespaces/ns/pods"): [POD],
        ("list", "/api/v1/pods"): [POD],
        ("list", "/api/v1/namespaces/ns/events"): [EVENT],
        ("list", "/api/v1/events"): [EVENT],
        ("list", "/apis/batch/v1/namespaces/ns/jobs"): [JOB],
        ("list", "/apis/batch/v1/jobs"): [JOB],
    }


POD_EVENTS = [
    (
        "list",
        "/api/v1/namespaces/ns/events",
        (("fieldSelector", "involvedObject.kind=Pod,involvedObject.name=p1"),),
    ),
]
POD_EVENTS_NS = ("list", "/api/v1/namespaces/ns/events", (("fieldSelector", "involvedObject.kind=Pod"),))


@pytest.mark.parametrize(
    "run, expected",
    [
        (
            lambda r: reads.read_pod(r, "p1"),
            [
                ("get", "/api/v1/namespaces/ns/pods/p1", ()),
                ("get", "/version", ()),
                *POD_EVENTS,
                ("get", "/api/v1/nodes/n1", ()),
                ("get", "/apis/batch/v1/namespaces/ns/jobs/j", ()),
            ],
        ),
        (
            lambda r: checkreads.read_check(r, job="j"),
            [
                ("get", "/apis/batch/v1/namespaces/ns/jobs/j", ()),
                ("get", "/version", ()),
                ("get", "/api/v1/namespaces/ns/events", (("limit", "1"),)),
                ("list", "/api/v1/namespaces/ns/pods", (("labelSelector", "app=j"),)),
                POD_EVENTS_NS,
                ("get", "/api/v1/nodes/n1", ()),
            ],
        ),
        (
            lambda r: checkreads.read_check(r, pod="p1"),
            [
                ("get", "/api/v1/namespaces/ns/pods/p1", ()),
                ("get", "/version", ()),
                *POD_EVENTS,
                ("get", "/api/v1/nodes/n1", ()),
                ("get", "/apis/batch/v1/namespaces/ns/jobs/j", ()),
            ],
        ),
        (
            lambda r: checkreads.read_check(r, selector="app=j"),
            [
                ("list", "/api/v1/namespaces/ns/pods", (("labelSelector", "app=j"),)),
                POD_EVENTS_NS,
                ("get", "/version", ()),
                ("get", "/apis/batch/v1/namespaces/ns/jobs/j", ()),
                ("get", "/api/v1/nodes/n1", ()),
            ],
        ),
        (
            lambda r: checkreads.read_check(r),
            [
                ("list", "/api/v1/namespaces/ns/pods", ()),
                POD_EVENTS_NS,
                ("get", "/version", ()),
                ("list", "/apis/batch/v1/namespaces/ns/jobs", ()),
                ("get", "/api/v1/nodes/n1", ()),
            ],
        ),
        (
            lambda r: checkreads.read_check(r, all_namespaces=True),
            [
                ("list", "/api/v1/pods", ()),
                ("list", "/api/v1/events", (("fieldSelector", "involvedObject.kind=Pod"),)),
                ("get", "/version", ()),
                ("list", "/apis/batch/v1/jobs", ()),
                ("get", "/api/v1/nodes/n1", ()),
            ],
        ),
    ],
    ids=[
        "timeline-pod",
        "check-job",
        "check-pod",
        "check-selector",
        "check-namespace",
        "check-all-namespaces",
    ],
)
def test_which_reads_each_command_makes(run, expected):
    reader = FakeReader(base_answers())
    snapshot = run(reader)
    assert sorted(reader.asked) == sorted(expected)
    assert [p["metadata"]["name"] for p in snapshot.pods] == ["p1"]
    assert snapshot.events_state == EventsState.LISTED and snapshot.notes == []
    assert str(snapshot.server_version) == str(parse_cluster_version("v1.29.3"))


def test_forbidden_events_are_a_state_and_a_note():
    answers = base_answers()
    answers[("list", "/api/v1/namespaces/ns/events")] = forbidden("list events")
    snapshot = checkreads.read_check(FakeReader(answers), job="j")
    assert snapshot.events_state == EventsState.FORBIDDEN
    assert snapshot.notes == ['listing events in namespace "ns" was forbidden (403): cannot list events']


def test_a_missing_job_is_an_error():
    answers = base_answers()
    del answers[("get", "/apis/batch/v1/namespaces/ns/jobs/j")]
    with pytest.raises(NotFoundError):
        checkreads.read_check(FakeReader(answers), job="j")


@pytest.mark.parametrize(
    "key, error, note",
    [
        (
            ("get", "/api/v1/nodes/n1"),
            forbidden("get nodes"),
            'reading node "n1" was forbidden (403: cannot get nodes): virtual-node detection rests on the node name '
            "and the pod's annotations",
        ),
        (
            ("get", "/api/v1/nodes/n1"),
            None,
            'node "n1" does not exist (404): virtual-node detection rests on the node name and the pod\'s annotations',
        ),
        (
            ("get", "/apis/batch/v1/namespaces/ns/jobs/j"),
            forbidden("get jobs"),
            'reading Job "j" was forbidden (403: cannot get jobs): the timeline leaves out the Job\'s start and '
            "completion",
        ),
        (
            ("get", "/apis/batch/v1/namespaces/ns/jobs/j"),
            None,
            'Job "j" does not exist (404): the timeline leaves out the Job\'s start and completion',
        ),
        (
            ("get", "/version"),
            forbidden("get /version"),
            "reading the server version (/version) was forbidden (403: cannot get /version): pass --cluster-version to "
            "say which Kubernetes this is",
        ),
    ],
    ids=["node-403", "node-404", "job-403", "job-404", "version-403"],
)
def test_optional_reads_that_fail_are_notes(key, error, note):
    answers = base_answers()
    if error is None:
        del answers[key]
    else:
        answers[key] = error
    snapshot = reads.read_pod(FakeReader(answers), "p1")
    assert snapshot.notes == [note]
    assert [p["metadata"]["name"] for p in snapshot.pods] == ["p1"]


class SlowEventsReader(FakeReader):
    """The events list answers only once the node and the Job were asked for (or after 5 s)."""

    def __init__(self, answers: dict):
        super().__init__(answers)
        self.owners_asked = threading.Event()
        self.events_started = threading.Event()
        self.pod_answered = threading.Event()
        self.overlapped = False

    def _answer(self, verb, path, query):
        if path.endswith("/events"):
            self.events_started.set()
            self.overlapped = self.owners_asked.wait(2)
        if path.startswith(("/api/v1/nodes/", "/apis/batch/")):
            assert self.pod_answered.is_set(), "the node and the Job depend on the pod"
            with self._lock:
                asked = {p for _v, p, _q in self.asked}
            if {"/api/v1/nodes/n1", "/apis/batch/v1/namespaces/ns/jobs/j"} - asked - {path} == set():
                self.owners_asked.set()
        answer = super()._answer(verb, path, query)
        if path.endswith("/pods/p1"):
            self.pod_answered.set()
        return answer


def test_a_timeline_asks_for_the_node_and_job_while_the_events_are_on_their_way():
    """The pod, /version and the events go out at once; the node and the Job as soon as the pod is
    known, not after the slow events list: the events list here waits for them."""
    reader = SlowEventsReader(base_answers())
    snapshot = reads.read_pod(reader, "p1")
    assert reader.events_started.is_set() and reader.overlapped
    assert [n["metadata"]["name"] for n in snapshot.nodes] == ["n1"]
    assert [j["metadata"]["name"] for j in snapshot.jobs] == ["j"]


def test_events_of_an_earlier_pod_of_the_same_name_are_dropped():
    def event(name: str, uid: str | None) -> dict:
        involved = {"kind": "Pod", "name": "p1", "namespace": "ns"}
        if uid is not None:
            involved["uid"] = uid
        return {
            "kind": "Event",
            "metadata": {"name": name, "namespace": "ns", "uid": name},
            "involvedObject": involved,
        }

    answers = base_answers()
    answers[("list", "/api/v1/namespaces/ns/events")] = [
        event("mine", "u1"),
        event("earlier-pod", "u0"),
        event("no-uid", None),
        event("empty-uid", ""),
    ]
    snapshot = reads.read_pod(FakeReader(answers), "p1")
    assert sorted(e["metadata"]["name"] for e in snapshot.events) == ["empty-uid", "mine", "no-uid"]


def test_the_cluster_version_override_is_built_in_and_version_still_read():
    reader = FakeReader(base_answers())
    version = parse_cluster_version("1.28")
    snapshot = reads.read_pod(reader, "p1", cluster_version=version)
    assert snapshot.server_version == version
    assert ("get", "/version", ()) in reader.asked


# ------------------------------------------------------------------------------ check: answers and planning


class RawReader(FakeReader):
    """Answers a GET with exactly what it was given (a list, an empty object...), as a server could."""

    def get(self, path, target, query=None):
        return self._answer("get", path, query)


@pytest.mark.parametrize(
    "answer, shape",
    [
        ({}, "an object without metadata.name"),
        ({"kind": "Job"}, "an object without metadata.name"),
        ({"kind": "Job", "metadata": {"name": ""}}, "an object without metadata.name"),
        ([1, 2, 3], "a list"),
        ("Job", "a JSON str"),
        ({"kind": "Pod", "metadata": {"name": "j"}}, 'an object of kind "Pod"'),
    ],
    ids=["empty", "kind-only", "empty-name", "list", "string", "wrong-kind"],
)
def test_a_malformed_job_answer_is_an_api_error_naming_the_server_and_the_job(answer, shape):
    answers = base_answers()
    answers[("get", "/apis/batch/v1/namespaces/ns/jobs/j")] = answer
    with pytest.raises(ApiError) as caught:
        checkreads.read_check(RawReader(answers), job="j")
    assert str(caught.value) == (
        f'the fake API server answered the GET of Job "j" with {shape}, not a Job: the answer is malformed'
    )
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    "run", [{"job": "j"}, {"selector": "app=j"}, {}], ids=["job", "selector", "namespace"]
)
def test_a_listed_pod_without_a_name_is_an_api_error_not_a_missing_pod(run):
    answers = base_answers()
    answers[("list", "/api/v1/namespaces/ns/pods")] = [POD, {"kind": "Pod", "spec": {}}]
    with pytest.raises(ApiError, match=r'answered the list of pods in namespace "ns" with an object without'):
        checkreads.read_check(FakeReader(answers), **run)


def test_a_listed_job_of_another_kind_is_an_api_error():
    answers = base_answers()
    answers[("list", "/apis/batch/v1/namespaces/ns/jobs")] = [
        JOB,
        {"kind": "CronJob", "metadata": {"name": "c"}},
    ]
    with pytest.raises(
        ApiError, match=r'the list of Jobs in namespace "ns" with an object of kind "CronJob"'
    ):
        checkreads.read_check(FakeReader(answers))


@pytest.mark.parametrize(
    "pods, namespace_events, by_name",
    [
        (5, 50_000, True),  # the case: 5 requests instead of 100 pages
        (1, 501, True),  # 2 pages against 1 request
        (1, 500, False),  # one page: the paged list is one request too
        (3, 1_500, False),  # 3 pages: no fewer requests by name
        (3, 1_501, True),
        (16, 50_000, True),
        (17, 50_000, False),  # a bigger Job: never one request per pod
        (200, 1_000_000, False),
        (0, 10, True),  # no pods: no pod events to read
        (5, None, False),  # the namespace's size unknown: its pages, as before
        (0, None, False),
    ],
)
def test_events_by_name_only_for_a_small_job_in_a_namespace_of_many_events(pods, namespace_events, by_name):
    assert checkreads.events_by_name(pods, namespace_events) is by_name


EVENTS_PATH = "/api/v1/namespaces/ns/events"
TIMED = dict(EVENT, firstTimestamp="2024-05-01T09:00:05Z")  # an event without a time has no record
COUNT = ("get", EVENTS_PATH, (("limit", "1"),))
BY_NAME = ("list", EVENTS_PATH, (("fieldSelector", "involvedObject.kind=Pod,involvedObject.name=p1"),))


def counted(remaining: int | None, more: bool = True) -> dict:
    """The answer of a ``limit=1`` list of the namespace's events."""
    metadata: dict = {"continue": "token"} if more else {}
    if remaining is not None:
        metadata["remainingItemCount"] = remaining
    return {"kind": "EventList", "items": [EVENT], "metadata": metadata}


@pytest.mark.parametrize(
    "count, status, expected",
    [
        (counted(49_999), {}, BY_NAME),
        (counted(49_999), {"succeeded": 1}, BY_NAME),
        (counted(49_999), {"active": 150, "succeeded": 50}, POD_EVENTS_NS),  # listed beside the pods
        (counted(None), {}, POD_EVENTS_NS),  # the server does not say how many
        (counted(None, more=False), {}, POD_EVENTS_NS),  # 1 event: one page
        (counted(499), {}, POD_EVENTS_NS),
        (forbidden("list events"), {}, POD_EVENTS_NS),  # the paged list says what went wrong
    ],
    ids=[
        "big-namespace",
        "status-counts",
        "big-job",
        "size-unknown",
        "one-event",
        "one-page",
        "count-forbidden",
    ],
)
def test_a_job_reads_its_pods_events_by_name_or_in_pages(count, status, expected):
    answers = base_answers()
    answers[("get", EVENTS_PATH)] = count
    answers[("list", EVENTS_PATH)] = [TIMED, dict(TIMED, involvedObject={"kind": "Pod", "name": "p9"})]
    answers[("get", "/apis/batch/v1/namespaces/ns/jobs/j")] = dict(JOB, status=status)
    reader = RawReader(answers)
    snapshot = checkreads.read_check(reader, job="j")
    event_reads = [asked for asked in reader.asked if asked[1] == EVENTS_PATH and asked[0] == "list"]
    assert event_reads == [expected] and COUNT in reader.asked
    assert [e.uid for e in snapshot.events] == ["e1"]  # p9 is no pod of the Job
    assert snapshot.events_state == EventsState.LISTED and snapshot.notes == []


def test_events_read_by_name_that_are_forbidden_are_one_state_and_one_note():
    pods = [dict(POD, metadata=dict(POD["metadata"], name=f"p{i}", uid=f"u{i}")) for i in range(3)]
    answers = base_answers()
    answers[("get", EVENTS_PATH)] = counted(49_999)
    answers[("list", "/api/v1/namespaces/ns/pods")] = pods
    answers[("list", EVENTS_PATH)] = forbidden("list events")
    reader = RawReader(answers)
    snapshot = checkreads.read_check(reader, job="j")
    assert len([a for a in reader.asked if a[0] == "list" and a[1] == EVENTS_PATH]) == 3
    assert snapshot.events_state == EventsState.FORBIDDEN
    assert snapshot.notes == ['listing events in namespace "ns" was forbidden (403): cannot list events']


def test_listed_events_are_kept_as_records_not_raw_dicts():
    answers = base_answers()
    answers[("list", EVENTS_PATH)] = [TIMED, EVENT]
    snapshot = checkreads.read_check(FakeReader(answers), job="j")
    (event,) = snapshot.events
    assert not isinstance(event, dict) and (event.uid, event.reason, event.object_name) == (
        "e1",
        "Started",
        "p1",
    )
