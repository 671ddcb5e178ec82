"""Findings on a Job as a whole, from its own status and events (its pods are checked one by one)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from kubectl_sidecar.checks.catalogue import make_finding
from kubectl_sidecar.checks.context import CheckContext
from kubectl_sidecar.findings import Finding
from kubectl_sidecar.model import Event, JobInfo
from kubectl_sidecar.raw import format_time

# The API server's answers when a pod template's init container has fields that need
# restartPolicy: Always, which the server dropped or never knew (SidecarContainers gate off, or < 1.28).
_REFUSED = re.compile(
    r"(?i)spec\.initContainers\[(\d{1,6})\]\.(restartPolicy|startupProbe|livenessProbe|readinessProbe|"
    r"lifecycle)[^;]*?(Forbidden|Unsupported|may not be set|unknown field)"
)

_FIX = (
    "Native sidecars need Kubernetes 1.29+ (or 1.28 with the SidecarContainers feature gate on the "
    "API server and every kubelet). On older clusters declare the sidecar as a regular container and "
    "have "
    "the app tell it to stop when it is done."
)


def check_job(job: JobInfo, events: Iterable[Event], context: CheckContext) -> list[Finding]:
    """SC006 on the Job: the Job controller could not create pods because of a native sidecar's fields.

    ``events`` are the Job's own events (``Snapshot.events_of_job``), oldest first.
    """
    findings = []
    for event in events:
        if event.reason != "FailedCreate":
            continue
        match = _REFUSED.search(event.message or "")
        if not match:
            continue
        index = int(match.group(1))
        container = job.init_containers[index] if index < len(job.init_containers) else None
        message = (
            f"Job {job.name} cannot create pods: the API server refused init container "
            f"{container or '#' + str(index)} ({match.group(2)} needs restartPolicy: Always, which this "
            "API server dropped or does not know): native sidecars are off on this cluster"
        )
        evidence = (
            f"FailedCreate x{event.count} from {format_time(event.first)} to "
            f'{format_time(event.last)}: "{event.message}"'
        )
        findings.append(
            make_finding(
                "SC006",
                None,
                container,
                message,
                evidence=[evidence],
                fix=_FIX,
                job=job.name,
                namespace=job.namespace,
            )
        )
    return findings
