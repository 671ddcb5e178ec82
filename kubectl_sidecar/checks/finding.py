"""A finding: one problem on one container (or pod, or Job), with its evidence and its fix."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kubectl_sidecar.checks.catalogue import CODES, severity_rank
from kubectl_sidecar.model import ClusterVersion


@dataclass(frozen=True)
class Finding:
    """What a check found. ``evidence`` lines state times, codes and events; ``fix`` says what to do.

    ``pod`` is ``None`` for a finding on a Job as a whole. ``assumptions`` say what a version-dependent
    finding assumed where the data was silent (e.g. an unknown cluster version).
    """

    code: str
    pod: str | None
    namespace: str | None
    container: str | None
    message: str
    evidence: tuple = ()
    fix: str = ""
    fix_yaml: str | None = None
    assumptions: tuple = ()
    job: str | None = None

    @property
    def severity(self) -> str:
        return CODES[self.code].severity

    @property
    def title(self) -> str:
        return CODES[self.code].title

    @property
    def doc(self) -> str:
        return CODES[self.code].doc

    def sort_key(self, container_order: dict | None = None) -> tuple:
        """Errors first, then by code, then containers in spec order."""
        order = (container_order or {}).get(self.container, -1 if self.container is None else 999)
        return (-severity_rank(self.severity), self.code, order, self.container or "")

    def to_dict(self) -> dict:
        """The JSON/YAML form (``CheckReport.findings[]`` and ``Timeline.findings[]``)."""
        return {
            "code": self.code,
            "severity": self.severity,
            "title": self.title,
            "pod": self.pod,
            "namespace": self.namespace,
            "job": self.job,
            "container": self.container,
            "message": self.message,
            "evidence": list(self.evidence),
            "fix": self.fix,
            "fixYaml": self.fix_yaml,
            "assumptions": list(self.assumptions),
            "doc": self.doc,
        }


@dataclass(frozen=True)
class CheckContext:
    """What the checks may know beyond the timeline: the time of the reading (``None`` for files)."""

    now: datetime | None = None
    # The kubeletVersion of the pod's node: the version to go by when the server's is unknown (files).
    node_version: ClusterVersion | None = None
