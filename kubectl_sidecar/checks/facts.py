"""Facts the checks share, read from a timeline: which containers are apps, when things happened,
what the cluster honours. Pure helpers, each small enough to test on its own.

Times in statuses and kubelet events have whole-second precision, so "before" and "after" here mean
"in an earlier (later) second": two times in the same second are a tie, and a tie is never evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from kubectl_sidecar.checks.catalogue import CODES
from kubectl_sidecar.checks.finding import CheckContext, Finding
from kubectl_sidecar.model import (
    KIND_ACS,
    KIND_ECI,
    KIND_KRUISE,
    ROLE_APP,
    ROLE_SIDECAR,
    SECTION_REGULAR,
    ClusterVersion,
    Container,
    as_dict,
    as_int,
    as_list,
    as_str,
    format_time,
    parse_cluster_version,
    parse_time,
)
from kubectl_sidecar.timefmt import format_duration, format_offset
from kubectl_sidecar.timeline import (
    RUN_IMPLIED,
    RUN_RUNNING,
    RUN_TERMINATED,
    STOP_REQUESTED,
    ContainerTimeline,
    Run,
    Timeline,
)

# How long a regular container that nothing marks as a sidecar must outlive the app containers of a
# Job's pod before we call the pod blocked (a second worker may simply be slower).
BLOCK_AFTER = timedelta(minutes=5)

# Names and image names of helpers people run next to their apps (log shippers, proxies, agents).
_SIDECAR_WORDS = (
    "sidecar",
    "istio-proxy",
    "linkerd-proxy",
    "envoy",
    "fluent-bit",
    "fluentbit",
    "fluentd",
    "filebeat",
    "promtail",
    "ilogtail",
    "logtail",
    "log-agent",
    "log-shipper",
    "logshipper",
    "otel-collector",
    "opentelemetry-collector",
    "datadog-agent",
    "cloud-sql-proxy",
    "cloudsql-proxy",
    "vault-agent",
    "oauth2-proxy",
    "cloudflared",
    "tailscale",
    "consul-dataplane",
    "dapr",
    "splunk-otel",
)
_SIDECAR_IMAGES = ("vector", "fluent-bit", "fluentd", "envoy", "filebeat", "promtail", "proxyv2")

_SIGNALS = {129: "SIGHUP", 130: "SIGINT", 134: "SIGABRT", 137: "SIGKILL", 139: "SIGSEGV", 143: "SIGTERM"}


# ----------------------------------------------------------------------------------------- findings


def make_finding(
    code: str,
    timeline: Timeline,
    container: str | None,
    message: str,
    *,
    evidence=(),
    fix: str = "",
    fix_yaml: str | None = None,
    assumptions=(),
) -> Finding:
    """A finding on ``timeline``'s pod; the severity comes from the code."""
    if code not in CODES:
        raise KeyError(code)
    return Finding(
        code=code,
        pod=timeline.pod.name,
        namespace=timeline.pod.namespace,
        container=container,
        message=message,
        evidence=tuple(e for e in evidence if e),
        fix=fix,
        fix_yaml=fix_yaml,
        assumptions=tuple(a for a in assumptions if a),
        job=timeline.pod.job,
    )


# ----------------------------------------------------------------------------------------- times


def second(when: datetime) -> datetime:
    return when.replace(microsecond=0)


def earlier(a: datetime | None, b: datetime | None) -> bool:
    """``a`` fell in an earlier second than ``b`` (a same-second tie is not "earlier")."""
    return a is not None and b is not None and second(a) < second(b)


def at(timeline: Timeline, when: datetime | None) -> str:
    """``2024-10-29T03:24:43Z (+25s)``: the wall-clock time and the offset from the pod's creation."""
    if when is None:
        return "an unknown time"
    return f"{format_time(when)} ({offset(timeline, when)})"


def offset(timeline: Timeline, when: datetime | None) -> str:
    return "?" if when is None else format_offset(when, timeline.origin)


