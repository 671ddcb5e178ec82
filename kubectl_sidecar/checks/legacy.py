"""Legacy-marked sidecars (ACS ``__IS_SIDECAR__``, ECI, OpenKruise): stale status (SC004), the native
form on clusters that have it (SC005), exit codes the platform forced (SC007)."""

from __future__ import annotations

from datetime import datetime

from kubectl_sidecar.checks import catalogue, fixes, platform, prose, queries
from kubectl_sidecar.checks.context import CheckContext
from kubectl_sidecar.findings import Finding
from kubectl_sidecar.model import (
    LEGACY_KINDS,
    SECTION_REGULAR,
    Container,
    ContainerState,
    MarkKind,
    RunState,
    SidecarKind,
)
from kubectl_sidecar.timeline import ContainerTimeline, Run, Timeline

_MARKER_TEXT = {
    SidecarKind.ACS: "__IS_SIDECAR__ (ACS)",
    SidecarKind.ECI: "ECI_CONTAINER_TYPE=sidecar (ECI)",
    SidecarKind.KRUISE: "KRUISE_TERMINATE_SIDECAR_WHEN_JOB_EXIT (OpenKruise)",
}


def _legacy_markers(container: Container) -> list[SidecarKind]:
    return [m for m in container.markers if m in LEGACY_KINDS]


def check_stale_legacy_status(timeline: Timeline, context: CheckContext) -> list[Finding]:
    """SC004: a legacy sidecar's status shows terminated or waiting, yet it ran again later."""
    findings = []
    for ct in queries.sidecars(timeline):
        if ct.container.sidecar_kind not in LEGACY_KINDS or ct.state not in (
            ContainerState.TERMINATED,
            ContainerState.WAITING,
        ):
            continue
        status_runs = [r for r in ct.runs if r.source.startswith("status")]
        last_status = max([t for r in status_runs for t in (r.started_at, r.finished_at) if t], default=None)
        later = [
            e
            for e in ct.events
            if e.reason == "Started"
            and e.last is not None
            and (last_status is None or prose.earlier(last_status, e.last))
        ]
        event_runs = [r for r in ct.runs if r.state == RunState.UNKNOWN]
        uncounted = sum(r.count for r in ct.runs if r.state == RunState.IMPLIED and r.source == "event count")
        restarted_by_platform = (
            ct.state == RunState.TERMINATED
            and (ct.restart_count or 0) > 0
            and timeline.pod.restart_policy == "Never"
            and timeline.pod.phase == "Running"
        )
        if not later and not event_runs and not uncounted and not restarted_by_platform:
            continue
        shown = _shown_state(timeline, ct, status_runs)
        evidence = [f"status: {shown}"]
        last_start = max(
            [e.last for e in later] + [r.started_at for r in event_runs if r.started_at], default=None
        )
        if later:
            starts = sum(e.count for e in ct.events if e.reason == "Started")
            evidence.append(
                f"Started events: {starts} start(s), the last at {prose.at(timeline, last_start)}"
            )
        if uncounted:
            evidence.append(
                f"{uncounted} more start(s) counted by events than status and event times describe"
            )
        if restarted_by_platform:
            evidence.append(
                f"restartCount {ct.restart_count} in a pod with restartPolicy Never: only the "
                "platform restarts such a container, and its state was not updated after that"
            )
        backoffs = queries.back_offs(ct)
        for event in backoffs:
            evidence.append(
                f"BackOff events: {event.count}, from {prose.at(timeline, event.first)} to "
                f"{prose.offset(timeline, event.last)}"
            )
        likely = _likely_state(timeline, ct, last_start)
        message = f"the status of {ct.name} shows {shown}, but it ran again later: it is most likely {likely}"
        view = platform.version_view(timeline, context)
        fix = (
            f"Read {ct.name}'s real state from its events and logs (kubectl logs {timeline.pod.name} -c "
            f"{ct.name}), not from its status. On Kubernetes 1.29+ the status of a restarted legacy "
            "sidecar is not updated (a container of a restartPolicy Never pod may not go from terminated "
            "back to running); native sidecars are exempt: move it to a native sidecar (YAML below)."
        )
        fix_yaml = None
        if view.native is not False:
            fix_yaml = fixes.native_sidecar_yaml(
                timeline, [ct.name], drop_env=platform.legacy_env_name(ct.container)
            )
        findings.append(
            catalogue.make_finding(
                "SC004",
                timeline,
                ct.name,
                message,
                evidence=evidence,
                fix=fix,
                fix_yaml=fix_yaml,
                assumptions=[view.assumption],
            )
        )
    return findings


def _shown_state(timeline: Timeline, ct: ContainerTimeline, status_runs: list[Run]) -> str:
    if ct.state == ContainerState.WAITING:
        return f"waiting ({ct.waiting_reason or 'no reason'})"
    run = queries.final_run(ct)
    if run is None:
        return "terminated"
    code, reason = queries.real_exit(run)
    return f"terminated with {prose.describe_exit(code, reason)} at {prose.at(timeline, run.finished_at)}"


