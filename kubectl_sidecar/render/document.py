"""The timeline as one JSON or YAML document (schema: docs/output-schema.md)."""
from __future__ import annotations

import json

import yaml

from kubectl_sidecar.model import format_time
from kubectl_sidecar.timeline import Timeline

SCHEMA_VERSION = "kubectl-sidecar/v1"


def _offset(when, origin):
    if when is None or origin is None:
        return None
    return round((when - origin).total_seconds(), 6)


def run_to_dict(run) -> dict:
    return {
        "startedAt": format_time(run.started_at), "finishedAt": format_time(run.finished_at),
        "exitCode": run.exit_code, "reason": run.reason, "message": run.message,
        "originalExitCode": run.original_exit_code, "originalReason": run.original_reason,
        "state": run.state, "source": run.source, "count": run.count, "note": run.note,
    }


def timeline_to_dict(timeline: Timeline) -> dict:
    """Build the ``Timeline`` document. Times are RFC3339 UTC; offsets are seconds from ``origin``."""
    pod = timeline.pod
    version = timeline.cluster_version
    return {
        "apiVersion": SCHEMA_VERSION,
        "kind": "Timeline",
        "pod": {"name": pod.name, "namespace": pod.namespace, "uid": pod.uid, "phase": pod.phase,
                "node": pod.node, "job": pod.job, "restartPolicy": pod.restart_policy,
                "createdAt": format_time(pod.created), "startedAt": format_time(pod.started),
                "deletionRequestedAt": format_time(pod.deletion_requested)},
        "cluster": {"version": version.git_version if version else None,
                    "versionSource": version.source if version else None,
                    "nativeSidecars": version.has_native_sidecars if version else None,
                    "virtualNode": timeline.platform.virtual_node, "acs": timeline.platform.acs,
                    "evidence": list(timeline.platform.evidence)},
        "origin": format_time(timeline.origin),
        "containers": [{
            "name": ct.name, "section": ct.container.section, "role": ct.container.role,
            "sidecarKind": ct.container.sidecar_kind, "markers": list(ct.container.markers),
            "restartCount": ct.restart_count, "ready": ct.ready, "started": ct.started,
            "state": ct.state, "waitingReason": ct.waiting_reason,
            "runs": [run_to_dict(r) for r in ct.runs],
        } for ct in timeline.containers],
        "marks": [{
            "time": format_time(m.time), "offsetSeconds": _offset(m.time, timeline.origin),
            "precision": m.precision, "container": m.container, "kind": m.kind, "detail": m.detail,
            "reason": m.reason, "exitCode": m.exit_code, "source": m.source, "message": m.message,
            "count": m.count, "lastTime": format_time(m.last), "aggregate": m.aggregate,
        } for m in timeline.marks],
        "events": {"state": timeline.events_state, "count": timeline.events_count},
        "notes": list(timeline.notes),
        "findings": [f.to_dict() if hasattr(f, "to_dict") else f for f in timeline.findings],
    }


def dump(document: dict, fmt: str) -> str:
    """Serialise for ``-o json`` or ``-o yaml``."""
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, default_flow_style=False)
