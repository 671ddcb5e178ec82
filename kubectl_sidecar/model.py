"""The typed model: enums and frozen dataclasses parsed from the raw API dicts. No I/O.

Everything here is parsed from the JSON the API server returns (or a file holds), never from the
kubernetes client's models, and tolerates missing fields and values of unexpected types: a field
that is absent or malformed reads as ``None`` rather than raising. The enums are string-valued, so
every rendered string and JSON value is the enum's value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from kubectl_sidecar.raw import (
    Precision,
    StrEnum,
    as_dict,
    as_int,
    as_list,
    as_str,
    meta,
    parse_time,
    time_precision,
)

__all__ = ["Precision"]  # re-exported: the precision of a time belongs to the model's vocabulary too


class Role(StrEnum):
    """What a container is for, inferred from the spec alone."""

    INIT = "init"
    SIDECAR = "sidecar"
    APP = "app"
    EPHEMERAL = "ephemeral"


class SidecarKind(StrEnum):
    """How a container is made (or meant to be) a sidecar."""

    NATIVE = "native"
    ACS = "acs"
    ECI = "eci"
    KRUISE = "kruise"
    MESH = "mesh"
    DECLARED = "declared"


LEGACY_KINDS = (SidecarKind.ACS, SidecarKind.ECI, SidecarKind.KRUISE)


class RunState(StrEnum):
    """What the data says of one run of a container."""

    RUNNING = "running"
    TERMINATED = "terminated"
    UNKNOWN = "unknown"  # seen starting in events; the status does not describe it
    IMPLIED = "implied"  # restartCount or event counts say it happened; nothing says when


class ContainerState(StrEnum):
    """A container's current state, as ``status.state`` says."""

    RUNNING = "running"
    TERMINATED = "terminated"
    WAITING = "waiting"


class MarkKind(StrEnum):
    """The kinds of points on a timeline."""

    JOB_STARTED = "job started"
    JOB_COMPLETED = "job completed"
    JOB_FAILED = "job failed"
    POD_CREATED = "pod created"
    SCHEDULED = "scheduled"
    POD_STARTED = "pod started"
    CONDITION = "condition"
    DELETION_REQUESTED = "deletion requested"
    GRACE_ENDS = "grace period ends"
    PULLING = "pulling"
    PULLED = "pulled"
    CREATED = "created"
    STARTED = "started"
    STOP_REQUESTED = "stop requested"
    FINISHED = "finished"
    BACK_OFF = "back-off"
    EVENT = "event"


class EventsState(StrEnum):
    """What we know about the completeness of the events behind a snapshot."""

    LISTED = "listed"  # the events of the pods were read (there may still be none: expired)
    ABSENT = "absent"  # the input carried no events at all (e.g. a file of pods only)
    FORBIDDEN = "forbidden"  # RBAC refused to list events
    UNAVAILABLE = "unavailable"  # the API failed to answer for events


SECTION_INIT = "initContainers"
SECTION_REGULAR = "containers"
SECTION_EPHEMERAL = "ephemeralContainers"
SECTIONS = (SECTION_INIT, SECTION_REGULAR, SECTION_EPHEMERAL)
STATUS_KEYS = {
    SECTION_INIT: "initContainerStatuses",
    SECTION_REGULAR: "containerStatuses",
    SECTION_EPHEMERAL: "ephemeralContainerStatuses",
}

# Injected proxies that run as regular containers unless their mesh is told to use native sidecars.
MESH_PROXIES = frozenset({"istio-proxy", "linkerd-proxy"})

ENV_ACS = "__IS_SIDECAR__"
ENV_ECI = "ECI_CONTAINER_TYPE"
ENV_KRUISE = "KRUISE_TERMINATE_SIDECAR_WHEN_JOB_EXIT"
MARKER_ENVS = (ENV_ACS, ENV_ECI, ENV_KRUISE)
# The env variable behind each legacy marker kind.
LEGACY_ENV = {SidecarKind.ACS: ENV_ACS, SidecarKind.ECI: ENV_ECI, SidecarKind.KRUISE: ENV_KRUISE}


