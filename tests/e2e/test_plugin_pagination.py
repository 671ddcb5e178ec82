"""Pagination beyond 500 on the real apiserver: a Job of 600 pods with 1,200 events (the
``many_pods_scenario``), and one pod with more than 500 events of its own.

The plugin lists with ``limit=500`` and follows ``continue`` tokens. That it saw every object is
asserted from its own output (600 pods checked; no pod without events, which SC011 would report for
a pod whose events sat on a page never read) and from the apiserver's audit log (the pages it asked
for).
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from . import cluster as c
from . import scenarios as sc


def _lists(requests: list, resource: str) -> list[dict]:
    """The list requests of ``resource`` (query parsed), in the order they were received."""
    out = []
    for r in sorted(requests, key=lambda r: r["requestReceivedTimestamp"]):
        if r["verb"] == "list" and (r.get("objectRef") or {}).get("resource") == resource:
            out.append({k: v[0] for k, v in parse_qs(urlsplit(r["requestURI"]).query).items()})
    return out


def test_check_a_job_of_600_pods_reads_every_page(many_pods_scenario, sidecar):
    s = many_pods_scenario
    n, n_events = s.expect["pods"], s.expect["events"]
    assert n > 500 and n_events > 500
    r = sidecar.run("check", f"job/{s.job['metadata']['name']}", "-n", s.namespace, "-o", "json")
    assert r.returncode == 0, r
    doc = r.json()
    assert doc["summary"]["pods"] == n and doc["summary"]["jobs"] == 1
    assert {p["name"] for p in doc["pods"]} == {p["metadata"]["name"] for p in s.pods}
    assert {p["events"] for p in doc["pods"]} == {"listed"}
    assert "SC011" not in doc["summary"]["byCode"]  # every pod had its events: every event page was read
    assert doc["jobs"][0]["succeeded"] == n and len(doc["jobs"][0]["pods"]) == n

    reqs = sidecar.requests(r)
    pods = _lists(reqs, "pods")
    assert len(pods) == math.ceil(n / 500)
    assert all(q["limit"] == "500" for q in pods)
    assert "continue" not in pods[0] and all("continue" in q for q in pods[1:])
    assert pods[0]["labelSelector"] == f"batch.kubernetes.io/controller-uid={s.job['metadata']['uid']}"
    # the namespace's size first (limit=1, beside the Job's GET: a small Job in a big namespace reads its
    # pods' events by name), then the pod events page by page
    events = [q for q in _lists(reqs, "events") if q.get("limit") != "1"]
    assert [q for q in _lists(reqs, "events") if q.get("limit") == "1"] == [{"limit": "1"}]
    assert len(events) == math.ceil(n_events / 500)
    assert {q["fieldSelector"] for q in events} == {"involvedObject.kind=Pod"}
    # the budget docs/live.md gives: ceil(N/500) + ceil(E/500) + 4
    assert len(reqs) <= math.ceil(n / 500) + math.ceil(n_events / 500) + 4


def test_every_way_of_naming_600_pods_checks_all_of_them(many_pods_scenario, sidecar, admin_api):
    s = many_pods_scenario
    n, ns, job = s.expect["pods"], s.namespace, s.job["metadata"]["name"]
    runs = sidecar.run_all(
        [
            (("check", job, "-n", ns, "-o", "json"), {}),
            (("check", "-n", ns, "-o", "json"), {}),  # the namespace
            (("check", "-l", f"batch.kubernetes.io/job-name={job}", "-n", ns, "-o", "json"), {}),
            (("check", "-l", "pool notin (x),app=many", "-n", ns, "-o", "json"), {}),
            (("check", "-A", "-o", "json"), {}),
        ]
    )
    for r in runs:
        assert r.returncode in (0, 1), r
    docs = [r.json() for r in runs]
    for doc in docs[:4]:
        assert doc["summary"]["pods"] == n, doc["target"]
        assert "SC011" not in doc["summary"]["byCode"], doc["target"]
    many = [p for p in docs[4]["pods"] if p["namespace"] == ns]
    assert len(many) == n and {p["events"] for p in many} == {"listed"}
    assert docs[4]["summary"]["pods"] == len(admin_api.list_all("/api/v1/pods"))  # and any other pods


def test_600_pods_live_equal_their_kubectl_dump(many_pods_scenario, e2e_cluster, sidecar, tmp_path):
    """kubectl pages through the same lists (its --chunk-size is 500): the plugin's live check and
    its check of kubectl's dump agree, pod by pod and finding by finding."""
    s = many_pods_scenario
    path = tmp_path / "many.json"
    path.write_text(e2e_cluster.kubectl("get", "job,pod,event", "-n", s.namespace, "-o", "json").stdout)
    nodes = tmp_path / "nodes.json"
    nodes.write_text(e2e_cluster.kubectl("get", "node", *s.nodes, "-o", "json").stdout)
    job = s.job["metadata"]["name"]
    now = s.job["status"]["completionTime"]
    live, files = sidecar.run_all(
        [
            (("check", job, "-n", s.namespace, "-o", "json"), {"now": now}),
            (
                (
                    "check",
                    job,
                    "-n",
                    s.namespace,
                    "-f",
                    path,
                    "-f",
                    nodes,
                    "--cluster-version",
                    "v1.34.4",
                    "-o",
                    "json",
                ),
                {"user": None},
            ),
        ]
    )
    a, b = live.json(), files.json()
    assert a["summary"] == b["summary"] and a["summary"]["pods"] == s.expect["pods"]
    assert a["pods"] == b["pods"] and a["jobs"] == b["jobs"]
    assert [(f["pod"], f["code"]) for f in a["findings"]] == [(f["pod"], f["code"]) for f in b["findings"]]


