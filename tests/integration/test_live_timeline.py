"""``timeline POD`` against a live API server (the stand-in, through the real kubernetes client).

``responses`` cannot intercept the kubernetes client (it patches ``requests``; the client uses urllib3),
so every test here talks HTTP(S) to a real server on 127.0.0.1.
"""

from __future__ import annotations

import copy
import json
import math
import os
import time
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from clirunner import cli_runner
from fakeapi import DATA_DIR

from kubectl_sidecar import app as app_module
from kubectl_sidecar import kube
from kubectl_sidecar.cli import cli
from kubectl_sidecar.errors import ApiError
from kubectl_sidecar.model import EventsState
from kubectl_sidecar.options import KubeOptions

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "kubectl_sidecar" / "demo"
SCENARIOS = yaml.safe_load((DEMO / "index.yaml").read_text())


@pytest.fixture(autouse=True)
def isolated_home(monkeypatch, clean_kube_env):
    monkeypatch.setattr(kube.session, "BACKOFF_SECONDS", 0.01)


def run(*args):
    env = {"COLUMNS": "100", "TZ": "UTC", "NO_COLOR": "1"}
    return cli_runner().invoke(cli, list(args), env=env, catch_exceptions=False)


def pod(name="p1", namespace="default", uid="uid-p1", node=None, owner=None, **status):
    meta = {
        "name": name,
        "namespace": namespace,
        "uid": uid,
        "creationTimestamp": "2025-03-04T08:00:00Z",
        "resourceVersion": "1",
    }
    if owner:
        meta["ownerReferences"] = [
            {"apiVersion": "batch/v1", "kind": "Job", "name": owner, "uid": "job-uid", "controller": True}
        ]
    spec = {"containers": [{"name": "app", "image": "busybox"}], "restartPolicy": "Never"}
    if node:
        spec["nodeName"] = node
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": spec,
        "status": dict({"phase": "Running"}, **status),
    }


def event(i, pod_name="p1", uid="uid-p1", namespace="default", reason="Started", container="app"):
    involved = {
        "kind": "Pod",
        "name": pod_name,
        "namespace": namespace,
        "apiVersion": "v1",
        "fieldPath": f"spec.containers{{{container}}}",
    }
    if uid is not None:
        involved["uid"] = uid
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{pod_name}.{i:08x}", "namespace": namespace, "uid": f"ev-{pod_name}-{i}"},
        "involvedObject": involved,
        "reason": reason,
        "message": f"{reason} container {container}",
        "type": "Normal",
        "source": {"component": "kubelet"},
        "count": 1,
        "firstTimestamp": "2025-03-04T08:00:05Z",
        "lastTimestamp": "2025-03-04T08:00:05Z",
    }


# ------------------------------------------------------------------------------------ same as files


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_live_timeline_prints_what_files_of_the_same_objects_print(
    scenario, fake_api_factory, kubeconfig, monkeypatch
):
    path = DEMO / scenario["file"]
    # A live timeline runs to "now" while a container runs; files have no now. Pin the clock to the
    # last mark so both end at the same place.
    marks = json.loads(run("timeline", "-f", str(path), "-o", "json").stdout)["marks"]
    last = max(datetime.fromisoformat(m["time"].replace("Z", "+00:00")) for m in marks)
    monkeypatch.setattr(
        app_module, "datetime", type("PinnedClock", (datetime,), {"now": staticmethod(lambda tz=None: last)})
    )
    api = fake_api_factory([str(path)], tls=True, token="demo-token", version=scenario["clusterVersion"])
    namespace = next(
        o["metadata"]["namespace"] for o in api.objects("Pod") if o["metadata"]["name"] == scenario["pod"]
    )
    config = kubeconfig(api, namespace=namespace)

    live = run("timeline", scenario["pod"], "--kubeconfig", config)
    offline = run("timeline", "-f", str(path), "--cluster-version", scenario["clusterVersion"])
    assert live.exit_code == 0, live.stderr

    def same_source(text):
        """The timeline and chart, with where the version came from made equal. Findings after them
        may differ by design: for a live pod the checks know "now" (files have no now)."""
        text = text.replace(f"{scenario['clusterVersion']} (server)", f"{scenario['clusterVersion']} (flag)")
        return text.split("\nFindings: ", 1)[0]

    assert same_source(live.stdout) == same_source(offline.stdout)
    assert api.writes() == []
    live = run("timeline", scenario["pod"], "--kubeconfig", config, "-o", "wide")
    offline = run("timeline", "-f", str(path), "--cluster-version", scenario["clusterVersion"], "-o", "wide")
    assert same_source(live.stdout) == same_source(offline.stdout)
    live = json.loads(run("timeline", scenario["pod"], "--kubeconfig", config, "-o", "json").stdout)
    offline = json.loads(
        run("timeline", "-f", str(path), "--cluster-version", scenario["clusterVersion"], "-o", "json").stdout
    )
    assert (live["cluster"].pop("versionSource"), offline["cluster"].pop("versionSource")) == (
        "server",
        "flag",
    )
    for key in ("pod", "cluster", "origin", "containers", "marks", "events"):
        assert live[key] == offline[key], key
    # notes: the live run may add what it could not read (e.g. a node the file did not hold either)
    assert set(offline["notes"]) <= set(live["notes"])
    assert {r.method for r in api.requests} == {"GET"}


