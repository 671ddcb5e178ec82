"""The application layer: snapshot in, timeline and rendered text out. No flags, no terminal, no network."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from kubectl_sidecar import checks
from kubectl_sidecar.checks.report import CheckReport, JobReport
from kubectl_sidecar.checks.targets import Target, select
from kubectl_sidecar.options import RenderOptions
from kubectl_sidecar.render import document, findings, gantt, table
from kubectl_sidecar.snapshot import Snapshot
from kubectl_sidecar.timeline import Timeline, build_timeline


def timeline_for_pod(snapshot: Snapshot, pod: dict, *, declared_sidecars: Iterable[str] = (),
                     now: datetime | None = None) -> Timeline:
    """Build the timeline of one pod of a snapshot, with everything the snapshot knows about it, and
    fill its findings."""
    node = snapshot.node_for(pod)
    result = build_timeline(
        pod, snapshot.events_for(pod), job=snapshot.job_for(pod), node=node,
        cluster_version=snapshot.server_version, declared_sidecars=declared_sidecars,
        events_state=snapshot.events_state, now=now,
    )
    context = checks.CheckContext(now=now, node_version=checks.node_version(node))
    result.findings = checks.check_timeline(result, context)
    return result


def render_timeline(timeline: Timeline, opts: RenderOptions) -> str:
    """The whole stdout of ``timeline`` for one pod, as one string (written only once complete)."""
    if opts.output in ("json", "yaml"):
        return document.dump(document.timeline_to_dict(timeline), opts.output)
    parts = [table.render_table(timeline, wide=opts.output == "wide", absolute=opts.absolute_time, utc=opts.utc)]
    if opts.chart:
        chart = gantt.render_gantt(timeline, width=opts.width, colour=opts.colour, ascii_only=opts.ascii_only)
        if chart:
            parts.append(chart)
    if timeline.findings:
        parts.append(findings.render_timeline_findings(timeline, width=opts.width, colour=opts.colour,
                                                       details=opts.output == "wide"))
    return "\n".join(parts)


def check_snapshot(snapshot: Snapshot, target: Target, *, declared_sidecars: Iterable[str] = (),
                   now: datetime | None = None, fail_on: str = checks.ERROR, progress=None) -> CheckReport:
    """Check the Jobs and pods ``target`` names in ``snapshot``: every pod's timeline and findings.

    ``progress(done, total)`` is called after each pod, for a progress indicator.
    """
    selection = select(snapshot, target)
    report = CheckReport(target=target, notes=list(selection.notes), cluster_version=snapshot.server_version,
                         fail_on=fail_on)
    total = selection.pod_count()
    done = 0
    context = checks.CheckContext(now=now)

    def one(pod: dict) -> Timeline:
        nonlocal done
        result = timeline_for_pod(snapshot, pod, declared_sidecars=declared_sidecars, now=now)
        done += 1
        if progress is not None:
            progress(done, total)
        return result

    for job, pods in selection.jobs:
        job_report = JobReport(job=job, timelines=[one(p) for p in pods])
        job_report.findings = checks.check_job(job, checks.job_events(snapshot, job), context)
        report.jobs.append(job_report)
    report.pods = [one(p) for p in selection.pods]
    return report


def render_check(report: CheckReport, output: str, *, width: int = 80, colour: bool = False) -> str:
    """The whole stdout of ``check``."""
    if output in ("json", "yaml"):
        return findings.dump_report(report.to_dict(), output)
    return findings.render_report(report, width=width, colour=colour)
