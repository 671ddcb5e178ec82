"""``kube.fetch_check_snapshot`` and ``kube.list_names``: what they read and how many requests it takes.

Budget for a Job of N pods and E events: at most ceil(N/500) + ceil(E/500) + 4 requests; events are
listed namespace-wide (one request per page), never one request per pod but for a small Job in a
namespace of many events (by pod name then); nodes without a request per node.
"""

from __future__ import annotations

import math

import pytest
from builders import LISTED_JOB_UID as JOB_UID
from builders import listed_event, listed_job, listed_node, listed_pod

from kubectl_sidecar import kube
from kubectl_sidecar.errors import ApiError, NotFoundError
from kubectl_sidecar.model import EventsState
from kubectl_sidecar.options import KubeOptions
from kubectl_sidecar.select import job_selector_string

pytestmark = pytest.mark.usefixtures("clean_kube_env")


def opts(api, **kwargs):
    kwargs.setdefault("namespace", "ns")
    return KubeOptions(server=api.url, **kwargs)


@pytest.mark.parametrize(
    "pods, events",
    [(1, 0), (3, 7), (1203, 1), (501, 1502)],
    ids=["1-pod-no-events", "small", "many-pods", "many-events"],
)
def test_job_budget(fake_api, pods, events):
    objects = [listed_job()] + [listed_pod(i) for i in range(pods)] + [listed_node("node-1")]
    objects += [listed_event(i, f"batch-{i % pods:05d}") for i in range(events)]
    objects += [listed_event(0, "someone-else"), listed_event(1, "batch", kind="Job")]  # read, not kept
    fake_api.load(objects)
    fake_api.reset_log()
    snap = kube.fetch_check_snapshot(opts(fake_api), job="batch")
    assert len(snap.pods) == pods and len(snap.jobs) == 1 and len(snap.events) == events
    assert snap.events_state == EventsState.LISTED and [n["metadata"]["name"] for n in snap.nodes] == [
        "node-1"
    ]
    # E: the namespace's pod events (the Job's and someone else's), which one paged list reads
    budget = math.ceil(pods / 500) + math.ceil((events + 1) / 500) + 4
    assert len(fake_api.requests) <= budget, [(r.path, r.query) for r in fake_api.requests]
    assert fake_api.writes() == []
    event_lists = [r for r in fake_api.requests if r.path.endswith("/events")]
    assert sorted(r.query.get("fieldSelector", "count") for r in event_lists) == sorted(
        ["count"] + ["involvedObject.kind=Pod"] * math.ceil((events + 2) / 500)
    )
    assert [r.query["limit"] for r in event_lists if "fieldSelector" not in r.query] == ["1"]
    pod_lists = [r for r in fake_api.requests if r.path.endswith("/pods")]
    assert {r.query["labelSelector"] for r in pod_lists} == {f"batch.kubernetes.io/controller-uid={JOB_UID}"}


def test_job_pods_on_several_nodes_list_virtual_nodes_once(fake_api):
    fake_api.load(
        [
            listed_job(),
            listed_pod(0, node="node-1"),
            listed_pod(1, node="virtual-kubelet-cn-shenzhen-f"),
            listed_node("node-1"),
            listed_node("virtual-kubelet-cn-shenzhen-f", virtual=True),
        ]
    )
    snap = kube.fetch_check_snapshot(opts(fake_api), job="batch")
    assert [n["metadata"]["name"] for n in snap.nodes] == ["virtual-kubelet-cn-shenzhen-f"]
    node_requests = [r for r in fake_api.requests if "/nodes" in r.path]
    assert len(node_requests) == 1 and node_requests[0].query["labelSelector"] == "type=virtual-kubelet"
    assert all(n["kind"] == "Node" for n in snap.nodes)


def test_job_selector_with_match_expressions(fake_api):
    selector = {
        "matchLabels": {"tier": "batch"},
        "matchExpressions": [
            {"key": "track", "operator": "In", "values": ["a", "b"]},
            {"key": "canary", "operator": "DoesNotExist"},
            {"key": "tier", "operator": "Exists"},
            {"key": "zone", "operator": "NotIn", "values": ["x"]},
        ],
    }
    fake_api.load(
        [
            listed_job(selector=selector),
            listed_pod(0, labels={"tier": "batch", "track": "a"}),
            listed_pod(1, labels={"tier": "batch", "track": "b", "zone": "x"}),
            listed_pod(2, labels={"tier": "batch", "track": "c"}),
            listed_pod(3, labels={"tier": "batch", "track": "a", "canary": "1"}),
        ]
    )
    assert job_selector_string(selector) == "tier=batch,track in (a,b),!canary,tier,zone notin (x)"
    snap = kube.fetch_check_snapshot(opts(fake_api), job="batch")
    assert [p["metadata"]["name"] for p in snap.pods] == ["batch-00000"]


def test_missing_job_is_not_found(fake_api):
    with pytest.raises(NotFoundError, match='Job "nope" not found in namespace "ns"'):
        kube.fetch_check_snapshot(opts(fake_api), job="nope")