def test_requests_for_one_pod_with_node_and_job(cluster_api, kubeconfig):
    config = kubeconfig(cluster_api, namespace="batch-jobs")
    cluster_api.reset_log()
    result = run("timeline", "etl-20240501-x7k2p", "--kubeconfig", config)
    assert result.exit_code == 0, result.stderr
    paths = sorted((r.path, r.query.get("fieldSelector", "")) for r in cluster_api.requests)
    assert paths == [
        (
            "/api/v1/namespaces/batch-jobs/events",
            "involvedObject.kind=Pod,involvedObject.name=etl-20240501-x7k2p",
        ),
        ("/api/v1/namespaces/batch-jobs/pods/etl-20240501-x7k2p", ""),
        ("/api/v1/nodes/node-a", ""),
        ("/apis/batch/v1/namespaces/batch-jobs/jobs/etl-20240501", ""),
        ("/version", ""),
    ]
    assert all(r.method == "GET" and r.status == 200 for r in cluster_api.requests)


def test_events_without_uid_are_found_by_name(cluster_api):
    """Older ACS virtual nodes wrote events without involvedObject.uid."""
    events = [
        o for o in cluster_api.objects("Event") if o["involvedObject"]["name"] == "report-28571530-kq9zt"
    ]
    assert events and all(not e["involvedObject"].get("uid") for e in events)
    namespace = events[0]["metadata"]["namespace"]
    snap = kube.fetch_pod_snapshot(
        KubeOptions(server=cluster_api.url, namespace=namespace), "report-28571530-kq9zt"
    )
    assert sorted(e["metadata"]["uid"] for e in snap.events) == sorted(e["metadata"]["uid"] for e in events)
    assert all(e["kind"] == "Event" and e["apiVersion"] == "v1" for e in snap.events)


def test_events_by_uid_and_by_name_are_not_duplicated(fake_api):
    """An event of the pod is read once; one of an earlier pod of the same name is left out."""
    fake_api.load([pod(), event(1), event(2, uid=None), event(3, uid="uid-of-an-earlier-p1")])
    snap = kube.fetch_pod_snapshot(KubeOptions(server=fake_api.url), "p1")
    assert sorted(e["metadata"]["uid"] for e in snap.events) == ["ev-p1-1", "ev-p1-2"]
    assert kube.reads.dedupe_events([event(1), event(1), event(2)]) == [event(1), event(2)]


