"""Findings as text: a table per pod (severity, code, container, finding), then each finding's evidence,
fix and doc page. Pure: width and colour are passed in."""

from __future__ import annotations

import json
import textwrap

import yaml

from kubectl_sidecar.checks.catalogue import SEVERITIES
from kubectl_sidecar.checks.report import job_state

_COLOURS = {"error": "1;31", "warning": "33", "info": "36"}
_HEAD = ("SEVERITY", "CODE", "CONTAINER", "FINDING")
_LABEL_W = 10  # "evidence  ", "fix       "
_MAX_NAMES = 20


def _paint(text: str, severity: str, colour: bool) -> str:
    if not colour or severity not in _COLOURS:
        return text
    return f"\x1b[{_COLOURS[severity]}m{text}\x1b[0m"


def _wrap(text: str, width: int) -> list:
    lines = []
    for paragraph in text.splitlines() or [""]:
        lines += textwrap.wrap(
            paragraph, width=max(width, 20), break_long_words=False, break_on_hyphens=False
        ) or [""]
    return lines


def render_findings_table(findings: list, *, width: int = 80, colour: bool = False, indent: str = "") -> str:
    """One row per finding: SEVERITY, CODE, CONTAINER, FINDING (the message wrapped to ``width``)."""
    sev_w = max(len(_HEAD[0]), *(len(f.severity) for f in findings))
    code_w = max(len(_HEAD[1]), *(len(f.code) for f in findings))
    cont_w = max(len(_HEAD[2]), *(len(f.container or "-") for f in findings))
    lead = len(indent) + sev_w + 2 + code_w + 2 + cont_w + 2
    text_w = max(width - lead, 30)
    pad = " " * lead
    out = [f"{indent}{_HEAD[0]:<{sev_w}}  {_HEAD[1]:<{code_w}}  {_HEAD[2]:<{cont_w}}  {_HEAD[3]}"]
    for finding in findings:
        lines = _wrap(finding.message, text_w)
        severity = _paint(f"{finding.severity:<{sev_w}}", finding.severity, colour)
        out.append(
            f"{indent}{severity}  {finding.code:<{code_w}}  {finding.container or '-':<{cont_w}}  {lines[0]}"
        )
        out += [pad + line for line in lines[1:]]
    return "\n".join(out) + "\n"


def render_finding_details(finding, *, width: int = 80, indent: str = "") -> str:
    """Evidence, assumptions, the fix (with its YAML, never wrapped) and the doc page of one finding."""
    where = finding.container or ("(pod)" if finding.pod else "(job)")
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
        out += [(pad + line).rstrip() for line in finding.fix_yaml.rstrip("\n").splitlines()]
    out.append(f"{inner}{'docs':<{_LABEL_W}}{finding.doc}")
    return "\n".join(out) + "\n"


def render_findings(findings: list, *, width: int = 80, colour: bool = False, indent: str = "") -> str:
    """The table, then the details of each finding, separated by blank lines."""
    parts = [render_findings_table(findings, width=width, colour=colour, indent=indent)]
    parts += [render_finding_details(f, width=width, indent=indent) for f in findings]
    return "\n".join(parts)


def render_timeline_findings(
    timeline, *, width: int = 80, colour: bool = False, details: bool = False
) -> str:
    """The findings section under ``timeline``'s chart: the table, and with ``details`` (``-o wide``)
    each finding's evidence and fix; otherwise a pointer to ``check``, which shows them."""
    counts = {}
    for finding in timeline.findings:
        counts[finding.severity] = counts.get(finding.severity, 0) + 1
    tally = ", ".join(_count(counts.get(s, 0), s) for s in reversed(SEVERITIES) if counts.get(s))
    if details:
        return f"Findings: {tally}\n\n" + render_findings(timeline.findings, width=width, colour=colour)
    hint = f"evidence and fixes: kubectl sidecar check pod/{timeline.pod.name}"
    return f"Findings: {tally} ({hint})\n\n" + render_findings_table(
        timeline.findings, width=width, colour=colour
    )


def _count(number: int, severity: str) -> str:
    return f"{number} {severity}{'s' if number != 1 and severity != 'info' else ''}"


def _head(text: str, width: int) -> str:
    return "\n".join(_wrap(text, width)) + "\n\n"


def _pod_header(timeline) -> str:
    pod = timeline.pod
    where = f"{pod.namespace}/{pod.name}" if pod.namespace else pod.name
    parts = [
        p
        for p in (f"Job {pod.job}" if pod.job else None, pod.phase, f"node {pod.node}" if pod.node else None)
        if p
    ]
    return f"pod {where}" + (f" ({', '.join(parts)})" if parts else "")


def _job_header(job_report) -> str:
    where = f"{job_report.namespace}/{job_report.name}" if job_report.namespace else job_report.name
    pods = len(job_report.timelines)
    return f"Job {where} ({job_state(job_report.job)}, {pods} pod{'s' if pods != 1 else ''})"


def summary_line(report) -> str:
    summary = report.summary()
    counts = ", ".join(_count(summary["bySeverity"][s], s) for s in reversed(SEVERITIES))
    jobs = summary["jobs"]
    pods = summary["pods"]
    checked = (
        f"{jobs} Job{'s' if jobs != 1 else ''}, " if jobs else ""
    ) + f"{pods} pod{'s' if pods != 1 else ''}"
    verdict = (
        f"exit 1: a finding reaches --fail-on {report.fail_on}"
        if report.failed()
        else f"exit 0: nothing reaches --fail-on {report.fail_on}"
    )
    return f"checked {checked}: {counts} ({verdict})\n"


def render_report(report, *, width: int = 80, colour: bool = False) -> str:
    """``check``'s default output: findings grouped by Job and pod, the pods without any, a summary."""
    parts = []
    clean = []

    def add_pods(timelines) -> None:
        for timeline in timelines:
            if timeline.findings:
                parts.append(
                    _head(_pod_header(timeline), width)
                    + render_findings(timeline.findings, width=width, colour=colour, indent="  ")
                )
            else:
                clean.append(timeline.pod.name)

    for job_report in report.jobs:
        if job_report.findings:
            parts.append(
                _head(_job_header(job_report), width)
                + render_findings(job_report.findings, width=width, colour=colour, indent="  ")
            )
        add_pods(job_report.timelines)
        if not job_report.timelines and not job_report.findings:
            parts.append(_job_header(job_report) + ": no pods to check\n")
    add_pods(report.pods)
    if clean:
        names = ", ".join(clean[:_MAX_NAMES]) + (
            f" and {len(clean) - _MAX_NAMES} more" if len(clean) > _MAX_NAMES else ""
        )
        parts.append("\n".join(_wrap(f"no findings: {names}", width)) + "\n")
    parts.append("\n".join(_wrap(summary_line(report).rstrip("\n"), width)) + "\n")
    return "\n".join(parts)


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings (fixYaml) as literal blocks, so the YAML inside the report stays readable."""


def _str_presenter(dumper, text):
    if "\n" in text:
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", text)


_BlockDumper.add_representer(str, _str_presenter)


def dump_report(document: dict, fmt: str) -> str:
    """The ``CheckReport`` for ``-o json`` or ``-o yaml``."""
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return yaml.dump(
        document,
        Dumper=_BlockDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