def test_single_pod_with_its_job(fake_api):
    fake_api.load(
        [
            listed_job(),
            listed_pod(0),
            listed_pod(1),
            listed_event(1, "batch-00000"),
            listed_event(2, "batch-00001"),
            listed_node("node-1"),
        ]
    )
    snap = kube.fetch_check_snapshot(opts(fake_api), pod="batch-00000")
    assert [p["metadata"]["name"] for p in snap.pods] == ["batch-00000"]
    assert len(snap.jobs) == 1 and [e["metadata"]["uid"] for e in snap.events] == ["ev-batch-00000-1"]
    with pytest.raises(NotFoundError, match='pod "nope" not found'):
        kube.fetch_check_snapshot(opts(fake_api), pod="nope")


def test_selector_reads_matching_pods_and_their_job(fake_api):
    fake_api.load(
        [
            listed_job(),
            listed_pod(0),
            listed_pod(1, labels={"tier": "web"}, owned=False),
            listed_event(1, "batch-00000"),
        ]
    )
    snap = kube.fetch_check_snapshot(opts(fake_api), selector="tier=batch")
    assert [p["metadata"]["name"] for p in snap.pods] == ["batch-00000"]
    assert [j["metadata"]["name"] for j in snap.jobs] == ["batch"]
    assert len(fake_api.requests) <= 6


def test_whole_namespace_and_all_namespaces(fake_api):
    fake_api.load(
        [
            listed_job(),
            listed_pod(0),
            listed_pod(1, namespace="other"),
            listed_event(1, "batch-00000"),
            listed_event(2, "batch-00001", namespace="other"),
        ]
    )
    snap = kube.fetch_check_snapshot(opts(fake_api))
    assert [p["metadata"]["name"] for p in snap.pods] == ["batch-00000"] and len(snap.jobs) == 1
    assert all(p["kind"] == "Pod" and p["apiVersion"] == "v1" for p in snap.pods)
    assert all(j["kind"] == "Job" and j["apiVersion"] == "batch/v1" for j in snap.jobs)
    everywhere = kube.fetch_check_snapshot(opts(fake_api, all_namespaces=True))
    assert sorted(p["metadata"]["namespace"] for p in everywhere.pods) == ["ns", "other"]
    assert len(everywhere.events) == 2
    assert any(r.path == "/api/v1/events" for r in fake_api.requests)
    assert any(r.path == "/apis/batch/v1/jobs" for r in fake_api.requests)


def test_forbidden_events_and_nodes_are_notes(fake_api):
    fake_api.load([listed_job(), listed_pod(0), listed_node("node-1")])
    fake_api.fail(r"/events$", 403, times=None)
    fake_api.fail(r"/nodes/", 403, times=None)
    snap = kube.fetch_check_snapshot(opts(fake_api), job="batch")
    assert snap.events_state == EventsState.FORBIDDEN
    assert any("events" in n and "forbidden" in n for n in snap.notes)
    assert any(n.startswith('reading node "node-1" was forbidden') for n in snap.notes)


def test_forbidden_pods_fail(fake_api):
    fake_api.load([listed_job()])
    fake_api.fail(r"/pods$", 403, times=None)
    with pytest.raises(ApiError, match=r'refused to list pods in namespace "ns" \(403 Forbidden\)'):
        kube.fetch_check_snapshot(opts(fake_api), job="batch")


def test_list_names_for_completion(fake_api):
    fake_api.load([listed_job(), listed_pod(1), listed_pod(0), listed_pod(2, namespace="other")])
    assert kube.list_names(opts(fake_api), "pod") == ["batch-00000", "batch-00001"]
    assert kube.list_names(opts(fake_api), "job") == ["batch"]
    with pytest.raises(ValueError):
        kube.list_names(opts(fake_api), "node")


def test_a_job_without_pods_is_read_with_its_own_events(fake_api):
    """Found by the e2e tier: a Job whose pods the API server refuses (FailedCreate) has no pods, and
    is checked "by its status and events alone"; live, its own events were never read, so SC006 on
    the Job was missed (exit 0) where its files found it (exit 1). Jobs with pods read no Job events."""
    refused = listed_event(1, "batch", kind="Job")
    refused.update(
        reason="FailedCreate",
        type="Warning",
        message=(
            'Error creating: Pod "batch-x2k9p" is invalid: spec.initContainers[0].startupProbe: Forbidden: '
            "may not be set for init containers without restartPolicy=Always"
        ),
    )
    fake_api.load(
        [listed_job(), refused, listed_event(2, "other", kind="Job"), listed_event(3, "batch-00009")]
    )
    snap = kube.fetch_check_snapshot(opts(fake_api), job="batch")
    assert snap.pods == [] and [e.uid for e in snap.events] == ["ev-batch-1"]
    lists = [r.query.get("fieldSelector") for r in fake_api.requests if r.path.endswith("/events")]
    job_events = "involvedObject.kind=Job,involvedObject.name=batch"
    assert lists == [None, job_events]  # the events' count; no pods, so no pod events to list
    fake_api.reset_log()
    whole = kube.fetch_check_snapshot(opts(fake_api))  # the namespace: the same Job, the same event
    assert [e.uid for e in whole.events] == ["ev-batch-1"]
    lists = [r.query["fieldSelector"] for r in fake_api.requests if r.path.endswith("/events")]
    assert lists == ["involvedObject.kind=Pod", job_events]
    fake_api.reset_log()
    everywhere = kube.fetch_check_snapshot(opts(fake_api, all_namespaces=True))
    assert [e.uid for e in everywhere.events] == ["ev-batch-1"]
    assert [r.query["fieldSelector"] for r in fake_api.requests if r.path.endswith("/events")] == [
        "involvedObject.kind=Pod",
        "involvedObject.kind=Job",
    ]