# --------------------------------------------------------------------------------------------- containers

@dataclass(frozen=True)
class Container:
    """A container as the pod spec declares it, with the role we infer from the spec alone."""

    name: str
    section: str  # initContainers | containers | ephemeralContainers
    index: int  # position within its section
    role: Role
    sidecar_kind: SidecarKind | None = None
    restart_policy: str | None = None
    has_startup_probe: bool = False
    # Every sidecar marker found on this container, e.g. ("native", "acs"): more than one is a conflict.
    markers: tuple[SidecarKind, ...] = ()
    # For the ACS marker: whether its value is exactly "true" (the only value ACS honours).
    acs_marker_true: bool | None = None
    image: str | None = None

    @property
    def is_sidecar(self) -> bool:
        return self.role == Role.SIDECAR

    @property
    def is_legacy_sidecar(self) -> bool:
        return self.role == Role.SIDECAR and self.sidecar_kind in LEGACY_KINDS

    @property
    def field_path(self) -> str:
        return f"spec.{self.section}{{{self.name}}}"


def _env_markers(spec: Mapping) -> tuple[list[SidecarKind], bool | None]:
    """Find legacy sidecar markers in a container's env. Only literal values are read, never printed."""
    markers: list[SidecarKind] = []
    acs_true: bool | None = None
    for entry in as_list(spec.get("env")):
        entry = as_dict(entry)
        name = entry.get("name")
        value = entry.get("value")
        if name == ENV_ACS:
            markers.append(SidecarKind.ACS)
            acs_true = value == "true"
        elif name == ENV_ECI and isinstance(value, str) and value.strip().lower() == "sidecar":
            markers.append(SidecarKind.ECI)
        elif name == ENV_KRUISE and isinstance(value, str) and value.strip().lower() == "true":
            markers.append(SidecarKind.KRUISE)
    return markers, acs_true


def parse_containers(pod: Mapping, declared_sidecars: Iterable[str] = ()) -> list[Container]:
    """Return the pod's containers in spec order (init, regular, ephemeral) with their roles.

    Roles come from the spec only: statuses are sorted alphabetically and say nothing about intent.
    """
    spec = as_dict(as_dict(pod).get("spec"))
    declared = set(declared_sidecars)
    result: list[Container] = []
    seen: set[str] = set()
    for section in SECTIONS:
        for index, raw in enumerate(as_list(spec.get(section))):
            raw = as_dict(raw)
            name = as_str(raw.get("name"))
            if name is None or name in seen:
                continue
            seen.add(name)
            restart_policy = as_str(raw.get("restartPolicy"))
            markers, acs_true = _env_markers(raw)
            if restart_policy == "Always" and section == SECTION_INIT:
                markers.insert(0, SidecarKind.NATIVE)
            role, kind = _role_of(section, name, restart_policy, markers, declared)
            result.append(Container(
                name=name, section=section, index=index, role=role, sidecar_kind=kind,
                restart_policy=restart_policy, has_startup_probe=isinstance(raw.get("startupProbe"), dict),
                markers=tuple(markers), acs_marker_true=acs_true, image=as_str(raw.get("image")),
            ))
    return result


def _role_of(
    section: str, name: str, restart_policy: str | None, markers: list[SidecarKind], declared: set
) -> tuple[Role, SidecarKind | None]:
    if section == SECTION_EPHEMERAL:
        return Role.EPHEMERAL, None
    if section == SECTION_INIT:
        if restart_policy == "Always":
            return Role.SIDECAR, SidecarKind.NATIVE
        if name in declared:
            return Role.SIDECAR, SidecarKind.DECLARED
        # A legacy marker on an init container does nothing: it stays a plain init container.
        return Role.INIT, None
    if markers:
        return Role.SIDECAR, markers[0]
    if name in MESH_PROXIES:
        return Role.SIDECAR, SidecarKind.MESH
    if name in declared:
        return Role.SIDECAR, SidecarKind.DECLARED
    return Role.APP, None