@pytest.fixture(scope="module")
def chatty_pod(admin_api) -> dict:
    """A pod with 551 events of its own: Scheduled, the sidecar's and app's starts, and 540 readiness
    probe failures of the sidecar, each with its own message (so none are aggregated)."""
    ns = c.create_namespace(admin_api, "chatty")["metadata"]["name"]
    sc.ensure_node(admin_api, "node-a")
    base = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=2)
    job = c.create_job(admin_api, ns, sc.native_job_manifest("chatty"))
    pod = c.create_job_pod(admin_api, job, "chatty-q2v7x", "node-a")
    c.create_scheduler_event(admin_api, pod, base)
    side, app = "spec.initContainers{sidecar}", "spec.containers{app}"
    c.create_event(
        admin_api,
        pod,
        "Started",
        "Started container sidecar",
        first=base + timedelta(seconds=1),
        field_path=side,
    )
    c.create_event(
        admin_api, pod, "Started", "Started container app", first=base + timedelta(seconds=2), field_path=app
    )
    c.patch_pod_status(
        admin_api,
        pod,
        {
            "phase": "Running",
            "startTime": c.ts(base),
            "conditions": [c.condition("PodScheduled", True, base)],
            "initContainerStatuses": [c.running("sidecar", base + timedelta(seconds=1), ready=False)],
            "containerStatuses": [c.running("app", base + timedelta(seconds=2))],
        },
    )
    c.set_job_status(
        admin_api,
        job,
        {"startTime": c.ts(base), "active": 1, "ready": 0, "terminating": 0, "uncountedTerminatedPods": {}},
    )

    def probe(i: int) -> dict:
        t = base + timedelta(seconds=10 + 10 * i)
        return c.create_event(
            admin_api,
            pod,
            "Unhealthy",
            f'Readiness probe failed: Get "http://10.244.1.9:15021/healthz/ready": '
            f"dial tcp 10.244.1.9:15021: connect: connection refused (attempt {i})",
            first=t,
            field_path=side,
            type="Warning",
        )

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(probe, range(540)))
    pod = admin_api.get(f"/api/v1/namespaces/{ns}/pods/{pod['metadata']['name']}")
    total = len(c.list_events(admin_api, ns, uid=pod["metadata"]["uid"]))
    assert total == 543
    return {"pod": pod, "namespace": ns, "events": total}


def test_timeline_of_a_pod_with_more_than_500_events(chatty_pod, e2e_cluster, sidecar, tmp_path):
    name, ns, total = chatty_pod["pod"]["metadata"]["name"], chatty_pod["namespace"], chatty_pod["events"]
    now = (datetime.now(timezone.utc) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    r = sidecar.run("timeline", name, "-n", ns, "-o", "json", now=now)
    assert r.returncode == 0, r
    doc = r.json()
    assert doc["events"] == {"state": "listed", "count": total}
    unhealthy = [m for m in doc["marks"] if m["reason"] == "Unhealthy"]
    assert len(unhealthy) == 540 and {m["container"] for m in unhealthy} == {"sidecar"}
    by_name = [
        q
        for q in _lists(sidecar.requests(r), "events")
        if q["fieldSelector"] == f"involvedObject.kind=Pod,involvedObject.name={name}"
    ]
    assert len(by_name) == 2 and "continue" in by_name[1]  # 500 + 43

    path = tmp_path / "chatty.json"
    path.write_text(e2e_cluster.kubectl("get", "job,pod,event", "-n", ns, "-o", "json").stdout)
    files = sidecar.run(
        "timeline", name, "-n", ns, "-f", path, "--cluster-version", "v1.34.4", "-o", "json", user=None
    )
    assert files.json()["marks"] == doc["marks"]
    # check reads the namespace's pod events in pages too
    r = sidecar.run("check", f"pod/{name}", "-n", ns, "-o", "json", now=now)
    assert r.returncode in (0, 1), r
    assert r.json()["pods"][0]["events"] == "listed"
