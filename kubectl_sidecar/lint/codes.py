"""The static codes of ``lint``: each with its severity, a one-line title and its doc page.

A family of its own (SL: sidecar lint), apart from ``check``'s SC codes, which read what a pod did:
these read only what a manifest says. The severity belongs to the code, so ``--fail-on`` means the same
on every run; every code has a page in docs/lint/ (a test keeps the two in step).
"""

from __future__ import annotations

from kubectl_sidecar.findings import Severity
from kubectl_sidecar.record import record

INFO = Severity.INFO
WARNING = Severity.WARNING
ERROR = Severity.ERROR


@record(frozen=True)
class LintCode:
    code: str
    name: str  # a short camelCase name (SARIF's reportingDescriptor.name)
    severity: Severity
    title: str

    @property
    def doc(self) -> str:
        return f"docs/lint/{self.code}.md"


LINT_CODES = {
    c.code: c
    for c in (
        LintCode(
            "SL001",
            "LegacyMarkerWithoutSupport",
            WARNING,
            "__IS_SIDECAR__ where it does not work: its status goes stale (1.29+) or nothing honours it",
        ),
        LintCode("SL002", "NativeSidecarTooOld", ERROR, "a native sidecar for a cluster older than 1.29"),
        LintCode("SL003", "RestartPolicyNotAllowed", ERROR, "restartPolicy where the API server refuses it"),
        LintCode("SL004", "JobNeverCompletes", ERROR, "a run-to-completion pod with a sidecar nothing stops"),
        LintCode("SL005", "SigtermIgnored", WARNING, "a sidecar whose command cannot handle SIGTERM"),
        LintCode("SL006", "SidecarAfterApp", WARNING, "a legacy sidecar listed after the app containers"),
        LintCode("SL007", "MarkerValueNotTrue", WARNING, 'a sidecar marker with a value other than "true"'),
        LintCode("SL008", "ConflictingMarkers", WARNING, "conflicting or ineffective sidecar markers"),
        LintCode(
            "SL009", "NativeSidecarWithoutProbe", WARNING, "a native sidecar the app needs, with no probe"
        ),
        LintCode(
            "SL010",
            "GracePeriodShorterThanDrain",
            WARNING,
            "a termination grace period shorter than the sidecar's own drain",
        ),
    )
}
