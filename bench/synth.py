"""A synthetic Job of N pods, shaped like what a real API server returns, for the benchmark.

Each pod has a native sidecar (``log-shipper``, an init container with ``restartPolicy: Always``) and an
app container (``worker``), statuses as the kubelet writes them and about 10 events (Scheduled through
events.k8s.io, Pulling/Pulled/Created/Started for each container, Killing of the sidecar). Most pods
finished cleanly; a few are in the states a large Job really shows:

- every 20th pod: the sidecar crashed twice (restartCount 2, lastState exit 1, a BackOff warning);
- every 33rd pod: the app failed (exit 1, phase Failed);
- every 50th pod: still running (app and sidecar running, no Killing yet).

Pods are spread over ``nodes`` nodes (``node-00``...), so ``check`` lists nodes once instead of GETting
one. Deterministic: the same N gives the same objects (uids derive from the index).
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import sys
from datetime import datetime, timezone
from pathlib import Path


def _load_builders():
    """tests/builders.py, the one builders module, loaded by path (bench/ and tests/ are not packages)."""
    path = Path(__file__).resolve().parents[1] / "tests" / "builders.py"
    if "kubectl_sidecar_test_builders" not in sys.modules:
        spec = importlib.util.spec_from_file_location("kubectl_sidecar_test_builders", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return sys.modules["kubectl_sidecar_test_builders"]


builders = _load_builders()

NAMESPACE = "bench"
JOB_NAME = "report"
JOB_UID = "6b1f0c3e-5d2a-4c8e-9f7b-3a2d1c0b9e8f"
T0 = datetime(2025, 6, 2, 8, 0, 0, tzinfo=timezone.utc)
SIDECAR_IMAGE = "fluent/fluent-bit:3.0.2"
APP_IMAGE = "registry.example.com/report:3.1.0"


_clock = builders.Clock(T0)


def ts(offset: int) -> str:
    """Whole seconds, as the kubelet writes them (offsets here are whole)."""
    return _clock(int(offset))


def micro_ts(offset: float) -> str:
    """Microseconds, as the scheduler's eventTime (offsets here are fractional)."""
    return _clock(offset)


def pod_name(i: int) -> str:
    return f"{JOB_NAME}-{_suffix(i)}"


def _suffix(i: int) -> str:
    alphabet = "bcdfghjklmnpqrstvwxz2456789"  # the characters generateName uses
    out = ""
    n = i + 7919 * (i + 1)
    for _ in range(5):
        n, r = divmod(n, len(alphabet))
        out += alphabet[r]
    return out


def _uid(kind: int, i: int, j: int = 0) -> str:
    return f"{kind:08x}-{(i >> 16) & 0xFFFF:04x}-4{i & 0xFFF:03x}-8{j & 0xFFF:03x}-{i:012x}"


def labels(uid: str = JOB_UID) -> dict:
    return {"app": JOB_NAME, **builders.job_labels(JOB_NAME, uid)}


LABELS = labels()


def namespace_name(k: int) -> str:
    """The k-th namespace of a many-namespace cluster (``objects_namespaces``)."""
    return f"{NAMESPACE}-{k:03d}"


def job_uid(k: int) -> str:
    """The uid of the Job in the k-th namespace of a many-namespace cluster."""
    return f"6b1f0c3e-5d2a-4c8e-9f7b-{k:012x}"


