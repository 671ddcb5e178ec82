"""``kubectl sidecar lint``: sidecar mistakes found in manifests before they are applied.

Sources (``sources``) -> pod templates (``templates``) -> issues (``rules``) -> findings with file
positions (here) -> text, JSON or SARIF (``report``). Pure but for reading the ``-f`` files.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import IO

from kubectl_sidecar.errors import EXIT_CLEAN, EXIT_FINDINGS
from kubectl_sidecar.findings import Severity, severity_rank
from kubectl_sidecar.lint.codes import LINT_CODES
from kubectl_sidecar.lint.rules import PLATFORMS, LintContext, lint_template
from kubectl_sidecar.lint.sources import Source, read_sources
from kubectl_sidecar.lint.templates import find_templates, position
from kubectl_sidecar.record import record

__all__ = ["LATEST", "PLATFORMS", "LintContext", "LintFinding", "LintReport", "lint_sources", "run_lint"]

# The newest Kubernetes minor the rules know: the default of --cluster-version, stated in the output.
LATEST = (1, 35)


@record(frozen=True)
class LintFinding:
    """One issue at its place in a file: ``line`` and ``column`` are 1-based, from the YAML source."""

    source: str
    line: int
    column: int
    code: str
    severity: Severity
    title: str
    message: str
    fix: str
    doc: str
    object: str  # Kind/name of the manifest
    namespace: str | None
    container: str | None

    def sort_key(self) -> tuple:
        return (self.source, self.line, self.column, self.code)


@record(frozen=True)
class LintReport:
    """What one run of lint found, and what it assumed."""

    context: LintContext
    version_given: bool
    files: int
    templates: int
    findings: tuple[LintFinding, ...]
    fail_on: str = "error"

    @property
    def failed(self) -> bool:
        threshold = severity_rank(self.fail_on)
        return any(severity_rank(f.severity) >= threshold for f in self.findings)

    @property
    def exit_code(self) -> int:
        return EXIT_FINDINGS if self.failed else EXIT_CLEAN

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)


def lint_sources(
    sources: Sequence[Source], context: LintContext, *, version_given: bool = False, fail_on: str = "error"
) -> LintReport:
    """Lint every pod template of every document of ``sources``."""
    found = [(s, d, t) for s in sources for d in s.documents for t in find_templates(d.data)]
    issues = [lint_template(t, context) for _, _, t in found]
    # A controller's pod is linted too (it holds what injectors added at admission), but what its
    # controller's template in the same input already says is not said again.
    said = {
        (t.kind, t.name, t.namespace, i.code, i.container)
        for (_, _, t), its in zip(found, issues)
        if t.owner is None
        for i in its
    }
    findings: list[LintFinding] = []
    for (source, document, template), its in zip(found, issues):
        for issue in its:
            if (
                template.owner is not None
                and (*template.owner, template.namespace, issue.code, issue.container) in said
            ):
                continue
            line, column = position(document.node, (*template.path, *issue.path), key=issue.key)
            code = LINT_CODES[issue.code]
            findings.append(
                LintFinding(
                    source=source.name,
                    line=line,
                    column=column,
                    code=issue.code,
                    severity=code.severity,
                    title=code.title,
                    message=issue.message,
                    fix=issue.fix,
                    doc=code.doc,
                    object=template.label,
                    namespace=template.namespace,
                    container=issue.container,
                )
            )
    templates = len(found)
    return LintReport(
        context=context,
        version_given=version_given,
        files=len(sources),
        templates=templates,
        findings=tuple(sorted(findings, key=LintFinding.sort_key)),
        fail_on=fail_on,
    )


def run_lint(
    paths: Iterable[str],
    *,
    recursive: bool = False,
    version: tuple[int, int] | None = None,
    platform: str = "generic",
    declared: Iterable[str] = (),
    fail_on: str = "error",
    stdin: IO[bytes] | None = None,
) -> LintReport:
    """Read ``-f`` paths and lint them; an :class:`~kubectl_sidecar.errors.InputError` for bad input."""
    context = LintContext(version=version or LATEST, platform=platform, declared=frozenset(declared))
    sources = read_sources(paths, recursive, stdin)
    return lint_sources(sources, context, version_given=version is not None, fail_on=fail_on)