# --------------------------------------------------------------------------------------------- events

_FIELD_PATH = re.compile(r"^spec\.(initContainers|containers|ephemeralContainers)\{(.+)\}$")


@dataclass(frozen=True)
class Event:
    """A core/v1 or events.k8s.io/v1 event, normalised. Times are aware UTC or ``None``."""

    reason: str
    type: str | None
    message: str
    first: datetime | None
    last: datetime | None
    count: int
    precision: Precision
    section: str | None  # the container's spec section, from involvedObject.fieldPath
    container: str | None
    object_kind: str | None
    object_name: str | None
    object_namespace: str | None
    object_uid: str | None
    source: str | None
    name: str | None
    uid: str | None


def parse_event(raw: Any) -> Event | None:
    """Normalise one event dict; ``None`` when it has no usable time or reason.

    core/v1 kubelet events carry ``firstTimestamp``/``lastTimestamp``/``count`` (seconds); scheduler
    events carry ``eventTime`` (microseconds) with null timestamps; events.k8s.io/v1 names the object
    ``regarding`` and aggregates through ``series``.
    """
    raw = as_dict(raw)
    reason = as_str(raw.get("reason"))
    if reason is None:
        return None
    involved = as_dict(raw.get("involvedObject")) or as_dict(raw.get("regarding"))
    series = as_dict(raw.get("series"))
    first_raw = raw.get("firstTimestamp") or raw.get("deprecatedFirstTimestamp")
    last_raw = raw.get("lastTimestamp") or raw.get("deprecatedLastTimestamp")
    event_time_raw = raw.get("eventTime")
    first = parse_time(first_raw)
    last = parse_time(last_raw)
    precision = Precision.SECONDS
    if first is None:
        first = parse_time(event_time_raw)
        precision = time_precision(event_time_raw)
    series_last = parse_time(series.get("lastObservedTime"))
    if last is None or (series_last is not None and series_last > last):
        last = series_last or last
    if first is None:
        first = last
    if last is None:
        last = first
    if first is None:
        return None
    if last < first:  # clocks of different writers disagree; never invent a negative span
        last = first
    count = as_int(raw.get("count")) or as_int(raw.get("deprecatedCount")) or 0
    series_count = as_int(series.get("count")) or 0
    count = max(count, series_count, 1)
    section = container = None
    match = _FIELD_PATH.match(as_str(involved.get("fieldPath")) or "")
    if match:
        section, container = match.group(1), match.group(2)
    source = as_dict(raw.get("source")).get("component") or raw.get("reportingComponent") \
        or raw.get("reportingController")
    message = raw.get("message") if "message" in raw else raw.get("note")
    return Event(
        reason=reason, type=as_str(raw.get("type")), message=message if isinstance(message, str) else "",
        first=first, last=last, count=count, precision=precision, section=section, container=container,
        object_kind=as_str(involved.get("kind")), object_name=as_str(involved.get("name")),
        object_namespace=as_str(involved.get("namespace")), object_uid=as_str(involved.get("uid")),
        source=as_str(source), name=meta(raw, "name"), uid=meta(raw, "uid"),
    )


def pod_finished(pod: Any) -> bool:
    """True when the pod is Succeeded or Failed and none of its containers is still running.

    Phase alone is not enough: a Job's pod is Succeeded when its app containers exit, while native
    sidecars are still being stopped (and legacy sidecars may run until the platform kills them).
    """
    status = as_dict(as_dict(pod).get("status"))
    if as_str(status.get("phase")) not in ("Succeeded", "Failed"):
        return False
    for key in ("initContainerStatuses", "containerStatuses"):
        for entry in as_list(status.get(key)):
            if isinstance(as_dict(as_dict(entry).get("state")).get("running"), dict):
                return False
    return True


# --------------------------------------------------------------------------------------------- clusters

_VERSION = re.compile(r"^v?(\d{1,3})\.(\d{1,3})(?:\.(\d{1,5}))?([-+][0-9A-Za-z.+-]+)?$")


