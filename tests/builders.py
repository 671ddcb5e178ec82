"""The one home of test fixtures: raw API dicts (pods, Jobs, events, nodes) shaped like real API output.

Two levels, one module (tests, tests/data/checks/generate.py, bench/synth.py all build through it):

- plain functions (``pod``, ``container``, ``status``, ``event``, ``job`` ...) for table-driven tests:
  minimal objects, times as offsets in seconds from T0 so test tables stay readable;
- ``World`` and the ``api_*`` functions for whole scenarios as ``kubectl get job,pod,events,node -o yaml``
  prints them (the check fixtures of tests/data/checks): statuses in alphabetical order, kubelet events
  with whole-second times and counts, scheduler events with microsecond eventTime, uids derived from
  names, ownerReferences and controller labels.

- ``listed_job``, ``listed_pod``, ``listed_event``, ``listed_node``: the small objects a list returns, for
  request-planning and budget tests (tests/integration/test_kube_check.py): only the fields the reads
  select and join on (names, namespaces, uids, labels, owners, involvedObject, nodeName).

``Clock`` formats times for all of them (``ts`` is the clock at T0).
"""

from __future__ import annotations

import copy
import hashlib
from datetime import datetime, timedelta, timezone

T0 = datetime(2025, 3, 4, 8, 0, 0, tzinfo=timezone.utc)
POD_UID = "4e6f8a0b-2c4d-4e6f-8a0b-2c4d6e8f0a1b"
BUSYBOX = "registry-cn-hangzhou.ack.aliyuncs.com/ack-demo/busybox:1.28"


class Clock:
    """RFC3339 times as offsets in seconds from a start: whole seconds as the kubelet writes them, micros
    when fractional; None stays None."""

    def __init__(self, start: str | datetime):
        if isinstance(start, str):
            start = datetime.fromisoformat(start).replace(tzinfo=timezone.utc)
        self.t0 = start

    def __call__(self, offset: float | None) -> str | None:
        if offset is None:
            return None
        when = self.t0 + timedelta(seconds=offset)
        if when.microsecond:
            return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")


ts = Clock(T0)


def container(name, *, env=None, restart_policy=None, startup_probe=False, image="busybox:1.36"):
    spec = {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "resources": {},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
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
    term = {
        "exitCode": code,
        "reason": reason or ("Completed" if code == 0 else "Error"),
        "startedAt": ts(start),
        "finishedAt": ts(finish),
        "containerID": "containerd://0f1e2d",
    }
    if message is not None:
        term["message"] = message
    return {"terminated": term}


def waiting(reason="CrashLoopBackOff", message="back-off 10s restarting failed container"):
    return {"waiting": {"reason": reason, "message": message}}


def status(name, state, *, last=None, restarts=0, ready=False, started=None):
    entry = {
        "name": name,
        "image": "busybox:1.36",
        "imageID": "docker.io/library/busybox@sha256:768e5c",
        "containerID": "containerd://0f1e2d",
        "ready": ready,
        "restartCount": restarts,
        "state": state,
        "lastState": last or {},
    }
    if started is not None:
        entry["started"] = started
    return entry


def pod(
    *,
    name="test-q8x5k",
    namespace="default",
    uid=POD_UID,
    containers=(),
    init_containers=(),
    ephemeral=(),
    statuses=(),
    init_statuses=(),
    phase="Running",
    conditions=(),
    created=0,
    start=0,
    node="node-a",
    restart_policy="Never",
    job=None,
    deletion=None,
    grace=None,
    annotations=None,
):
    """A Pod dict; ``statuses`` are given in any order (the kubelet sorts them alphabetically)."""
    meta = {
        "name": name,
        "namespace": namespace,
        "uid": uid,
        "creationTimestamp": ts(created),
        "resourceVersion": "1234",
        "labels": {},
        "annotations": dict(annotations or {}),
    }
    if job:
        meta["labels"].update({"batch.kubernetes.io/job-name": job, "job-name": job})
        meta["ownerReferences"] = [
            {"apiVersion": "batch/v1", "kind": "Job", "name": job, "uid": "0b7c2d4e-job", "controller": True}
        ]
    if deletion is not None:
        meta["deletionTimestamp"] = ts(deletion)
        meta["deletionGracePeriodSeconds"] = grace if grace is not None else 30
    spec = {
        "containers": [copy.deepcopy(c) for c in containers],
        "restartPolicy": restart_policy,
        "terminationGracePeriodSeconds": 30,
        "nodeName": node,
    }
    if init_containers:
        spec["initContainers"] = [copy.deepcopy(c) for c in init_containers]
    if ephemeral:
        spec["ephemeralContainers"] = [copy.deepcopy(c) for c in ephemeral]
    status_obj = {
        "phase": phase,
        "startTime": ts(start),
        "qosClass": "BestEffort",
        "conditions": [
            {
                "type": t,
                "status": s,
                "lastProbeTime": None,
                "lastTransitionTime": ts(at),
                **({"reason": r} if r else {}),
            }
            for t, s, at, r in conditions
        ],
        "containerStatuses": sorted(statuses, key=lambda s: s["name"]),
    }
    if init_statuses:
        status_obj["initContainerStatuses"] = list(init_statuses)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status_obj}


