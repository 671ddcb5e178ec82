"""The result of ``check``: the Jobs and pods looked at, their findings, a summary and the exit code."""

from __future__ import annotations

from dataclasses import dataclass, field

from kubectl_sidecar.checks.catalogue import ERROR, SEVERITIES, severity_rank
from kubectl_sidecar.checks.targets import Target, job_name, job_namespace
from kubectl_sidecar.errors import EXIT_CLEAN, EXIT_FINDINGS
from kubectl_sidecar.model import ClusterVersion, as_dict, as_int, as_list, as_str
from kubectl_sidecar.render.document import SCHEMA_VERSION


def job_state(job: dict) -> str:
    """Complete, Failed, Suspended, Running or Pending, from the Job's conditions and counts."""
    status = as_dict(job.get("status"))
    conditions = {
        as_str(as_dict(c).get("type")): as_str(as_dict(c).get("status"))
        for c in as_list(status.get("conditions"))
    }
    if conditions.get("Complete") == "True":
        return "Complete"
    if conditions.get("Failed") == "True":
        return "Failed"
    if conditions.get("FailureTarget") == "True":
        return "Failing"
    if conditions.get("Suspended") == "True" or as_dict(job.get("spec")).get("suspend") is True:
        return "Suspended"
    if (as_int(status.get("active")) or 0) > 0:
        return "Running"
    return "Pending"


@dataclass
class JobReport:
    job: dict
    timelines: list
    findings: list = field(default_factory=list)  # on the Job as a whole

    @property
    def name(self) -> str:
        return job_name(self.job) or "(unnamed)"

    @property
    def namespace(self) -> str | None:
        return job_namespace(self.job)

    def to_dict(self) -> dict:
        status = as_dict(self.job.get("status"))
        return {
            "name": self.name,
            "namespace": self.namespace,
            "status": job_state(self.job),
            "active": as_int(status.get("active")) or 0,
            "succeeded": as_int(status.get("succeeded")) or 0,
            "failed": as_int(status.get("failed")) or 0,
            "pods": [t.pod.name for t in self.timelines],
        }


@dataclass
class CheckReport:
    """Everything one ``check`` found. Findings of Jobs come before those of their pods."""

    target: Target
    jobs: list = field(default_factory=list)  # [JobReport]
    pods: list = field(default_factory=list)  # timelines of pods outside the Jobs
    notes: list = field(default_factory=list)
    cluster_version: ClusterVersion | None = None
    fail_on: str = ERROR

    def timelines(self) -> list:
        return [t for j in self.jobs for t in j.timelines] + list(self.pods)

    def findings(self) -> list:
        result = []
        for job in self.jobs:
            result += job.findings
            for timeline in job.timelines:
                result += timeline.findings
        for timeline in self.pods:
            result += timeline.findings
        return result

    def highest(self) -> str | None:
        ranks = [severity_rank(f.severity) for f in self.findings()]
        return SEVERITIES[max(ranks)] if ranks else None

    def failed(self) -> bool:
        threshold = severity_rank(self.fail_on)
        return any(severity_rank(f.severity) >= threshold for f in self.findings())

    def exit_code(self) -> int:
        return EXIT_FINDINGS if self.failed() else EXIT_CLEAN

    def summary(self) -> dict:
        findings = self.findings()
        by_severity = {s: 0 for s in reversed(SEVERITIES)}
        by_code: dict = {}
        for finding in findings:
            by_severity[finding.severity] += 1
            by_code[finding.code] = by_code.get(finding.code, 0) + 1
        return {
            "jobs": len(self.jobs),
            "pods": len(self.timelines()),
            "findings": len(findings),
            "bySeverity": by_severity,
            "byCode": dict(sorted(by_code.items())),
            "highestSeverity": self.highest(),
            "failOn": self.fail_on,
            "failed": self.failed(),
            "exitCode": self.exit_code(),
        }

    def to_dict(self) -> dict:
        """The ``CheckReport`` document of ``-o json|yaml`` (docs/check.md)."""
        version = self.cluster_version
        return {
            "apiVersion": SCHEMA_VERSION,
            "kind": "CheckReport",
            "target": {
                "kind": self.target.kind,
                "name": self.target.name,
                "selector": self.target.selector,
                "namespace": self.target.namespace,
            },
            "cluster": {
                "version": version.git_version if version else None,
                "versionSource": version.source if version else None,
                "nativeSidecars": version.has_native_sidecars if version else None,
            },
            "jobs": [j.to_dict() for j in self.jobs],
            "pods": [
                {
                    "name": t.pod.name,
                    "namespace": t.pod.namespace,
                    "job": t.pod.job,
                    "phase": t.pod.phase,
                    "node": t.pod.node,
                    "events": t.events_state,
                    "findings": len(t.findings),
                }
                for t in self.timelines()
            ],
            "findings": [f.to_dict() for f in self.findings()],
            "summary": self.summary(),
            "notes": list(self.notes),
        }