@dataclass(frozen=True)
class ClusterVersion:
    """The API server's version: ``(major, minor)`` plus the raw gitVersion and vendor hints."""

    major: int
    minor: int
    git_version: str
    source: str  # "server" (/version), "flag" (--cluster-version), "pod annotation"

    @property
    def is_acs(self) -> bool:
        return "aliyun" in self.git_version

    @property
    def has_native_sidecars(self) -> bool:
        """Native sidecars are on by default from 1.29 (beta) and GA in 1.33."""
        return (self.major, self.minor) >= (1, 29)

    def __str__(self) -> str:
        return self.git_version


def parse_cluster_version(text: Any, source: str = "flag") -> ClusterVersion | None:
    """Parse ``1.28``, ``v1.30.2`` or ``v1.28.15-aliyun.1``; ``None`` when it is not a version."""
    if not isinstance(text, str):
        return None
    match = _VERSION.match(text.strip())
    if not match:
        return None
    major, minor = int(match.group(1)), int(match.group(2))
    raw = text.strip()
    return ClusterVersion(major=major, minor=minor, git_version=raw if raw.startswith("v") else "v" + raw,
                          source=source)


def version_from_server_info(info: Any) -> ClusterVersion | None:
    """Read ``/version``'s answer: prefer gitVersion, fall back to major/minor (minor may be ``"28+"``)."""
    info = as_dict(info)
    version = parse_cluster_version(info.get("gitVersion"), source="server")
    if version is not None:
        return version
    major = as_int(str(info.get("major", "")).rstrip("+"))
    minor = as_int(str(info.get("minor", "")).rstrip("+"))
    if major is None or minor is None:
        return None
    return ClusterVersion(major=major, minor=minor, git_version=f"v{major}.{minor}", source="server")


@dataclass(frozen=True)
class Platform:
    """What we know of where the pod ran: a virtual node (ACS/ECI) and how we know."""

    virtual_node: bool = False
    acs: bool = False
    evidence: tuple[str, ...] = field(default_factory=tuple)


def detect_platform(pod: Mapping, node: Mapping | None, version: ClusterVersion | None) -> Platform:
    """Recognise ACS / ECI / virtual-kubelet from node name, labels, taints, annotations, gitVersion."""
    evidence: list[str] = []
    virtual = acs = False
    metadata = as_dict(as_dict(pod).get("metadata"))
    annotations = as_dict(metadata.get("annotations"))
    labels = as_dict(metadata.get("labels"))
    node_name = as_str(as_dict(as_dict(pod).get("spec")).get("nodeName")) or ""
    if node_name.startswith("virtual-kubelet"):
        virtual = True
        evidence.append(f"node name {node_name}")
    node_meta = as_dict(as_dict(node).get("metadata")) if node else {}
    if as_dict(node_meta.get("labels")).get("type") == "virtual-kubelet":
        virtual = True
        evidence.append("node label type=virtual-kubelet")
    for taint in as_list(as_dict(as_dict(node).get("spec")).get("taints")) if node else []:
        taint = as_dict(taint)
        if taint.get("key") == "virtual-kubelet.io/provider":
            virtual = True
            acs = acs or taint.get("value") == "alibabacloud"
            evidence.append(f"node taint virtual-kubelet.io/provider={taint.get('value')}")
    for key in ("k8s.aliyun.com/eci-instance-id", "k8s.aliyun.com/k8s-version"):
        if key in annotations:
            acs = True
            evidence.append(f"pod annotation {key}")
    for key in ("alibabacloud.com/acs", "alibabacloud.com/eci", "alibabacloud.com/compute-class"):
        if key in labels:
            acs = True
            evidence.append(f"pod label {key}")
    if version is not None and version.is_acs:
        acs = True
        evidence.append(f"server version {version.git_version}")
    return Platform(virtual_node=virtual, acs=acs, evidence=tuple(evidence))


