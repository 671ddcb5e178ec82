"""Scenario builders: real Jobs, pods, statuses and events in the e2e apiserver.

Each builder writes its objects the way the components of a real cluster would (Job controller:
pods with labels + ownerReference; scheduler: ``spec.nodeName`` + an events.k8s.io event with
``eventTime``; kubelet: status writes in order through ``/status`` and core/v1 events with
``firstTimestamp``/``lastTimestamp``/``count``; Job controller: Job status) and returns a
``Scenario`` with the stored objects and an ``expect`` dict of the facts the data encodes, for
plugin tests to assert against.

Builders (all take ``api`` = ``cluster.Api`` of a user that may write, normally the admin):
- ``build_acs_seed_job(api, ns)``: /work/shared/seed-example/acs-optimized-job.yaml as observed;
- ``build_native_seed_job(api, ns)``: seed-example/native-job.yaml, completed, on 1.34;
- ``build_unmarked_sidecar_job(api, ns)``: app exited 0, unmarked log shipper still running;
- ``build_stale_legacy_sidecar_job(api, ns)``: ACS-marked sidecar whose status is stuck terminated;
- ``build_many_pods_job(api, ns, n=600, events_per_pod=2)``: pagination beyond 500;
- ``build_refused_native_sidecar_job(api, ns)``: no pods, the Job controller's FailedCreate event.
"""

from __future__ import annotations

import datetime as _dt
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .cluster import (
    IMAGE,
    Api,
    ApiError,
    at,
    condition,
    create_event,
    create_job,
    create_job_pod,
    create_node,
    create_pod,
    create_scheduler_event,
    job_pod_manifest,
    list_events,
    patch_pod_status,
    replace_pod_status,
    running,
    set_job_status,
    terminated,
    terminated_state,
    ts,
    waiting,
)

FORCED_MESSAGE = "Force this container to be success(137, Error, )"
BUSYBOX_LOOP = 'for i in $(seq 1 10);do echo "logging" >> /var/logs.txt; sleep 1; done'
BUSYBOX_TAIL = "touch /var/logs.txt && tail -F /var/logs.txt"


@dataclass
class Scenario:
    name: str
    namespace: str
    job: dict
    pods: list[dict]
    events: list[dict] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)
    expect: dict[str, Any] = field(default_factory=dict)

    @property
    def pod(self) -> dict:
        return self.pods[0]


def _s(base: _dt.datetime, seconds: float) -> _dt.datetime:
    return base + _dt.timedelta(seconds=seconds)


_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery's utilrand alphabet


def pod_suffix(rng: random.Random) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(5))


def ensure_node(api: Api, name: str, labels: dict[str, str] | None = None) -> str:
    try:
        create_node(api, name, labels)
    except ApiError as exc:
        if exc.status != 409:
            raise
    return name


def _pod_events(api: Api, pod: dict, specs: list[tuple]) -> list[dict]:
    """specs: (reason, message, first, field_path[, type[, count, last]])."""
    out = []
    for spec in specs:
        reason, message, first, fpath = spec[:4]
        etype = spec[4] if len(spec) > 4 else "Normal"
        count = spec[5] if len(spec) > 5 else 1
        last = spec[6] if len(spec) > 6 else first
        out.append(
            create_event(
                api, pod, reason, message, first=first, last=last, count=count, field_path=fpath, type=etype
            )
        )
    return out


def _complete_job(api: Api, job: dict, start: _dt.datetime, done: _dt.datetime, succeeded: int = 1) -> dict:
    msg = "Reached expected number of succeeded pods"
    return set_job_status(
        api,
        job,
        {
            "startTime": ts(start),
            "completionTime": ts(done),
            "succeeded": succeeded,
            "active": 0,
            "ready": 0,
            "terminating": 0,
            "uncountedTerminatedPods": {},
            "conditions": [
                condition("SuccessCriteriaMet", True, done, "CompletionsReached", msg),
                condition("Complete", True, done, "CompletionsReached", msg),
            ],
        },
    )


def _running_job(api: Api, job: dict, start: _dt.datetime, active: int = 1, ready: int = 0) -> dict:
    return set_job_status(
        api,
        job,
        {
            "startTime": ts(start),
            "active": active,
            "ready": ready,
            "terminating": 0,
            "uncountedTerminatedPods": {},
        },
    )


