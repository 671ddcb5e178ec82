"""``timeline POD --watch`` on real watch streams.

The plugin runs as a subprocess with its output in a pipe (append mode: one row per new mark); the
test plays the kubelet, writing statuses and events through the API, and waits for the rows.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from datetime import datetime, timedelta, timezone

from . import cluster as c
from . import scenarios as sc


class Follow:
    """A running ``kubectl-sidecar timeline --watch``: its stdout and stderr lines, as they come."""

    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self.out: list[str] = []
        self.err: list[str] = []
        self._cond = threading.Condition()
        self._threads = [
            threading.Thread(target=self._pump, args=(proc.stdout, self.out), daemon=True),
            threading.Thread(target=self._pump, args=(proc.stderr, self.err), daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _pump(self, stream, lines: list) -> None:
        for line in stream:
            with self._cond:
                lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, pattern: str, where: str = "out", timeout: float = 30, start: int = 0) -> str:
        """Wait until a line of stdout (or stderr) from index ``start`` on matches ``pattern``."""
        rx = re.compile(pattern)
        lines = self.out if where == "out" else self.err
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in lines[start:]:
                    if rx.search(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or (
                    self.proc.poll() is not None and all(not t.is_alive() for t in self._threads)
                ):
                    raise AssertionError(f"no line matching {pattern!r} in {where} after {timeout} s\n{self}")
                self._cond.wait(min(left, 0.2))

    def wait_exit(self, timeout: float = 30) -> int:
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"--watch did not exit within {timeout} s\n{self}") from None
        for t in self._threads:
            t.join(5)
        return rc

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def __str__(self) -> str:
        return "--- stdout\n" + "\n".join(self.out) + "\n--- stderr\n" + "\n".join(self.err)


def _t(base: datetime, s: float) -> datetime:
    return base + timedelta(seconds=s)


def _pending_pod(api: c.Api, prefix: str) -> tuple[str, dict, dict, datetime]:
    """A Job's pod with a native sidecar, bound to a node, nothing started yet (times of now)."""
    ns = c.create_namespace(api, prefix)["metadata"]["name"]
    sc.ensure_node(api, "node-a")
    job = c.create_job(api, ns, sc.native_job_manifest("follow"))
    pod = c.create_job_pod(api, job, "follow-x7k2p", "node-a")
    base = datetime.now(timezone.utc).replace(microsecond=0)
    c.create_scheduler_event(api, pod, base)
    job = c.set_job_status(
        api,
        job,
        {"startTime": c.ts(base), "active": 1, "ready": 0, "terminating": 0, "uncountedTerminatedPods": {}},
    )
    return ns, job, pod, base


SIDE, APP = "spec.initContainers{sidecar}", "spec.containers{app}"


def _start(api: c.Api, pod: dict, base: datetime) -> dict:
    """The kubelet starts the sidecar (+1 s), then the app (+2 s)."""
    c.create_event(api, pod, "Started", "Started container sidecar", first=_t(base, 1), field_path=SIDE)
    c.patch_pod_status(
        api,
        pod,
        {
            "phase": "Pending",
            "startTime": c.ts(base),
            "conditions": [c.condition("PodScheduled", True, base), c.condition("Initialized", False, base)],
            "initContainerStatuses": [c.running("sidecar", _t(base, 1))],
            "containerStatuses": [c.waiting("app", "PodInitializing")],
        },
    )
    c.create_event(api, pod, "Started", "Started container app", first=_t(base, 2), field_path=APP)
    return c.patch_pod_status(
        api,
        pod,
        {
            "phase": "Running",
            "conditions": [c.condition("Initialized", True, _t(base, 1))],
            "containerStatuses": [c.running("app", _t(base, 2))],
        },
    )


def _finish(
    api: c.Api, pod: dict, base: datetime, at: float, restarts: int = 0, follow: Follow | None = None
) -> dict:
    """The app exits 0 at +at s; the sidecar is asked to stop and exits 143 a second later. With
    ``follow``, the final status is written once the stop request shows (a pod's watch and its
    events' are two streams: --watch ends at the final status and may not have read an event written
    just before it)."""
    c.patch_pod_status(api, pod, {"containerStatuses": [c.terminated("app", 0, _t(base, 2), _t(base, at))]})
    c.create_event(api, pod, "Killing", "Stopping container sidecar", first=_t(base, at + 1), field_path=SIDE)
    if follow is not None:
        follow.wait_for(r"sidecar\s+sidecar/native\s+stop requested")
    return c.patch_pod_status(
        api,
        pod,
        {
            "phase": "Succeeded",
            "initContainerStatuses": [
                c.terminated(
                    "sidecar", 143, _t(base, 5 if restarts else 1), _t(base, at + 2), restart_count=restarts
                )
            ],
        },
    )