def span(seconds: float) -> str:
    return format_duration(seconds)


# ----------------------------------------------------------------------------------------- containers


def apps(timeline: Timeline) -> list:
    """Regular containers nothing marks as a sidecar."""
    return [ct for ct in timeline.containers if ct.container.role == ROLE_APP]


def sidecars(timeline: Timeline) -> list:
    return [ct for ct in timeline.containers if ct.container.role == ROLE_SIDECAR]


def regular(timeline: Timeline) -> list:
    return [ct for ct in timeline.containers if ct.container.section == SECTION_REGULAR]


def spec_of(timeline: Timeline, container: Container) -> dict:
    """The container's raw spec entry (for probes and commands; env is never read from here)."""
    spec = as_dict(as_dict(timeline.raw_pod).get("spec"))
    for entry in as_list(spec.get(container.section)):
        entry = as_dict(entry)
        if entry.get("name") == container.name:
            return entry
    return {}


def env_names(timeline: Timeline, container: Container) -> list:
    """Names of the container's env entries, with whether each has a literal value. Values are never kept."""
    return [
        (as_str(as_dict(e).get("name")), "value" in as_dict(e))
        for e in as_list(spec_of(timeline, container).get("env"))
        if as_str(as_dict(e).get("name"))
    ]


def env_value_is(timeline: Timeline, container: Container, name: str, expected: str) -> bool | None:
    """Whether env ``name`` is literally ``expected``; ``None`` when absent. Only compared, never returned."""
    for entry in as_list(spec_of(timeline, container).get("env")):
        entry = as_dict(entry)
        if entry.get("name") == name:
            value = entry.get("value")
            return isinstance(value, str) and value == expected
    return None


def looks_like_sidecar(container: Container) -> str | None:
    """The word in the container's name or image that says "helper" (fluent-bit, istio-proxy, ...)."""
    name = container.name.lower()
    image = (container.image or "").lower()
    base = image.rsplit("/", 1)[-1].split("@")[0].split(":")[0]
    for word in _SIDECAR_WORDS:
        if word in name or word in base:
            return word
    if base in _SIDECAR_IMAGES:
        return base
    return None


def known_runs(ct: ContainerTimeline) -> list:
    return [r for r in ct.runs if r.state != RUN_IMPLIED]


def first_start(ct: ContainerTimeline) -> datetime | None:
    """When the container first started: the earliest run or Started event.

    ``None`` when runs we have no time for came before every time we have (``lastState`` keeps only
    the previous run): the first start is then unknown, not the earliest we see.
    """
    event_starts = [e.first for e in ct.events if e.reason == "Started" and e.first is not None]
    if event_starts:
        return min(event_starts + [r.started_at for r in ct.runs if r.started_at])
    if ct.runs and ct.runs[0].state == RUN_IMPLIED:
        return None
    return min((r.started_at for r in ct.runs if r.started_at), default=None)


def is_running(ct: ContainerTimeline) -> bool:
    return ct.state == RUN_RUNNING


def final_run(ct: ContainerTimeline) -> Run | None:
    """The run the status's ``state`` describes, if it is terminated."""
    for run in reversed(ct.runs):
        if run.source == "status.state" and run.state == RUN_TERMINATED:
            return run
    return None


def running_at(ct: ContainerTimeline, when: datetime) -> Run | None:
    """The run of ``ct`` certainly running at ``when``: started in an earlier second, ended in a later one."""
    for run in known_runs(ct):
        if run.started_at is None or not earlier(run.started_at, when):
            continue
        if run.state == RUN_RUNNING or (run.finished_at is not None and earlier(when, run.finished_at)):
            return run  # an event-only run (state unknown) has no known end: it proves nothing
    return None


