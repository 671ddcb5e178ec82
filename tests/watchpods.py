"""The pod and events that the ``timeline --watch`` tests follow (tests/unit/test_watch_render.py,
tests/integration/test_watch.py): one Job pod, a native sidecar ``proxy`` and an app ``main``, whose
container states are given by name; times are seconds after T0."""

from __future__ import annotations

T0 = "2025-05-01T10:00:00Z"


def ts(seconds: int) -> str:
    return f"2025-05-01T10:{seconds // 60:02d}:{seconds % 60:02d}Z"


def running(at):
    return {"running": {"startedAt": ts(at)}}


def terminated(start, end, code, reason):
    return {"terminated": {"startedAt": ts(start), "finishedAt": ts(end), "exitCode": code, "reason": reason}}


def waiting(reason="PodInitializing"):
    return {"waiting": {"reason": reason}}


def make_pod(phase="Pending", proxy=None, main=None, proxy_last=None, proxy_restarts=0, ns="jobs"):
    status = {
        "phase": phase,
        "startTime": ts(1),
        "conditions": [{"type": "PodScheduled", "status": "True", "lastTransitionTime": ts(0)}],
    }
    if proxy is not None:
        entry = {
            "name": "proxy",
            "state": proxy,
            "restartCount": proxy_restarts,
            "ready": "running" in proxy,
            "started": "running" in proxy,
            "image": "envoy",
            "imageID": "",
            "lastState": {},
        }
        if proxy_last:
            entry["lastState"] = proxy_last
        status["initContainerStatuses"] = [entry]
    if main is not None:
        status["containerStatuses"] = [
            {
                "name": "main",
                "state": main,
                "restartCount": 0,
                "ready": "running" in main,
                "image": "app",
                "imageID": "",
                "lastState": {},
            }
        ]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "job-x1", "namespace": ns, "uid": "pod-uid-x1", "creationTimestamp": T0},
        "spec": {
            "nodeName": "node-1",
            "restartPolicy": "Never",
            "initContainers": [{"name": "proxy", "image": "envoy", "restartPolicy": "Always"}],
            "containers": [{"name": "main", "image": "app"}],
        },
        "status": status,
    }


def make_event(n, reason, container, at, count=1, first=None, section="initContainers", ns="jobs"):
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"job-x1.{n:04x}", "namespace": ns, "uid": f"ev-{n}"},
        "involvedObject": {
            "kind": "Pod",
            "name": "job-x1",
            "namespace": ns,
            "uid": "pod-uid-x1",
            "apiVersion": "v1",
            "fieldPath": f"spec.{section}{{{container}}}",
        },
        "reason": reason,
        "message": f"{reason} {container}",
        "type": "Normal",
        "source": {"component": "kubelet"},
        "count": count,
        "firstTimestamp": ts(first if first is not None else at),
        "lastTimestamp": ts(at),
    }
