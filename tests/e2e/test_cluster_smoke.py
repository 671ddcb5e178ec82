"""Proves the e2e fixture works: a real apiserver, the users and their RBAC, status writes, the
scenarios, pagination beyond 500 and the real kubectl against the generated kubeconfigs."""

from __future__ import annotations

import json
import re

import pytest

from . import cluster as c
from . import scenarios as sc

pytestmark = pytest.mark.e2e


def test_version_is_the_pinned_release(admin_api, e2e_binaries):
    v = admin_api.get("/version")
    assert v["gitVersion"] == e2e_binaries.k8s_version
    m = re.match(r"v(\d+)\.(\d+)\.", v["gitVersion"])
    assert m and (v["major"], v["minor"]) == (m.group(1), m.group(2))
    assert (int(v["major"]), int(v["minor"])) >= (1, 33)  # native sidecars GA


def test_only_loopback(e2e_cluster):
    assert e2e_cluster.server.startswith("https://127.0.0.1:")
    for path in e2e_cluster.kubeconfigs.values():
        cfg = json.loads(path.read_text())
        assert cfg["clusters"][0]["cluster"]["server"] == e2e_cluster.server


def test_anonymous_and_bad_token_are_refused(e2e_cluster):
    bad = c.Api(c.LOOPBACK, e2e_cluster.port, "not-a-token", str(e2e_cluster.ca_file))
    with pytest.raises(c.ApiError) as exc:
        bad.get("/api/v1/pods")
    assert exc.value.status == 401


def test_restricted_users(viewer_api, no_pods_api, namespace):
    viewer_api.get(f"/api/v1/namespaces/{namespace}/pods")
    viewer_api.get(f"/apis/batch/v1/namespaces/{namespace}/jobs")
    viewer_api.get("/api/v1/nodes")
    for path in (
        f"/api/v1/namespaces/{namespace}/events",
        "/api/v1/events",
        f"/apis/events.k8s.io/v1/namespaces/{namespace}/events",
    ):
        with pytest.raises(c.ApiError) as exc:
            viewer_api.get(path)
        assert exc.value.status == 403, path
        assert exc.value.reason == "Forbidden"
    no_pods_api.get(f"/api/v1/namespaces/{namespace}/events")
    no_pods_api.get(f"/apis/batch/v1/namespaces/{namespace}/jobs")
    with pytest.raises(c.ApiError) as exc:
        no_pods_api.get(f"/api/v1/namespaces/{namespace}/pods")
    assert exc.value.status == 403
    # neither restricted user may write
    with pytest.raises(c.ApiError) as exc:
        viewer_api.post(f"/api/v1/namespaces/{namespace}/pods", {"metadata": {"name": "x"}})
    assert exc.value.status == 403


def test_pod_status_writes_land_and_validation(admin_api, namespace):
    c.create_node(admin_api, "smoke-node", {"disk": "ssd"})
    pod = c.create_pod(
        admin_api,
        namespace,
        {
            "metadata": {"name": "p"},
            "spec": {
                "restartPolicy": "Never",
                "nodeName": "smoke-node",
                "containers": [{"name": "app", "image": c.IMAGE}, {"name": "sidecar", "image": c.IMAGE}],
            },
        },
    )
    assert pod["spec"]["nodeName"] == "smoke-node"
    assert pod["status"]["phase"] == "Pending"  # status in a create is ignored
    t = c.at("2024-10-29T03:24:00Z")
    c.patch_pod_status(
        admin_api,
        pod,
        {"phase": "Running", "containerStatuses": [c.running("app", t), c.running("sidecar", t)]},
    )
    got = c.patch_pod_status(
        admin_api, pod, {"containerStatuses": [c.terminated("sidecar", 1, t, "2024-10-29T03:24:20Z")]}
    )
    by_name = {s["name"]: s for s in got["status"]["containerStatuses"]}
    assert by_name["sidecar"]["state"]["terminated"]["exitCode"] == 1
    assert by_name["app"]["state"]["running"]["startedAt"] == "2024-10-29T03:24:00Z"
    # terminated -> running is rejected when restartPolicy is Never
    with pytest.raises(c.ApiError) as exc:
        c.patch_pod_status(
            admin_api,
            pod,
            {"containerStatuses": [c.running("sidecar", "2024-10-29T03:24:22Z", restart_count=1)]},
        )
    assert exc.value.status == 422
    assert "may not be transitioned to non-terminated state" in exc.value.message
    # ... but terminated -> terminated with a higher restartCount is accepted
    got = c.patch_pod_status(
        admin_api,
        pod,
        {
            "containerStatuses": [
                c.terminated("sidecar", 1, "2024-10-29T03:24:22Z", "2024-10-29T03:24:40Z", restart_count=1)
            ]
        },
    )
    assert {s["name"]: s for s in got["status"]["containerStatuses"]}["sidecar"]["restartCount"] == 1
    # conditions and phase through PUT /status
    got = c.replace_pod_status(
        admin_api,
        got,
        {
            "phase": "Failed",
            "conditions": [c.condition("PodScheduled", True, t)],
            "containerStatuses": got["status"]["containerStatuses"],
        },
    )
    assert got["status"]["phase"] == "Failed"
    assert [x["type"] for x in got["status"]["conditions"]] == ["PodScheduled"]


