"""The check engine: findings on a pod's timeline (and on a Job), each with a code, evidence and a fix.

Each family of findings is a module; each check is a pure function ``(Timeline, CheckContext) ->
list[Finding]`` that never reads the clock (``context.now`` is the time of a live reading). The codes
are in :mod:`kubectl_sidecar.checks.catalogue`; every code has a page in docs/checks/. Shared helpers:
``prose`` (times and exits in words), ``queries`` (containers, runs, the pod's spec), ``platform``
(version and platform reasoning), ``fixes`` (every fix YAML snippet).
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from kubectl_sidecar.checks import data, finishing, legacy, markers, native, ordering, restarts, termination
from kubectl_sidecar.checks.catalogue import CODES, ERROR, INFO, WARNING, make_finding
from kubectl_sidecar.checks.context import CheckContext
from kubectl_sidecar.checks.jobs import check_job
from kubectl_sidecar.findings import Finding
from kubectl_sidecar.timeline import Timeline

Check = Callable[[Timeline, CheckContext], "list[Finding]"]

# code -> check, in code order.
CHECKS: dict[str, Check] = {
    "SC001": ordering.check_app_started_before_sidecar,
    "SC002": ordering.check_sidecar_stopped_early,
    "SC003": finishing.check_job_pod_can_finish,
    "SC004": legacy.check_stale_legacy_status,
    "SC005": legacy.check_legacy_marker_on_native_cluster,
    "SC006": native.check_native_sidecar_cannot_work,
    "SC007": legacy.check_forced_exit_code,
    "SC008": restarts.check_sidecar_restarts,
    "SC009": markers.check_marker_conflicts,
    "SC010": termination.check_sidecar_ignored_sigterm,
    "SC011": data.check_events_available,
    "SC012": finishing.check_pod_failed_by_sidecar,
}

__all__ = [
    "CHECKS",
    "CODES",
    "ERROR",
    "INFO",
    "WARNING",
    "CheckContext",
    "check_job",
    "check_timeline",
    "make_finding",
]


def check_timeline(
    timeline: Timeline, context: CheckContext | None = None, *, codes: Collection[str] | None = None
) -> list[Finding]:
    """Run every check (or those in ``codes``) on one pod's timeline; findings errors first."""
    context = context or CheckContext()
    findings: list[Finding] = []
    for code, check in CHECKS.items():
        if codes is not None and code not in codes:
            continue
        findings.extend(check(timeline, context))
    order = {ct.name: i for i, ct in enumerate(timeline.containers)}
    return sorted(findings, key=lambda f: f.sort_key(order))
