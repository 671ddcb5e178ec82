"""Who the plugin is and what it may read: restricted users (real RBAC answers), KUBECONFIG with two
files, and the server version read from /version (and what it changes in the findings)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from . import cluster as c

VERSION = "v1.34.4"


# ------------------------------------------------------------------------------------ restricted users


def test_events_forbidden_is_a_note_and_exit_0(e2e_scenarios, sidecar):
    s = e2e_scenarios["native-seed"]
    pod, ns = s.pod["metadata"]["name"], s.namespace
    forbidden = (
        f'listing events in namespace "{ns}" was forbidden (403): events is forbidden: User '
        f'"{c.VIEWER}" cannot list resource "events" in API group "" in the namespace "{ns}"'
    )
    r = sidecar.run("timeline", pod, "-n", ns, user=c.VIEWER)
    assert r.returncode == 0, r
    assert forbidden in r.notes and "TIME " in r.stdout
    assert re.search(r"info\s+SC011\s+-\s+listing events was forbidden \(RBAC\)", r.stdout), r
    j = sidecar.run("timeline", pod, "-n", ns, "-o", "json", user=c.VIEWER)
    doc = j.json()
    assert j.returncode == 0 and doc["events"] == {"state": "forbidden", "count": 0}
    assert forbidden in doc["notes"] and "SC011" in {f["code"] for f in doc["findings"]}
    # what the statuses say is still there: the sidecar's exit 137 after the app's exit 0
    assert {(m["container"], m["exitCode"]) for m in doc["marks"] if m["kind"] == "finished"} == {
        ("app", 0),
        ("sidecar", 137),
    }
    # check: the same note, SC011 on the pod, exit 0 (info does not reach --fail-on error)
    chk = sidecar.run("check", s.job["metadata"]["name"], "-n", ns, "-o", "json", user=c.VIEWER)
    assert chk.returncode == 0, chk
    assert any(n.startswith(f'listing events in namespace "{ns}" was forbidden (403)') for n in chk.notes)
    assert chk.json()["pods"][0]["events"] == "forbidden"
    assert "SC011" in chk.json()["summary"]["byCode"]
    assert (
        sidecar.run(
            "check", s.job["metadata"]["name"], "-n", ns, "--fail-on", "info", user=c.VIEWER
        ).returncode
        == 1
    )


@pytest.mark.parametrize(
    "args, verb, resource",
    [
        (("timeline", "{pod}"), "get", "pods"),
        (("timeline", "{pod}", "--watch"), "get", "pods"),
        (("check", "pod/{pod}"), "get", "pods"),
        (("check", "{job}"), "list", "pods"),
        (("check", "-l", "app=test"), "list", "pods"),
        (("check",), "list", "pods"),
    ],
)
def test_pods_forbidden_is_exit_2_naming_verb_and_resource(e2e_scenarios, sidecar, args, verb, resource):
    s = e2e_scenarios["acs-seed"]
    values = {"pod": s.pod["metadata"]["name"], "job": s.job["metadata"]["name"]}
    args = [a.format(**values) for a in args]
    r = sidecar.run(*args, "-n", s.namespace, user=c.NO_PODS)
    assert r.returncode == 2, r
    assert r.stdout == ""
    (line,) = r.stderr.strip().splitlines()
    name = f' "{values["pod"]}"' if verb == "get" else ""
    assert line.startswith(
        f'error: the API server {sidecar.cluster.server} (context "{c.NO_PODS}@e2e") '
        f'refused to {verb} {resource}{name} in namespace "{s.namespace}" (403 Forbidden): '
    ), line
    assert f'User "{c.NO_PODS}" cannot {verb} resource "{resource}"' in line
    assert "Traceback" not in r.stderr and sidecar.cluster.tokens[c.NO_PODS] not in r.stderr


def test_all_namespaces_forbidden_names_the_cluster_scope(sidecar):
    r = sidecar.run("check", "-A", user=c.NO_PODS)
    assert r.returncode == 2, r
    assert "refused to list pods in all namespaces (403 Forbidden)" in r.stderr
    assert 'cannot list resource "pods" in API group "" at the cluster scope' in r.stderr


def test_bad_token_is_exit_2_without_the_token(e2e_cluster, sidecar, tmp_path):
    cfg = e2e_cluster.kubeconfig_dict(c.PLUGIN)
    cfg["users"][0]["user"]["token"] = "not-the-token-0123456789"
    path = tmp_path / "bad.kubeconfig"
    path.write_text(json.dumps(cfg))
    r = sidecar.run("timeline", "x", user=None, kubeconfig=str(path))
    assert r.returncode == 2, r
    assert 'rejected the credentials of user "e2e-plugin" (401 Unauthorized)' in r.stderr
    assert "not-the-token" not in r.stderr


def test_missing_pod_is_exit_2(e2e_scenarios, sidecar):
    ns = e2e_scenarios["acs-seed"].namespace
    r = sidecar.run("timeline", "nope-12345", "-n", ns)
    assert r.returncode == 2
    assert r.stderr.strip() == (
        f'error: pod "nope-12345" not found in namespace "{ns}" on the API server '
        f'{sidecar.cluster.server} (context "{c.PLUGIN}@e2e")'
    )


# ------------------------------------------------------------------------------------ KUBECONFIG=a:b


@pytest.fixture(scope="module")
def two_files(e2e_cluster, tmp_path_factory) -> dict:
    """a: cluster "e2e" (the real server), user e2e-viewer, context "shared" = current-context.
    b: cluster "e2e" pointing at a port where nothing listens, cluster "e2e-b" (the real server),
    user e2e-plugin, contexts "plugin" (current-context) and "shared" (another definition)."""
    d = tmp_path_factory.mktemp("two-kubeconfigs")
    a = e2e_cluster.kubeconfig_dict(c.VIEWER, context="shared", namespace="native-seed")
    b = e2e_cluster.kubeconfig_dict(c.PLUGIN, context="plugin", namespace="native-seed")
    b["clusters"] = [
        {
            "name": "e2e",
            "cluster": {
                "server": f"https://{c.LOOPBACK}:{c.free_port()}",
                "certificate-authority": str(e2e_cluster.ca_file),
            },
        },
        {
            "name": "e2e-b",
            "cluster": {"server": e2e_cluster.server, "certificate-authority": str(e2e_cluster.ca_file)},
        },
    ]
    b["contexts"] = [
        {"name": "plugin", "context": {"cluster": "e2e-b", "user": c.PLUGIN, "namespace": "native-seed"}},
        {"name": "shared", "context": {"cluster": "e2e", "user": c.PLUGIN, "namespace": "acs-seed"}},
    ]
    (d / "a").write_text(json.dumps(a))
    (d / "b").write_text(json.dumps(b))
    return {"a": str(d / "a"), "b": str(d / "b")}


def _whoami(kubeconfig: str, *args: str) -> tuple[str, str]:
    """kubectl's current context and user (a SelfSubjectReview) for KUBECONFIG=kubeconfig."""
    kubectl = shutil.which("kubectl") or "/usr/bin/kubectl"
    env = dict(os.environ, KUBECONFIG=kubeconfig)
    ctx = subprocess.run(
        [kubectl, "config", "current-context"], capture_output=True, text=True, env=env, check=True
    ).stdout.strip()
    who = subprocess.run(
        [kubectl, "auth", "whoami", "-o", "json", *args], capture_output=True, text=True, env=env, check=False
    )
    user = json.loads(who.stdout)["status"]["userInfo"]["username"] if who.returncode == 0 else who.stderr
    return ctx, user