def will_restart(timeline: Timeline, run: Run | None) -> bool:
    """Whether the pod's restartPolicy restarts a regular container after ``run``."""
    policy = timeline.pod.restart_policy or "Always"
    if run is None:
        return False
    if policy == "Always":
        return True
    if policy == "OnFailure":
        return run.exit_code not in (0, None)
    return False


def stop_requests(timeline: Timeline, name: str) -> list:
    """Stop requests (``Killing`` events) for a container, oldest first."""
    return [m for m in timeline.marks if m.container == name and m.kind == STOP_REQUESTED]


def termination_start(timeline: Timeline) -> datetime | None:
    """When the pod's own termination began: deletion, or DisruptionTarget (eviction, preemption)."""
    times = [timeline.pod.deletion_requested] if timeline.pod.deletion_requested else []
    for cond in timeline.conditions:
        if cond["type"] == "DisruptionTarget" and cond["status"] == "True" and cond["time"] is not None:
            times.append(cond["time"])
    return min(times, default=None)


def grace_seconds(timeline: Timeline) -> int:
    """The grace period the kubelet gave: the deletion's, else the spec's, else the default 30 s."""
    meta = as_dict(as_dict(timeline.raw_pod).get("metadata"))
    spec = as_dict(as_dict(timeline.raw_pod).get("spec"))
    for value in (meta.get("deletionGracePeriodSeconds"), spec.get("terminationGracePeriodSeconds")):
        seconds = as_int(value)
        if seconds is not None and seconds >= 0:
            return seconds
    return 30


def restarts(ct: ContainerTimeline) -> int:
    """Restarts as far as any source tells: restartCount, the runs we know of, Started events."""
    return max(ct.restart_count or 0, ct.total_runs() - 1, ct.event_starts - 1, 0)


def back_offs(ct: ContainerTimeline) -> list:
    return [e for e in ct.events if e.reason == "BackOff"]


def keeps_restarting(ct: ContainerTimeline) -> bool:
    """Back-off events, a CrashLoopBackOff wait, or two restarts and more."""
    return bool(back_offs(ct)) or ct.waiting_reason == "CrashLoopBackOff" or restarts(ct) >= 2


def describe_exit(code: int | None, reason: str | None = None) -> str:
    """``137 (SIGKILL)``, ``1 (Error)``, ``137 (OOMKilled)``."""
    if code is None:
        return "an unknown code"
    if reason and reason not in ("Error", "Completed"):
        return f"{code} ({reason})"
    signal = _SIGNALS.get(code)
    if signal:
        return f"{code} ({signal})"
    return f"{code} ({reason})" if reason else str(code)


def real_exit(run: Run) -> tuple:
    """The exit code and reason that really happened: the original ones where a platform forced them."""
    if run.forced:
        return run.original_exit_code, run.original_reason
    return run.exit_code, run.reason


def reference_time(timeline: Timeline, context: CheckContext) -> datetime | None:
    """The latest moment the data speaks for: ``now`` for a live reading, else the latest mark."""
    if context.now is not None:
        return context.now
    times = [m.time for m in timeline.marks] + [m.last for m in timeline.marks if m.last]
    return max(times, default=None)


# ----------------------------------------------------------------------------------------- the cluster


@dataclass(frozen=True)
class VersionView:
    """What the cluster version says about native sidecars, and what we assumed where it says nothing.

    ``native`` is True (1.29+), False (before 1.28) or None (1.28: only with the alpha feature gate).
    """

    known: bool
    native: bool | None
    label: str
    minor: tuple | None
    assumption: str | None
    source: str | None = None

    def describe(self) -> str:
        """``v1.30.7 (server)``, or ``unknown``."""
        return f"{self.label} ({self.source})" if self.source else self.label