def _pulled(image: str = IMAGE, ms: int = 384) -> str:
    return (
        f'Successfully pulled image "{image}" in {ms}ms ({ms}ms including waiting). Image size: 728778 bytes.'
    )


# ---------------------------------------------------------------------------------------------


def acs_job_manifest(name: str = "test") -> dict:
    return {
        "metadata": {"name": name},
        "spec": {
            "backoffLimit": 2,
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {"name": "app", "image": IMAGE, "command": ["sh", "-c", BUSYBOX_LOOP]},
                        {
                            "name": "sidecar",
                            "image": IMAGE,
                            "command": ["sh", "-c", BUSYBOX_TAIL],
                            "env": [{"name": "__IS_SIDECAR__", "value": "true"}],
                        },
                    ],
                },
            },
        },
    }


def build_acs_seed_job(
    api: Api,
    namespace: str,
    name: str = "test",
    pod_name: str = "test-729nd",
    node: str = "virtual-kubelet-cn-shenzhen-f",
) -> Scenario:
    """The ACS-optimized seed Job as observed (seed-example/observed.md), times in UTC (+0800 removed).

    Event times come from the printed ages with the observation at 03:29:29Z (so Scheduled, 5m11s,
    is 03:24:18 = the Job's start): Pulling 03:24:16 is older than Scheduled, as printed. Status times
    are the printed ones (sidecar 03:24:32 -> 03:25:13), so status and events disagree by ~15 s, as
    in the seed. The app container's times were not printed: 03:24:32 -> 03:24:43 is invented
    (10 one-second iterations). Job: start 03:24:18, complete 03:25:17 (59 s).
    """
    ensure_node(api, node, {"type": "virtual-kubelet", "topology.kubernetes.io/zone": "cn-shenzhen-f"})
    job = create_job(api, namespace, acs_job_manifest(name))
    pod = create_job_pod(api, job, pod_name, node)
    t = at("2024-10-29T03:24:18Z")
    obs = at("2024-10-29T03:29:29Z")

    def age(m: int, s: int) -> _dt.datetime:
        return obs - _dt.timedelta(minutes=m, seconds=s)

    events = [create_scheduler_event(api, pod, age(5, 11).replace(microsecond=412731), node=node)]
    events += _pod_events(
        api,
        pod,
        [
            ("Pulling", f'Pulling image "{IMAGE}"', age(5, 13), "spec.containers{sidecar}"),
            (
                "Pulled",
                f'Successfully pulled image "{IMAGE}" in 384ms',
                age(5, 12),
                "spec.containers{sidecar}",
            ),
            ("Created", "Created container sidecar", age(5, 12), "spec.containers{sidecar}"),
            ("Started", "Started container sidecar", age(5, 12), "spec.containers{sidecar}"),
            ("Pulling", f'Pulling image "{IMAGE}"', age(5, 12), "spec.containers{app}"),
            ("Pulled", f'Successfully pulled image "{IMAGE}" in 342ms', age(5, 12), "spec.containers{app}"),
            ("Created", "Created container app", age(5, 12), "spec.containers{app}"),
            ("Started", "Started container app", age(5, 12), "spec.containers{app}"),
            ("Killing", "Stopping container sidecar", age(5, 1), "spec.containers{sidecar}"),
        ],
    )
    _running_job(api, job, t)
    ip = {
        "hostIP": "192.168.10.21",
        "hostIPs": [{"ip": "192.168.10.21"}],
        "podIP": "192.168.10.37",
        "podIPs": [{"ip": "192.168.10.37"}],
    }
    started, app_end = at("2024-10-29T03:24:32Z"), at("2024-10-29T03:24:43Z")
    side_end = at("2024-10-29T03:25:13Z")
    sched = [condition("PodScheduled", True, t)]
    # the kubelet's writes, in order (statuses sorted by name: app, sidecar)
    patch_pod_status(
        api,
        pod,
        {
            "phase": "Pending",
            "startTime": ts(t),
            **ip,
            "conditions": sched
            + [
                condition("Initialized", True, t),
                condition(
                    "Ready", False, t, "ContainersNotReady", "containers with unready status: [app sidecar]"
                ),
                condition(
                    "ContainersReady",
                    False,
                    t,
                    "ContainersNotReady",
                    "containers with unready status: [app sidecar]",
                ),
            ],
            "containerStatuses": [waiting("app"), waiting("sidecar")],
        },
    )
    patch_pod_status(
        api,
        pod,
        {
            "phase": "Running",
            "conditions": [condition("Ready", True, started), condition("ContainersReady", True, started)],
            "containerStatuses": [running("app", started), running("sidecar", started)],
        },
    )
    patch_pod_status(
        api,
        pod,
        {
            "conditions": [
                condition(
                    "Ready", False, app_end, "ContainersNotReady", "containers with unready status: [app]"
                ),
                condition(
                    "ContainersReady",
                    False,
                    app_end,
                    "ContainersNotReady",
                    "containers with unready status: [app]",
                ),
            ],
            "containerStatuses": [terminated("app", 0, started, app_end)],
        },
    )
    final = replace_pod_status(
        api,
        pod,
        {
            "phase": "Succeeded",
            "qosClass": "BestEffort",
            "startTime": ts(t),
            **ip,
            "conditions": [
                condition("Initialized", True, t, "PodCompleted"),
                condition("Ready", False, side_end, "PodCompleted"),
                condition("ContainersReady", False, side_end, "PodCompleted"),
                condition("PodScheduled", True, t),
            ],
            "containerStatuses": [
                terminated("app", 0, started, app_end),
                terminated("sidecar", 0, started, side_end, reason="Completed", message=FORCED_MESSAGE),
            ],
        },
    )
    job = _complete_job(api, job, t, at("2024-10-29T03:25:17Z"))
    return Scenario(
        "acs-seed",
        namespace,
        job,
        [final],
        events,
        [node],
        {
            "sidecars": {"sidecar": "acs"},
            "apps": ["app"],
            "sidecar_forced": {"exit_code": 137, "reason": "Error", "reported_exit_code": 0},
            "job_complete": True,
            "pod_phase": "Succeeded",
            "duration_seconds": 59,
            "observed_at": "2024-10-29T03:29:29Z",
        },
    )


