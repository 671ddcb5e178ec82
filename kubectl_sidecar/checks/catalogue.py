"""The codes: each with its severity, a one-line title and the family (module) that raises it.

The severity belongs to the code, never to one occurrence, so ``--fail-on`` means the same thing on
every run. Every code has a page in docs/checks/ (a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Iterable

from kubectl_sidecar.findings import Finding, Severity, severity_rank
from kubectl_sidecar.record import record
from kubectl_sidecar.timeline import Timeline

INFO = Severity.INFO
WARNING = Severity.WARNING
ERROR = Severity.ERROR


@record(frozen=True)
class Code:
    code: str
    severity: Severity
    title: str
    family: str

    @property
    def doc(self) -> str:
        return f"docs/checks/{self.code}.md"


CODES = {
    c.code: c
    for c in (
        Code("SC001", WARNING, "an app container started before a sidecar had started", "ordering"),
        Code("SC002", WARNING, "a sidecar terminated while app containers were still running", "ordering"),
        Code(
            "SC003",
            ERROR,
            "a pod meant to run to completion cannot finish: a regular container outlives its app containers",
            "finishing",
        ),
        Code(
            "SC004",
            WARNING,
            "stale status: a legacy sidecar ran again after the exit its status shows",
            "legacy",
        ),
        Code("SC005", INFO, "a legacy sidecar marker on a cluster with native sidecars", "legacy"),
        Code("SC006", ERROR, "a native sidecar that cannot work on this cluster", "native"),
        Code("SC007", INFO, "the platform forced a sidecar's exit code", "legacy"),
        Code("SC008", WARNING, "a sidecar keeps restarting", "restarts"),
        Code("SC009", WARNING, "conflicting or ineffective sidecar markers", "markers"),
        Code(
            "SC010",
            WARNING,
            "a sidecar ignored SIGTERM and was killed at the end of the grace period",
            "termination",
        ),
        Code("SC011", INFO, "events unavailable: findings rest on statuses alone", "data"),
        Code("SC012", ERROR, "a Job's pod failed only because a sidecar exited non-zero", "finishing"),
    )
}


def make_finding(
    code: str,
    timeline: Timeline | None,
    container: str | None,
    message: str,
    *,
    evidence: Iterable[str | None] = (),
    fix: str = "",
    fix_yaml: str | None = None,
    assumptions: Iterable[str | None] = (),
    job: str | None = None,
    namespace: str | None = None,
    severity: Severity | None = None,
) -> Finding:
    """A finding of ``code`` on ``timeline``'s pod (or, with no timeline, on Job ``job``): the severity,
    title and doc page come from the code; empty evidence lines and assumptions are left out. A code
    whose certainty depends on what is known (SC003) may give a lower ``severity`` than its own."""
    entry = CODES[code]  # KeyError for a code the catalogue does not know
    if severity is not None and severity_rank(severity) > severity_rank(entry.severity):
        raise ValueError(f"{code}: a finding may not be more severe than its code ({entry.severity})")
    return Finding(
        code=code,
        severity=severity if severity is not None else entry.severity,
        title=entry.title,
        doc=entry.doc,
        pod=timeline.pod.name if timeline is not None else None,
        namespace=timeline.pod.namespace if timeline is not None else namespace,
        container=container,
        message=message,
        evidence=tuple(e for e in evidence if e),
        fix=fix,
        fix_yaml=fix_yaml,
        assumptions=tuple(a for a in assumptions if a),
        job=timeline.pod.job if timeline is not None else job,
    )