def test_native_sidecar_restart_is_allowed(admin_api, namespace):
    pod = c.create_pod(
        admin_api,
        namespace,
        {
            "metadata": {"name": "n"},
            "spec": {
                "restartPolicy": "Never",
                "nodeName": "n1",
                "initContainers": [{"name": "sidecar", "image": c.IMAGE, "restartPolicy": "Always"}],
                "containers": [{"name": "app", "image": c.IMAGE}],
            },
        },
    )
    assert pod["spec"]["initContainers"][0]["restartPolicy"] == "Always"  # not dropped: gate is GA
    t = "2024-10-29T03:24:00Z"
    c.patch_pod_status(
        admin_api, pod, {"initContainerStatuses": [c.terminated("sidecar", 137, t, "2024-10-29T03:24:10Z")]}
    )
    got = c.patch_pod_status(
        admin_api,
        pod,
        {"initContainerStatuses": [c.running("sidecar", "2024-10-29T03:24:12Z", restart_count=1)]},
    )
    assert got["status"]["initContainerStatuses"][0]["restartCount"] == 1


def test_events_both_shapes(admin_api, namespace):
    pod = c.create_pod(
        admin_api,
        namespace,
        {
            "metadata": {"name": "e"},
            "spec": {
                "restartPolicy": "Never",
                "nodeName": "n1",
                "containers": [{"name": "app", "image": c.IMAGE}],
            },
        },
    )
    t = c.at("2024-10-29T03:24:00Z")
    kub = c.create_event(
        admin_api,
        pod,
        "Started",
        "Started container app",
        first=t,
        last="2024-10-29T03:24:09Z",
        count=3,
        field_path="spec.containers{app}",
    )
    sched = c.create_scheduler_event(admin_api, pod, t.replace(microsecond=123456))
    assert kub["involvedObject"]["fieldPath"] == "spec.containers{app}"
    assert (kub["firstTimestamp"], kub["lastTimestamp"], kub["count"]) == (
        "2024-10-29T03:24:00Z",
        "2024-10-29T03:24:09Z",
        3,
    )
    assert sched["firstTimestamp"] is None and sched["lastTimestamp"] is None
    assert sched["eventTime"] == "2024-10-29T03:24:00.123456Z"
    assert sched["involvedObject"]["uid"] == pod["metadata"]["uid"]
    got = c.list_events(admin_api, namespace, uid=pod["metadata"]["uid"])
    assert {e["reason"] for e in got} == {"Started", "Scheduled"}


def _check_job_pod(s: sc.Scenario, pod: dict) -> None:
    job = s.job
    assert pod["metadata"]["ownerReferences"][0]["uid"] == job["metadata"]["uid"]
    assert pod["metadata"]["ownerReferences"][0]["controller"] is True
    sel = job["spec"]["selector"]["matchLabels"]
    assert sel.items() <= pod["metadata"]["labels"].items()
    assert pod["metadata"]["labels"]["batch.kubernetes.io/job-name"] == job["metadata"]["name"]
    assert pod["metadata"]["labels"]["job-name"] == job["metadata"]["name"]
    assert pod["spec"]["nodeName"] in s.nodes


@pytest.mark.parametrize("name", list(sc.ALL_SMALL_BUILDERS))
def test_scenarios_read_back(admin_api, e2e_scenarios, name):
    s = e2e_scenarios[name]
    job = admin_api.get(f"/apis/batch/v1/namespaces/{s.namespace}/jobs/{s.job['metadata']['name']}")
    pods = admin_api.list_all(
        f"/api/v1/namespaces/{s.namespace}/pods",
        labelSelector=f"batch.kubernetes.io/controller-uid={job['metadata']['uid']}",
    )
    assert [p["metadata"]["name"] for p in pods] == [p["metadata"]["name"] for p in s.pods]
    for pod in pods:
        _check_job_pod(s, pod)
        assert pod["status"]["phase"] == s.expect["pod_phase"]
    conds = {x["type"]: x["status"] for x in job["status"].get("conditions") or []}
    assert (conds.get("Complete") == "True") == s.expect["job_complete"]
    events = c.list_events(admin_api, s.namespace, uid=pods[0]["metadata"]["uid"])
    assert len(events) == len(s.events)
    assert any(e["reason"] == "Scheduled" and e["eventTime"] and e["firstTimestamp"] is None for e in events)