def native_job_manifest(name: str = "test") -> dict:
    return {
        "metadata": {"name": name},
        "spec": {
            "backoffLimit": 2,
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "restartPolicy": "Never",
                    "initContainers": [
                        {
                            "name": "sidecar",
                            "image": IMAGE,
                            "restartPolicy": "Always",
                            "command": ["sh", "-c", BUSYBOX_TAIL],
                        }
                    ],
                    "containers": [{"name": "app", "image": IMAGE, "command": ["sh", "-c", BUSYBOX_LOOP]}],
                },
            },
        },
    }


def build_native_seed_job(
    api: Api,
    namespace: str,
    name: str = "test",
    pod_name: str = "test-k8x2p",
    node: str = "node-a",
    base: str = "2024-10-29T04:00:00Z",
) -> Scenario:
    """The native-sidecar seed Job, completed, as a 1.34 kubelet reports it.

    Sidecar started first (init container, restartPolicy Always), app runs 10 s and exits 0, then the
    sidecar is asked to stop (Killing at app exit + 1 s); ``sh -c`` as PID 1 ignores SIGTERM, so it is
    killed after the 30 s grace period: exit 137, reason Error. Pod Succeeded, Job Complete.
    """
    ensure_node(api, node, {"node-role.kubernetes.io/worker": "", "topology.kubernetes.io/zone": "zone-a"})
    job = create_job(api, namespace, native_job_manifest(name))
    pod = create_job_pod(api, job, pod_name, node)
    t = at(base)
    side_start, app_start = _s(t, 2), _s(t, 3)
    app_end, kill, side_end, done = _s(t, 13), _s(t, 14), _s(t, 44), _s(t, 45)
    fp_s, fp_a = "spec.initContainers{sidecar}", "spec.containers{app}"
    events = [create_scheduler_event(api, pod, t.replace(microsecond=201554), node=node)]
    events += _pod_events(
        api,
        pod,
        [
            ("Pulled", f'Container image "{IMAGE}" already present on machine', _s(t, 1), fp_s),
            ("Created", "Created container: sidecar", _s(t, 1), fp_s),
            ("Started", "Started container sidecar", side_start, fp_s),
            ("Pulled", f'Container image "{IMAGE}" already present on machine', _s(t, 3), fp_a),
            ("Created", "Created container: app", _s(t, 3), fp_a),
            ("Started", "Started container app", app_start, fp_a),
            ("Killing", "Stopping container sidecar", kill, fp_s),
        ],
    )
    _running_job(api, job, t)
    ip = {
        "hostIP": "10.0.1.4",
        "hostIPs": [{"ip": "10.0.1.4"}],
        "podIP": "10.244.1.17",
        "podIPs": [{"ip": "10.244.1.17"}],
    }
    patch_pod_status(
        api,
        pod,
        {
            "phase": "Pending",
            "startTime": ts(t),
            **ip,
            "conditions": [
                condition("PodReadyToStartContainers", True, _s(t, 1)),
                condition(
                    "Initialized",
                    False,
                    t,
                    "ContainersNotInitialized",
                    "containers with incomplete status: [sidecar]",
                ),
                condition("Ready", False, t, "ContainersNotReady", "containers with unready status: [app]"),
                condition(
                    "ContainersReady", False, t, "ContainersNotReady", "containers with unready status: [app]"
                ),
                condition("PodScheduled", True, t),
            ],
            "initContainerStatuses": [running("sidecar", side_start, ready=False, started=False)],
            "containerStatuses": [waiting("app", "PodInitializing")],
        },
    )
    patch_pod_status(
        api,
        pod,
        {
            "phase": "Running",
            "conditions": [
                condition("Initialized", True, side_start),
                condition("Ready", True, app_start),
                condition("ContainersReady", True, app_start),
            ],
            "initContainerStatuses": [running("sidecar", side_start, ready=True, started=True)],
            "containerStatuses": [running("app", app_start)],
        },
    )
    patch_pod_status(
        api,
        pod,
        {
            "conditions": [
                condition("Ready", False, app_end, "PodCompleted"),
                condition("ContainersReady", False, app_end, "PodCompleted"),
            ],
            "containerStatuses": [terminated("app", 0, app_start, app_end)],
        },
    )
    final = replace_pod_status(
        api,
        pod,
        {
            "phase": "Succeeded",
            "qosClass": "BestEffort",
            "startTime": ts(t),
            **ip,
            "conditions": [
                condition("PodReadyToStartContainers", False, _s(t, 45)),
                condition("Initialized", True, side_start, "PodCompleted"),
                condition("Ready", False, app_end, "PodCompleted"),
                condition("ContainersReady", False, app_end, "PodCompleted"),
                condition("PodScheduled", True, t),
            ],
            "initContainerStatuses": [terminated("sidecar", 137, side_start, side_end)],
            "containerStatuses": [terminated("app", 0, app_start, app_end)],
        },
    )
    job = _complete_job(api, job, t, done)
    return Scenario(
        "native-seed",
        namespace,
        job,
        [final],
        events,
        [node],
        {
            "sidecars": {"sidecar": "native"},
            "apps": ["app"],
            "job_complete": True,
            "pod_phase": "Succeeded",
            "sidecar_exit_code": 137,
            "killing_to_finished_seconds": 30,
        },
    )


