"""Start and stop order: an app that started before its sidecar (SC001), a sidecar that ended while the
apps still needed it (SC002)."""

from __future__ import annotations

from datetime import datetime, timedelta

from kubectl_sidecar.checks import catalogue, fixes, platform, prose, queries
from kubectl_sidecar.checks.context import CheckContext
from kubectl_sidecar.checks.platform import VersionView
from kubectl_sidecar.findings import Finding
from kubectl_sidecar.model import LEGACY_KINDS, Container, SidecarKind
from kubectl_sidecar.timeline import ContainerTimeline, Run, Timeline


def check_app_started_before_sidecar(timeline: Timeline, context: CheckContext) -> list[Finding]:
    """SC001: an app container started before a sidecar had started (or its startupProbe could pass)."""
    findings = []
    app_starts = [(ct, queries.first_start(ct)) for ct in queries.apps(timeline)]
    for sidecar in queries.sidecars(timeline):
        started = queries.first_start(sidecar)
        if started is None:
            continue
        delay = (
            queries.spec_of(timeline, sidecar.container).startup_delay
            if sidecar.container.has_startup_probe
            else 0
        )
        # Whole seconds: the app surely started first only if its second ended before the sidecar's
        # earliest possible "started" (its start second, plus the probe's initial delay).
        ready_at = prose.second(started) + timedelta(seconds=delay)
        early = [
            (app, when) for app, when in app_starts if when is not None and prose.second(when) < ready_at
        ]
        if not early:
            continue
        names = ", ".join(f"{app.name} (at {prose.offset(timeline, when)})" for app, when in early)
        if sidecar.container.has_startup_probe and delay:
            message = (
                f"{names} started before sidecar {sidecar.name}'s startupProbe could have passed: "
                f"the sidecar started at {prose.offset(timeline, started)} and its probe waits "
                f"{delay}s (initialDelaySeconds), so it was not ready before "
                f"{prose.offset(timeline, ready_at)}"
            )
        else:
            message = (
                f"{names} started before sidecar {sidecar.name} had started "
                f"({prose.offset(timeline, started)})"
            )
        evidence = [
            f"{sidecar.name} ({_kind(sidecar.container)}) first started at {prose.at(timeline, started)}"
        ]
        if sidecar.container.has_startup_probe:
            evidence.append(f"{sidecar.name} has a startupProbe with initialDelaySeconds {delay}")
        evidence += [f"{app.name} (app) first started at {prose.at(timeline, when)}" for app, when in early]
        view = platform.version_view(timeline, context)
        findings.append(
            catalogue.make_finding(
                "SC001",
                timeline,
                sidecar.name,
                message,
                evidence=evidence,
                fix=_sc001_fix(timeline, sidecar, view),
                fix_yaml=_sc001_yaml(timeline, sidecar, view),
                assumptions=[view.assumption] if sidecar.container.sidecar_kind != SidecarKind.NATIVE else [],
            )
        )
    return findings


def _kind(container: Container) -> str:
    return f"{container.sidecar_kind} sidecar" if container.sidecar_kind else container.role


def _sc001_fix(timeline: Timeline, sidecar: ContainerTimeline, view: VersionView) -> str:
    kind = sidecar.container.sidecar_kind
    if kind == SidecarKind.NATIVE:
        if sidecar.container.has_startup_probe:
            return (
                "The kubelet starts the next container only once a native sidecar's startupProbe has "
                "passed; here it did not wait. Check that the node's kubelet supports native sidecars "
                "(1.29+; virtual nodes may not order containers) and, until it does, let the app retry "
                "its first use of the sidecar."
            )
        return (
            "A native sidecar without a startupProbe counts as started as soon as its process runs, "
            "and the app may still start before it: add a startupProbe that passes when the sidecar is "
            "ready. If the app started even before the sidecar's process, the node did not order "
            "containers (virtual nodes may not): let the app retry its first use of the sidecar."
        )
    honoured = kind in (SidecarKind.ACS, SidecarKind.ECI) and platform.on_alibaba_serverless(timeline)
    head = (
        "The platform starts a legacy-marked sidecar first but does not wait for it to be ready. "
        if honoured
        else "Regular containers start in spec order without waiting for each other. "
    )
    if kind == SidecarKind.MESH:
        return head + fixes.MESH_NATIVE_FIX
    if view.native is not False:
        return head + (
            "Make it a native sidecar with a startupProbe: the kubelet then starts the app "
            "containers only once the probe has passed (YAML below)."
        )
    extra = " For Istio, set holdApplicationUntilProxyStarts." if kind == SidecarKind.MESH else ""
    return head + (
        "This cluster has no native sidecars: list the sidecar before the app and give it a "
        "postStart hook that waits until it is ready (the kubelet starts the next container "
        "only after postStart returns), or let the app retry." + extra
    )