def _users(sidecar, result) -> set:
    return {e["user"]["username"] for e in sidecar.requests(result)}


@pytest.mark.kubectl
def test_kubeconfig_list_first_file_wins_as_for_kubectl(e2e_scenarios, sidecar, two_files):
    a, b = two_files["a"], two_files["b"]
    pod = e2e_scenarios["native-seed"].pod["metadata"]["name"]
    # a:b -> a's current-context "shared" with a's cluster and user: the viewer, on the real server
    assert _whoami(f"{a}:{b}") == ("shared", c.VIEWER)
    r = sidecar.run("timeline", pod, "-o", "json", user=None, env={"KUBECONFIG": f"{a}:{b}"})
    assert r.returncode == 0, r
    assert r.json()["events"]["state"] == "forbidden"  # the viewer may not read events
    assert _users(sidecar, r) == {c.VIEWER}
    # b:a -> b's current-context "plugin" (cluster e2e-b, user e2e-plugin), namespace native-seed
    assert _whoami(f"{b}:{a}") == ("plugin", c.PLUGIN)
    r = sidecar.run("timeline", pod, "-o", "json", user=None, env={"KUBECONFIG": f"{b}:{a}"})
    assert r.returncode == 0, r
    assert r.json()["events"]["state"] == "listed" and _users(sidecar, r) == {c.PLUGIN}
    # b:a --context shared -> b's "shared" (the first definition): cluster "e2e" is b's too, where
    # nothing listens; kubectl fails the same way
    r = sidecar.run("timeline", pod, "--context", "shared", user=None, env={"KUBECONFIG": f"{b}:{a}"})
    assert r.returncode == 2 and "connection refused" in r.stderr and '(context "shared")' in r.stderr, r
    assert "refused" in _whoami(f"{b}:{a}", "--context", "shared")[1]
    # a:b --context plugin -> defined only in b, and its cluster e2e-b only in b
    r = sidecar.run(
        "timeline", pod, "--context", "plugin", "-o", "json", user=None, env={"KUBECONFIG": f"{a}:{b}"}
    )
    assert r.returncode == 0 and _users(sidecar, r) == {c.PLUGIN}, r
    # a missing file in the list is skipped, as kubectl skips it
    r = sidecar.run("timeline", pod, "-o", "json", user=None, env={"KUBECONFIG": f"/nonexistent:{b}"})
    assert r.returncode == 0 and _users(sidecar, r) == {c.PLUGIN}, r


