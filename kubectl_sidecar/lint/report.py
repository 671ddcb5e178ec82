"""A lint report as text (``file:line:column CODE severity message``), JSON, or SARIF 2.1.0 (for GitHub
code scanning). Pure: each returns a string."""

from __future__ import annotations

import json
from urllib.parse import quote

from kubectl_sidecar import __version__
from kubectl_sidecar.lint import LintFinding, LintReport
from kubectl_sidecar.lint.codes import LINT_CODES
from kubectl_sidecar.textsafe import terminal_safe

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/kubectl-sidecar/kubectl-sidecar"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def assumptions(report: LintReport) -> str:
    """What the rules assumed, in one line (stated in every format)."""
    version = report.context.version_text
    said = "given" if report.version_given else "the newest known; set --cluster-version"
    return f"Kubernetes {version} ({said}), platform {report.context.platform}"


def summary(report: LintReport) -> str:
    counts = ", ".join(
        f"{report.count(s)} {s}{'s' if report.count(s) != 1 and s != 'info' else ''}"
        for s in ("error", "warning", "info")
    )
    outcome = "fails" if report.failed else "nothing reaches"
    return (
        f"linted {report.templates} pod template{'s' if report.templates != 1 else ''} in {report.files} "
        f"file{'s' if report.files != 1 else ''} for {assumptions(report)}: {counts} "
        f"(exit {report.exit_code}: {outcome} --fail-on {report.fail_on})"
    )


def render_text(report: LintReport) -> str:
    """One line per finding, as compilers print them, then its fix; a summary line last."""
    lines = []
    for f in report.findings:
        lines.append(terminal_safe(f"{f.source}:{f.line}:{f.column} {f.code} {f.severity} {f.message}"))
        lines.append(terminal_safe(f"    fix: {f.fix} ({f.doc})"))
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def _finding_dict(f: LintFinding) -> dict:
    return {
        "file": f.source,
        "line": f.line,
        "column": f.column,
        "code": f.code,
        "severity": str(f.severity),
        "title": f.title,
        "object": f.object,
        "namespace": f.namespace,
        "container": f.container,
        "message": f.message,
        "fix": f.fix,
        "doc": f.doc,
    }


def render_json(report: LintReport) -> str:
    document = {
        "apiVersion": "kubectl-sidecar/v1",
        "kind": "LintReport",
        "assumed": {
            "clusterVersion": report.context.version_text,
            "clusterVersionGiven": report.version_given,
            "platform": report.context.platform,
        },
        "findings": [_finding_dict(f) for f in report.findings],
        "summary": {
            "files": report.files,
            "podTemplates": report.templates,
            "findings": len(report.findings),
            "bySeverity": {s: report.count(s) for s in ("error", "warning", "info")},
            "failOn": report.fail_on,
            "failed": report.failed,
            "exitCode": report.exit_code,
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def artifact_uri(source: str) -> str:
    """A file name as a SARIF uri-reference: relative, forward slashes, percent-encoded."""
    return quote(source.replace("\\", "/").removeprefix("./"), safe="/-._~")


def render_sarif(report: LintReport) -> str:
    """SARIF 2.1.0: one run, every code as a rule, every finding a result at its line and column."""
    codes = sorted(LINT_CODES)
    rules = [
        {
            "id": c,
            "name": LINT_CODES[c].name,
            "shortDescription": {"text": LINT_CODES[c].title},
            "fullDescription": {"text": LINT_CODES[c].title},
            "helpUri": f"{INFORMATION_URI}/blob/main/{LINT_CODES[c].doc}",
            "help": {"text": f"See {LINT_CODES[c].doc}"},
            "defaultConfiguration": {"level": _SARIF_LEVEL[str(LINT_CODES[c].severity)]},
            "properties": {"tags": ["kubernetes", "sidecar"]},
        }
        for c in codes
    ]
    results = [
        {
            "ruleId": f.code,
            "ruleIndex": codes.index(f.code),
            "level": _SARIF_LEVEL[str(f.severity)],
            "message": {"text": f"{f.message}. Fix: {f.fix}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": artifact_uri(f.source)},
                        "region": {"startLine": f.line, "startColumn": f.column},
                    },
                    "logicalLocations": [
                        {"fullyQualifiedName": f"{f.object}/{f.container}" if f.container else f.object}
                    ],
                }
            ],
        }
        for f in report.findings
    ]
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "kubectl-sidecar",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "results": results,
                "properties": {"assumed": assumptions(report)},
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render(report: LintReport, output: str) -> str:
    if output == "json":
        return render_json(report)
    if output == "sarif":
        return render_sarif(report)
    return render_text(report)
