"""The plugin reads what kubectl reads: the real kubectl and the plugin against the same stand-in.

kubectl sends bearer tokens only over TLS, so these run the stand-in over HTTPS with a token.
"""

from __future__ import annotations

import json
import os
import re

import pytest
from fakeapi import DATA_DIR

from kubectl_sidecar import kube
from kubectl_sidecar.options import KubeOptions

pytestmark = pytest.mark.kubectl

ETL = ("batch-jobs", "etl-20240501-x7k2p")


@pytest.fixture
def cluster(fake_api_factory, kubeconfig, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    api = fake_api_factory(
        [os.path.join(DATA_DIR, "cluster.json"), os.path.join(DATA_DIR, "acs-pod.yaml")],
        tls=True,
        token="faithful-token",
        version="v1.28.15-aliyun.1",
    )
    return api, kubeconfig(api)


def _acs_pod(api):
    pod = next(p for p in api.objects("Pod") if p["metadata"]["name"] == "report-28571530-kq9zt")
    return pod["metadata"]["namespace"], pod["metadata"]["name"]


def _kubectl_json(kubectl, config, *args):
    proc = kubectl(config, *args, "-o", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_pod_job_node_and_version_are_what_kubectl_gets(cluster, kubectl):
    _api, config = cluster
    namespace, name = ETL
    snap = kube.fetch_pod_snapshot(KubeOptions(kubeconfig=config, namespace=namespace), name)
    assert snap.pods == [_kubectl_json(kubectl, config, "get", "pod", name, "-n", namespace)]
    assert snap.jobs == [_kubectl_json(kubectl, config, "get", "job", "etl-20240501", "-n", namespace)]
    assert snap.nodes == [_kubectl_json(kubectl, config, "get", "node", "node-a")]
    version = json.loads(kubectl(config, "get", "--raw", "/version").stdout)
    assert snap.server_version.git_version == version["gitVersion"]


def test_events_are_what_kubectl_lists_with_the_same_field_selectors(cluster, kubectl):
    _api, config = cluster
    namespace, name = ETL
    snap = kube.fetch_pod_snapshot(KubeOptions(kubeconfig=config, namespace=namespace), name)
    uid = snap.pods[0]["metadata"]["uid"]
    by_uid = _kubectl_json(
        kubectl, config, "get", "events", "-n", namespace, "--field-selector", f"involvedObject.uid={uid}"
    )["items"]
    uidless = _kubectl_json(
        kubectl,
        config,
        "get",
        "events",
        "-n",
        namespace,
        "--field-selector",
        f"involvedObject.kind=Pod,involvedObject.name={name},involvedObject.uid=",
    )["items"]
    assert uidless == []
    assert sorted(snap.events, key=lambda e: e["metadata"]["uid"]) == sorted(
        by_uid, key=lambda e: e["metadata"]["uid"]
    )


def test_uidless_events_of_old_virtual_nodes_match_kubectl(cluster, kubectl):
    api, config = cluster
    namespace, name = _acs_pod(api)
    snap = kube.fetch_pod_snapshot(KubeOptions(kubeconfig=config, namespace=namespace), name)
    by_name = _kubectl_json(
        kubectl,
        config,
        "get",
        "events",
        "-n",
        namespace,
        "--field-selector",
        f"involvedObject.kind=Pod,involvedObject.name={name}",
    )["items"]
    assert by_name and sorted(snap.events, key=lambda e: e["metadata"]["uid"]) == sorted(
        by_name, key=lambda e: e["metadata"]["uid"]
    )


def _describe_events(text: str) -> list:
    """(type, reason, from) of each row of kubectl describe's Events table."""
    section = text.split("\nEvents:", 1)[1]
    rows = []
    for line in section.splitlines()[3:]:
        parts = re.split(r"\s{2,}", line.strip())
        if len(parts) >= 4:
            rows.append((parts[0], parts[1], parts[3]))
    return rows


@pytest.mark.parametrize("which", ["etl", "acs"])
def test_describe_shows_the_states_and_events_the_plugin_read(cluster, kubectl, which):
    api, config = cluster
    namespace, name = ETL if which == "etl" else _acs_pod(api)
    snap = kube.fetch_pod_snapshot(KubeOptions(kubeconfig=config, namespace=namespace), name)
    proc = kubectl(config, "describe", "pod", name, "-n", namespace)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    pod = snap.pods[0]
    assert re.search(rf"^Node:\s+{re.escape(pod['spec']['nodeName'])}/", text, re.MULTILINE)
    assert re.search(rf"^Status:\s+{pod['status']['phase']}$", text, re.MULTILINE)
    for status in pod["status"].get("initContainerStatuses", []) + pod["status"]["containerStatuses"]:
        block = text.split(f"\n  {status['name']}:\n", 1)[1].split("\n\n", 1)[0]
        state = next(iter(status["state"]))
        assert re.search(rf"State:\s+{state.capitalize()}", block)
        if state == "terminated":
            assert re.search(rf"Exit Code:\s+{status['state']['terminated']['exitCode']}\b", block)
        assert re.search(rf"Restart Count:\s+{status['restartCount']}\b", block)
    described = sorted((t, r) for t, r, _from in _describe_events(text))
    if which == "etl":
        # describe shows each event once (an aggregated one with its count in the age column)
        assert described == sorted((e["type"], e["reason"]) for e in snap.events)
    else:
        # kubectl describe selects events by name AND uid, so the uid-less events of older ACS virtual
        # nodes never show there; the plugin finds them by name (kubectl get events agrees, above)
        assert re.search(r"^Events:\s+<none>$", text, re.MULTILINE)
        assert len(snap.events) >= 3
        selectors = [r.query.get("fieldSelector", "") for r in api.requests if r.path.endswith("/events")]
        assert any(
            f"involvedObject.uid={pod['metadata']['uid']}" in sel and "involvedObject.name=" in sel
            for sel in selectors
        )  # describe's own query
    assert api.writes() == []
