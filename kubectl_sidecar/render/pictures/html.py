"""A timeline, or a whole check report, as one self-contained HTML file (cargo's --timings page).

No external resource and no script at all: inline CSS, the chart as inline SVG (hover a bar or a mark
for its exact times: SVG ``<title>`` tooltips), the table of marks, the findings with their evidence,
fixes and doc pages. A Content-Security-Policy ``default-src 'none'`` forbids the page every request,
so it works offline, in a mail attachment or a CI artefact, and prints (details open when printed). A
report of hundreds of pods stays light: one collapsed section per pod, pods with errors first. Every
cluster text passes :func:`xml_escape`.
"""

from __future__ import annotations

from kubectl_sidecar.about import check_page_url
from kubectl_sidecar.findings import CheckReport, Finding, PodResult, severity_rank
from kubectl_sidecar.raw import format_time
from kubectl_sidecar.render.document import report_summary
from kubectl_sidecar.render.pictures.layout import Layout, build_layout
from kubectl_sidecar.render.pictures.svg import render_empty_svg, render_svg
from kubectl_sidecar.render.pictures.text import xml_escape as esc
from kubectl_sidecar.render.rows import role_label
from kubectl_sidecar.timefmt import format_offset
from kubectl_sidecar.timeline import Timeline

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#0f172a;
margin:24px;max-width:1100px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}h3{font-size:14px;margin:12px 0 4px}
.sub{color:#475569;margin:0 0 12px}
table{border-collapse:collapse;font-size:12px;margin:4px 0 12px}
th,td{border-bottom:1px solid #e2e8f0;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f8fafc}td.msg{white-space:pre-wrap;max-width:420px;overflow-wrap:anywhere}
td.t{white-space:nowrap}code,pre,td.t{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12px}
pre{background:#f8fafc;border:1px solid #e2e8f0;padding:8px;overflow:auto}
.chart{overflow-x:auto}
.finding{border-left:4px solid #94a3b8;padding:4px 12px;margin:8px 0;background:#fcfcfd}
.finding.error{border-color:#b91c1c}.finding.warning{border-color:#d97706}.finding.info{border-color:#0369a1}
.sev{font-weight:bold;text-transform:uppercase;font-size:11px;letter-spacing:.04em}
.sev.error{color:#b91c1c}.sev.warning{color:#b45309}.sev.info{color:#0369a1}
.notes li{color:#475569}
details.pod{border:1px solid #e2e8f0;border-radius:4px;margin:6px 0;padding:4px 10px}
details.pod>summary{cursor:pointer;font-weight:600}
@media print{body{margin:0;max-width:none}details.pod>*{display:block}
details::details-content{content-visibility:visible;display:contents}.chart{overflow:visible}}
"""


def _page(title: str, body: list[str]) -> str:
    head = (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="kubectl-sidecar">\n<title>{esc(title)}</title>\n'
        f"<style>{STYLE}</style>\n</head>\n<body>\n"
    )
    return head + "\n".join(body) + "\n</body>\n</html>\n"


def _chart(timeline: Timeline, layout: Layout | None, prefix: str) -> str:
    if layout is None:
        return f'<div class="chart">{render_empty_svg(f"pod {timeline.pod.name}", standalone=False)}</div>'
    return f'<div class="chart">{render_svg(layout, prefix=prefix, standalone=False)}</div>'


def render_findings(findings: tuple[Finding, ...] | list[Finding]) -> list[str]:
    """Each finding: severity, code, container, message, evidence, assumptions, fix (and its YAML), doc."""
    out = []
    for f in sorted(findings, key=lambda f: f.sort_key()):
        where = f.container or ("(pod)" if f.pod else "(job)")
        out.append(f'<div class="finding {esc(f.severity)}" data-code="{esc(f.code)}">')
        out.append(
            f'<p><span class="sev {esc(f.severity)}">{esc(f.severity)}</span> <b>{esc(f.code)}</b> '
            f"{esc(f.title)} · <code>{esc(where)}</code></p>"
        )
        out.append(f"<p>{esc(f.message)}</p>")
        if f.evidence:
            out.append("<p>Evidence:</p><ul>" + "".join(f"<li>{esc(e)}</li>" for e in f.evidence) + "</ul>")
        if f.assumptions:
            out.append("<p>Assumed:</p><ul>" + "".join(f"<li>{esc(a)}</li>" for a in f.assumptions) + "</ul>")
        if f.fix:
            out.append(f"<p>Fix: {esc(f.fix)}</p>")
        if f.fix_yaml:
            out.append(f"<pre>{esc(f.fix_yaml, lines=True)}</pre>")
        out.append(
            f"<p>Docs: <code>kubectl sidecar explain {esc(f.code)}</code> or "
            f"<code>{esc(check_page_url(f.code))}</code></p></div>"
        )
    return out


def render_marks_table(timeline: Timeline) -> list[str]:
    """Every mark: offset, exact UTC time, container, role, event, detail, source and message."""
    roles = {c.name: role_label(c.container) for c in timeline.containers}
    out = [
        '<table class="marks"><thead><tr><th>offset</th><th>time (UTC)</th><th>container</th><th>role</th>'
        "<th>event</th><th>detail</th><th>source</th><th>message</th></tr></thead><tbody>"
    ]
    for m in timeline.marks:
        who = m.container or ("(job)" if list(m.sources) == ["job"] else "(pod)")
        out.append(
            f'<tr><td class="t">{esc(format_offset(m.time, timeline.origin, m.precision))}</td>'
            f'<td class="t">{esc(format_time(m.time))}</td><td>{esc(who)}</td>'
            f"<td>{esc(roles.get(m.container or '', ''))}</td><td>{esc(m.kind)}</td><td>{esc(m.detail)}</td>"
            f'<td>{esc(m.source)}</td><td class="msg">{esc(m.message or "", lines=True)}</td></tr>'
        )
    out.append("</tbody></table>")
    return out


def _notes(notes: list[str] | tuple[str, ...]) -> list[str]:
    if not notes:
        return []
    return ['<ul class="notes">' + "".join(f"<li>note: {esc(n)}</li>" for n in notes) + "</ul>"]


def render_pod_page(result: PodResult, layout: Layout | None) -> str:
    """``timeline -o html``: the chart, the findings, the marks and the notes of one pod."""
    timeline = result.timeline
    title = layout.title if layout else f"pod {timeline.pod.name}"
    body = [f"<h1>{esc(title)}</h1>"]
    if layout is not None:
        body.append(f'<p class="sub">{esc(layout.subtitle)}</p>')
    body.append(_chart(timeline, layout, "ks"))
    body += _notes(timeline.notes)
    body.append(f"<h2>Findings ({len(result.findings)})</h2>")
    body += render_findings(result.findings) or ["<p>No findings.</p>"]
    body.append(f"<h2>Marks ({len(timeline.marks)})</h2>")
    body += render_marks_table(timeline)
    return _page(title, body)


def render_report_page(report: CheckReport) -> str:
    """``check -o html``: the summary, the Jobs' findings, then every pod (errors first), collapsed."""
    summary = report_summary(report)
    title = f"kubectl sidecar check: {report.target.describe()}"
    version = report.cluster_version.git_version if report.cluster_version else "unknown"
    counts = ", ".join(f"{n} {s}" for s, n in summary["bySeverity"].items())
    verdict = "fails" if summary["failed"] else "passes"
    body = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="sub">Kubernetes {esc(version)} · {summary["jobs"]} Jobs · {summary["pods"]} pods · '
        f"{summary['findings']} findings ({esc(counts)}) · {verdict} --fail-on {esc(summary['failOn'])} "
        f"(exit {summary['exitCode']})</p>",
    ]
    body += _notes(report.notes)
    for job in report.jobs:
        if job.findings:
            body.append(f"<h2>Job {esc(job.name)} ({esc(job.job.state)})</h2>")
            body += render_findings(job.findings)
    results = report.results()

    def rank(indexed: tuple[int, PodResult]) -> tuple:
        worst = max((severity_rank(f.severity) for f in indexed[1].findings), default=-1)
        return (-worst, -len(indexed[1].findings), indexed[0])

    ordered = sorted(enumerate(results), key=rank)
    body.append(f"<h2>Pods ({len(results)})</h2>")
    body.append(
        '<table class="pods"><thead><tr><th>pod</th><th>namespace</th><th>phase</th><th>error</th>'
        "<th>warning</th><th>info</th></tr></thead><tbody>"
    )
    for index, result in ordered:
        pod = result.timeline.pod
        n = {s: sum(1 for f in result.findings if f.severity == s) for s in ("error", "warning", "info")}
        body.append(
            f'<tr><td><a href="#pod-{index}">{esc(pod.name)}</a></td><td>{esc(pod.namespace or "")}</td>'
            f"<td>{esc(pod.phase or '')}</td><td>{n['error']}</td><td>{n['warning']}</td><td>{n['info']}</td></tr>"
        )
    body.append("</tbody></table>")
    few = len(results) <= 20
    for index, result in ordered:
        timeline = result.timeline
        pod = timeline.pod
        worst = max((severity_rank(f.severity) for f in result.findings), default=-1)
        opened = " open" if few and worst >= severity_rank("error") else ""
        body.append(
            f'<details class="pod" id="pod-{index}"{opened}><summary>pod {esc(pod.name)}'
            f"{f' ({esc(pod.phase)})' if pod.phase else ''}{f' in {esc(pod.namespace)}' if pod.namespace else ''}"
            f" · {len(result.findings)} findings</summary>"
        )
        if timeline.containers:
            body.append(_chart(timeline, build_layout(timeline), f"p{index}"))
        body += render_findings(result.findings) or ["<p>No findings.</p>"]
        body.append("</details>")
    return _page(title, body)