def build_unmarked_sidecar_job(
    api: Api,
    namespace: str,
    name: str = "blocked",
    pod_name: str = "blocked-7v9qz",
    node: str = "node-a",
    base: str = "2024-10-29T05:00:00Z",
) -> Scenario:
    """A Job blocked by a sidecar nobody declared: app exited 0 at +13 s, ``log-shipper`` (a plain
    regular container, no marker) still running; pod Running, not Ready; Job active=1 forever."""
    ensure_node(api, node, {"node-role.kubernetes.io/worker": "", "topology.kubernetes.io/zone": "zone-a"})
    manifest = {
        "metadata": {"name": name},
        "spec": {
            "backoffLimit": 2,
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {"name": "app", "image": IMAGE, "command": ["sh", "-c", BUSYBOX_LOOP]},
                        {
                            "name": "log-shipper",
                            "image": "fluent/fluent-bit:3.1",
                            "args": ["-i", "tail", "-p", "path=/var/log/app/*.log", "-o", "stdout"],
                        },
                    ],
                },
            },
        },
    }
    job = create_job(api, namespace, manifest)
    pod = create_job_pod(api, job, pod_name, node)
    t = at(base)
    start, app_end = _s(t, 3), _s(t, 13)
    events = [create_scheduler_event(api, pod, t.replace(microsecond=90210), node=node)]
    events += _pod_events(
        api,
        pod,
        [
            (
                "Pulled",
                f'Container image "{IMAGE}" already present on machine',
                _s(t, 2),
                "spec.containers{app}",
            ),
            ("Created", "Created container: app", _s(t, 2), "spec.containers{app}"),
            ("Started", "Started container app", start, "spec.containers{app}"),
            ("Pulling", 'Pulling image "fluent/fluent-bit:3.1"', _s(t, 2), "spec.containers{log-shipper}"),
            ("Pulled", _pulled("fluent/fluent-bit:3.1", 812), _s(t, 3), "spec.containers{log-shipper}"),
            ("Created", "Created container: log-shipper", _s(t, 3), "spec.containers{log-shipper}"),
            ("Started", "Started container log-shipper", _s(t, 3), "spec.containers{log-shipper}"),
        ],
    )
    _running_job(api, job, t, active=1, ready=0)
    patch_pod_status(
        api,
        pod,
        {
            "phase": "Running",
            "startTime": ts(t),
            "hostIP": "10.0.1.4",
            "podIP": "10.244.1.23",
            "conditions": [
                condition("PodReadyToStartContainers", True, _s(t, 1)),
                condition("Initialized", True, t),
                condition("Ready", True, start),
                condition("ContainersReady", True, start),
                condition("PodScheduled", True, t),
            ],
            "containerStatuses": [
                running("app", start),
                running("log-shipper", start, image="fluent/fluent-bit:3.1"),
            ],
        },
    )
    msg = "containers with unready status: [app]"
    final = patch_pod_status(
        api,
        pod,
        {
            "conditions": [
                condition("Ready", False, app_end, "ContainersNotReady", msg),
                condition("ContainersReady", False, app_end, "ContainersNotReady", msg),
            ],
            "containerStatuses": [terminated("app", 0, start, app_end)],
        },
    )
    return Scenario(
        "unmarked-sidecar",
        namespace,
        api.get(f"/apis/batch/v1/namespaces/{namespace}/jobs/{name}"),
        [final],
        events,
        [node],
        {
            "sidecars": {},
            "suspects": ["log-shipper"],
            "apps": ["app", "log-shipper"],
            "job_complete": False,
            "pod_phase": "Running",
            "app_exit_code": 0,
        },
    )


