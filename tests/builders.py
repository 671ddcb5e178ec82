"""Builders of raw API dicts shaped like real API output, for table-driven tests.

Times are given as offsets in seconds from T0 (a fixed instant) so test tables stay readable.
"""
from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

T0 = datetime(2025, 3, 4, 8, 0, 0, tzinfo=timezone.utc)
POD_UID = "4e6f8a0b-2c4d-4e6f-8a0b-2c4d6e8f0a1b"


def ts(offset: float | None) -> str | None:
    """RFC3339 at T0+offset: whole seconds as the kubelet writes them, micros when fractional."""
    if offset is None:
        return None
    when = T0 + timedelta(seconds=offset)
    if when.microsecond:
        return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def container(name, *, env=None, restart_policy=None, startup_probe=False, image="busybox:1.36"):
    spec = {"name": name, "image": image, "imagePullPolicy": "IfNotPresent", "resources": {},
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}
    if env:
        spec["env"] = [{"name": k, "value": v} for k, v in env.items()]
    if restart_policy:
        spec["restartPolicy"] = restart_policy
    if startup_probe:
        spec["startupProbe"] = {"exec": {"command": ["true"]}, "periodSeconds": 1}
    return spec


def running(start):
    return {"running": {"startedAt": ts(start)}}


def terminated(start, finish, code=0, reason=None, message=None):
    term = {"exitCode": code, "reason": reason or ("Completed" if code == 0 else "Error"),
            "startedAt": ts(start), "finishedAt": ts(finish), "containerID": "containerd://0f1e2d"}
    if message is not None:
        term["message"] = message
    return {"terminated": term}


def waiting(reason="CrashLoopBackOff", message="back-off 10s restarting failed container"):
    return {"waiting": {"reason": reason, "message": message}}


def status(name, state, *, last=None, restarts=0, ready=False, started=None):
    entry = {"name": name, "image": "busybox:1.36", "imageID": "docker.io/library/busybox@sha256:768e5c",
             "containerID": "containerd://0f1e2d", "ready": ready, "restartCount": restarts,
             "state": state, "lastState": last or {}}
    if started is not None:
        entry["started"] = started
    return entry


def pod(*, name="test-q8x5k", namespace="default", uid=POD_UID, containers=(), init_containers=(),
        ephemeral=(), statuses=(), init_statuses=(), phase="Running", conditions=(), created=0, start=0,
        node="node-a", restart_policy="Never", job=None, deletion=None, grace=None, annotations=None):
    """A Pod dict; ``statuses`` are given in any order (the kubelet sorts them alphabetically)."""
    meta = {"name": name, "namespace": namespace, "uid": uid, "creationTimestamp": ts(created),
            "resourceVersion": "1234", "labels": {}, "annotations": dict(annotations or {})}
    if job:
        meta["labels"].update({"batch.kubernetes.io/job-name": job, "job-name": job})
        meta["ownerReferences"] = [{"apiVersion": "batch/v1", "kind": "Job", "name": job,
                                    "uid": "0b7c2d4e-job", "controller": True}]
    if deletion is not None:
        meta["deletionTimestamp"] = ts(deletion)
        meta["deletionGracePeriodSeconds"] = grace if grace is not None else 30
    spec = {"containers": [copy.deepcopy(c) for c in containers], "restartPolicy": restart_policy,
            "terminationGracePeriodSeconds": 30, "nodeName": node}
    if init_containers:
        spec["initContainers"] = [copy.deepcopy(c) for c in init_containers]
    if ephemeral:
        spec["ephemeralContainers"] = [copy.deepcopy(c) for c in ephemeral]
    status_obj = {"phase": phase, "startTime": ts(start), "qosClass": "BestEffort",
                  "conditions": [{"type": t, "status": s, "lastProbeTime": None, "lastTransitionTime": ts(at),
                                  **({"reason": r} if r else {})} for t, s, at, r in conditions],
                  "containerStatuses": sorted(statuses, key=lambda s: s["name"])}
    if init_statuses:
        status_obj["initContainerStatuses"] = list(init_statuses)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status_obj}


def event(reason, *, container=None, section="containers", at=0, last=None, count=1, message=None,
          pod_name="test-q8x5k", uid=POD_UID, namespace="default", typ="Normal", component="kubelet",
          name=None, event_time=None):
    """A core/v1 Event. ``event_time`` (offset) gives a scheduler-style event with null timestamps."""
    involved = {"apiVersion": "v1", "kind": "Pod", "name": pod_name, "namespace": namespace}
    if uid is not None:
        involved["uid"] = uid
    if container:
        involved["fieldPath"] = f"spec.{section}{{{container}}}"
    obj = {"apiVersion": "v1", "kind": "Event",
           "metadata": {"name": name or f"{pod_name}.{reason.lower()}{container or ''}{at}",
                        "namespace": namespace},
           "involvedObject": involved, "reason": reason, "type": typ,
           "message": message if message is not None else f"{reason} container {container or ''}".strip(),
           "source": {"component": component}, "reportingComponent": component}
    if event_time is not None:
        obj.update({"eventTime": ts(event_time), "firstTimestamp": None, "lastTimestamp": None,
                    "count": None, "source": {}})
    else:
        obj.update({"firstTimestamp": ts(at), "lastTimestamp": ts(last if last is not None else at),
                    "count": count})
    return obj


def job(name="test", *, start=0, completion=None, uid="0b7c2d4e-job", namespace="default"):
    status = {"startTime": ts(start), "active": 0 if completion is not None else 1}
    if completion is not None:
        status.update({"completionTime": ts(completion), "succeeded": 1,
                       "conditions": [{"type": "Complete", "status": "True",
                                       "lastTransitionTime": ts(completion)}]})
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "namespace": namespace, "uid": uid},
            "spec": {"selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}},
            "status": status}