def event(
    reason,
    *,
    container=None,
    section="containers",
    at=0,
    last=None,
    count=1,
    message=None,
    pod_name="test-q8x5k",
    uid=POD_UID,
    namespace="default",
    typ="Normal",
    component="kubelet",
    name=None,
    event_time=None,
):
    """A core/v1 Event. ``event_time`` (offset) gives a scheduler-style event with null timestamps."""
    involved = {"apiVersion": "v1", "kind": "Pod", "name": pod_name, "namespace": namespace}
    if uid is not None:
        involved["uid"] = uid
    if container:
        involved["fieldPath"] = f"spec.{section}{{{container}}}"
    obj = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": name or f"{pod_name}.{reason.lower()}{container or ''}{at}",
            "namespace": namespace,
        },
        "involvedObject": involved,
        "reason": reason,
        "type": typ,
        "message": message if message is not None else f"{reason} container {container or ''}".strip(),
        "source": {"component": component},
        "reportingComponent": component,
    }
    if event_time is not None:
        obj.update(
            {
                "eventTime": ts(event_time),
                "firstTimestamp": None,
                "lastTimestamp": None,
                "count": None,
                "source": {},
            }
        )
    else:
        obj.update(
            {"firstTimestamp": ts(at), "lastTimestamp": ts(last if last is not None else at), "count": count}
        )
    return obj


def job(name="test", *, start=0, completion=None, uid="0b7c2d4e-job", namespace="default"):
    status = {"startTime": ts(start), "active": 0 if completion is not None else 1}
    if completion is not None:
        status.update(
            {
                "completionTime": ts(completion),
                "succeeded": 1,
                "conditions": [{"type": "Complete", "status": "True", "lastTransitionTime": ts(completion)}],
            }
        )
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": namespace, "uid": uid},
        "spec": {"selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}},
        "status": status,
    }


# --------------------------------------------------------------------------------------------- listed objects
# The small objects a list returns, for request-planning and budget tests: what kube.fetch_check_snapshot
# selects and joins on, nothing a check reads. Pods are batch-00000, batch-00001 ... of Job "batch".

LISTED_JOB_UID = "job-uid-1"
listed_ts = Clock("2025-01-01T00:00:00")


def listed_job(name="batch", namespace="ns", selector=None):
    """A Job selecting its pods by ``batch.kubernetes.io/controller-uid`` unless ``selector`` is given."""
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": namespace, "uid": LISTED_JOB_UID},
        "spec": {
            "selector": selector or {"matchLabels": {"batch.kubernetes.io/controller-uid": LISTED_JOB_UID}}
        },
        "status": {"startTime": listed_ts(0)},
    }


