"""Findings as text: a table per pod (severity, code, container, finding), then each finding's evidence,
fix and doc page. Pure: width and colour are passed in.

A finding's words embed names, reasons and messages from the cluster or a file: every text passes the
terminal sanitiser before it is measured or wrapped; the only escapes are our own severity colours."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from kubectl_sidecar.about import check_page_url
from kubectl_sidecar.findings import SEVERITIES, CheckReport, Finding, JobReport, PodResult
from kubectl_sidecar.render.fit import wrap_text
from kubectl_sidecar.textsafe import terminal_safe

_COLOURS = {"error": "1;31", "warning": "33", "info": "36"}
_HEAD = ("SEVERITY", "CODE", "CONTAINER", "FINDING")
_LABEL_W = 10  # "evidence  ", "fix       "
_MAX_NAMES = 20


def _paint(text: str, severity: str, colour: bool) -> str:
    if not colour or severity not in _COLOURS:
        return text
    return f"\x1b[{_COLOURS[severity]}m{text}\x1b[0m"


def _wrap(text: str, width: int) -> list[str]:
    """``text`` made terminal-safe (so it holds no line break of its own), wrapped to ``width``."""
    safe = terminal_safe(text)
    return textwrap.wrap(safe, width=max(width, 20), break_long_words=False, break_on_hyphens=False) or [""]


def render_findings_table(
    findings: Sequence[Finding], *, width: int = 80, colour: bool = False, indent: str = ""
) -> str:
    """One row per finding: SEVERITY, CODE, CONTAINER, FINDING (the message wrapped to ``width``)."""
    sev_w = max(len(_HEAD[0]), *(len(f.severity) for f in findings))
    code_w = max(len(_HEAD[1]), *(len(f.code) for f in findings))
    cont_w = max(len(_HEAD[2]), *(len(_container(f)) for f in findings))
    lead = len(indent) + sev_w + 2 + code_w + 2 + cont_w + 2
    text_w = max(width - lead, 30)
    pad = " " * lead
    out = [f"{indent}{_HEAD[0]:<{sev_w}}  {_HEAD[1]:<{code_w}}  {_HEAD[2]:<{cont_w}}  {_HEAD[3]}"]
    for finding in findings:
        lines = _wrap(finding.message, text_w)
        severity = _paint(f"{finding.severity:<{sev_w}}", finding.severity, colour)
        out.append(
            f"{indent}{severity}  {finding.code:<{code_w}}  {_container(finding):<{cont_w}}  {lines[0]}"
        )
        out += [pad + line for line in lines[1:]]
    return "\n".join(out) + "\n"


def render_finding_details(finding: Finding, *, width: int = 80, indent: str = "") -> str:
    """Evidence, assumptions, the fix (with its YAML, never wrapped) and the doc page of one finding."""
    where = terminal_safe(finding.container) if finding.container else ("(pod)" if finding.pod else "(job)")
    out = [f"{indent}{finding.code} {where}"]
    inner = indent + "  "
    text_w = max(width - len(inner) - _LABEL_W, 30)
    pad = inner + " " * _LABEL_W

    def block(label: str, items: list, bullet: bool) -> None:
        first = True
        for item in items:
            lines = _wrap(item, text_w - (2 if bullet else 0))
            for i, line in enumerate(lines):
                prefix = ("- " if i == 0 else "  ") if bullet else ""
                lead = f"{inner}{label:<{_LABEL_W}}" if first else pad
                out.append(f"{lead}{prefix}{line}".rstrip())
                first = False

    block("evidence", list(finding.evidence), bullet=len(finding.evidence) > 1)
    if finding.assumptions:
        block("assumed", list(finding.assumptions), bullet=len(finding.assumptions) > 1)
    if finding.fix:
        block("fix", [finding.fix], bullet=False)
    if finding.fix_yaml:
        # Our YAML's own lines (LF), each made safe: a name in it cannot start a line of its own.
        out += [(pad + terminal_safe(line)).rstrip() for line in finding.fix_yaml.rstrip("\n").split("\n")]
    # The page as a krew or pip install has it (bundled), and online at a stable address.
    out.append(f"{inner}{'docs':<{_LABEL_W}}kubectl sidecar explain {finding.code}")
    out.append(f"{pad}{check_page_url(finding.code)}")
    return "\n".join(out) + "\n"


def render_findings(
    findings: Sequence[Finding], *, width: int = 80, colour: bool = False, indent: str = ""
) -> str:
    """The table, then the details of each finding, separated by blank lines."""
    parts = [render_findings_table(findings, width=width, colour=colour, indent=indent)]
    parts += [render_finding_details(f, width=width, indent=indent) for f in findings]
    return "\n".join(parts)


def render_timeline_findings(
    result: PodResult, *, width: int = 80, colour: bool = False, details: bool = False
) -> str:
    """The findings section under a timeline's chart: the table, and with ``details`` (``-o wide``)
    each finding's evidence and fix; otherwise a pointer to ``check``, which shows them."""
    counts: dict[str, int] = {}
    for finding in result.findings:
        counts[finding.severity] = counts.get(finding.severity, 0) + 1
    tally = ", ".join(_count(counts.get(s, 0), s) for s in reversed(SEVERITIES) if counts.get(s))
    if details:
        return f"Findings: {tally}\n\n" + render_findings(result.findings, width=width, colour=colour)
    hint = f"evidence and fixes: kubectl sidecar check pod/{terminal_safe(result.timeline.pod.name)}"
    return (
        wrap_text(f"Findings: {tally} ({hint})", width)
        + "\n\n"
        + render_findings_table(result.findings, width=width, colour=colour)
    )