def test_events_are_read_page_by_page(fake_api):
    count = 1203
    fake_api.load([pod()] + [event(i) for i in range(count)])
    snap = kube.fetch_pod_snapshot(KubeOptions(server=fake_api.url), "p1")
    assert len(snap.events) == count
    pages = [
        r
        for r in fake_api.requests
        if r.path.endswith("/events") and "involvedObject.name=p1" in r.query["fieldSelector"]
    ]
    assert len(pages) == math.ceil(count / kube.session.PAGE_SIZE)
    assert (
        all(r.query["limit"] == "500" for r in pages) and sum(1 for r in pages if "continue" in r.query) == 2
    )


def test_expired_continue_token_restarts_the_list_once(fake_api):
    fake_api.load([pod()] + [event(i) for i in range(700)])
    fake_api.fail(r"/events$", 410, query="continue=")
    snap = kube.fetch_pod_snapshot(KubeOptions(server=fake_api.url), "p1")
    assert len(snap.events) == 700
    assert any("limit" not in r.query for r in fake_api.requests if r.path.endswith("/events"))


# ------------------------------------------------------------------------------------ optional data


def test_forbidden_events_become_a_note_in_stderr_and_json(fake_api, kubeconfig):
    fake_api.load([pod()])
    fake_api.fail(r"/events$", 403, times=None)
    config = kubeconfig(fake_api)
    result = run("timeline", "p1", "--kubeconfig", config)
    assert result.exit_code == 0
    assert 'listing events in namespace "default" was forbidden (403)' in result.stderr
    assert 'cannot list resource "events"' in result.stderr
    document = json.loads(run("timeline", "p1", "--kubeconfig", config, "-o", "json").stdout)
    assert document["events"]["state"] == EventsState.FORBIDDEN
    assert any("was forbidden (403)" in n for n in document["notes"])


def test_forbidden_node_and_missing_job_are_notes(fake_api):
    fake_api.load(
        [
            pod(node="node-x", owner="gone-job"),
            {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-x"}},
        ]
    )
    fake_api.fail(r"/nodes/", 403, times=None)
    snap = kube.fetch_pod_snapshot(KubeOptions(server=fake_api.url), "p1")
    assert snap.events_state == EventsState.LISTED and snap.nodes == [] and snap.jobs == []
    assert any(
        n.startswith('reading node "node-x" was forbidden (403: nodes "node-x" is forbidden')
        for n in snap.notes
    )
    assert any(n.startswith('Job "gone-job" does not exist (404)') for n in snap.notes)


def test_server_version_comes_from_version_endpoint(fake_api_factory):
    api = fake_api_factory([pod()], version="v1.28.15-aliyun.1")
    snap = kube.fetch_pod_snapshot(KubeOptions(server=api.url), "p1")
    assert snap.server_version.git_version == "v1.28.15-aliyun.1" and snap.server_version.source == "server"
    api.fail(r"^/version$", 403)
    snap = kube.fetch_pod_snapshot(KubeOptions(server=api.url), "p1")
    assert snap.server_version is None
    assert any("server version" in n and "--cluster-version" in n for n in snap.notes)


# ------------------------------------------------------------------------------------ errors


def _error(result):
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_pod_not_found(fake_api, kubeconfig):
    line = _error(run("timeline", "ghost", "--kubeconfig", kubeconfig(fake_api, namespace="team-a")))
    assert (
        line
        == f'error: pod "ghost" not found in namespace "team-a" on the API server {fake_api.url} (context "test")'
    )


def test_forbidden_pod_names_verb_and_resource(fake_api, kubeconfig):
    fake_api.fail(r"/pods/p1$", 403, times=None)
    line = _error(run("timeline", "p1", "--kubeconfig", kubeconfig(fake_api)))
    assert line.startswith(
        f'error: the API server {fake_api.url} (context "test") refused to get pods "p1" '
        'in namespace "default" (403 Forbidden): '
    )
    assert 'User "test-user" cannot get resource "pods"' in line


def test_unauthorized_names_context_and_server_and_hides_the_token(fake_api_tls, kubeconfig):
    config = kubeconfig(fake_api_tls, token="wrong-token-value")
    line = _error(run("timeline", "p1", "--kubeconfig", config))
    assert line == (
        f'error: the API server {fake_api_tls.url} (context "test") rejected the credentials of user '
        '"test-user" (401 Unauthorized): the token, client certificate or credential plugin output '
        "is wrong or expired"
    )
    assert "wrong-token-value" not in line


def test_unreachable_server(fake_api, kubeconfig):
    url = fake_api.refused_url()
    line = _error(run("timeline", "p1", "--kubeconfig", kubeconfig(server_url=url)))
    assert line == f'error: cannot reach the API server {url} (context "test"): connection refused'


def test_tls_failure(fake_api_tls, kubeconfig):
    config = kubeconfig(fake_api_tls, ca_path=None)
    line = _error(run("timeline", "p1", "--kubeconfig", config))
    assert line.startswith(
        f'error: TLS with the API server {fake_api_tls.url} (context "test") failed: '
        "certificate verify failed"
    )
    assert "--certificate-authority" in line


def test_request_timeout(fake_api, kubeconfig):
    fake_api.load([pod()])
    fake_api.fail(r"/pods/p1$", delay=3, times=None)
    started = time.monotonic()
    line = _error(run("timeline", "p1", "--kubeconfig", kubeconfig(fake_api), "--request-timeout", "500ms"))
    assert time.monotonic() - started < 2.5
    assert (
        line
        == f'error: the API server {fake_api.url} (context "test") did not answer within 0.5s (--request-timeout)'
    )


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 429, "retry_after": 0},
        {"status": 503, "times": 2},
        {"status": 500},
        {"mode": "reset"},
        {"mode": "truncate"},
        {"mode": "close"},
    ],
    ids=["429", "503-twice", "500", "reset", "truncate", "close"],
)
def test_transient_failures_are_retried(fake_api, fault):
    fake_api.load([pod()])
    fake_api.fail(r"/pods/p1$", **fault)
    snap = kube.fetch_pod_snapshot(KubeOptions(server=fake_api.url), "p1")
    assert snap.pods[0]["metadata"]["name"] == "p1"
    attempts = [r for r in fake_api.requests if r.path.endswith("/pods/p1")]
    assert len(attempts) == fault.get("times", 1) + 1