def _sc001_yaml(timeline: Timeline, sidecar: ContainerTimeline, view: VersionView) -> str | None:
    if view.native is False:
        return None
    if sidecar.container.sidecar_kind == SidecarKind.NATIVE and sidecar.container.has_startup_probe:
        return None
    if sidecar.container.sidecar_kind == SidecarKind.MESH:
        return fixes.mesh_native_yaml(timeline, [sidecar.container])
    drop = (
        platform.legacy_env_name(sidecar.container)
        if sidecar.container.sidecar_kind in LEGACY_KINDS
        else None
    )
    return fixes.native_sidecar_yaml(timeline, [sidecar.name], drop_env=drop, probe=True)


def _running_apps(app_cts: list[ContainerTimeline], when: datetime) -> list[tuple[ContainerTimeline, Run]]:
    """The app containers certainly running at ``when``, each with its run then."""
    running = [(app, queries.running_at(app, when)) for app in app_cts]
    return [(app, run) for app, run in running if run is not None]


def check_sidecar_stopped_early(timeline: Timeline, context: CheckContext) -> list[Finding]:
    """SC002: a sidecar terminated while app containers were still running, outside pod termination.

    A sidecar that keeps restarting is left to SC008, which names these exits in its evidence.
    """
    findings = []
    app_cts = queries.apps(timeline)
    ending = queries.termination_start(timeline)
    for sidecar in queries.sidecars(timeline):
        if queries.keeps_restarting(sidecar):
            continue
        incidents = []
        for run in sidecar.known_runs():
            finish = run.finished_at
            if finish is None or (ending is not None and not prose.earlier(finish, ending)):
                continue
            running = _running_apps(app_cts, finish)
            if running:
                incidents.append((run, finish, running))
        if not incidents:
            continue
        run, first_exit, running = incidents[0]
        code, reason = queries.real_exit(run)
        names = ", ".join(app.name for app, _ in running)
        message = (
            f"{sidecar.name} exited with {prose.describe_exit(code, reason)} at "
            f"{prose.offset(timeline, run.finished_at)} while {names} "
            f"{'was' if len(running) == 1 else 'were'} still running"
        )
        if len(incidents) > 1:
            message += f" ({len(incidents)} such exits)"
        evidence = []
        for run, _, running in incidents[:3]:
            code, reason = queries.real_exit(run)
            evidence.append(
                f"{sidecar.name}: run from {prose.at(timeline, run.started_at)} ended at "
                f"{prose.at(timeline, run.finished_at)} with {prose.describe_exit(code, reason)} "
                f"({run.source})"
            )
            for app, app_run in running:
                evidence.append(
                    f"{app.name}: running since {prose.at(timeline, app_run.started_at)}"
                    + (f" until {prose.offset(timeline, app_run.finished_at)}" if app_run.finished_at else "")
                )
        for mark in queries.stop_requests(timeline, sidecar.name):
            if mark.time <= first_exit:
                evidence.append(
                    f"Killing event at {prose.at(timeline, mark.time)}: {mark.message or ''}".rstrip(": ")
                )
        evidence.append(
            "no deletion or eviction of the pod before then"
            if ending is None
            else f"the pod's termination began only at {prose.at(timeline, ending)}"
        )
        findings.append(
            catalogue.make_finding(
                "SC002",
                timeline,
                sidecar.name,
                message,
                evidence=evidence,
                fix=_sc002_fix(timeline, sidecar, incidents[0][0], platform.version_view(timeline, context)),
            )
        )
    return findings


def _sc002_fix(timeline: Timeline, sidecar: ContainerTimeline, run: Run, view: VersionView) -> str:
    _, reason = queries.real_exit(run)
    pod = timeline.pod.name
    logs = f"kubectl logs {pod} -c {sidecar.name} --previous"
    if reason == "OOMKilled":
        cause = f"It was OOMKilled: raise its memory limit (and check {logs}). "
    else:
        cause = f"Find out why it exited ({logs}, or its termination message). "
    kind = sidecar.container.sidecar_kind
    if kind == SidecarKind.NATIVE:
        return cause + "The kubelet restarts a native sidecar, but the app ran without it in between."
    if view.native is not False:
        return cause + (
            "A regular container is not restarted in a pod with restartPolicy Never, and a "
            "legacy sidecar's restarts are hard to see: make it a native sidecar (an init "
            "container with restartPolicy: Always), which the kubelet restarts whatever the "
            "pod's restartPolicy."
        )
    return cause + "On this cluster a regular container is restarted only as the pod's restartPolicy says."