def test_acs_seed_details(e2e_scenarios):
    s = e2e_scenarios["acs-seed"]
    st = {x["name"]: x for x in s.pod["status"]["containerStatuses"]}
    side = st["sidecar"]["state"]["terminated"]
    assert (side["exitCode"], side["reason"], side["message"]) == (0, "Completed", sc.FORCED_MESSAGE)
    assert (side["startedAt"], side["finishedAt"]) == ("2024-10-29T03:24:32Z", "2024-10-29T03:25:13Z")
    assert s.job["status"]["startTime"] == "2024-10-29T03:24:18Z"
    assert s.job["status"]["completionTime"] == "2024-10-29T03:25:17Z"
    killing = [e for e in s.events if e["reason"] == "Killing"]
    assert killing and killing[0]["involvedObject"]["fieldPath"] == "spec.containers{sidecar}"
    env = s.pod["spec"]["containers"][1]["env"]
    assert {"name": "__IS_SIDECAR__", "value": "true"} in env


def test_native_seed_details(e2e_scenarios):
    s = e2e_scenarios["native-seed"]
    assert s.pod["spec"]["initContainers"][0]["restartPolicy"] == "Always"
    side = s.pod["status"]["initContainerStatuses"][0]["state"]["terminated"]
    assert side["exitCode"] == 137
    assert s.pod["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 0


def test_unmarked_sidecar_details(e2e_scenarios):
    s = e2e_scenarios["unmarked-sidecar"]
    st = {x["name"]: x for x in s.pod["status"]["containerStatuses"]}
    assert st["app"]["state"]["terminated"]["exitCode"] == 0
    assert "running" in st["log-shipper"]["state"]
    assert s.job["status"]["active"] == 1 and not s.job["status"].get("conditions")


def test_stale_sidecar_details(e2e_scenarios):
    s = e2e_scenarios["stale-legacy-sidecar"]
    assert "may not be transitioned to non-terminated state" in (s.expect["rejected_write"] or "")
    side = {x["name"]: x for x in s.pod["status"]["containerStatuses"]}["sidecar"]
    assert side["restartCount"] == 1 and "terminated" in side["state"]
    started = [
        e
        for e in s.events
        if e["reason"] == "Started" and e["involvedObject"]["fieldPath"] == "spec.containers{sidecar}"
    ]
    assert started[0]["count"] == 3
    assert started[0]["lastTimestamp"] > side["state"]["terminated"]["finishedAt"]


def test_many_pods_paginate(admin_api, many_pods_scenario):
    s = many_pods_scenario
    n = s.expect["pods"]
    page = admin_api.get(f"/api/v1/namespaces/{s.namespace}/pods", limit=500)
    if n > 500:
        assert len(page["items"]) == 500 and page["metadata"].get("continue")
    assert len(admin_api.list_all(f"/api/v1/namespaces/{s.namespace}/pods", limit=500)) == n
    events = admin_api.list_all(f"/api/v1/namespaces/{s.namespace}/events", limit=500)
    assert len(events) == s.expect["events"] >= n
    assert s.job["status"]["succeeded"] == n


@pytest.mark.kubectl
def test_kubectl_against_generated_kubeconfigs(e2e_cluster, e2e_scenarios, no_pods_kubeconfig):
    ns = e2e_scenarios["acs-seed"].namespace
    out = e2e_cluster.kubectl("get", "pods", "-n", ns, "-o", "json").stdout
    pods = json.loads(out)["items"]
    assert [p["metadata"]["name"] for p in pods] == ["test-729nd"]
    assert pods[0]["status"]["phase"] == "Succeeded"
    ver = json.loads(e2e_cluster.kubectl("version", "-o", "json").stdout)
    assert ver["serverVersion"]["gitVersion"] == e2e_cluster.binaries.k8s_version
    denied = e2e_cluster.kubectl("get", "events", "-n", ns, user=c.VIEWER, check=False)
    assert denied.returncode != 0 and "forbidden" in denied.stderr.lower()
    denied = e2e_cluster.kubectl("get", "pods", "-n", ns, user=c.NO_PODS, check=False)
    assert denied.returncode != 0 and "forbidden" in denied.stderr.lower()
    assert e2e_cluster.kubeconfigs[c.NO_PODS].samefile(no_pods_kubeconfig)


def test_delete_and_python_client(e2e_cluster, admin_api, namespace):
    from kubernetes import client

    spec = {"restartPolicy": "Never", "nodeName": "n1", "containers": [{"name": "app", "image": c.IMAGE}]}
    soft = c.create_pod(admin_api, namespace, {"metadata": {"name": "soft"}, "spec": spec})
    hard = c.create_pod(admin_api, namespace, {"metadata": {"name": "hard"}, "spec": spec})
    c.delete_pod(admin_api, soft, force=False)
    c.delete_pod(admin_api, hard)
    core = client.CoreV1Api(e2e_cluster.kubernetes_client(c.VIEWER))
    pods = {p.metadata.name: p for p in core.list_namespaced_pod(namespace).items}
    assert "hard" not in pods
    assert pods["soft"].metadata.deletion_timestamp is not None  # no kubelet to finish it
    with pytest.raises(client.ApiException) as exc:
        core.list_namespaced_event(namespace)
    assert exc.value.status == 403
