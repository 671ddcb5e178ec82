"""The cluster: its version, and the platform (virtual nodes, ACS/ECI) a pod ran on."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import field
from typing import Any

from kubectl_sidecar.raw import as_dict, as_int, as_list, as_str
from kubectl_sidecar.record import record

_VERSION = re.compile(r"^v?(\d{1,3})\.(\d{1,3})(?:\.(\d{1,5}))?([-+][0-9A-Za-z.+-]+)?$")


@record(frozen=True)
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
    return ClusterVersion(
        major=major, minor=minor, git_version=raw if raw.startswith("v") else "v" + raw, source=source
    )


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


@record(frozen=True)
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
