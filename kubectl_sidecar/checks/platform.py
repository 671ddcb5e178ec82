"""What the cluster and the platform honour: native sidecars by version, legacy markers by platform."""

from __future__ import annotations

from kubectl_sidecar.checks.context import CheckContext
from kubectl_sidecar.model import LEGACY_ENV, Container, SidecarKind
from kubectl_sidecar.record import record
from kubectl_sidecar.timeline import Timeline


@record(frozen=True)
class VersionView:
    """What the cluster version says about native sidecars, and what we assumed where it says nothing.

    ``native`` is True (1.29+), False (before 1.28) or None (1.28: only with the alpha feature gate).
    """

    known: bool
    native: bool | None
    label: str
    minor: tuple[int, int] | None
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


def on_alibaba_serverless(timeline: Timeline) -> bool:
    """ACS or ECI (a virtual-kubelet node): the platforms that honour ``__IS_SIDECAR__`` and ECI's markers."""
    return timeline.platform.acs or timeline.platform.virtual_node


def legacy_honoured(timeline: Timeline, container: Container) -> tuple[bool | None, str]:
    """Whether the platform acts on the container's legacy marker: ``(True | False | None, why)``.

    ``None`` means we cannot tell from the data (OpenKruise: an add-on the pod does not reveal).
    """
    kind = container.sidecar_kind
    evidence = ", ".join(timeline.platform.evidence)
    if (
        kind == SidecarKind.ACS
        and container.acs_marker_true is False
        and SidecarKind.ECI not in container.markers
    ):
        return False, '__IS_SIDECAR__ is set, but not to exactly "true", the only value ACS acts on'
    if kind in (SidecarKind.ACS, SidecarKind.ECI):
        if on_alibaba_serverless(timeline):
            return True, f"the pod ran on ACS/ECI ({evidence})"
        marker = "__IS_SIDECAR__" if kind == SidecarKind.ACS else "ECI_CONTAINER_TYPE=sidecar"
        return False, (
            f"{marker} is honoured only by Alibaba Cloud ACS/ECI, and nothing shows this pod ran "
            "there (no virtual-kubelet node, no Alibaba Cloud annotation, label or server version)"
        )
    if kind == SidecarKind.KRUISE:
        return None, "KRUISE_TERMINATE_SIDECAR_WHEN_JOB_EXIT is honoured only where OpenKruise runs"
    return False, "no marker the platform acts on"


def legacy_env_name_of(kind: SidecarKind | None) -> str | None:
    """The env variable behind a legacy marker kind (``acs`` -> ``__IS_SIDECAR__``)."""
    return LEGACY_ENV.get(kind) if kind is not None else None


def legacy_env_name(container: Container) -> str | None:
    return legacy_env_name_of(container.sidecar_kind)
