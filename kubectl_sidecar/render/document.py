"""All serialisation: a timeline, its findings and a check report as documents, and JSON/YAML dumps.

Schemas: docs/output-schema.md, docs/timeline.schema.json and docs/check.md. Enum values are written as
their plain strings (YAML's safe dumper takes no str subclasses).

Values are exact, never sanitised, yet the text is safe on a terminal: every character the terminal
sanitiser would change (``textsafe.UNSAFE``: controls, DEL, C1, bidi controls, lone surrogates) is
written as an escape of the format. ``json.dumps`` escapes only C0 controls, so the rest become ``\\u``
escapes after it; YAML strings holding one are written double-quoted, all escaped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Any

import yaml

from kubectl_sidecar.findings import CheckReport, Finding, JobReport, PodResult
from kubectl_sidecar.raw import format_time
from kubectl_sidecar.textsafe import UNSAFE, is_terminal_safe
from kubectl_sidecar.timeline import Run, Timeline

SCHEMA_VERSION = "kubectl-sidecar/v1"  # the CheckReport
# The Timeline: v2 since sidecarKind may be `known` (the sidecar catalogue) and the pod's offsets start at
# its earliest mark (docs/output-schema.md, "Versions").
TIMELINE_SCHEMA_VERSION = "kubectl-sidecar/v2"


def _plain(value: Any) -> Any:
    """An enum member as its value; anything else as it is."""
    return value.value if isinstance(value, Enum) else value


def _offset(when: datetime | None, origin: datetime | None) -> float | None:
    if when is None or origin is None:
        return None
    return round((when - origin).total_seconds(), 6)


def run_to_dict(run: Run) -> dict:
    return {
        "startedAt": format_time(run.started_at),
        "finishedAt": format_time(run.finished_at),
        "exitCode": run.exit_code,
        "reason": run.reason,
        "message": run.message,
        "originalExitCode": run.original_exit_code,
        "originalReason": run.original_reason,
        "state": _plain(run.state),
        "source": run.source,
        "count": run.count,
        "note": run.note,
    }


def finding_to_dict(finding: Finding) -> dict:
    """The JSON/YAML form of a finding (``CheckReport.findings[]`` and ``Timeline.findings[]``)."""
    return {
        "code": finding.code,
        "severity": _plain(finding.severity),
        "title": finding.title,
        "pod": finding.pod,
        "namespace": finding.namespace,
        "job": finding.job,
        "container": finding.container,
        "message": finding.message,
        "evidence": list(finding.evidence),
        "fix": finding.fix,
        "fixYaml": finding.fix_yaml,
        "assumptions": list(finding.assumptions),
        "doc": finding.doc,
    }


def timeline_to_dict(timeline: Timeline, findings: Iterable[Finding] = ()) -> dict:
    """Build the ``Timeline`` document. Times are RFC3339 UTC; offsets are seconds from ``origin``."""
    pod = timeline.pod
    version = timeline.cluster_version
    return {
        "apiVersion": TIMELINE_SCHEMA_VERSION,
        "kind": "Timeline",
        "pod": {
            "name": pod.name,
            "namespace": pod.namespace,
            "uid": pod.uid,
            "phase": pod.phase,
            "node": pod.node,
            "job": pod.job,
            "restartPolicy": pod.restart_policy,
            "owner": {"kind": pod.owner.kind, "name": pod.owner.name, "system": pod.owner.system},
            "createdAt": format_time(pod.created),
            "startedAt": format_time(pod.started),
            "deletionRequestedAt": format_time(pod.deletion_requested),
        },
        "cluster": {
            "version": version.git_version if version else None,
            "versionSource": version.source if version else None,
            "nativeSidecars": version.has_native_sidecars if version else None,
            "virtualNode": timeline.platform.virtual_node,
            "acs": timeline.platform.acs,
            "evidence": list(timeline.platform.evidence),
        },
        "origin": format_time(timeline.origin),
        "snapshotTime": {"time": format_time(timeline.snapshot_time), "source": timeline.snapshot_source},
        "containers": [
            {
                "name": ct.name,
                "section": ct.container.section,
                "role": _plain(ct.container.role),
                "sidecarKind": _plain(ct.container.sidecar_kind),
                "knownSidecar": ct.container.known.name if ct.container.known else None,
                "knownBy": ct.container.known_by,
                "markers": [_plain(m) for m in ct.container.markers],
                "restartCount": ct.restart_count,
                "ready": ct.ready,
                "started": ct.started,
                "state": _plain(ct.state),
                "waitingReason": ct.waiting_reason,
                "runs": [run_to_dict(r) for r in ct.runs],
            }
            for ct in timeline.containers
        ],
        "marks": [
            {
                "time": format_time(m.time),
                "offsetSeconds": _offset(m.time, timeline.origin),
                "precision": _plain(m.precision),
                "container": m.container,
                "kind": _plain(m.kind),
                "detail": m.detail,
                "reason": m.reason,
                "exitCode": m.exit_code,
                "source": m.source,
                "message": m.message,
                "count": m.count,
                "lastTime": format_time(m.last),
                "aggregate": m.aggregate,
            }
            for m in timeline.marks
        ],
        "events": {"state": _plain(timeline.events_state), "count": timeline.events_count},
        "notes": list(timeline.notes),
        "findings": [finding_to_dict(f) for f in findings],
    }


def pod_result_to_dict(result: PodResult) -> dict:
    """A pod's timeline with its findings: the ``Timeline`` document."""
    return timeline_to_dict(result.timeline, result.findings)


