"""Findings on a Job as a whole, from its own status and events (its pods are checked one by one)."""

from __future__ import annotations

import re

from kubectl_sidecar.checks.finding import CheckContext, Finding
from kubectl_sidecar.model import as_dict, as_list, as_str, format_time, parse_event

# The API server's answers when a pod template's init container has fields that need
# restartPolicy: Always, which the server dropped or never knew (SidecarContainers gate off, or < 1.28).
_REFUSED = re.compile(
    r"(?i)spec\.initContainers\[(\d+)\]\.(restartPolicy|startupProbe|livenessProbe|readinessProbe|"
    r"lifecycle)[^;]*?(Forbidden|Unsupported|may not be set|unknown field)"
)


def job_events(snapshot, job: dict) -> list:
    """The Job's own events (FailedCreate, SuccessfulCreate, ...), parsed, oldest first."""
    meta = as_dict(job.get("metadata"))
    name, namespace, uid = as_str(meta.get("name")), as_str(meta.get("namespace")), as_str(meta.get("uid"))
    result = []
    for raw in snapshot.events:
        raw = as_dict(raw)
        involved = as_dict(raw.get("involvedObject")) or as_dict(raw.get("regarding"))
        if as_str(involved.get("kind")) != "Job":
            continue  # as parse_event would read it: most events are the pods' (about 10 per pod)
        event = parse_event(raw)
        if event is None or event.object_kind != "Job" or event.object_name != name:
            continue
        if namespace and event.object_namespace not in (namespace, None):
            continue
        if uid and event.object_uid and event.object_uid != uid:
            continue
        result.append(event)
    return sorted(result, key=lambda e: (e.first, e.last))


def check_job(job: dict, events: list, context: CheckContext) -> list:
    """SC006 on the Job: the Job controller could not create pods because of a native sidecar's fields."""
    meta = as_dict(job.get("metadata"))
    name, namespace = as_str(meta.get("name")), as_str(meta.get("namespace"))
    template = as_dict(as_dict(as_dict(job.get("spec")).get("template")).get("spec"))
    inits = [as_str(as_dict(c).get("name")) for c in as_list(template.get("initContainers"))]
    findings = []
    for event in events:
        if event.reason != "FailedCreate":
            continue
        match = _REFUSED.search(event.message or "")
        if not match:
            continue
        index = int(match.group(1))
        container = inits[index] if index < len(inits) else None
        message = (
            f"Job {name} cannot create pods: the API server refused init container "
            f"{container or '#' + str(index)} ({match.group(2)} needs restartPolicy: Always, which this "
            "API server dropped or does not know): native sidecars are off on this cluster"
        )
        evidence = [
            (
                f"FailedCreate x{event.count} from {format_time(event.first)} to "
                f'{format_time(event.last)}: "{event.message}"'
            )
        ]
        fix = (
            "Native sidecars need Kubernetes 1.29+ (or 1.28 with the SidecarContainers feature gate on the "
            "API server and every kubelet). On older clusters declare the sidecar as a regular container and "
            "have "
            "the app tell it to stop when it is done."
        )
        findings.append(
            Finding(
                code="SC006",
                pod=None,
                namespace=namespace,
                container=container,
                message=message,
                evidence=tuple(evidence),
                fix=fix,
                job=name,
            )
        )
    return findings
