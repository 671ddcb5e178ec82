"""Typed views of the raw API dicts: containers and their roles, events, cluster versions.

Everything here is parsed from the JSON the API server returns (or a file holds), never from the
kubernetes client's models, and tolerates missing fields and values of unexpected types: a field
that is absent or malformed reads as ``None`` rather than raising. No I/O.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from dateutil import parser as dateparser

ROLE_INIT = "init"
ROLE_SIDECAR = "sidecar"
ROLE_APP = "app"
ROLE_EPHEMERAL = "ephemeral"

KIND_NATIVE = "native"
KIND_ACS = "acs"
KIND_ECI = "eci"
KIND_KRUISE = "kruise"
KIND_MESH = "mesh"
KIND_DECLARED = "declared"
LEGACY_KINDS = (KIND_ACS, KIND_ECI, KIND_KRUISE)

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

PRECISION_SECONDS = "s"
PRECISION_MICROS = "us"


# --------------------------------------------------------------------------------------------- helpers

def as_dict(value: Any) -> dict:
    """Return ``value`` if it is a mapping, else an empty dict (fields of the wrong type read as absent)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    """Return ``value`` if it is a list, else an empty list."""
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str | None:
    """Return ``value`` if it is a non-empty string, else ``None``."""
    return value if isinstance(value, str) and value != "" else None


def as_int(value: Any) -> int | None:
    """Return an int for ints and integral strings; ``None`` for anything else (bools included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,18}", value.strip()):
        return int(value.strip())
    return None


def parse_time(value: Any) -> datetime | None:
    """Parse an RFC3339 timestamp into an aware UTC datetime; ``None`` when absent or unparseable.

    Naive times (no offset) are read as UTC, as the API server writes them.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        parsed = _parse_utc_time(value.strip())
        if parsed is not None:
            return parsed  # aware UTC already
        try:
            parsed = dateparser.isoparse(value.strip())
        except (ValueError, OverflowError):
            return None
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except (OverflowError, ValueError):  # 9999-12-31T23:59:59-01:00 is past the last datetime
        return None


_UTC_TIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?Z")


@lru_cache(maxsize=16384)
def _parse_utc_time(text: str) -> datetime | None:
    """The API server's own format (``2024-05-01T09:00:05Z``, ``...05.412137Z``), 3-4 times faster
    than dateutil, with the same result; ``None`` for anything else (dateutil decides then).

    Cached: a Job's pods share most of their timestamps (whole seconds), so a large check parses
    each one once and its timelines share one datetime object per instant (they are immutable)."""
    match = _UTC_TIME.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction = match.groups()
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                        int(fraction.ljust(6, "0")) if fraction else 0, tzinfo=timezone.utc)
    except ValueError:  # 24:00:00 (dateutil reads the next midnight), day 31 of a short month...
        return None


def format_time(value: datetime | None) -> str | None:
    """Format as RFC3339 UTC: whole seconds when there is no fraction, microseconds otherwise."""
    if value is None:
        return None
    # isoformat, not strftime: strftime writes the year 1 as "1", not "0001".
    return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat() + "Z"


def time_precision(raw: Any) -> str:
    """``us`` when an RFC3339 string carries a fraction of a second, else ``s``."""
    if isinstance(raw, str) and re.search(r"T\d\d:\d\d:\d\d\.\d", raw):
        return PRECISION_MICROS
    return PRECISION_SECONDS


# --------------------------------------------------------------------------------------------- containers

@dataclass(frozen=True)
class Container:
    """A container as the pod spec declares it, with the role we infer from the spec alone."""

    name: str
    section: str  # initContainers | containers | ephemeralContainers
    index: int  # position within its section
    role: str  # init | sidecar | app | ephemeral
    sidecar_kind: str | None = None
    restart_policy: str | None = None
    has_startup_probe: bool = False
    # Every sidecar marker found on this container, e.g. ("native", "acs"): more than one is a conflict.
    markers: tuple = ()
    # For the ACS marker: whether its value is exactly "true" (the only value ACS honours).
    acs_marker_true: bool | None = None
    image: str | None = None

    @property
    def is_sidecar(self) -> bool:
        return self.role == ROLE_SIDECAR

    @property
    def is_legacy_sidecar(self) -> bool:
        return self.role == ROLE_SIDECAR and self.sidecar_kind in LEGACY_KINDS

    @property
    def field_path(self) -> str:
        return f"spec.{self.section}{{{self.name}}}"


def _env_markers(spec: Mapping) -> tuple[list[str], bool | None]:
    """Find legacy sidecar markers in a container's env. Only literal values are read, never printed."""
    markers: list[str] = []
    acs_true: bool | None = None
    for entry in as_list(spec.get("env")):
        entry = as_dict(entry)
        name = entry.get("name")
        value = entry.get("value")
        if name == ENV_ACS:
            markers.append(KIND_ACS)
            acs_true = value == "true"
        elif name == ENV_ECI and isinstance(value, str) and value.strip().lower() == "sidecar":
            markers.append(KIND_ECI)
        elif name == ENV_KRUISE and isinstance(value, str) and value.strip().lower() == "true":
            markers.append(KIND_KRUISE)
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
                markers.insert(0, KIND_NATIVE)
            role, kind = _role_of(section, name, restart_policy, markers, declared)
            result.append(Container(
                name=name, section=section, index=index, role=role, sidecar_kind=kind,
                restart_policy=restart_policy, has_startup_probe=isinstance(raw.get("startupProbe"), dict),
                markers=tuple(markers), acs_marker_true=acs_true, image=as_str(raw.get("image")),
            ))
    return result


def _role_of(section: str, name: str, restart_policy: str | None, markers: list[str],
             declared: set) -> tuple[str, str | None]:
    if section == SECTION_EPHEMERAL:
        return ROLE_EPHEMERAL, None
    if section == SECTION_INIT:
        if restart_policy == "Always":
            return ROLE_SIDECAR, KIND_NATIVE
        if name in declared:
            return ROLE_SIDECAR, KIND_DECLARED
        # A legacy marker on an init container does nothing: it stays a plain init container.
        return ROLE_INIT, None
    if markers:
        return ROLE_SIDECAR, markers[0]
    if name in MESH_PROXIES:
        return ROLE_SIDECAR, KIND_MESH
    if name in declared:
        return ROLE_SIDECAR, KIND_DECLARED
    return ROLE_APP, None


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
    precision: str
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
    precision = PRECISION_SECONDS
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
    metadata = as_dict(raw.get("metadata"))
    message = raw.get("message") if "message" in raw else raw.get("note")
    return Event(
        reason=reason, type=as_str(raw.get("type")), message=message if isinstance(message, str) else "",
        first=first, last=last, count=count, precision=precision, section=section, container=container,
        object_kind=as_str(involved.get("kind")), object_name=as_str(involved.get("name")),
        object_namespace=as_str(involved.get("namespace")), object_uid=as_str(involved.get("uid")),
        source=as_str(source), name=as_str(metadata.get("name")), uid=as_str(metadata.get("uid")),
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
    evidence: tuple = field(default_factory=tuple)


def detect_platform(pod: Mapping, node: Mapping | None, version: ClusterVersion | None) -> Platform:
    """Recognise ACS / ECI / virtual-kubelet from node name, labels, taints, annotations, gitVersion."""
    evidence: list[str] = []
    virtual = acs = False
    meta = as_dict(as_dict(pod).get("metadata"))
    annotations = as_dict(meta.get("annotations"))
    labels = as_dict(meta.get("labels"))
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