def test_retry_after_is_honoured_and_capped(fake_api, monkeypatch):
    waits = []
    fake_api.load([pod()])
    fake_api.fail(r"/pods/p1$", 429, retry_after=120)
    session = kube.session.Session.open(KubeOptions(server=fake_api.url), sleep=waits.append)
    kube.reads.read_pod(session, "p1")
    assert waits == [kube.session.RETRY_AFTER_CAP]


def test_retries_are_bounded(fake_api):
    fake_api.load([pod()])
    fake_api.fail(r"/pods/p1$", 503, times=None)
    with pytest.raises(ApiError, match=r"answered 503 ServiceUnavailable to get pods \"p1\""):
        kube.fetch_pod_snapshot(KubeOptions(server=fake_api.url), "p1")
    assert len([r for r in fake_api.requests if r.path.endswith("/pods/p1")]) == kube.session.MAX_ATTEMPTS


def test_only_get_requests_reach_the_server(cluster_api):
    for namespace, name in (("batch-jobs", "etl-20240501-x7k2p"), ("shop", "web-7d9c6b5f4-q2xkz")):
        kube.fetch_pod_snapshot(KubeOptions(server=cluster_api.url, namespace=namespace), name)
    assert cluster_api.requests and cluster_api.writes() == []


def test_snapshot_holds_raw_dicts_as_served(cluster_api):
    snap = kube.fetch_pod_snapshot(
        KubeOptions(server=cluster_api.url, namespace="batch-jobs"), "etl-20240501-x7k2p"
    )
    served = cluster_api.get_object("Pod", "batch-jobs", "etl-20240501-x7k2p")
    assert snap.pods == [served]
    assert snap.jobs == [cluster_api.get_object("Job", "batch-jobs", "etl-20240501")]
    served_node = copy.deepcopy(cluster_api.get_object("Node", None, "node-a"))
    assert snap.nodes == [served_node]
    assert snap.source == f"server {cluster_api.url}"
    assert os.path.basename(DATA_DIR) == "data"
