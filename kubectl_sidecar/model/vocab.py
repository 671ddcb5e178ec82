"""The model's vocabulary: string-valued enums (their values are what output shows) and spec names."""

from __future__ import annotations

from kubectl_sidecar.raw import StrEnum


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
    MESH = "mesh"  # a service mesh's proxy, recognised from the sidecar catalogue
    KNOWN = "known"  # another well-known sidecar of the catalogue (database proxy, log shipper, ...)
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

# Injected proxies that run as regular containers unless their mesh is told to use native sidecars (the
# sidecar catalogue, kubectl_sidecar/knownsidecars/sidecars.yaml, knows them and many more).
MESH_PROXIES = frozenset({"istio-proxy", "linkerd-proxy"})

ENV_ACS = "__IS_SIDECAR__"
ENV_ECI = "ECI_CONTAINER_TYPE"
ENV_KRUISE = "KRUISE_TERMINATE_SIDECAR_WHEN_JOB_EXIT"
MARKER_ENVS = (ENV_ACS, ENV_ECI, ENV_KRUISE)
# The env variable behind each legacy marker kind.
LEGACY_ENV = {SidecarKind.ACS: ENV_ACS, SidecarKind.ECI: ENV_ECI, SidecarKind.KRUISE: ENV_KRUISE}