def build_stale_legacy_sidecar_job(
    api: Api,
    namespace: str,
    name: str = "stale",
    pod_name: str = "stale-x2lqb",
    node: str = "node-a",
    base: str = "2024-10-29T06:00:00Z",
) -> Scenario:
    """An ACS-marked (``__IS_SIDECAR__``) regular sidecar on a 1.29+ style cluster whose status is stale.

    The sidecar crashed (exit 1) at +20 s; the platform restarted it (Started event) but the kubelet's
    write "running again" was REJECTED by the apiserver (terminated -> running is forbidden in a
    restartPolicy=Never pod; the builder really tries it and keeps the error in
    ``expect["rejected_write"]``). It crashed again at +40 s (terminated -> terminated is allowed:
    restartCount 1, lastState = first run) and was restarted again at +42 s: the Started event has
    count 3 and lastTimestamp +42 s, after the status's finishedAt (+40 s). The app is still running.
    """
    ensure_node(api, node, {"node-role.kubernetes.io/worker": "", "topology.kubernetes.io/zone": "zone-a"})
    job = create_job(api, namespace, acs_job_manifest(name))
    pod = create_job_pod(api, job, pod_name, node)
    t = at(base)
    start = _s(t, 3)
    fp = "spec.containers{sidecar}"
    events = [create_scheduler_event(api, pod, t.replace(microsecond=731002), node=node)]
    events += _pod_events(
        api,
        pod,
        [
            (
                "Pulled",
                f'Container image "{IMAGE}" already present on machine',
                _s(t, 2),
                "spec.containers{app}",
            ),
            ("Created", "Created container: app", _s(t, 2), "spec.containers{app}"),
            ("Started", "Started container app", start, "spec.containers{app}"),
            (
                "Pulled",
                f'Container image "{IMAGE}" already present on machine',
                _s(t, 2),
                fp,
                "Normal",
                3,
                _s(t, 42),
            ),
            ("Created", "Created container: sidecar", _s(t, 2), fp, "Normal", 3, _s(t, 42)),
            ("Started", "Started container sidecar", start, fp, "Normal", 3, _s(t, 42)),
        ],
    )
    _running_job(api, job, t, active=1, ready=0)
    patch_pod_status(
        api,
        pod,
        {
            "phase": "Running",
            "startTime": ts(t),
            "hostIP": "10.0.1.4",
            "podIP": "10.244.1.31",
            "conditions": [
                condition("PodReadyToStartContainers", True, _s(t, 1)),
                condition("Initialized", True, t),
                condition("Ready", True, start),
                condition("ContainersReady", True, start),
                condition("PodScheduled", True, t),
            ],
            "containerStatuses": [running("app", start), running("sidecar", start)],
        },
    )
    msg = "containers with unready status: [sidecar]"
    first_run = terminated_state(1, start, _s(t, 20))
    patch_pod_status(
        api,
        pod,
        {
            "conditions": [
                condition("Ready", False, _s(t, 20), "ContainersNotReady", msg),
                condition("ContainersReady", False, _s(t, 20), "ContainersNotReady", msg),
            ],
            "containerStatuses": [terminated("sidecar", 1, start, _s(t, 20))],
        },
    )
    rejected = None
    try:
        patch_pod_status(
            api,
            pod,
            {"containerStatuses": [running("sidecar", _s(t, 22), restart_count=1, last_state=first_run)]},
        )
    except ApiError as exc:
        rejected = exc.message
    final = patch_pod_status(
        api,
        pod,
        {
            "containerStatuses": [
                terminated("sidecar", 1, _s(t, 22), _s(t, 40), restart_count=1, last_state=first_run)
            ]
        },
    )
    return Scenario(
        "stale-legacy-sidecar",
        namespace,
        api.get(f"/apis/batch/v1/namespaces/{namespace}/jobs/{name}"),
        [final],
        events,
        [node],
        {
            "sidecars": {"sidecar": "acs"},
            "apps": ["app"],
            "job_complete": False,
            "pod_phase": "Running",
            "stale": {
                "sidecar": {
                    "status_finished_at": ts(_s(t, 40)),
                    "last_started_event": ts(_s(t, 42)),
                    "restart_count": 1,
                    "started_event_count": 3,
                }
            },
            "rejected_write": rejected,
        },
    )