def _likely_state(timeline: Timeline, ct: ContainerTimeline, last_start: datetime | None) -> str:
    """What the events say happened last: running since the last start, or crash-looping, or stopping."""
    if last_start is None:
        return "running or restarting (restartCount grew; no event says when it last started)"
    after = [
        m
        for m in timeline.marks
        if m.container == ct.name
        and m.kind not in (MarkKind.STARTED,)
        and prose.earlier(last_start, m.last or m.time)
        and m.kind in (MarkKind.BACK_OFF, MarkKind.STOP_REQUESTED)
    ]
    if after:
        mark = after[-1]
        if mark.kind == MarkKind.BACK_OFF:
            return f"crash-looping (back-off at {prose.offset(timeline, mark.last or mark.time)})"
        return f"stopping since {prose.at(timeline, mark.time)} (Killing event)"
    if timeline.pod.phase in ("Succeeded", "Failed"):
        return (
            f"ended with the pod; it had run since {prose.at(timeline, last_start)}, the last Started event"
        )
    return f"running since {prose.at(timeline, last_start)}, the last Started event"


def check_legacy_marker_on_native_cluster(timeline: Timeline, context: CheckContext) -> list[Finding]:
    """SC005: a legacy sidecar marker on a cluster with native sidecars (1.29+): the native form."""
    view = platform.version_view(timeline, context)
    if view.native is not True:
        return []
    findings = []
    for ct in timeline.containers:
        markers = _legacy_markers(ct.container)
        if not markers or ct.container.section != SECTION_REGULAR:
            continue
        marker = _MARKER_TEXT[markers[0]]
        version = f"Kubernetes {view.label}" if view.known else "this cluster (assumed 1.29+)"
        message = (
            f"{ct.name} is marked as a sidecar with {marker}; {version} has native sidecars: declare it "
            "as an init container with restartPolicy: Always"
        )
        evidence = [
            f"{ct.name}: env {platform.legacy_env_name_of(markers[0])} in spec.containers",
            f"cluster version {view.describe()}",
        ]
        if timeline.platform.acs or timeline.platform.virtual_node:
            evidence.append("ACS/ECI: " + ", ".join(timeline.platform.evidence))
        fix = (
            "Native sidecars start before the app containers, are restarted whatever the pod's "
            "restartPolicy, are stopped after the apps exit without failing the pod, and their status "
            "stays accurate. ACS recommends them from 1.29 on: the status of a restarted legacy sidecar "
            "is no longer updated there (SC004)."
        )
        fix_yaml = fixes.native_sidecar_yaml(
            timeline, [ct.name], drop_env=platform.legacy_env_name_of(markers[0])
        )
        findings.append(
            catalogue.make_finding(
                "SC005",
                timeline,
                ct.name,
                message,
                evidence=evidence,
                fix=fix,
                fix_yaml=fix_yaml,
                assumptions=[view.assumption],
            )
        )
    return findings


def check_forced_exit_code(timeline: Timeline, context: CheckContext) -> list[Finding]:
    """SC007: the platform reported success for a sidecar and kept the real exit code in the message."""
    findings = []
    for ct in timeline.containers:
        for run in ct.runs:
            if not run.forced:
                continue
            real = f"exit code {run.original_exit_code}"
            if run.original_reason:
                real += f", reason {run.original_reason}"
            signal = prose.describe_exit(run.original_exit_code)
            if signal != str(run.original_exit_code):
                real += f" ({signal.split(' ', 1)[1].strip('()')})"
            message = (
                f"the platform forced {ct.name}'s exit code: it reports {run.exit_code} "
                f"({run.reason or 'no reason'}), but the container really ended with {real}"
            )
            evidence = [
                (
                    f"{ct.name} finished at {prose.at(timeline, run.finished_at)}: exitCode "
                    f'{run.exit_code}, reason {run.reason or "-"}, message "{run.message}" ({run.source})'
                )
            ]
            if run.original_exit_code == 137:
                evidence.append("137 is 128 + 9: the process was killed with SIGKILL")
            elif run.original_exit_code == 143:
                evidence.append("143 is 128 + 15: the process ended on SIGTERM")
            fix = (
                "Nothing to fix when this exit is expected: ACS/ECI stop a legacy sidecar once the app "
                "containers have exited and report success so the Job completes. Read the real code "
                f"from the message (kubectl get pod {timeline.pod.name} -o jsonpath='{{.status."
                f'containerStatuses[?(@.name=="{ct.name}")].state.terminated.message}}\').'
            )
            if run.original_exit_code == 137:
                fix += " A 137 there means it did not stop on SIGTERM (see SC010)."
            findings.append(
                catalogue.make_finding("SC007", timeline, ct.name, message, evidence=evidence, fix=fix)
            )
    return findings