def version_view(timeline: Timeline, context: CheckContext | None = None) -> VersionView:
    """The server's version, else the pod's node's kubeletVersion (``context.node_version``), else assumed."""
    version = timeline.cluster_version
    if version is None and context is not None and context.node_version is not None:
        version = context.node_version
    if version is None:
        return VersionView(
            known=False,
            native=True,
            label="unknown",
            minor=None,
            source=None,
            assumption=(
                "the cluster version is unknown (no /version answer, no --cluster-version): assumed 1.29 or "
                "later, where native sidecars are on by default"
            ),
        )
    minor = (version.major, version.minor)
    native = True if minor >= (1, 29) else None if minor == (1, 28) else False
    assumption = None
    if version.source == "pod annotation":
        assumption = (
            f"the cluster version {version.git_version} comes from the pod's "
            "k8s.aliyun.com/k8s-version annotation, not from the API server"
        )
    elif version.source == "node":
        assumption = (
            f"the cluster version is unknown: taken from the node's kubeletVersion "
            f"{version.git_version} (pass --cluster-version to be sure)"
        )
    return VersionView(
        known=True,
        native=native,
        label=version.git_version,
        minor=minor,
        assumption=assumption,
        source=version.source,
    )


def node_version(node: dict | None) -> ClusterVersion | None:
    """The node's ``status.nodeInfo.kubeletVersion`` as a version (source ``node``)."""
    info = as_dict(as_dict(as_dict(node).get("status")).get("nodeInfo"))
    return parse_cluster_version(info.get("kubeletVersion"), source="node")


def on_alibaba_serverless(timeline: Timeline) -> bool:
    """ACS or ECI (a virtual-kubelet node): the platforms that honour ``__IS_SIDECAR__`` and ECI's markers."""
    return timeline.platform.acs or timeline.platform.virtual_node


def legacy_honoured(timeline: Timeline, container: Container) -> tuple:
    """Whether the platform acts on the container's legacy marker: ``(True | False | None, why)``.

    ``None`` means we cannot tell from the data (OpenKruise: an add-on the pod does not reveal).
    """
    kind = container.sidecar_kind
    evidence = ", ".join(timeline.platform.evidence)
    if kind == KIND_ACS and container.acs_marker_true is False and KIND_ECI not in container.markers:
        return False, '__IS_SIDECAR__ is set, but not to exactly "true", the only value ACS acts on'
    if kind in (KIND_ACS, KIND_ECI):
        if on_alibaba_serverless(timeline):
            return True, f"the pod ran on ACS/ECI ({evidence})"
        marker = "__IS_SIDECAR__" if kind == KIND_ACS else "ECI_CONTAINER_TYPE=sidecar"
        return False, (
            f"{marker} is honoured only by Alibaba Cloud ACS/ECI, and nothing shows this pod ran "
            "there (no virtual-kubelet node, no Alibaba Cloud annotation, label or server version)"
        )
    if kind == KIND_KRUISE:
        return None, "KRUISE_TERMINATE_SIDECAR_WHEN_JOB_EXIT is honoured only where OpenKruise runs"
    return False, "no marker the platform acts on"


def pod_spec_path(timeline: Timeline) -> str:
    """Where the fix goes: the Job's pod template, or the pod's spec."""
    if timeline.pod.job:
        return f"Job {timeline.pod.job}: spec.template.spec"
    return f"pod {timeline.pod.name}: spec"