def _container(finding: Finding) -> str:
    return terminal_safe(finding.container) if finding.container else "-"


def _count(number: int, severity: str) -> str:
    return f"{number} {severity}{'s' if number != 1 and severity != 'info' else ''}"


def _head(text: str, width: int) -> str:
    return "\n".join(_wrap(text, width)) + "\n\n"


def _pod_header(result: PodResult) -> str:
    pod = result.timeline.pod
    where = f"{pod.namespace}/{pod.name}" if pod.namespace else pod.name
    parts = [
        p
        for p in (f"Job {pod.job}" if pod.job else None, pod.phase, f"node {pod.node}" if pod.node else None)
        if p
    ]
    return f"pod {where}" + (f" ({', '.join(parts)})" if parts else "")


def _job_header(job_report: JobReport) -> str:
    where = f"{job_report.namespace}/{job_report.name}" if job_report.namespace else job_report.name
    pods = len(job_report.pods)
    return f"Job {where} ({job_report.job.state}, {pods} pod{'s' if pods != 1 else ''})"


def summary_line(report: CheckReport) -> str:
    """``checked 1 Job, 2 pods: 1 error, 0 warnings, 0 info (exit 1: ...)``."""
    by_severity = report.count_by_severity()
    counts = ", ".join(_count(by_severity[s], s) for s in reversed(SEVERITIES))
    jobs = len(report.jobs)
    pods = len(report.results())
    checked = (
        f"{jobs} Job{'s' if jobs != 1 else ''}, " if jobs else ""
    ) + f"{pods} pod{'s' if pods != 1 else ''}"
    verdict = (
        f"exit 1: a finding reaches --fail-on {report.fail_on}"
        if report.failed()
        else f"exit 0: nothing reaches --fail-on {report.fail_on}"
    )
    return f"checked {checked}: {counts} ({verdict})\n"


def render_report(report: CheckReport, *, width: int = 80, colour: bool = False) -> str:
    """``check``'s default output: findings grouped by Job and pod, the pods without any, a summary."""
    parts: list[str] = []
    clean: list[str] = []

    def add_pods(results: Sequence[PodResult]) -> None:
        for result in results:
            if result.findings:
                parts.append(
                    _head(_pod_header(result), width)
                    + render_findings(result.findings, width=width, colour=colour, indent="  ")
                )
            else:
                clean.append(result.timeline.pod.name)  # wrapped, so made safe, below

    for job_report in report.jobs:
        if job_report.findings:
            parts.append(
                _head(_job_header(job_report), width)
                + render_findings(job_report.findings, width=width, colour=colour, indent="  ")
            )
        add_pods(job_report.pods)
        if not job_report.pods and not job_report.findings:
            parts.append(terminal_safe(_job_header(job_report)) + ": no pods to check\n")
    add_pods(report.pods)
    if clean:
        names = ", ".join(clean[:_MAX_NAMES]) + (
            f" and {len(clean) - _MAX_NAMES} more" if len(clean) > _MAX_NAMES else ""
        )
        parts.append("\n".join(_wrap(f"no findings: {names}", width)) + "\n")
    parts.append("\n".join(_wrap(summary_line(report).rstrip("\n"), width)) + "\n")
    return "\n".join(parts)