def test_watch_follows_start_restart_and_completion(admin_api, sidecar):
    ns, _job, pod, base = _pending_pod(admin_api, "watch")
    name = pod["metadata"]["name"]
    f = Follow(sidecar.popen("timeline", name, "-n", ns, "--watch", "--utc"))
    try:
        f.wait_for(f"following pod {name}", "err")
        f.wait_for(r"scheduled")  # the first state: the whole table (stdout and stderr are read apart)
        first = len(f.out)
        _start(admin_api, pod, base)
        f.wait_for(r"sidecar\s+sidecar/native\s+started", start=first)
        f.wait_for(r"app\s+app\s+started", start=first)
        # the sidecar crashes (exit 1) and the kubelet restarts it: a new run, restartCount 1
        mark = len(f.out)
        started = c.list_events(admin_api, ns, uid=pod["metadata"]["uid"])
        (side_started,) = [
            e for e in started if e["reason"] == "Started" and e["involvedObject"].get("fieldPath") == SIDE
        ]
        admin_api.patch(
            f"/api/v1/namespaces/{ns}/events/{side_started['metadata']['name']}",
            {"count": 2, "lastTimestamp": c.ts(_t(base, 5))},
        )
        c.patch_pod_status(
            admin_api,
            pod,
            {
                "initContainerStatuses": [
                    c.running(
                        "sidecar",
                        _t(base, 5),
                        restart_count=1,
                        last_state=c.terminated_state(1, _t(base, 1), _t(base, 4)),
                    )
                ]
            },
        )
        f.wait_for(r"sidecar\s+sidecar/native\s+finished\s+exit 1", start=mark)
        f.wait_for(r"sidecar\s+sidecar/native\s+started.*restart", start=mark)
        # the app completes; the sidecar is stopped; the pod Succeeds and the command ends by itself
        mark = len(f.out)
        _finish(admin_api, pod, base, 8, restarts=1, follow=f)
        assert f.wait_exit() == 0, f
    finally:
        f.stop()
    tail = "\n".join(f.out[mark:])
    assert re.search(r"app\s+app\s+finished\s+exit 0", tail), f
    assert re.search(r"sidecar\s+sidecar/native\s+stop requested", tail), f
    assert re.search(r"sidecar\s+sidecar/native\s+finished\s+exit 143", tail), f
    assert f.err[-1] == f"note: pod {name} has finished (Succeeded) and no container is running", f
    assert not any("error" in line for line in f.err), f


def test_watch_ends_when_the_pod_is_deleted(admin_api, sidecar):
    ns, _job, pod, base = _pending_pod(admin_api, "watch-delete")
    name = pod["metadata"]["name"]
    _start(admin_api, pod, base)
    f = Follow(sidecar.popen("timeline", name, "-n", ns, "--watch"))
    try:
        f.wait_for(f"following pod {name}", "err")
        c.delete_pod(admin_api, pod)
        assert f.wait_exit() == 0, f
    finally:
        f.stop()
    assert f.err[-1] == f"note: pod {name} was deleted", f


def test_watch_of_a_finished_pod_prints_once_and_exits(e2e_scenarios, sidecar):
    s = e2e_scenarios["native-seed"]
    r = sidecar.run("timeline", s.pod["metadata"]["name"], "-n", s.namespace, "--watch", timeout=60)
    assert r.returncode == 0, r
    assert r.notes[-1].endswith("has finished (Succeeded) and no container is running"), r
    assert r.stdout.startswith("TIME ")
    verbs = {e["verb"] for e in sidecar.requests(r)}
    assert verbs <= {"get", "list"}, verbs  # nothing left to follow: no watch opened


def test_watch_as_a_user_without_events_follows_the_pod_alone(admin_api, sidecar):
    ns, _job, pod, base = _pending_pod(admin_api, "watch-viewer")
    name = pod["metadata"]["name"]
    f = Follow(sidecar.popen("timeline", name, "-n", ns, "--watch", user=c.VIEWER))
    try:
        f.wait_for("listing events .* was forbidden", "err")
        f.wait_for(f"following pod {name}", "err")
        _start(admin_api, pod, base)
        f.wait_for(r"app\s+app\s+started")
        _finish(admin_api, pod, base, 8)
        assert f.wait_exit() == 0, f
    finally:
        f.stop()
    assert not any(re.search(r"sidecar\s+sidecar/native\s+stop requested", line) for line in f.out), (
        f
    )  # no Killing event