def listed_pod(i, namespace="ns", node="node-1", owned=True, labels=None):
    """Pod ``batch-{i:05d}`` of Job "batch" (selected by its controller-uid label; owned unless ``owned=False``)."""
    meta = {
        "name": f"batch-{i:05d}",
        "namespace": namespace,
        "uid": f"pod-uid-{i}",
        "labels": labels
        if labels is not None
        else {"batch.kubernetes.io/controller-uid": LISTED_JOB_UID, "tier": "batch"},
    }
    if owned:
        meta["ownerReferences"] = [
            {"apiVersion": "batch/v1", "kind": "Job", "name": "batch", "uid": LISTED_JOB_UID}
        ]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"nodeName": node, "containers": [{"name": "app"}]},
        "status": {"phase": "Succeeded"},
    }


def listed_event(i, pod_name, namespace="ns", kind="Pod"):
    """Event ``i`` about ``pod_name`` (a Job's name with ``kind="Job"``); its uid is ``ev-{pod_name}-{i}``."""
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{pod_name}.{i:x}", "namespace": namespace, "uid": f"ev-{pod_name}-{i}"},
        "involvedObject": {"kind": kind, "name": pod_name, "namespace": namespace},
        "reason": "Started",
        "firstTimestamp": listed_ts(1),
        "lastTimestamp": listed_ts(1),
    }


def listed_node(name, virtual=False):
    """A Node; ``virtual=True`` gives it the ``type=virtual-kubelet`` label nodes are listed by."""
    labels = {"type": "virtual-kubelet"} if virtual else {}
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels}}


# --------------------------------------------------------------------------------------------- whole scenarios