def _containers() -> tuple:
    mounts = [
        {
            "name": "kube-api-access",
            "readOnly": True,
            "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
        }
    ]
    sidecar = {
        "name": "log-shipper",
        "image": SIDECAR_IMAGE,
        "restartPolicy": "Always",
        "startupProbe": {
            "exec": {"command": ["/fluent-bit/bin/fluent-bit", "--version"]},
            "periodSeconds": 2,
            "timeoutSeconds": 1,
            "successThreshold": 1,
            "failureThreshold": 30,
        },
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "imagePullPolicy": "IfNotPresent",
        "volumeMounts": mounts,
    }
    app = {
        "name": "worker",
        "image": APP_IMAGE,
        "command": ["python", "-m", "report.run"],
        "args": ["--shard", "$(JOB_COMPLETION_INDEX)"],
        "resources": {"requests": {"cpu": "500m", "memory": "512Mi"}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "imagePullPolicy": "IfNotPresent",
        "volumeMounts": mounts,
    }
    return sidecar, app


def job(n: int, *, first: int = 0, namespace: str = NAMESPACE, uid: str = JOB_UID) -> dict:
    """The Job of pods ``first`` .. ``first + n - 1``."""
    sidecar, app = _containers()
    for container in (sidecar, app):
        container.pop("volumeMounts")  # the ServiceAccount admission adds them to each pod
    indexes = range(first, first + n)
    failed = sum(1 for i in indexes if _kind(i) == "app-failed")
    running = sum(1 for i in indexes if _kind(i) == "running")
    last = _pod_start(first + n - 1)
    status = {
        "startTime": ts(_pod_start(first)),
        "active": running,
        "succeeded": n - failed - running,
        "failed": failed,
        "ready": 0,
        "terminating": 0,
        "uncountedTerminatedPods": {},
    }
    if running == 0:
        status["completionTime"] = ts(last + 300)
        status["conditions"] = [
            {
                "type": "Complete",
                "status": "True",
                "lastProbeTime": ts(last + 300),
                "lastTransitionTime": ts(last + 300),
                "reason": "CompletionsReached",
                "message": "Reached expected number of succeeded pods",
            }
        ]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": JOB_NAME,
            "namespace": namespace,
            "uid": uid,
            "generation": 1,
            "creationTimestamp": ts(_pod_start(first)),
            "labels": labels(uid),
        },
        "spec": {
            "parallelism": min(n, 100),
            "completions": n,
            "backoffLimit": n,
            "completionMode": "NonIndexed",
            "suspend": False,
            "manualSelector": False,
            "podReplacementPolicy": "TerminatingOrFailed",
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}},
            "template": {
                "metadata": {"labels": labels(uid)},
                "spec": {
                    "restartPolicy": "Never",
                    "terminationGracePeriodSeconds": 30,
                    "initContainers": [sidecar],
                    "containers": [app],
                },
            },
        },
        "status": status,
    }


def node(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "uid": _uid(0x6E, int(name.rsplit("-", 1)[1])),
            "creationTimestamp": ts(-86400),
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
            },
        },
        "spec": {"podCIDR": "10.244.1.0/24"},
        "status": {
            "nodeInfo": {"kubeletVersion": "v1.30.2", "containerRuntimeVersion": "containerd://1.7.13"},
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "lastHeartbeatTime": ts(0),
                    "lastTransitionTime": ts(-86400),
                }
            ],
        },
    }


def _kind(i: int) -> str:
    if i % 50 == 49:
        return "running"
    if i % 33 == 32:
        return "app-failed"
    if i % 20 == 19:
        return "sidecar-restarts"
    return "ok"


