"""The plugin only reads: the apiserver's audit log (policy: level Metadata for the test users, see
cluster.Cluster._write_audit_policy) records every request with its verb, user and User-Agent.

Most tests run the plugin as ``e2e-plugin``, a user with exactly the RBAC docs/live.md asks for, so a
write would be refused but still logged (the audit log sees requests before authorization).

Besides these tests, the session fixture ``plugin_only_reads`` (conftest.py) checks the whole audit
log at the end of the session: every request any test made through the plugin was a read."""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter

from procs import with_default_sigint

from . import cluster as c
from .test_plugin_watch import Follow

READ_VERBS = {"get", "list", "watch"}


def test_every_command_sends_only_get_requests(e2e_scenarios, e2e_cluster, sidecar):
    acs, blocked = e2e_scenarios["acs-seed"], e2e_scenarios["unmarked-sidecar"]
    pod, ns, job = acs.pod["metadata"]["name"], acs.namespace, acs.job["metadata"]["name"]
    kubeconfig = e2e_cluster.kubeconfigs[c.PLUGIN]  # completion completes the last word: the flag goes first
    offset = e2e_cluster.audit_offset()
    runs = sidecar.run_all(
        [
            (("timeline", pod, "-n", ns), {}),
            (("timeline", pod, "-n", ns, "-o", "wide", "--absolute-time"), {}),
            (("timeline", pod, "-n", ns, "-o", "yaml"), {}),
            (("check", job, "-n", ns), {}),
            (("check", "pod/" + pod, "-n", ns, "-o", "json"), {}),
            (("check", "-l", "app=test", "-n", ns), {}),
            (("check", "-n", ns), {}),
            (("check", "-A", "-o", "yaml"), {}),
            (("timeline", pod, "-n", ns, "--watch"), {}),  # finished: prints once and exits
            (("__complete", "timeline", "-n", ns, "--kubeconfig", kubeconfig, ""), {"user": None}),
            (("__complete", "check", "-n", ns, "--kubeconfig", kubeconfig, ""), {"user": None}),
            (("timeline", pod, "-n", ns), {"user": c.VIEWER}),
            (("timeline", pod, "-n", ns), {"user": c.NO_PODS}),
            (("check", "-A"), {"user": c.NO_PODS}),
        ]
    )
    codes = [r.returncode for r in runs]
    assert codes == [0] * 7 + [1] + [0] * 4 + [2, 2], [str(r) for r in runs]  # -A: the blocked Job (SC003)
    assert runs[9].stdout.splitlines()[0] == pod and runs[10].stdout.splitlines()[0] == job  # completion

    # --watch on a pod that never finishes, stopped with Ctrl-C
    name = blocked.pod["metadata"]["name"]
    # sidecar.popen's process, started with SIGINT at its default: this test sends it Ctrl-C
    f = Follow(
        subprocess.Popen(
            with_default_sigint(sidecar.command(("timeline", name, "-n", blocked.namespace, "--watch"))),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            bufsize=1,
            env=sidecar.env(),
        )
    )
    try:
        f.wait_for(f"following pod {name}", "err")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            opened = {
                e["objectRef"]["resource"]
                for e in e2e_cluster.audit_events(offset)
                if e["verb"] == "watch"
                and e["stage"] == "ResponseStarted"
                and (e.get("userAgent") or "").startswith(c.PLUGIN_USER_AGENT)
            }
            if opened >= {"pods", "events"}:
                break
            time.sleep(0.2)
        f.proc.send_signal(signal.SIGINT)
        assert f.wait_exit() == 0, f
    finally:
        f.stop()
    assert not any("Traceback" in line or "error" in line for line in f.err), f

    requests = sidecar.requests(offset)
    verbs = Counter(e["verb"] for e in requests)
    assert set(verbs) == READ_VERBS, verbs
    assert {e["user"]["username"] for e in requests} == {c.PLUGIN, c.VIEWER, c.NO_PODS}
    assert {e["objectRef"]["resource"] for e in requests if e.get("objectRef")} == {
        "pods",
        "events",
        "jobs",
        "nodes",
    }
    assert {e["requestURI"] for e in requests if not e.get("objectRef")} == {"/version"}
    refused = {
        (e["user"]["username"], e["verb"], e["objectRef"]["resource"])
        for e in requests
        if e["responseStatus"]["code"] == 403
    }
    assert refused == {(c.VIEWER, "list", "events"), (c.NO_PODS, "get", "pods"), (c.NO_PODS, "list", "pods")}


def test_requests_of_one_timeline_and_one_check(e2e_scenarios, sidecar):
    """The counts docs/live.md gives, measured on the real apiserver: timeline of a Job's bound pod, 5
    (pod, /version, the events of pods of that name, node, Job); check of a Job with one pod,
    6 (Job, /version, the namespace's event count with limit=1 beside them, pods by the Job's selector,
    the namespace's pod events, node)."""
    s = e2e_scenarios["acs-seed"]
    r = sidecar.run("timeline", s.pod["metadata"]["name"], "-n", s.namespace)
    reqs = sidecar.requests(r)
    assert sorted((e["verb"], (e.get("objectRef") or {}).get("resource", e["requestURI"])) for e in reqs) == [
        ("get", "/version"),
        ("get", "jobs"),
        ("get", "nodes"),
        ("get", "pods"),
        ("list", "events"),
    ]
    r = sidecar.run("check", s.job["metadata"]["name"], "-n", s.namespace)
    reqs = sidecar.requests(r)
    assert sorted((e["verb"], (e.get("objectRef") or {}).get("resource", e["requestURI"])) for e in reqs) == [
        ("get", "/version"),
        ("get", "jobs"),
        ("get", "nodes"),
        ("list", "events"),
        ("list", "events"),
        ("list", "pods"),
    ]