def uid(*parts: str) -> str:
    digest = hashlib.sha1("/".join(parts).encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-{digest[20:32]}"


# --------------------------------------------------------------------------------------------- specs


def api_container(
    name,
    image=BUSYBOX,
    *,
    command=None,
    args=None,
    env=None,
    restart_policy=None,
    startup_probe=None,
    liveness=False,
    memory=None,
):
    spec = {"name": name, "image": image}
    if command:
        spec["command"] = list(command)
    if args:
        spec["args"] = list(args)
    if env:
        spec["env"] = [dict(e) for e in env]
    if restart_policy:
        spec["restartPolicy"] = restart_policy
    if startup_probe is not None:
        spec["startupProbe"] = {
            "tcpSocket": {"port": 15021},
            "initialDelaySeconds": startup_probe,
            "periodSeconds": 1,
            "failureThreshold": 30,
            "successThreshold": 1,
            "timeoutSeconds": 1,
        }
    if liveness:
        spec["livenessProbe"] = {
            "httpGet": {"path": "/healthz", "port": 8080},
            "periodSeconds": 10,
            "failureThreshold": 3,
            "successThreshold": 1,
            "timeoutSeconds": 1,
        }
    spec["imagePullPolicy"] = "IfNotPresent"
    spec["resources"] = {"limits": {"memory": memory}} if memory else {}
    spec["terminationMessagePath"] = "/dev/termination-log"
    spec["terminationMessagePolicy"] = "File"
    return spec


def pod_spec(containers, init=(), *, node, restart_policy="Never", grace=30, tolerations=None):
    spec = {}
    if init:
        spec["initContainers"] = [copy.deepcopy(c) for c in init]
    spec["containers"] = [copy.deepcopy(c) for c in containers]
    spec.update(
        {
            "restartPolicy": restart_policy,
            "terminationGracePeriodSeconds": grace,
            "dnsPolicy": "ClusterFirst",
            "schedulerName": "default-scheduler",
            "nodeName": node,
            "serviceAccountName": "default",
        }
    )
    if tolerations:
        spec["tolerations"] = tolerations
    return spec


# --------------------------------------------------------------------------------------------- statuses


def api_running(clock, start):
    return {"running": {"startedAt": clock(start)}}


def api_terminated(clock, start, finish, code=0, reason=None, message=None, cid="0f1e2d3c"):
    """``cid=None``: no containerID (a lastState the kubelet recorded without one)."""
    term = {"exitCode": code, "reason": reason or ("Completed" if code == 0 else "Error")}
    if message is not None:
        term["message"] = message
    term.update({"startedAt": clock(start), "finishedAt": clock(finish)})
    if cid is not None:
        term["containerID"] = f"containerd://{cid}"
    return {"terminated": term}


def api_waiting(reason="CrashLoopBackOff", message=None):
    return {"waiting": {"reason": reason, **({"message": message} if message else {})}}


def api_status(spec, state, *, last=None, restarts=0, ready=False, started=None):
    image = spec["image"]
    entry = {
        "name": spec["name"],
        "image": image,
        "imageID": image.split(":")[0] + "@sha256:" + hashlib.sha256(image.encode()).hexdigest(),
        "containerID": "containerd://" + hashlib.sha1((spec["name"] + str(state)).encode()).hexdigest()[:12],
        "ready": ready,
        "restartCount": restarts,
        "started": bool(started) if started is not None else ("running" in state),
        "state": state,
        "lastState": last or {},
    }
    if "waiting" in state:
        entry.pop("containerID")
    return entry


def api_conditions(clock, **times):
    """api_conditions(clock, PodScheduled=(0,), Initialized=(0,), Ready=(5, "False", "PodCompleted"), ...)."""
    result = []
    for ctype, value in times.items():
        at, status, reason = (tuple(value) + (None, None))[:3]
        result.append(api_condition(clock, ctype, at, status or "True", reason))
    return result


def api_condition(clock, ctype, at, status="True", reason=None, message=None):
    """One pod condition as the kubelet writes it (``lastProbeTime`` null)."""
    cond = {"type": ctype, "status": status, "lastProbeTime": None, "lastTransitionTime": clock(at)}
    if reason:
        cond["reason"] = reason
    if message:
        cond["message"] = message
    return cond


# --------------------------------------------------------------------------------------------- ownership, events
# Shapes shared by World, the e2e scenarios (tests/e2e) and bench/synth.py; times come formatted by the
# caller's clock.


def job_labels(job_name, job_uid):
    """The labels the Job controller puts on a Job's pods (and its pod template)."""
    return {
        "batch.kubernetes.io/controller-uid": job_uid,
        "batch.kubernetes.io/job-name": job_name,
        "controller-uid": job_uid,
        "job-name": job_name,
    }


def job_owner_reference(job_name, job_uid):
    """The controller ownerReference the Job controller puts on the pods it creates."""
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "name": job_name,
        "uid": job_uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def involved_object(kind, namespace, name, uid, api_version="v1", *, resource_version=None, field_path=None):
    """An Event's ``involvedObject``; ``field_path`` names a container (``spec.containers{app}``)."""
    involved = {"kind": kind, "namespace": namespace, "name": name, "uid": uid, "apiVersion": api_version}
    if resource_version is not None:
        involved["resourceVersion"] = resource_version
    if field_path:
        involved["fieldPath"] = field_path
    return involved


def recorded_event(
    metadata,
    involved,
    reason,
    message,
    *,
    first,
    last=None,
    count=1,
    typ="Normal",
    component="kubelet",
    host=None,
    typed=True,
):
    """A core/v1 Event as the kubelet or the job controller records it: ``first``/``last`` timestamps
    (formatted) and a count, ``eventTime`` null, ``source.host`` and ``reportingInstance`` from ``host``.
    ``typed=False`` leaves out apiVersion and kind (a body the API server completes)."""
    source = {"component": component}
    if host:
        source["host"] = host
    obj = {"apiVersion": "v1", "kind": "Event"} if typed else {}
    obj.update(
        {
            "metadata": metadata,
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": first,
            "lastTimestamp": last if last is not None else first,
            "count": count,
            "type": typ,
            "eventTime": None,
            "reportingComponent": component,
            "reportingInstance": host or "",
        }
    )
    return obj


# --------------------------------------------------------------------------------------------- objects


class World:
    """One scenario: a namespace, maybe a Job, pods, events, nodes."""

    def __init__(self, name, start, namespace="default"):
        self.name = name
        self.clock = Clock(start)
        self.namespace = namespace
        self.items = []
        self.job_uid = None
        self.job_name = None

    def job(self, name, template_spec, *, status, backoff=2, deadline=None, labels=None):
        self.job_name = name
        self.job_uid = uid(self.name, "job", name)
        meta_labels = {**(labels or {}), **self._job_labels()}
        spec = {
            "backoffLimit": backoff,
            "completions": 1,
            "parallelism": 1,
            "completionMode": "NonIndexed",
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": self.job_uid}},
            "template": {
                "metadata": {"labels": {**(labels or {}), **self._job_labels()}},
                "spec": copy.deepcopy(template_spec),
            },
        }
        if deadline is not None:
            spec["activeDeadlineSeconds"] = deadline
        self.items.append(
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {
                    "name": name,
                    "namespace": self.namespace,
                    "uid": self.job_uid,
                    "creationTimestamp": self.clock(0),
                    "labels": meta_labels,
                    "resourceVersion": "48213",
                },
                "spec": spec,
                "status": status,
            }
        )

    def _job_labels(self):
        return job_labels(self.job_name, self.job_uid)

    def job_status(
        self,
        *,
        start=0,
        active=0,
        succeeded=0,
        failed=0,
        complete=None,
        failed_at=None,
        failed_reason=None,
        failed_message=None,
    ):
        status = {
            "startTime": self.clock(start),
            "active": active,
            "succeeded": succeeded,
            "failed": failed,
            "ready": 0,
            "terminating": 0,
            "uncountedTerminatedPods": {},
        }
        conds = []
        if complete is not None:
            status["completionTime"] = self.clock(complete)
            for ctype in ("SuccessCriteriaMet", "Complete"):
                conds.append(
                    {
                        "type": ctype,
                        "status": "True",
                        "lastProbeTime": self.clock(complete),
                        "lastTransitionTime": self.clock(complete),
                        "reason": "CompletionsReached",
                        "message": "Reached expected number of succeeded pods",
                    }
                )
        if failed_at is not None:
            for ctype in ("FailureTarget", "Failed"):
                conds.append(
                    {
                        "type": ctype,
                        "status": "True",
                        "lastProbeTime": self.clock(failed_at),
                        "lastTransitionTime": self.clock(failed_at),
                        "reason": failed_reason,
                        "message": failed_message,
                    }
                )
        if conds:
            status["conditions"] = conds
        return status

    def pod(
        self,
        name,
        spec,
        *,
        phase,
        statuses=(),
        init_statuses=(),
        conds=(),
        start=0,
        created=0,
        annotations=None,
        labels=None,
        deletion=None,
        reason=None,
        message=None,
    ):
        meta = {
            "name": name,
            "namespace": self.namespace,
            "uid": uid(self.name, "pod", name),
            "creationTimestamp": self.clock(created),
            "resourceVersion": "48190",
            "labels": dict(labels or {}),
            "annotations": dict(annotations or {}),
        }
        if self.job_name:
            meta["generateName"] = self.job_name + "-"
            meta["labels"].update(self._job_labels())
            meta["ownerReferences"] = [job_owner_reference(self.job_name, self.job_uid)]
        if deletion is not None:
            meta["deletionTimestamp"] = self.clock(deletion + spec.get("terminationGracePeriodSeconds", 30))
            meta["deletionGracePeriodSeconds"] = spec.get("terminationGracePeriodSeconds", 30)
        status = {"phase": phase}
        if reason:
            status["reason"] = reason
        if message:
            status["message"] = message
        status.update({"hostIP": "10.0.3.17", "podIP": "10.0.3.18", "qosClass": "BestEffort"})
        if start is not None:
            status["startTime"] = self.clock(start)
        if conds:
            status["conditions"] = list(conds)
        if init_statuses:
            status["initContainerStatuses"] = list(init_statuses)  # spec order
        if statuses:
            status["containerStatuses"] = sorted(statuses, key=lambda s: s["name"])  # the kubelet sorts them
        self.items.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": meta,
                "spec": copy.deepcopy(spec),
                "status": status,
            }
        )
        return meta["uid"]

    def event(
        self,
        pod,
        reason,
        message,
        *,
        container=None,
        section="containers",
        at=0,
        last=None,
        count=1,
        typ="Normal",
        kind="Pod",
        host="node",
    ):
        pod_uid = uid(self.name, kind.lower(), pod)
        involved = involved_object(
            kind,
            self.namespace,
            pod,
            pod_uid,
            "v1" if kind == "Pod" else "batch/v1",
            field_path=f"spec.{section}{{{container}}}" if container else None,
        )
        suffix = hashlib.sha1(f"{pod}{reason}{container}{at}".encode()).hexdigest()[:12]
        component = "kubelet" if kind == "Pod" else "job-controller"
        self.items.append(
            {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {
                    "name": f"{pod}.{suffix}",
                    "namespace": self.namespace,
                    "creationTimestamp": self.clock(at),
                },
                "involvedObject": involved,
                "reason": reason,
                "message": message,
                "type": typ,
                "source": {"component": component, **({"host": host} if kind == "Pod" else {})},
                "firstTimestamp": self.clock(at),
                "lastTimestamp": self.clock(last if last is not None else at),
                "count": count,
                "reportingComponent": component,
                "reportingInstance": host if kind == "Pod" else "",
            }
        )

    def scheduled(self, pod, node, at=0.21):
        self.items.append(
            {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {
                    "name": f"{pod}.1801a2b3c4d5e6f7",
                    "namespace": self.namespace,
                    "creationTimestamp": self.clock(int(at)),
                },
                "involvedObject": {
                    "kind": "Pod",
                    "namespace": self.namespace,
                    "name": pod,
                    "uid": uid(self.name, "pod", pod),
                    "apiVersion": "v1",
                },
                "reason": "Scheduled",
                "message": f"Successfully assigned {self.namespace}/{pod} to {node}",
                "type": "Normal",
                "source": {},
                "firstTimestamp": None,
                "lastTimestamp": None,
                "count": None,
                "eventTime": self.clock(at),
                "action": "Binding",
                "reportingComponent": "default-scheduler",
                "reportingInstance": "default-scheduler-master-1",
            }
        )

    def lifecycle(self, pod, c, section="containers", *, at, count=1, last=None, host="node"):
        """Pulled, Created, Started for one container (aggregated when it started ``count`` times)."""
        image = c["image"]
        self.event(
            pod,
            "Pulled",
            f'Container image "{image}" already present on machine',
            container=c["name"],
            section=section,
            at=at,
            last=last,
            count=count,
            host=host,
        )
        self.event(
            pod,
            "Created",
            f"Created container: {c['name']}",
            container=c["name"],
            section=section,
            at=at,
            last=last,
            count=count,
            host=host,
        )
        self.event(
            pod,
            "Started",
            f"Started container {c['name']}",
            container=c["name"],
            section=section,
            at=at,
            last=last,
            count=count,
            host=host,
        )

    def node(self, name, version, *, virtual=False):
        labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}
        spec = {}
        if virtual:
            labels.update({"type": "virtual-kubelet", "alibabacloud.com/virtual-node": "true"})
            spec["taints"] = [
                {"key": "virtual-kubelet.io/provider", "value": "alibabacloud", "effect": "NoSchedule"}
            ]
        self.items.append(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": name, "labels": labels},
                "spec": spec,
                "status": {"nodeInfo": {"kubeletVersion": version}},
            }
        )

    def document(self, title):
        return title, {
            "apiVersion": "v1",
            "kind": "List",
            "metadata": {"resourceVersion": ""},
            "items": self.items,
        }


VK_TOLERATION = [
    {
        "key": "virtual-kubelet.io/provider",
        "operator": "Equal",
        "value": "alibabacloud",
        "effect": "NoSchedule",
    }
]
ACS_ENV = [{"name": "__IS_SIDECAR__", "value": "true"}]
