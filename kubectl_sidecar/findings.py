"""What the checks found, as data only: findings, the findings of a pod beside its timeline, Job and
check reports. No serialisation here (that is ``render.document``) and no catalogue: a finding carries
its severity, title and doc page from the moment it is made."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from kubectl_sidecar.errors import EXIT_CLEAN, EXIT_FINDINGS
from kubectl_sidecar.model import ClusterVersion, JobInfo, PodFacts
from kubectl_sidecar.raw import StrEnum
from kubectl_sidecar.record import record
from kubectl_sidecar.timeline import Timeline

if TYPE_CHECKING:  # select loads only for check: a timeline needs no targets
    from kubectl_sidecar.select import Target


class Severity(StrEnum):
    """How bad a finding is. It belongs to the code, never to one occurrence."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


SEVERITIES = (Severity.INFO, Severity.WARNING, Severity.ERROR)  # ascending
_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
_VALUES = {s.value for s in SEVERITIES}


def severity_rank(severity: str | None) -> int:
    """``info`` < ``warning`` < ``error``; unknown names rank below ``info``."""
    return _RANK.get(Severity(severity), -1) if severity in _VALUES else -1


@record(frozen=True)
class Finding:
    """What a check found. ``evidence`` lines state times, codes and events; ``fix`` says what to do.

    ``pod`` is ``None`` for a finding on a Job as a whole. ``assumptions`` say what a version-dependent
    finding assumed where the data was silent (e.g. an unknown cluster version).
    """

    code: str
    severity: Severity
    title: str
    doc: str
    pod: str | None
    namespace: str | None
    container: str | None
    message: str
    evidence: tuple[str, ...] = ()
    fix: str = ""
    fix_yaml: str | None = None
    assumptions: tuple[str, ...] = ()
    job: str | None = None

    def sort_key(self, container_order: dict | None = None) -> tuple:
        """Errors first, then by code, then containers in spec order."""
        order = (container_order or {}).get(self.container, -1 if self.container is None else 999)
        return (-severity_rank(self.severity), self.code, order, self.container or "")


@record(frozen=True)
class PodResult:
    """One pod's timeline and the findings on it, side by side (the timeline never holds findings)."""

    timeline: Timeline
    findings: tuple[Finding, ...] = ()

    def for_report(self) -> PodResult:
        """The result as a :class:`CheckReport` keeps it: the findings and the timeline's summary (the
        pod and the state of its events), without its containers, marks, conditions, facts and notes,
        which a report never shows. A large check keeps every pod's result to the end: a whole timeline
        each was about a quarter of its memory."""
        summary = replace(self.timeline, containers=[], marks=[], notes=[], conditions=(), facts=PodFacts())
        return PodResult(summary, self.findings)


@record(frozen=True)
class JobReport:
    """A Job, its pods' results and the findings on the Job as a whole."""

    job: JobInfo
    pods: tuple[PodResult, ...] = ()
    findings: tuple[Finding, ...] = ()

    @property
    def name(self) -> str:
        return self.job.name or "(unnamed)"

    @property
    def namespace(self) -> str | None:
        return self.job.namespace


@record(frozen=True)
class CheckReport:
    """Everything one ``check`` found. Findings of Jobs come before those of their pods."""

    target: Target
    jobs: tuple[JobReport, ...] = ()
    pods: tuple[PodResult, ...] = ()  # pods outside the Jobs
    notes: tuple[str, ...] = ()
    cluster_version: ClusterVersion | None = None
    fail_on: str = Severity.ERROR

    def results(self) -> list[PodResult]:
        """Every pod checked: the Jobs' first, then the others."""
        return [r for j in self.jobs for r in j.pods] + list(self.pods)

    def findings(self) -> list[Finding]:
        result: list[Finding] = []
        for job in self.jobs:
            result += job.findings
            for pod in job.pods:
                result += pod.findings
        for pod in self.pods:
            result += pod.findings
        return result

    def count_by_severity(self) -> dict[Severity, int]:
        """How many findings of each severity, the most severe first (zeros included)."""
        counts = {s: 0 for s in reversed(SEVERITIES)}
        for finding in self.findings():
            counts[finding.severity] += 1
        return counts

    def highest(self) -> Severity | None:
        ranks = [severity_rank(f.severity) for f in self.findings()]
        return SEVERITIES[max(ranks)] if ranks else None

    def failed(self) -> bool:
        threshold = severity_rank(self.fail_on)
        return any(severity_rank(f.severity) >= threshold for f in self.findings())

    def exit_code(self) -> int:
        return EXIT_FINDINGS if self.failed() else EXIT_CLEAN