def native_sidecar_yaml(
    timeline: Timeline, names: list, *, drop_env: str | None = None, probe: bool = False
) -> str:
    """The native form of ``names``: moved to initContainers with ``restartPolicy: Always``.

    Only names and images are printed: the rest of each container (command, env, mounts) is to be kept
    as it is, and env values are never shown.
    """
    by_name = {ct.name: ct.container for ct in timeline.containers}
    lines = [f"# {pod_spec_path(timeline)}", "initContainers:"]
    for ct in timeline.containers:
        if ct.container.section == "initContainers" and ct.name not in names:
            lines.append(f"- name: {ct.name}                # unchanged")
    for name in names:
        container = by_name[name]
        lines.append(f"- name: {name}")
        if container.image:
            lines.append(f"  image: {container.image}")
        lines.append(
            "  restartPolicy: Always        # native sidecar: started before the app containers, "
            "stopped after them"
        )
        if probe:
            lines += [
                "  startupProbe:                # the next container starts only once this passes",
                "    tcpSocket: {port: 15000}   # use what says the sidecar is ready (port, path, file)",
                "    periodSeconds: 1",
                "    failureThreshold: 30",
            ]
        lines.append("  # keep the rest of the container (command, env, volumeMounts, resources) as it is")
        if drop_env:
            lines.append(f"  # and drop the {drop_env} env entry")
    lines.append("containers:")
    for ct in timeline.containers:
        if ct.container.section == SECTION_REGULAR and ct.name not in names:
            lines.append(f"- name: {ct.name}                # unchanged")
    return "\n".join(lines) + "\n"


MESH_NATIVE_FIX = (
    "Have the mesh inject it as a native sidecar (Istio 1.20+: pod annotation "
    'sidecar.istio.io/nativeSidecar: "true", or ENABLE_NATIVE_SIDECARS=true on istiod; Linkerd '
    '2.15+: config.beta.linkerd.io/proxy-enable-native-sidecar: "true"). It then starts before the '
    "app containers and is stopped after them."
)


def mesh_native_yaml(timeline: Timeline, containers: list) -> str:
    """The annotation that makes the mesh inject its proxy as a native sidecar."""
    where = (
        f"Job {timeline.pod.job}: spec.template.metadata"
        if timeline.pod.job
        else f"pod {timeline.pod.name}: metadata (set it where the pod is created)"
    )
    lines = [f"# {where}", "annotations:"]
    names = {c.name for c in containers}
    if "linkerd-proxy" in names:
        lines.append('  config.beta.linkerd.io/proxy-enable-native-sidecar: "true"')
    if names - {"linkerd-proxy"}:
        lines.append('  sidecar.istio.io/nativeSidecar: "true"')
    return "\n".join(lines) + "\n"


def legacy_env_name_of(kind: str | None) -> str | None:
    """The env variable behind a legacy marker kind (``acs`` -> ``__IS_SIDECAR__``)."""
    return {
        KIND_ACS: "__IS_SIDECAR__",
        KIND_ECI: "ECI_CONTAINER_TYPE",
        KIND_KRUISE: "KRUISE_TERMINATE_SIDECAR_WHEN_JOB_EXIT",
    }.get(kind or "")


def legacy_env_name(container: Container) -> str | None:
    return legacy_env_name_of(container.sidecar_kind)


def job_status(timeline: Timeline) -> dict:
    return as_dict(as_dict(timeline.job).get("status"))


def job_failed(timeline: Timeline) -> tuple:
    """``(reason, time)`` of the Job's Failed condition, or ``(None, None)``."""
    for cond in as_list(job_status(timeline).get("conditions")):
        cond = as_dict(cond)
        if cond.get("type") == "Failed" and cond.get("status") == "True":
            return as_str(cond.get("reason")) or "Failed", parse_time(cond.get("lastTransitionTime"))
    return None, None


def quote_yaml_list(items: list) -> str:
    """A flow-style YAML list of strings, quoted so shell text survives."""

    def one(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return "[" + ", ".join(one(i) for i in items) + "]"


def shell_script(timeline: Timeline, container: Container) -> str | None:
    """The script of a ``sh -c SCRIPT`` (or bash, ash) command, when that is the container's form."""
    spec = spec_of(timeline, container)
    command = [c for c in as_list(spec.get("command")) if isinstance(c, str)]
    args = [a for a in as_list(spec.get("args")) if isinstance(a, str)]
    words = command + args
    if (
        len(words) == 3
        and re.fullmatch(r"(/bin/|/usr/bin/)?(sh|bash|ash|dash)", words[0])
        and words[1] == "-c"
    ):
        return words[2]
    return None