def pod_annotation_version(pod: Mapping) -> ClusterVersion | None:
    """ECI pods carry ``k8s.aliyun.com/k8s-version``: a version hint when the server's is unknown."""
    annotations = as_dict(as_dict(as_dict(pod).get("metadata")).get("annotations"))
    return parse_cluster_version(annotations.get("k8s.aliyun.com/k8s-version"), source="pod annotation")


def node_version(node: Mapping | None) -> ClusterVersion | None:
    """The node's ``status.nodeInfo.kubeletVersion`` as a version (source ``node``)."""
    info = as_dict(as_dict(as_dict(node).get("status")).get("nodeInfo"))
    return parse_cluster_version(info.get("kubeletVersion"), source="node")


# --------------------------------------------------------------------------------------------- conditions

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Condition:
    """A condition of a pod or a Job: ``type`` is never empty; the rest may be unknown."""

    type: str
    status: str | None
    time: datetime | None  # lastTransitionTime
    reason: str | None = None
    message: str | None = None


def parse_conditions(raw: Any) -> tuple[Condition, ...]:
    """The conditions of ``status.conditions`` in list order; entries without a type are left out."""
    result = []
    for cond in as_list(raw):
        cond = as_dict(cond)
        ctype = as_str(cond.get("type"))
        if ctype is None:
            continue
        result.append(
            Condition(
                type=ctype,
                status=as_str(cond.get("status")),
                time=parse_time(cond.get("lastTransitionTime")),
                reason=as_str(cond.get("reason")),
                message=as_str(cond.get("message")),
            )
        )
    return tuple(result)


def parse_pod_conditions(pod: Mapping) -> tuple[Condition, ...]:
    """The pod's conditions ordered by time (those without a time last), ties in list order."""
    conditions = parse_conditions(as_dict(as_dict(pod).get("status")).get("conditions"))
    return tuple(sorted(conditions, key=lambda c: (c.time is None, c.time or _EPOCH)))


# --------------------------------------------------------------------------------------------- Jobs


@dataclass(frozen=True)
class JobInfo:
    """What the timeline, the checks and the report need of a Job."""

    name: str | None
    namespace: str | None
    uid: str | None
    state: str  # Complete, Failed, Failing, Suspended, Running or Pending
    active: int = 0
    succeeded: int = 0
    failed: int = 0
    conditions: tuple[Condition, ...] = ()
    start_time: datetime | None = None
    completion_time: datetime | None = None
    completion_text: str | None = None  # status.completionTime as written (evidence quotes it)
    active_deadline_seconds: int | None = None
    init_containers: tuple[str | None, ...] = ()  # the pod template's init container names, in order

    def failed_condition(self) -> Condition | None:
        """The first ``Failed=True`` condition, when the Job failed."""
        return next((c for c in self.conditions if c.type == "Failed" and c.status == "True"), None)


def job_state(job: Mapping) -> str:
    """Complete, Failed, Failing, Suspended, Running or Pending, from the Job's conditions and counts."""
    status = as_dict(as_dict(job).get("status"))
    conditions = {
        as_str(as_dict(c).get("type")): as_str(as_dict(c).get("status")) for c in as_list(status.get("conditions"))
    }
    if conditions.get("Complete") == "True":
        return "Complete"
    if conditions.get("Failed") == "True":
        return "Failed"
    if conditions.get("FailureTarget") == "True":
        return "Failing"
    if conditions.get("Suspended") == "True" or as_dict(as_dict(job).get("spec")).get("suspend") is True:
        return "Suspended"
    if (as_int(status.get("active")) or 0) > 0:
        return "Running"
    return "Pending"


def parse_job(job: Mapping) -> JobInfo:
    """Read a raw Job dict."""
    status = as_dict(as_dict(job).get("status"))
    spec = as_dict(as_dict(job).get("spec"))
    template = as_dict(as_dict(spec.get("template")).get("spec"))
    completion = status.get("completionTime")
    return JobInfo(
        name=meta(job, "name"),
        namespace=meta(job, "namespace"),
        uid=meta(job, "uid"),
        state=job_state(job),
        active=as_int(status.get("active")) or 0,
        succeeded=as_int(status.get("succeeded")) or 0,
        failed=as_int(status.get("failed")) or 0,
        conditions=parse_conditions(status.get("conditions")),
        start_time=parse_time(status.get("startTime")),
        completion_time=parse_time(completion),
        completion_text=completion if isinstance(completion, str) and completion else None,
        active_deadline_seconds=as_int(spec.get("activeDeadlineSeconds")),
        init_containers=tuple(as_str(as_dict(c).get("name")) for c in as_list(template.get("initContainers"))),
    )


