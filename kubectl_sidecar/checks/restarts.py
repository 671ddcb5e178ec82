"""Sidecars that keep restarting (SC008): restartCount, Started and BackOff events, CrashLoopBackOff."""

from __future__ import annotations

from kubectl_sidecar.checks import catalogue, prose, queries
from kubectl_sidecar.checks.context import CheckContext
from kubectl_sidecar.findings import Finding
from kubectl_sidecar.timeline import Timeline


def check_sidecar_restarts(timeline: Timeline, context: CheckContext) -> list[Finding]:
    """SC008: a sidecar keeps restarting."""
    findings = []
    app_cts = queries.apps(timeline)
    for ct in queries.sidecars(timeline):
        if not queries.keeps_restarting(ct):
            continue
        count = queries.restarts(ct)
        backoffs = queries.back_offs(ct)
        parts = [f"{count} restart{'s' if count != 1 else ''}"]
        if backoffs:
            parts.append(f"{sum(e.count for e in backoffs)} BackOff event(s)")
        if ct.waiting_reason == "CrashLoopBackOff":
            parts.append("now waiting in CrashLoopBackOff")
        message = f"{ct.name} keeps restarting: " + ", ".join(parts)
        evidence = []
        if ct.restart_count is not None:
            evidence.append(f"restartCount {ct.restart_count}")
        if ct.event_starts:
            starts = [e for e in ct.events if e.reason == "Started"]
            last = max(e.last for e in starts)
            evidence.append(f"Started events: {ct.event_starts}, the last at {prose.at(timeline, last)}")
        for event in backoffs:
            evidence.append(
                f"BackOff x{event.count} from {prose.at(timeline, event.first)} to "
                f"{prose.offset(timeline, event.last)}"
            )
        if ct.waiting_reason:
            evidence.append(f"state waiting ({ct.waiting_reason})")
        exits = [r for r in ct.known_runs() if r.finished_at is not None]
        reasons = set()
        for run in exits[-3:]:
            code, reason = queries.real_exit(run)
            reasons.add(reason)
            line = f"exited with {prose.describe_exit(code, reason)} at {prose.at(timeline, run.finished_at)}"
            busy = [app.name for app in app_cts if queries.running_at(app, run.finished_at)]
            if busy:
                line += f" while {', '.join(busy)} {'was' if len(busy) == 1 else 'were'} running"
            evidence.append(line)
        probes = [e for e in ct.events if e.reason == "Unhealthy" and "liveness" in e.message.lower()]
        for event in probes:
            evidence.append(
                f"Unhealthy (liveness) x{event.count}, the last at {prose.at(timeline, event.last)}"
            )
        logs = f"kubectl logs {timeline.pod.name} -c {ct.name} --previous"
        if "OOMKilled" in reasons:
            fix = f"It runs out of memory (OOMKilled): raise its memory limit. Check {logs}."
        elif probes:
            fix = (
                "Its liveness probe fails and the kubelet restarts it: check the probe's endpoint and "
                f"timing, and {logs}."
            )
        else:
            fix = (
                f"Find out why it exits: {logs}, and its termination message. Each restart leaves the app "
                "containers without it for the back-off delay (up to 5 minutes)."
            )
        findings.append(
            catalogue.make_finding("SC008", timeline, ct.name, message, evidence=evidence, fix=fix)
        )
    return findings