def build_many_pods_job(
    api: Api,
    namespace: str,
    n: int = 600,
    events_per_pod: int = 2,
    name: str = "many",
    nodes: int = 3,
    workers: int = 6,
    base: str = "2024-10-29T07:00:00Z",
    seed: int = 1,
) -> Scenario:
    """A completed native-sidecar Job with ``n`` Succeeded pods spread over ``nodes`` nodes and
    ``n * events_per_pod`` events (Started app, Killing sidecar, then Created app, Started sidecar...),
    to exercise list pagination beyond the 500 default. One status write per pod (final state)."""
    node_names = [ensure_node(api, f"many-node-{i}", {"pool": "batch"}) for i in range(nodes)]
    manifest = native_job_manifest(name)
    manifest["spec"].update(completions=n, parallelism=min(n, 50))
    job = create_job(api, namespace, manifest)
    t = at(base)
    rng = random.Random(seed)
    names: list[str] = []
    seen = set()
    while len(names) < n:
        nm = f"{name}-{pod_suffix(rng)}"
        if nm not in seen:
            seen.add(nm)
            names.append(nm)
    extra = [
        ("Created", "Created container: app", "spec.containers{app}"),
        ("Started", "Started container sidecar", "spec.initContainers{sidecar}"),
        ("Created", "Created container: sidecar", "spec.initContainers{sidecar}"),
    ]

    def one(i: int) -> tuple:
        b = _s(t, (i // 50) * 60 + (i % 50) * 0.2)  # waves of 50 (parallelism)
        node = node_names[i % nodes]
        pod = create_pod(api, namespace, job_pod_manifest(job, names[i], node))
        side, app, app_end, side_end = _s(b, 1), _s(b, 2), _s(b, 12), _s(b, 13)
        specs = [
            ("Started", "Started container app", app, "spec.containers{app}"),
            ("Killing", "Stopping container sidecar", _s(b, 12), "spec.initContainers{sidecar}"),
        ]
        for k in range(2, events_per_pod):
            r, m, f = extra[(k - 2) % len(extra)]
            specs.append((r, m, _s(b, 1), f))
        evs = _pod_events(api, pod, specs[:events_per_pod])
        final = replace_pod_status(
            api,
            pod,
            {
                "phase": "Succeeded",
                "qosClass": "BestEffort",
                "startTime": ts(b),
                "hostIP": f"10.0.2.{i % nodes + 1}",
                "podIP": f"10.244.{i // 250 + 2}.{i % 250 + 2}",
                "conditions": [
                    condition("PodReadyToStartContainers", False, side_end),
                    condition("Initialized", True, side, "PodCompleted"),
                    condition("Ready", False, app_end, "PodCompleted"),
                    condition("ContainersReady", False, app_end, "PodCompleted"),
                    condition("PodScheduled", True, b),
                ],
                "initContainerStatuses": [terminated("sidecar", 143, side, side_end)],
                "containerStatuses": [terminated("app", 0, app, app_end)],
            },
        )
        return final, evs

    with ThreadPoolExecutor(max_workers=workers) as ex:
        results = list(ex.map(one, range(n)))
    pods = [r[0] for r in results]
    events = [e for r in results for e in r[1]]
    end = max(at(p["status"]["initContainerStatuses"][0]["state"]["terminated"]["finishedAt"]) for p in pods)
    job = _complete_job(api, job, t, _s(end, 1), succeeded=n)
    return Scenario(
        "many-pods",
        namespace,
        job,
        pods,
        events,
        node_names,
        {
            "pods": n,
            "events": len(events),
            "job_complete": True,
            "sidecars": {"sidecar": "native"},
        },
    )


REFUSED_MESSAGE = (
    'Error creating: Pod "{pod}" is invalid: spec.initContainers[0].startupProbe: Forbidden: '
    "may not be set for init containers without restartPolicy=Always"
)


def build_refused_native_sidecar_job(
    api: Api, namespace: str, name: str = "probe-job", base: str = "2024-10-29T08:00:00Z"
) -> Scenario:
    """A Job none of whose pods could be created: its native sidecar has a startupProbe, and a control
    plane with the SidecarContainers gate off (1.28's default) drops the pod's ``restartPolicy``, which
    leaves the probe invalid. No pods; the Job controller's ``FailedCreate`` event (count 6 over 5 min,
    as it backs off) and a status with ``active: 0``. This 1.34 server would accept the pods: the event
    is written as that 1.28 Job controller writes it."""
    manifest = native_job_manifest(name)
    manifest["spec"]["template"]["spec"]["initContainers"][0]["startupProbe"] = {
        "exec": {"command": ["test", "-f", "/var/logs.txt"]},
        "periodSeconds": 1,
    }
    job = create_job(api, namespace, manifest)
    t = at(base)
    event = create_event(
        api,
        job,
        "FailedCreate",
        REFUSED_MESSAGE.format(pod=f"{name}-7kq2x"),
        first=t,
        last=_s(t, 300),
        count=6,
        type="Warning",
        component="job-controller",
    )
    job = set_job_status(
        api,
        job,
        {"startTime": ts(t), "active": 0, "ready": 0, "terminating": 0, "uncountedTerminatedPods": {}},
    )
    return Scenario(
        "refused-native-sidecar",
        namespace,
        job,
        [],
        [event],
        [],
        {
            "sidecars": {"sidecar": "native"},
            "job_complete": False,
            "pods": 0,
            "codes": {"SC006"},
            "exit_code": 1,
        },
    )


ALL_SMALL_BUILDERS = {
    "acs-seed": build_acs_seed_job,
    "native-seed": build_native_seed_job,
    "unmarked-sidecar": build_unmarked_sidecar_job,
    "stale-legacy-sidecar": build_stale_legacy_sidecar_job,
}

__all__ = [
    "ALL_SMALL_BUILDERS",
    "FORCED_MESSAGE",
    "Scenario",
    "acs_job_manifest",
    "build_acs_seed_job",
    "build_many_pods_job",
    "build_native_seed_job",
    "build_refused_native_sidecar_job",
    "build_stale_legacy_sidecar_job",
    "build_unmarked_sidecar_job",
    "ensure_node",
    "list_events",
    "native_job_manifest",
]
