"""Server-side printing: the meta.k8s.io/v1 Table that kubectl get asks for.

Columns and cells follow pkg/printers/internalversion/printers.go (the server always prints the wide
columns; kubectl hides priority>0 columns unless -o wide)."""

import datetime
import time
from typing import Callable, Optional

__all__ = ["table_for", "human_duration", "parse_time"]

_NAME_DESC = (
    "Name must be unique within a namespace. Is required when creating resources, although some "
    "resources may allow a client to request the generation of an appropriate name automatically. "
    "Name is primarily intended for creation idempotence and configuration definition. Cannot be "
    "updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
_AGE_DESC = (
    "CreationTimestamp is a timestamp representing the server time when this object was created. "
    "It is not guaranteed to be set in happens-before order across separate operations. Clients may "
    "not set this value. It is represented in RFC3339 form and is in UTC."
)


def _col(name: str, desc: str = "", priority: int = 0, typ: str = "string", fmt: str = "") -> dict:
    return {"name": name, "type": typ, "format": fmt, "description": desc, "priority": priority}


def parse_time(value: Optional[str]) -> Optional[datetime.datetime]:
    if not value:
        return None
    v = value.strip()
    if v.endswith("Z"):
        v = v[:-1] + "+00:00"
    try:
        return datetime.datetime.fromisoformat(v)
    except ValueError:
        pass
    # fromisoformat in 3.9/3.10 wants exactly 3 or 6 fractional digits
    if "." in v:
        head, _, rest = v.partition(".")
        digits = "".join(c for c in rest if c.isdigit())
        tz = rest[len(digits) :]
        try:
            return datetime.datetime.fromisoformat(head + "." + (digits + "000000")[:6] + tz)
        except ValueError:
            return None
    return None


def human_duration(seconds: float) -> str:
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 60 * 2:
        return "%ds" % s
    minutes = s // 60
    if minutes < 10:
        sec = s % 60
        return "%dm" % minutes if sec == 0 else "%dm%ds" % (minutes, sec)
    if minutes < 60 * 3:
        return "%dm" % minutes
    hours = s // 3600
    if hours < 8:
        m = minutes % 60
        return "%dh" % hours if m == 0 else "%dh%dm" % (hours, m)
    if hours < 48:
        return "%dh" % hours
    if hours < 24 * 8:
        h = hours % 24
        return "%dd" % (hours // 24) if h == 0 else "%dd%dh" % (hours // 24, h)
    if hours < 24 * 365 * 2:
        return "%dd" % (hours // 24)
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return "%dy" % (hours // 24 // 365) if dy == 0 else "%dy%dd" % (hours // 24 // 365, dy)
    return "%dy" % (hours // 24 // 365)


def _since(value: Optional[str], now: float) -> str:
    t = parse_time(value)
    if t is None:
        return "<unknown>"
    return human_duration(now - t.timestamp())


def _pod_row(pod: dict, now: float) -> tuple[list, list]:
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    meta = pod.get("metadata") or {}
    restarts = 0
    restartable_restarts = 0
    total = len(spec.get("containers") or [])
    ready = 0
    last_restart = 0.0
    last_restartable_restart = 0.0
    phase = status.get("phase") or ""
    reason = status.get("reason") or phase
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    conditions = []
    if phase == "Succeeded":
        conditions = [
            {
                "type": "Completed",
                "status": "True",
                "reason": "Succeeded",
                "message": "The pod has completed successfully.",
            }
        ]
    elif phase == "Failed":
        conditions = [
            {"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."}
        ]

    init_specs = {c.get("name"): c for c in spec.get("initContainers") or []}

    def restartable(name: str) -> bool:
        return (init_specs.get(name) or {}).get("restartPolicy") == "Always"

    def finished_at(cs: dict) -> float:
        t = parse_time(((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))
        return t.timestamp() if t else 0.0

    total += sum(1 for c in init_specs.values() if c.get("restartPolicy") == "Always")
    initializing = False
    init_statuses = status.get("initContainerStatuses") or []
    for i, cs in enumerate(init_statuses):
        restarts += int(cs.get("restartCount") or 0)
        last_restart = max(last_restart, finished_at(cs))
        name = cs.get("name", "")
        if restartable(name):
            restartable_restarts += int(cs.get("restartCount") or 0)
            last_restartable_restart = max(last_restartable_restart, finished_at(cs))
        state = cs.get("state") or {}
        term = state.get("terminated")
        waiting = state.get("waiting")
        if term is not None and int(term.get("exitCode") or 0) == 0:
            continue
        if restartable(name) and cs.get("started"):
            if cs.get("ready"):
                ready += 1
            continue
        if term is not None:
            if not term.get("reason"):
                if term.get("signal"):
                    reason = "Init:Signal:%d" % term["signal"]
                else:
                    reason = "Init:ExitCode:%d" % int(term.get("exitCode") or 0)
            else:
                reason = "Init:" + term["reason"]
        elif waiting is not None and waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = "Init:%d/%d" % (i, len(spec.get("initContainers") or []))
        initializing = True
        break

    initialized = any(
        c.get("type") == "Initialized" and c.get("status") == "True" for c in status.get("conditions") or []
    )
    if not initializing or initialized:
        restarts = restartable_restarts
        last_restart = last_restartable_restart
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += int(cs.get("restartCount") or 0)
            last_restart = max(last_restart, finished_at(cs))
            state = cs.get("state") or {}
            waiting, term, running = state.get("waiting"), state.get("terminated"), state.get("running")
            if waiting is not None and waiting.get("reason"):
                reason = waiting["reason"]
            elif term is not None and term.get("reason"):
                reason = term["reason"]
            elif term is not None:
                if term.get("signal"):
                    reason = "Signal:%d" % term["signal"]
                else:
                    reason = "ExitCode:%d" % int(term.get("exitCode") or 0)
            elif cs.get("ready") and running is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            has_ready_cond = any(
                c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or []
            )
            reason = "Running" if has_ready_cond else "NotReady"

    if meta.get("deletionTimestamp") and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif meta.get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"

    restarts_str = str(restarts)
    if restarts and last_restart:
        restarts_str = "%d (%s ago)" % (restarts, human_duration(now - last_restart))

    pod_ips = status.get("podIPs") or []
    pod_ip = (pod_ips[0] or {}).get("ip") if pod_ips else ""
    gates = spec.get("readinessGates") or []
    gates_str = "<none>"
    if gates:
        true_count = 0
        for g in gates:
            for c in status.get("conditions") or []:
                if c.get("type") == g.get("conditionType"):
                    if c.get("status") == "True":
                        true_count += 1
                    break
        gates_str = "%d/%d" % (true_count, len(gates))
    cells = [
        meta.get("name", ""),
        "%d/%d" % (ready, total),
        reason,
        restarts_str,
        _since(meta.get("creationTimestamp"), now),
        pod_ip or "<none>",
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        gates_str,
    ]
    return cells, conditions


_POD_COLUMNS = [
    _col("Name", _NAME_DESC, fmt="name"),
    _col("Ready", "The aggregate readiness state of this pod for accepting traffic."),
    _col("Status", "The aggregate status of the containers in this pod."),
    _col(
        "Restarts",
        "The number of times the containers in this pod have been restarted and when the last "
        "container in this pod has restarted.",
    ),
    _col("Age", _AGE_DESC),
    _col(
        "IP",
        "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet "
        "allocated.",
        1,
    ),
    _col("Node", "NodeName indicates in which node this pod is scheduled.", 1),
    _col(
        "Nominated Node",
        "nominatedNodeName is set only when this pod preempts other pods on the node, but "
        "it cannot be scheduled right away as preemption victims receive their graceful "
        "termination periods.",
        1,
    ),
    _col(
        "Readiness Gates",
        "If specified, all readiness gates will be evaluated for pod readiness. A pod is "
        "ready when all its containers are ready AND all conditions specified in the "
        'readiness gates have status equal to "True"',
        1,
    ),
]


def _event_row(ev: dict, now: float) -> tuple[list, list]:
    first = (
        _since(ev.get("firstTimestamp"), now)
        if ev.get("firstTimestamp")
        else _since(ev.get("eventTime"), now)
    )
    last = _since(ev.get("lastTimestamp"), now) if ev.get("lastTimestamp") else first
    count = ev.get("count") or 0
    series = ev.get("series")
    if series:
        last = _since(series.get("lastObservedTime"), now)
        count = series.get("count") or 0
    elif not count:
        count = 1
    io = ev.get("involvedObject") or {}
    kind = (io.get("kind") or "").lower()
    target = "%s/%s" % (kind, io["name"]) if io.get("name") else kind
    src = ev.get("source") or {}
    component = src.get("component") or ev.get("reportingComponent") or ""
    instance = src.get("host") or ev.get("reportingInstance") or ""
    source = component + ", " + instance if instance else component
    cells = [
        last,
        ev.get("type", ""),
        ev.get("reason", ""),
        target,
        io.get("fieldPath", ""),
        source,
        (ev.get("message") or "").strip(),
        first,
        int(count),
        (ev.get("metadata") or {}).get("name", ""),
    ]
    return cells, []


_EVENT_COLUMNS = [
    _col("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
    _col("Type", "Type of this event (Normal, Warning), new types could be added in the future."),
    _col(
        "Reason",
        "This should be a short, machine understandable string that gives the reason for the "
        "transition into the object's current status.",
    ),
    _col("Object", "The object that this event is about."),
    _col("Subobject", "The subobject that this event is about.", 1),
    _col("Source", "The component reporting this event. Should be a short machine understandable string.", 1),
    _col("Message", "A human-readable description of the status of this operation."),
    _col(
        "First Seen",
        "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)",
        1,
    ),
    _col("Count", "The number of times this event has occurred.", 1, typ="integer"),
    _col("Name", _NAME_DESC, 1, fmt="name"),
]


def _containers_cells(containers: list[dict]) -> tuple[str, str]:
    return (",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers))


def _format_selector(sel: Optional[dict]) -> str:
    if sel is None:
        return "<none>"
    parts = []
    for k, v in sorted((sel.get("matchLabels") or {}).items()):
        parts.append("%s=%s" % (k, v))
    for e in sel.get("matchExpressions") or []:
        op = e.get("operator")
        vals = ",".join(e.get("values") or [])
        if op == "In":
            parts.append("%s in (%s)" % (e.get("key"), vals))
        elif op == "NotIn":
            parts.append("%s notin (%s)" % (e.get("key"), vals))
        elif op == "Exists":
            parts.append(e.get("key", ""))
        elif op == "DoesNotExist":
            parts.append("!" + e.get("key", ""))
    s = ",".join(parts)
    return s if s else "<none>"


def _has_cond(obj: dict, ctype: str) -> bool:
    return any(
        c.get("type") == ctype and c.get("status") == "True"
        for c in (obj.get("status") or {}).get("conditions") or []
    )


def _job_row(job: dict, now: float) -> tuple[list, list]:
    spec, status, meta = job.get("spec") or {}, job.get("status") or {}, job.get("metadata") or {}
    succeeded = int(status.get("succeeded") or 0)
    if spec.get("completions") is not None:
        completions = "%d/%d" % (succeeded, spec["completions"])
    else:
        par = int(spec.get("parallelism") or 0)
        completions = "%d/1 of %d" % (succeeded, par) if par > 1 else "%d/1" % succeeded
    start = parse_time(status.get("startTime"))
    end = parse_time(status.get("completionTime"))
    duration = ""
    if start is not None:
        duration = human_duration((end.timestamp() if end else now) - start.timestamp())
    if _has_cond(job, "Complete"):
        st = "Complete"
    elif _has_cond(job, "Failed"):
        st = "Failed"
    elif meta.get("deletionTimestamp"):
        st = "Terminating"
    elif _has_cond(job, "Suspended"):
        st = "Suspended"
    elif _has_cond(job, "FailureTarget"):
        st = "FailureTarget"
    elif _has_cond(job, "SuccessCriteriaMet"):
        st = "SuccessCriteriaMet"
    else:
        st = "Running"
    names, images = _containers_cells(
        ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    )
    cells = [
        meta.get("name", ""),
        st,
        completions,
        duration,
        _since(meta.get("creationTimestamp"), now),
        names,
        images,
        _format_selector(spec.get("selector")),
    ]
    return cells, []


_JOB_COLUMNS = [
    _col("Name", _NAME_DESC, fmt="name"),
    _col("Status", "Status of the job."),
    _col("Completions", "The desired number of successfully finished pods the job should be run with."),
    _col("Duration", "Time required to complete the job."),
    _col("Age", _AGE_DESC),
    _col("Containers", "Names of each container in the template.", 1),
    _col("Images", "Images referenced by each container in the template.", 1),
    _col("Selector", "A label query over pods that should match the pod count.", 1),
]


def _node_row(node: dict, now: float) -> tuple[list, list]:
    meta, spec, status = node.get("metadata") or {}, node.get("spec") or {}, node.get("status") or {}
    cond_map = {c.get("type"): c for c in status.get("conditions") or []}
    states = []
    ready = cond_map.get("Ready")
    if ready is not None:
        states.append("Ready" if ready.get("status") == "True" else "NotReady")
    else:
        states.append("Unknown")
    if spec.get("unschedulable"):
        states.append("SchedulingDisabled")
    roles = set()
    for k, v in (meta.get("labels") or {}).items():
        if k.startswith("node-role.kubernetes.io/"):
            roles.add(k[len("node-role.kubernetes.io/") :])
        elif k == "kubernetes.io/role" and v:
            roles.add(v)
    info = status.get("nodeInfo") or {}
    addrs = {}  # type: dict[str, str]
    for a in status.get("addresses") or []:
        addrs.setdefault(a.get("type"), a.get("address"))
    cells = [
        meta.get("name", ""),
        ",".join(states),
        ",".join(sorted(roles)) or "<none>",
        _since(meta.get("creationTimestamp"), now),
        info.get("kubeletVersion", ""),
        addrs.get("InternalIP", "<none>"),
        addrs.get("ExternalIP", "<none>"),
        info.get("osImage", "<unknown>") or "<unknown>",
        info.get("kernelVersion", "<unknown>") or "<unknown>",
        info.get("containerRuntimeVersion", "<unknown>") or "<unknown>",
    ]
    return cells, []


_NODE_COLUMNS = [
    _col("Name", _NAME_DESC, fmt="name"),
    _col("Status", "The status of the node"),
    _col("Roles", "The roles of the node"),
    _col("Age", _AGE_DESC),
    _col("Version", "Kubelet Version reported by the node."),
    _col(
        "Internal-IP",
        "List of addresses reachable to the node. Queried from cloud provider, if available.",
        1,
    ),
    _col(
        "External-IP",
        "List of addresses reachable to the node. Queried from cloud provider, if available.",
        1,
    ),
    _col(
        "OS-Image",
        "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
        1,
    ),
    _col(
        "Kernel-Version",
        "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
        1,
    ),
    _col(
        "Container-Runtime",
        "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
        1,
    ),
]


def _namespace_row(ns: dict, now: float) -> tuple[list, list]:
    meta = ns.get("metadata") or {}
    return [
        meta.get("name", ""),
        (ns.get("status") or {}).get("phase", ""),
        _since(meta.get("creationTimestamp"), now),
    ], []


_NAMESPACE_COLUMNS = [
    _col("Name", _NAME_DESC, fmt="name"),
    _col("Status", "The status of the namespace"),
    _col("Age", _AGE_DESC),
]


def _service_row(svc: dict, now: float) -> tuple[list, list]:
    meta, spec = svc.get("metadata") or {}, svc.get("spec") or {}
    stype = spec.get("type") or "ClusterIP"
    ext = ",".join(spec.get("externalIPs") or [])
    if stype == "LoadBalancer":
        ing = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        ext = ",".join(i.get("ip") or i.get("hostname") or "" for i in ing) or "<pending>"
    elif stype == "ExternalName":
        ext = spec.get("externalName", "")
    ports = []
    for p in spec.get("ports") or []:
        s = "%s/%s" % (p.get("port"), p.get("protocol", "TCP"))
        if p.get("nodePort"):
            s = "%s:%s/%s" % (p.get("port"), p["nodePort"], p.get("protocol", "TCP"))
        ports.append(s)
    sel = spec.get("selector") or {}
    cells = [
        meta.get("name", ""),
        stype,
        spec.get("clusterIP") or "<none>",
        ext or "<none>",
        ",".join(ports) or "<none>",
        _since(meta.get("creationTimestamp"), now),
        ",".join("%s=%s" % kv for kv in sorted(sel.items())) or "<none>",
    ]
    return cells, []


_SERVICE_COLUMNS = [
    _col("Name", _NAME_DESC, fmt="name"),
    _col("Type", "Type of the service."),
    _col("Cluster-IP", "Cluster IP of the service."),
    _col("External-IP", "External IP of the service."),
    _col("Port(s)", "Ports of the service."),
    _col("Age", _AGE_DESC),
    _col("Selector", "Selector of the service.", 1),
]


def _default_row(obj: dict, now: float) -> tuple[list, list]:
    meta = obj.get("metadata") or {}
    return [meta.get("name", ""), meta.get("creationTimestamp")], []


_DEFAULT_COLUMNS = [
    _col("Name", _NAME_DESC, fmt="name"),
    _col("Created At", _AGE_DESC, typ="date"),
]

_PRINTERS = {
    ("", "pods"): (_POD_COLUMNS, _pod_row),
    ("", "events"): (_EVENT_COLUMNS, _event_row),
    ("batch", "jobs"): (_JOB_COLUMNS, _job_row),
    ("", "nodes"): (_NODE_COLUMNS, _node_row),
    ("", "namespaces"): (_NAMESPACE_COLUMNS, _namespace_row),
    ("", "services"): (_SERVICE_COLUMNS, _service_row),
}  # type: dict[tuple[str, str], tuple[list[dict], Callable[[dict, float], tuple[list, list]]]]


def table_for(
    store_key: tuple[str, str],
    objects: list[dict],
    include_object: str,
    list_meta: dict,
    with_columns: bool = True,
    partial_meta: Optional[Callable[[dict], dict]] = None,
    now: Optional[float] = None,
) -> dict:
    """A Table of objects (stored form: events are core/v1 events).

    include_object is "None", "Metadata" (default) or "Object"; partial_meta turns an object into the
    row's object for "Object" (so events.k8s.io rows carry their own version)."""
    now = time.time() if now is None else now
    columns, row_func = _PRINTERS.get(store_key, (_DEFAULT_COLUMNS, _default_row))
    rows = []
    for obj in objects:
        cells, conditions = row_func(obj, now)
        row = {"cells": cells}  # type: dict
        if conditions:
            row["conditions"] = conditions
        if include_object == "Object":
            row["object"] = partial_meta(obj) if partial_meta else obj
        elif include_object != "None":
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj.get("metadata", {}),
            }
        rows.append(row)
    table = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta}  # type: dict
    if with_columns:
        table["columnDefinitions"] = columns
    else:
        table["columnDefinitions"] = None
    table["rows"] = rows
    return table