# --------------------------------------------------------------------------------------------- pod facts


@dataclass(frozen=True)
class ContainerSpec:
    """The facts of one container's spec the checks read. Env values are never kept, except whether a
    legacy marker's literal value is what a platform acts on (compared here, never printed)."""

    name: str
    section: str
    env: tuple[tuple[str, bool], ...] = ()  # (name, has a literal value), in spec order
    marker_values: tuple[tuple[str, str | None], ...] = ()  # legacy marker env: (name, literal value)
    startup_delay: int = 0  # the startupProbe's initialDelaySeconds (0 without a probe)
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()

    def env_value_is(self, name: str, expected: str) -> bool | None:
        """Whether marker env ``name`` is literally ``expected``; ``None`` when the container has none."""
        for env_name, value in self.marker_values:
            if env_name == name:
                return value == expected
        return None


@dataclass(frozen=True)
class PodFacts:
    """The facts of a pod's spec and status the checks need beyond the timeline's runs and marks."""

    containers: tuple[ContainerSpec, ...] = ()
    deletion_grace_seconds: int | None = None
    termination_grace_seconds: int | None = None
    status_reason: str | None = None
    status_message: str | None = None

    def spec(self, section: str, name: str) -> ContainerSpec:
        """The container's spec facts (empty facts when the spec does not declare it)."""
        for spec in self.containers:
            if spec.section == section and spec.name == name:
                return spec
        return ContainerSpec(name=name, section=section)


def _container_spec(raw: Mapping, name: str, section: str) -> ContainerSpec:
    env: list[tuple[str, bool]] = []
    markers: list[tuple[str, str | None]] = []
    for entry in as_list(raw.get("env")):
        entry = as_dict(entry)
        env_name = as_str(entry.get("name"))
        if env_name is not None:
            env.append((env_name, "value" in entry))
        if env_name in MARKER_ENVS and env_name not in {m for m, _ in markers}:
            value = entry.get("value")
            markers.append((env_name, value if isinstance(value, str) else None))
    probe = raw.get("startupProbe")
    delay = max(as_int(probe.get("initialDelaySeconds")) or 0, 0) if isinstance(probe, dict) else 0
    return ContainerSpec(
        name=name,
        section=section,
        env=tuple(env),
        marker_values=tuple(markers),
        startup_delay=delay,
        command=tuple(c for c in as_list(raw.get("command")) if isinstance(c, str)),
        args=tuple(a for a in as_list(raw.get("args")) if isinstance(a, str)),
    )


def parse_pod_facts(pod: Mapping) -> PodFacts:
    """Read the spec and status facts of a raw Pod dict."""
    spec = as_dict(as_dict(pod).get("spec"))
    status = as_dict(as_dict(pod).get("status"))
    metadata = as_dict(as_dict(pod).get("metadata"))
    containers: list[ContainerSpec] = []
    seen: set[tuple[str, str]] = set()
    for section in SECTIONS:
        for raw in as_list(spec.get(section)):
            raw = as_dict(raw)
            name = raw.get("name")
            if not isinstance(name, str) or (section, name) in seen:
                continue
            seen.add((section, name))
            containers.append(_container_spec(raw, name, section))
    return PodFacts(
        containers=tuple(containers),
        deletion_grace_seconds=as_int(metadata.get("deletionGracePeriodSeconds")),
        termination_grace_seconds=as_int(spec.get("terminationGracePeriodSeconds")),
        status_reason=as_str(status.get("reason")),
        status_message=as_str(status.get("message")),
    )