def _watches_open(cluster: c.Cluster, audit_log, since: str) -> set:
    """Resources the plugin has an open watch on (started, not completed), from an audit log."""
    started, done = {}, set()
    for e in cluster.audit_events(0, audit_log):
        if not (e.get("userAgent") or "").startswith(c.PLUGIN_USER_AGENT) or e["verb"] != "watch":
            continue
        if e["requestReceivedTimestamp"] < since:
            continue
        if e["stage"] == "ResponseStarted":
            started[e["auditID"]] = e["objectRef"]["resource"]
        elif e["stage"] == "ResponseComplete":
            done.add(e["auditID"])
    return {res for aid, res in started.items() if aid not in done}


def _wait_watches(cluster: c.Cluster, audit_log, since: str, wanted: set, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if wanted <= _watches_open(cluster, audit_log, since):
            return
        time.sleep(0.2)
    raise AssertionError(f"the plugin never had watches on {wanted} open (since {since})")


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_watch_relists_after_410_when_its_apiserver_restarts_and_etcd_compacted(
    e2e_cluster, admin_api, sidecar, tmp_path
):
    """The plugin follows the pod through a second apiserver (an HA control plane's other member).
    That apiserver is killed and started again while etcd is compacted: the plugin's streams drop, it
    reconnects from its last resourceVersions, and both are gone (410 Expired): the pod's because the
    restarted apiserver's watch cache starts after it ("too old resource version"), the events'
    (events are not cached: etcd serves them) because etcd compacted them. It lists both again and
    goes on. (A restarted apiserver also answers 403 for a moment, until its RBAC informers have
    synced: the plugin retries that since this tier found it ending --watch there.)"""
    ns, _job, pod, base = _pending_pod(admin_api, "watch-410")
    name = pod["metadata"]["name"]
    _start(admin_api, pod, base)
    proc, port = e2e_cluster.start_replica(name="replica")
    audit = e2e_cluster.workdir / "replica-audit.log"
    kubeconfig = tmp_path / "replica.kubeconfig"
    kubeconfig.write_text(
        json.dumps(
            e2e_cluster.kubeconfig_dict(
                c.PLUGIN, server=f"https://{c.LOOPBACK}:{port}", cluster="replica", namespace=ns
            )
        )
    )
    since = _now()
    f = Follow(sidecar.popen("timeline", name, "--watch", user=None, kubeconfig=str(kubeconfig)))
    try:
        f.wait_for(f"following pod {name}", "err")
        _wait_watches(e2e_cluster, audit, since, {"pods", "events"})
        e2e_cluster.stop_replica(proc, kill=True)
        for _ in range(3):  # move etcd on, so that the plugin's resourceVersions fall behind the compaction
            admin_api.post(f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"generateName": "bump-"}})
        compacted = e2e_cluster.compact_etcd()
        restarted = _now()
        proc, _ = e2e_cluster.start_replica(port=port, name="replica")
        _wait_watches(e2e_cluster, audit, restarted, {"pods", "events"}, timeout=40)
        mark = len(f.out)
        _finish(admin_api, pod, base, 8, follow=f)
        assert f.wait_exit() == 0, f
    finally:
        f.stop()
        e2e_cluster.stop_replica(proc)
    tail = "\n".join(f.out[mark:])
    assert re.search(r"app\s+app\s+finished\s+exit 0", tail), f
    assert re.search(r"sidecar\s+sidecar/native\s+stop requested", tail), f  # an event seen after the relist
    assert not any("error" in line for line in f.err), f
    after = [
        e
        for e in e2e_cluster.audit_events(0, audit)
        if (e.get("userAgent") or "").startswith(c.PLUGIN_USER_AGENT)
        and e["stage"] == "ResponseComplete"
        and e["requestReceivedTimestamp"] >= restarted
    ]
    lists = sorted(e["objectRef"]["resource"] for e in after if e["verb"] == "list")
    # one re-list each after the 410s, and the last read of the events when the pod finishes
    assert lists == ["events", "events", "pods"], [(e["verb"], e["requestURI"]) for e in after]
    # the watches that came back with 410: from resourceVersions at or before the compaction
    gone = [
        e
        for e in after
        if e["verb"] == "watch"
        and "resourceVersion=" in e["requestURI"]
        and int(re.search(r"resourceVersion=(\d+)", e["requestURI"]).group(1)) < compacted
    ]
    assert {e["objectRef"]["resource"] for e in gone} == {"pods", "events"}
    assert {e["verb"] for e in after} <= {"get", "list", "watch"}