def job_to_dict(job_report: JobReport) -> dict:
    job = job_report.job
    return {
        "name": job_report.name,
        "namespace": job_report.namespace,
        "status": job.state,
        "active": job.active,
        "succeeded": job.succeeded,
        "failed": job.failed,
        "pods": [r.timeline.pod.name for r in job_report.pods],
    }


def report_summary(report: CheckReport) -> dict:
    """The ``summary`` of a check report: counts, the highest severity, the verdict and exit code."""
    findings = report.findings()
    by_code: dict[str, int] = {}
    for finding in findings:
        by_code[finding.code] = by_code.get(finding.code, 0) + 1
    highest = report.highest()
    return {
        "jobs": len(report.jobs),
        "pods": len(report.results()),
        "findings": len(findings),
        "bySeverity": {_plain(s): n for s, n in report.count_by_severity().items()},
        "byCode": dict(sorted(by_code.items())),
        "highestSeverity": _plain(highest),
        "failOn": _plain(report.fail_on),
        "failed": report.failed(),
        "exitCode": report.exit_code(),
    }


def report_to_dict(report: CheckReport) -> dict:
    """The ``CheckReport`` document of ``-o json|yaml`` (docs/check.md)."""
    version = report.cluster_version
    target = report.target
    return {
        "apiVersion": SCHEMA_VERSION,
        "kind": "CheckReport",
        "target": {
            "kind": target.kind,
            "name": target.name,
            "selector": target.selector,
            "namespace": target.namespace,
        },
        "cluster": {
            "version": version.git_version if version else None,
            "versionSource": version.source if version else None,
            "nativeSidecars": version.has_native_sidecars if version else None,
        },
        "jobs": [job_to_dict(j) for j in report.jobs],
        "pods": [
            {
                "name": r.timeline.pod.name,
                "namespace": r.timeline.pod.namespace,
                "job": r.timeline.pod.job,
                "phase": r.timeline.pod.phase,
                "node": r.timeline.pod.node,
                "events": _plain(r.timeline.events_state),
                "findings": len(r.findings),
            }
            for r in report.results()
        ],
        "findings": [finding_to_dict(f) for f in report.findings()],
        "summary": report_summary(report),
        "notes": list(report.notes),
    }


def _json_escape(match: re.Match[str]) -> str:
    char = match.group()
    return char if char == "\n" else f"\\u{ord(char):04x}"


def dump_json(document: dict) -> str:
    """``document`` as indented JSON, UTF-8 text kept, every terminal-unsafe character escaped.

    ``json.dumps`` leaves raw only what may stand raw inside a JSON string (DEL, C1, bidi controls, lone
    surrogates) and the newlines of its indentation; those characters become ``\\uXXXX``, in their strings.
    """
    return UNSAFE.sub(_json_escape, json.dumps(document, indent=2, ensure_ascii=False)) + "\n"


_STR = "tag:yaml.org,2002:str"


class _SafeDumper(yaml.SafeDumper):
    """The safe dumper, with strings that hold a terminal-unsafe character double-quoted and escaped.

    PyYAML picks plain or single quotes for bidi controls, U+0085 and U+2028 (the last two do not even
    read back the same from single quotes), and with ``allow_unicode`` writes bidi controls raw inside
    double quotes: such a string is written double-quoted with every non-ASCII character escaped.
    """

    def write_double_quoted(self, text: str, split: bool = True) -> None:
        if is_terminal_safe(text):
            super().write_double_quoted(text, split)
            return
        allow_unicode, self.allow_unicode = self.allow_unicode, False
        try:
            super().write_double_quoted(text, split)
        finally:
            self.allow_unicode = allow_unicode


def _unsafe(text: str) -> bool:
    return not is_terminal_safe(text.replace("\n", ""))


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    if _unsafe(text):
        return dumper.represent_scalar(_STR, text, style='"')
    return dumper.represent_str(text)


_SafeDumper.add_representer(str, _represent_str)


def dump_yaml(document: dict) -> str:
    """``document`` as block YAML, UTF-8 text kept, every terminal-unsafe character escaped."""
    return yaml.dump(
        document, Dumper=_SafeDumper, sort_keys=False, allow_unicode=True, default_flow_style=False
    )


def dump(document: dict, fmt: str) -> str:
    """Serialise a ``Timeline`` document for ``-o json`` or ``-o yaml``."""
    if fmt == "json":
        return dump_json(document)
    return dump_yaml(document)


class _BlockDumper(_SafeDumper):
    """Multi-line strings (fixYaml) as literal blocks, so the YAML inside the report stays readable."""


def _str_presenter(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    if _unsafe(text):
        return dumper.represent_scalar(_STR, text, style='"')
    if "\n" in text:
        return dumper.represent_scalar(_STR, text, style="|")
    return dumper.represent_scalar(_STR, text)


_BlockDumper.add_representer(str, _str_presenter)


def dump_report(document: dict, fmt: str) -> str:
    """Serialise a ``CheckReport`` document for ``-o json`` or ``-o yaml``."""
    if fmt == "json":
        return dump_json(document)
    return yaml.dump(
        document,
        Dumper=_BlockDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