def _pod_start(i: int) -> int:
    return (i // 100) * 330 + (i % 100) // 10  # waves of 100 (parallelism), ~5.5 min each


def _node_name(i: int, nodes: int) -> str:
    return f"node-{i % nodes:02d}"


def _container_id(i: int, name: str, run: int = 0) -> str:
    """A containerd ID, unique per pod, container and run, as the kubelet reports them."""
    seed = hashlib.sha256(f"{i}/{name}/{run}".encode()).hexdigest()
    return f"containerd://{seed}"


def _cs(
    i: int, name: str, image: str, state: dict, *, last=None, restarts=0, ready=False, started=False
) -> dict:
    cid = _container_id(i, name, restarts)
    for term in (state.get("terminated"), (last or {}).get("terminated")):
        if term is not None:
            term["containerID"] = (
                cid if term is state.get("terminated") else _container_id(i, name, restarts - 1)
            )
    return {
        "name": name,
        "image": image,
        "imageID": image.split(":")[0] + "@sha256:" + "5d1b4fb5" * 8,
        "containerID": cid,
        "started": started,
        "ready": ready,
        "restartCount": restarts,
        "lastState": last or {},
        "state": state,
    }


def _term(start: int, finish: int, code: int) -> dict:
    """containerID: set by ``_cs`` (per pod, container and run)."""
    return builders.api_terminated(ts, start, finish, code, cid=None)


def _fields_v1(value):
    """The ``fieldsV1`` tree server-side apply records for ``value`` (what each manager owns)."""
    if isinstance(value, dict):
        return {f"f:{key}": _fields_v1(sub) for key, sub in value.items()}
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for key in ("name", "type", "ip", "key"):
            if all(key in v for v in value):
                return {f'k:{{"{key}":"{v[key]}"}}': dict({".": {}}, **_fields_v1(v)) for v in value}
    return {}


def _managed_fields(obj: dict, created: str, updated: str) -> list:
    """managedFields as a real API server returns them on a Job's pod: the job controller's create and
    the kubelet's status updates (kubectl get hides them; the API answers always carry them)."""
    meta = {
        k: v
        for k, v in obj["metadata"].items()
        if k in ("generateName", "labels", "ownerReferences", "finalizers")
    }
    spec = {k: v for k, v in obj["spec"].items() if k != "nodeName"}
    return [
        {
            "manager": "kube-controller-manager",
            "operation": "Update",
            "apiVersion": "v1",
            "time": created,
            "fieldsType": "FieldsV1",
            "fieldsV1": _fields_v1({"metadata": meta, "spec": spec}),
        },
        {
            "manager": "kubelet",
            "operation": "Update",
            "apiVersion": "v1",
            "time": updated,
            "fieldsType": "FieldsV1",
            "fieldsV1": _fields_v1({"status": obj["status"]}),
            "subresource": "status",
        },
    ]


def pod(i: int, nodes: int, *, namespace: str = NAMESPACE, uid: str = JOB_UID) -> dict:
    """Pod ``i`` of the Job whose uid is ``uid``."""
    sidecar, app = _containers()
    kind = _kind(i)
    start = _pod_start(i)
    sc_start, app_start, app_end = start + 4, start + 8, start + 240 + (i % 7) * 5
    node_name = _node_name(i, nodes)
    if kind == "running":
        sc_status = _cs(
            i, "log-shipper", SIDECAR_IMAGE, builders.api_running(ts, sc_start), ready=True, started=True
        )
        app_status = _cs(
            i, "worker", APP_IMAGE, builders.api_running(ts, app_start), ready=True, started=True
        )
        phase = "Running"
    else:
        code = 1 if kind == "app-failed" else 0
        restarts = 2 if kind == "sidecar-restarts" else 0
        last = _term(sc_start, sc_start + 60, 1) if restarts else None
        sc_status = _cs(
            i,
            "log-shipper",
            SIDECAR_IMAGE,
            _term(sc_start + (90 if restarts else 0), app_end + 1, 143),
            last=last,
            restarts=restarts,
        )
        app_status = _cs(i, "worker", APP_IMAGE, _term(app_start, app_end, code))
        phase = "Failed" if code else "Succeeded"
    name = pod_name(i)
    live = phase == "Running"
    ready = ("True", app_start + 1, None) if live else ("False", app_end, "PodCompleted")
    conditions = builders.api_conditions(
        ts,
        PodReadyToStartContainers=(start + 2, "True" if live else "False"),
        Initialized=(sc_start + 1,),
        Ready=(ready[1], ready[0], ready[2]),
        ContainersReady=(ready[1], ready[0], ready[2]),
        PodScheduled=(start,),
    )
    obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "generateName": f"{JOB_NAME}-",
            "namespace": namespace,
            "uid": _uid(0x70, i),
            "creationTimestamp": ts(start),
            "labels": labels(uid),
            "ownerReferences": [builders.job_owner_reference(JOB_NAME, uid)],
            "finalizers": ["batch.kubernetes.io/job-tracking"] if phase == "Running" else [],
        },
        "spec": {
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "serviceAccountName": "default",
            "serviceAccount": "default",
            "nodeName": node_name,
            "priority": 0,
            "enableServiceLinks": True,
            "preemptionPolicy": "PreemptLowerPriority",
            "initContainers": [sidecar],
            "containers": [app],
            "tolerations": [
                {
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                },
                {
                    "key": "node.kubernetes.io/unreachable",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                },
            ],
            "volumes": [
                {
                    "name": "kube-api-access",
                    "projected": {
                        "defaultMode": 420,
                        "sources": [
                            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                            {
                                "configMap": {
                                    "name": "kube-root-ca.crt",
                                    "items": [{"key": "ca.crt", "path": "ca.crt"}],
                                }
                            },
                        ],
                    },
                }
            ],
        },
        "status": {
            "phase": phase,
            "hostIP": "10.0.1.%d" % (i % nodes + 10),
            "hostIPs": [{"ip": "10.0.1.%d" % (i % nodes + 10)}],
            "podIP": "10.244.%d.%d" % (i // 250, i % 250 + 2),
            "podIPs": [{"ip": "10.244.%d.%d" % (i // 250, i % 250 + 2)}],
            "startTime": ts(start),
            "qosClass": "Burstable",
            "conditions": conditions,
            "initContainerStatuses": [sc_status],
            "containerStatuses": [app_status],
        },
    }
    obj["metadata"]["managedFields"] = _managed_fields(
        obj, ts(start), ts(app_end + 2 if phase != "Running" else app_start + 1)
    )
    return obj


def _event_in(
    i: int,
    j: int,
    reason: str,
    message: str,
    offset: int,
    *,
    container: str | None = None,
    init: bool = False,
    type_: str = "Normal",
    count: int = 1,
    last: int | None = None,
    host: str = "node",
    namespace: str = NAMESPACE,
) -> dict:
    name = pod_name(i)
    field_path = (
        ("spec.initContainers{%s}" if init else "spec.containers{%s}") % container if container else None
    )
    involved = builders.involved_object(
        "Pod", namespace, name, _uid(0x70, i), resource_version="1", field_path=field_path
    )
    metadata = {
        "name": f"{name}.{0x17CB3A1F0A2B0000 + i * 64 + j:x}",
        "namespace": namespace,
        "uid": _uid(0x65, i, j),
        "creationTimestamp": ts(offset),
    }
    return builders.recorded_event(
        metadata,
        involved,
        reason,
        message,
        first=ts(offset),
        last=ts(last if last is not None else offset),
        count=count,
        typ=type_,
        host=host,
    )


def pod_events(i: int, nodes: int, *, namespace: str = NAMESPACE) -> list:
    def _event(*args, **kwargs) -> dict:
        return _event_in(*args, namespace=namespace, **kwargs)

    kind = _kind(i)
    start = _pod_start(i)
    sc_start, app_start, app_end = start + 4, start + 8, start + 240 + (i % 7) * 5
    node_name = _node_name(i, nodes)
    name = pod_name(i)
    scheduled = _event(i, 0, "Scheduled", f"Successfully assigned {namespace}/{name} to {node_name}", start)
    scheduled.update(
        source={},
        firstTimestamp=None,
        lastTimestamp=None,
        eventTime=micro_ts(start + 0.412137),
        action="Binding",
        reportingComponent="default-scheduler",
        reportingInstance="default-scheduler-control-plane",
    )
    scheduled.pop("count")
    out = [scheduled]
    out.append(
        _event(
            i, 1, "Pulling", f'Pulling image "{SIDECAR_IMAGE}"', start + 1, container="log-shipper", init=True
        )
    )
    out.append(
        _event(
            i,
            2,
            "Pulled",
            f'Successfully pulled image "{SIDECAR_IMAGE}" in 2.871s (2.871s including '
            "waiting). Image size: 38124512 bytes.",
            sc_start,
            container="log-shipper",
            init=True,
        )
    )
    restarts = kind == "sidecar-restarts"
    out.append(
        _event(
            i,
            3,
            "Created",
            "Created container log-shipper",
            sc_start,
            container="log-shipper",
            init=True,
            count=3 if restarts else 1,
            last=sc_start + 90 if restarts else None,
        )
    )
    out.append(
        _event(
            i,
            4,
            "Started",
            "Started container log-shipper",
            sc_start,
            container="log-shipper",
            init=True,
            count=3 if restarts else 1,
            last=sc_start + 90 if restarts else None,
        )
    )
    out.append(_event(i, 5, "Pulling", f'Pulling image "{APP_IMAGE}"', sc_start + 2, container="worker"))
    out.append(
        _event(
            i,
            6,
            "Pulled",
            f'Successfully pulled image "{APP_IMAGE}" in 1.204s (1.204s including '
            "waiting). Image size: 91234567 bytes.",
            app_start - 1,
            container="worker",
        )
    )
    out.append(_event(i, 7, "Created", "Created container worker", app_start, container="worker"))
    out.append(_event(i, 8, "Started", "Started container worker", app_start, container="worker"))
    if restarts:
        out.append(
            _event(
                i,
                9,
                "BackOff",
                "Back-off restarting failed container log-shipper in pod "
                f"{name}_{namespace}({_uid(0x70, i)})",
                sc_start + 61,
                container="log-shipper",
                init=True,
                type_="Warning",
                count=2,
                last=sc_start + 75,
            )
        )
    elif kind != "running":
        out.append(
            _event(
                i, 9, "Killing", "Stopping container log-shipper", app_end, container="log-shipper", init=True
            )
        )
    for event in out[1:]:
        event["source"]["host"] = event["reportingInstance"] = node_name
    for event in out:
        body = {
            k: v for k, v in event.items() if k not in ("apiVersion", "kind", "metadata") and v is not None
        }
        event["metadata"]["managedFields"] = [
            {
                "manager": "kubelet" if event is not scheduled else "kube-scheduler",
                "operation": "Update",
                "apiVersion": "v1" if event is not scheduled else "events.k8s.io/v1",
                "time": event["lastTimestamp"] or ts(start),
                "fieldsType": "FieldsV1",
                "fieldsV1": _fields_v1(body),
            }
        ]
    return out


def job_events(n: int, *, first: int = 0, namespace: str = NAMESPACE, uid: str = JOB_UID) -> list:
    """What the job controller leaves on the Job: a few SuccessfulCreate (the rest were rate-limited)."""
    out = []
    for j in range(first, first + min(n, 10)):
        metadata = {
            "name": f"{JOB_NAME}.{0x17CB3A0000000000 + j:x}",
            "namespace": namespace,
            "uid": _uid(0x6A, j),
            "creationTimestamp": ts(_pod_start(j)),
        }
        involved = builders.involved_object("Job", namespace, JOB_NAME, uid, "batch/v1", resource_version="1")
        out.append(
            builders.recorded_event(
                metadata,
                involved,
                "SuccessfulCreate",
                f"Created pod: {pod_name(j)}",
                first=ts(_pod_start(j)),
                component="job-controller",
            )
        )
    return out


def default_nodes(n: int) -> int:
    return max(1, min(50, math.ceil(n / 100)))


def objects(n: int, nodes: int | None = None, managed_fields: bool = True) -> dict:
    """``{"job", "pods", "events", "nodes"}`` for a Job of ``n`` pods (without managedFields: smaller
    and quicker to serve, for tests that only count requests)."""
    nodes = default_nodes(n) if nodes is None else nodes
    pods = [pod(i, nodes) for i in range(n)]
    events = [e for i in range(n) for e in pod_events(i, nodes)] + job_events(n)
    if not managed_fields:
        for obj in pods + events:
            obj["metadata"].pop("managedFields", None)
    return {
        "job": job(n),
        "pods": pods,
        "events": events,
        "nodes": [node(f"node-{k:02d}") for k in range(nodes)],
    }


def objects_namespaces(namespaces: int, per_namespace: int, managed_fields: bool = True) -> dict:
    """A cluster of ``namespaces`` namespaces (``bench-000``...), each with a Job named ``report`` of
    ``per_namespace`` pods (pod ``i`` of the cluster is the same pod as ``objects``' pod ``i``, in its
    namespace), on shared nodes: ``{"jobs", "pods", "events", "nodes"}``, the Jobs' own events last."""
    total = namespaces * per_namespace
    nodes = default_nodes(total)
    jobs, pods, events, job_evs = [], [], [], []
    for k in range(namespaces):
        ns, uid, first = namespace_name(k), job_uid(k), k * per_namespace
        jobs.append(job(per_namespace, first=first, namespace=ns, uid=uid))
        for i in range(first, first + per_namespace):
            pods.append(pod(i, nodes, namespace=ns, uid=uid))
            events.extend(pod_events(i, nodes, namespace=ns))
        job_evs.extend(job_events(per_namespace, first=first, namespace=ns, uid=uid))
    events.extend(job_evs)
    if not managed_fields:
        for obj in pods + events:
            obj["metadata"].pop("managedFields", None)
    return {
        "jobs": jobs,
        "pods": pods,
        "events": events,
        "nodes": [node(f"node-{k:02d}") for k in range(nodes)],
    }


def pod_event_count(n: int) -> int:
    """E: the events of the Job's pods (what ``check`` lists), without the Job's own."""
    return sum(len(pod_events(i, default_nodes(n))) for i in range(n))


def request_budget(n: int) -> int:
    """The issue's budget for ``check job/NAME``: ceil(N/500) + ceil(E/500) + 4."""
    return math.ceil(n / 500) + math.ceil(pod_event_count(n) / 500) + 4