# ------------------------------------------------------------------------------------ the server version


def test_version_comes_from_the_server(e2e_scenarios, sidecar):
    s = e2e_scenarios["acs-seed"]
    r = sidecar.run("check", "pod/" + s.pod["metadata"]["name"], "-n", s.namespace, "-o", "json")
    doc = r.json()
    assert doc["cluster"] == {"version": VERSION, "versionSource": "server", "nativeSidecars": True}
    (sc005,) = [f for f in doc["findings"] if f["code"] == "SC005"]
    assert sc005["container"] == "sidecar" and f"Kubernetes {VERSION} has native sidecars" in sc005["message"]
    assert f"cluster version {VERSION} (server)" in sc005["evidence"]
    assert [e["requestURI"] for e in sidecar.requests(r) if e["requestURI"] == "/version"] == ["/version"]


@pytest.mark.parametrize(
    "flag, native, sc005", [("1.28", False, False), ("1.29", True, True), ("v1.28.15-aliyun.1", False, False)]
)
def test_cluster_version_flag_overrides_the_server(e2e_scenarios, sidecar, flag, native, sc005):
    """On 1.28 native sidecars are off by default: the __IS_SIDECAR__ marker is then the way (no
    SC005); the flag wins over /version."""
    s = e2e_scenarios["acs-seed"]
    r = sidecar.run(
        "check",
        "pod/" + s.pod["metadata"]["name"],
        "-n",
        s.namespace,
        "-o",
        "json",
        "--cluster-version",
        flag,
    )
    doc = r.json()
    assert doc["cluster"]["versionSource"] == "flag" and doc["cluster"]["nativeSidecars"] is native
    assert ("SC005" in doc["summary"]["byCode"]) is sc005


def test_native_sidecar_on_a_server_without_them_is_sc006(e2e_scenarios, sidecar):
    """The native seed live says nothing about SC006 on 1.34; told the cluster is 1.27, the check
    says its native sidecar cannot work there."""
    s = e2e_scenarios["native-seed"]
    live = sidecar.run("check", s.job["metadata"]["name"], "-n", s.namespace, "-o", "json")
    assert "SC006" not in live.json()["summary"]["byCode"]
    old = sidecar.run(
        "check", s.job["metadata"]["name"], "-n", s.namespace, "-o", "json", "--cluster-version", "1.27"
    )
    assert "SC006" in old.json()["summary"]["byCode"] and old.returncode == 1, old
