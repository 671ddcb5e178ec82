"""Request budgets at scale, on the benchmark's synthetic Job (bench/synth.py): counts, never timings.

For a Job of N pods with E pod events, ``check job/NAME`` makes at most ceil(N/500) + ceil(E/500) + 4
requests, whatever N: never one per pod for a big Job (``kubectl describe pods -l ...`` makes 2 per pod);
a small Job in a namespace of many events reads its few pods' events by name instead of every page.
Counts are deterministic, so they are asserted exactly; timings live in docs/performance.md
(bench/run.py).
"""

from __future__ import annotations

import importlib.util
import math
import os
import sys

import pytest
from click.testing import CliRunner

from kubectl_sidecar import kube
from kubectl_sidecar.cli import cli
from kubectl_sidecar.options import KubeOptions

_SYNTH = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "bench", "synth.py"
)
_spec = importlib.util.spec_from_file_location("bench_synth", _SYNTH)
synth = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = synth  # dataclasses and annotations look their module up
_spec.loader.exec_module(synth)

SIZES = [1, 200, 501, 1001]


pytestmark = pytest.mark.usefixtures("clean_kube_env")


@pytest.fixture(scope="module")
def job_apis():
    """One stand-in per size, loaded once for the module (loading 1,001 pods and 10,000 events takes
    a few seconds)."""
    from fakeapi import FakeApiServer  # tests/ is on sys.path (conftest.py)

    servers = {}
    for n in SIZES:
        data = synth.objects(n, managed_fields=False)  # counts do not depend on sizes
        server = FakeApiServer([data["job"]] + data["nodes"] + data["pods"] + data["events"])
        servers[n] = server.start()
    yield servers
    for server in servers.values():
        server.stop()


def pod_events(api) -> int:
    return sum(1 for e in api.objects("Event", synth.NAMESPACE) if e["involvedObject"]["kind"] == "Pod")


def expected(n: int, events: int) -> int:
    """What the plugin makes: the pod pages, the event pages, the Job, /version, the count of the
    namespace's events (``limit=1``) and the nodes (the Job's pods are on several nodes: one list of
    virtual-kubelet nodes; one pod: one GET)."""
    return math.ceil(n / 500) + math.ceil(events / 500) + 4


def budget(n: int, events: int) -> int:
    return math.ceil(n / 500) + math.ceil(events / 500) + 4


def event_count_requests(requests) -> list:
    """The one request that counts the namespace's events: ``limit=1``, no selector."""
    return [r for r in requests if r.path.endswith("/events") and r.query.get("limit") == "1"]


def assert_no_request_per_pod(requests) -> None:
    per_pod = [
        r
        for r in requests
        if "/pods/" in r.path
        or "involvedObject.name" in r.query.get("fieldSelector", "")
        or "involvedObject.uid" in r.query.get("fieldSelector", "")
    ]
    assert per_pod == [], [(r.path, r.query) for r in per_pod]


def test_fetch_check_snapshot_stays_within_the_budget_and_grows_with_pages_not_pods(job_apis):
    counts = {}
    for n in SIZES:
        api = job_apis[n]
        events = pod_events(api)
        assert events == synth.pod_event_count(n) and events >= 9 * n  # about 10 per pod
        api.reset_log()
        snapshot = kube.fetch_check_snapshot(
            KubeOptions(server=api.url, namespace=synth.NAMESPACE), job=synth.JOB_NAME
        )
        requests = api.requests
        assert len(snapshot.pods) == n and len(snapshot.events) == events
        assert len(requests) == expected(n, events) <= budget(n, events), [
            (r.path, r.query) for r in requests
        ]
        assert_no_request_per_pod(requests)
        assert api.writes() == [] and api.errors == []
        (count,) = event_count_requests(requests)
        assert "fieldSelector" not in count.query and "labelSelector" not in count.query
        pages = [r for r in requests if r.path.endswith(("/pods", "/events")) and r is not count]
        assert len([r for r in pages if r.path.endswith("/events")]) == math.ceil(events / 500)
        assert {r.query["limit"] for r in pages} == {"500"}
        counts[n] = len(requests)
    assert counts[1] == 6  # Job, /version, the events' count, pods, events, node
    assert (
        counts[1001] == 3 + 20 + 4
    )  # 1,001 pods: 3 pages; 9,990 events: 20 pages; Job, /version, count, nodes
    assert counts[1001] - counts[200] == (3 - 1) + (20 - 4)  # 801 more pods: 18 more pages, not 801 requests


@pytest.mark.parametrize("n", [200, 1001])
def test_the_check_command_makes_only_those_requests(job_apis, tmp_path, n):
    """The whole command, not only its fetch: nothing else reaches the server."""
    api = job_apis[n]
    kubeconfig = api.write_kubeconfig(tmp_path / "kubeconfig", namespace=synth.NAMESPACE)
    api.reset_log()
    result = CliRunner().invoke(
        cli,
        ["check", f"job/{synth.JOB_NAME}", "-o", "json"],
        env={"KUBECONFIG": kubeconfig, "COLUMNS": "100"},
    )
    assert result.exit_code in (0, 1), result.output
    events = pod_events(api)
    assert len(api.requests) == expected(n, events) <= budget(n, events)
    assert_no_request_per_pod(api.requests)


def test_timeline_of_one_pod_of_a_large_job_reads_only_that_pod(job_apis, tmp_path):
    """timeline POD: the pod, /version, its events (one list by name), its node and its Job: 5 requests,
    however large the Job and the namespace's events."""
    api = job_apis[1001]
    kubeconfig = api.write_kubeconfig(tmp_path / "kubeconfig", namespace=synth.NAMESPACE)
    api.reset_log()
    result = CliRunner().invoke(
        cli, ["timeline", synth.pod_name(19), "-o", "json"], env={"KUBECONFIG": kubeconfig}
    )
    assert result.exit_code == 0, result.output
    kinds = sorted(
        next(part for part in ("pods", "events", "jobs", "nodes", "version") if part in r.path.split("/"))
        for r in api.requests
    )
    assert len(api.requests) == 5, [(r.path, r.query) for r in api.requests]
    assert kinds == ["events", "jobs", "nodes", "pods", "version"]


def test_a_small_job_in_a_big_namespace_reads_its_pods_events_by_name():
    """5 pods among 6,010 events (13 pages): 5 event lists by pod name instead of the 13 pages, each
    answered with that pod's events only; the same events as the paged list would have given."""
    from builders import listed_event, listed_job, listed_node, listed_pod
    from fakeapi import FakeApiServer

    own = [listed_event(i, f"batch-{i % 5:05d}") for i in range(10)]
    others = [listed_event(i, f"other-{i:05d}") for i in range(6000)]
    server = FakeApiServer(
        [listed_job(), *(listed_pod(i) for i in range(5)), *own, *others, listed_node("node-1")]
    )
    api = server.start()
    try:
        snapshot = kube.fetch_check_snapshot(KubeOptions(server=api.url, namespace="ns"), job="batch")
        requests = api.requests
    finally:
        server.stop()
    assert sorted(e.uid for e in snapshot.events) == sorted(e["metadata"]["uid"] for e in own)
    assert len(event_count_requests(requests)) == 1
    lists = sorted(r.query.get("fieldSelector", "") for r in requests if r.path.endswith("/events"))
    assert lists == [""] + [f"involvedObject.kind=Pod,involvedObject.name=batch-{i:05d}" for i in range(5)]
    # the Job, /version, the count, the pods, 5 event lists, the node; the paged plan would make 17
    assert len(requests) == 4 + 5 + 1 < expected(5, 6010) <= budget(5, 6010)
