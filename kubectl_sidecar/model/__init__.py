"""The typed model: enums and frozen dataclasses parsed from the raw API dicts. No I/O.

Everything here is parsed from the JSON the API server returns (or a file holds), never from the
kubernetes client's models, and tolerates missing fields and values of unexpected types: a field that
is absent or malformed reads as ``None`` rather than raising. The enums are string-valued, so every
rendered string and JSON value is the enum's value. One module per noun: ``vocab`` (enums, spec
names), ``containers``, ``events``, ``cluster`` (versions, platforms), ``jobs`` (conditions, Jobs),
``pod`` (the spec and status facts the checks read), ``owners`` (what runs a pod to completion).
"""

from __future__ import annotations

from kubectl_sidecar.model.cluster import (
    ClusterVersion,
    Platform,
    detect_platform,
    node_version,
    parse_cluster_version,
    pod_annotation_version,
    version_from_server_info,
)
from kubectl_sidecar.model.containers import Container, parse_containers
from kubectl_sidecar.model.events import Event, parse_event, pod_finished
from kubectl_sidecar.model.jobs import (
    Condition,
    JobInfo,
    job_state,
    parse_conditions,
    parse_job,
    parse_pod_conditions,
)
from kubectl_sidecar.model.owners import Owner, parse_owner
from kubectl_sidecar.model.pod import ContainerSpec, PodFacts, parse_pod_facts
from kubectl_sidecar.model.vocab import (
    ENV_ACS,
    ENV_ECI,
    ENV_KRUISE,
    LEGACY_ENV,
    LEGACY_KINDS,
    MARKER_ENVS,
    MESH_PROXIES,
    SECTION_EPHEMERAL,
    SECTION_INIT,
    SECTION_REGULAR,
    SECTIONS,
    STATUS_KEYS,
    ContainerState,
    EventsState,
    MarkKind,
    Role,
    RunState,
    SidecarKind,
)
from kubectl_sidecar.raw import Precision

__all__ = [
    "ENV_ACS",
    "ENV_ECI",
    "ENV_KRUISE",
    "LEGACY_ENV",
    "LEGACY_KINDS",
    "MARKER_ENVS",
    "MESH_PROXIES",
    "SECTIONS",
    "SECTION_EPHEMERAL",
    "SECTION_INIT",
    "SECTION_REGULAR",
    "STATUS_KEYS",
    "ClusterVersion",
    "Condition",
    "Container",
    "ContainerSpec",
    "ContainerState",
    "Event",
    "EventsState",
    "JobInfo",
    "MarkKind",
    "Owner",
    "Platform",
    "PodFacts",
    "Precision",
    "Role",
    "RunState",
    "SidecarKind",
    # raw readers, re-exported for modules that read them through the model (prefer kubectl_sidecar.raw)
    "detect_platform",
    "job_state",
    "node_version",
    "parse_cluster_version",
    "parse_conditions",
    "parse_containers",
    "parse_event",
    "parse_job",
    "parse_owner",
    "parse_pod_conditions",
    "parse_pod_facts",
    "pod_annotation_version",
    "pod_finished",
    "version_from_server_info",
]
