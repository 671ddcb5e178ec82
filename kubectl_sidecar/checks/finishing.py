"""Whether a pod meant to run to completion can finish: blocked by a regular container that outlives the
apps (SC003: Job pods, bare pods with restartPolicy Never or OnFailure, workflow steps, task workers), or
a Job's pod failed only because of a sidecar's exit code (SC012)."""

from __future__ import annotations

from datetime import datetime, timedelta

from kubectl_sidecar.checks import catalogue, fixes, platform, prose, queries
from kubectl_sidecar.checks.context import CheckContext
from kubectl_sidecar.checks.platform import VersionView
from kubectl_sidecar.findings import Finding, Severity
from kubectl_sidecar.model import LEGACY_KINDS, Role, RunState, SidecarKind
from kubectl_sidecar.timeline import ContainerTimeline, Timeline


def _is_job_pod(timeline: Timeline) -> bool:
    return timeline.pod.job is not None or timeline.job is not None


def _blocker_reason(
    timeline: Timeline, ct: ContainerTimeline, last_exit: datetime, reference: datetime | None
) -> str | None:
    """Why a regular container still running after the apps exited keeps the pod alive; ``None`` if
    the data does not show that it does (yet)."""
    container = ct.container
    waited = (reference - last_exit) if reference is not None and last_exit is not None else None
    overdue = waited if waited is not None and waited >= queries.BLOCK_AFTER else None  # once long enough
    stopping = [m for m in queries.stop_requests(timeline, ct.name) if not prose.earlier(m.time, last_exit)]
    if container.role == Role.SIDECAR and container.sidecar_kind in LEGACY_KINDS:
        honoured, why = platform.legacy_honoured(timeline, container)
        if honoured is False:
            return f"a legacy marker this cluster does not honour: {why}"
        if overdue is None or stopping:
            return None  # the platform stops it after the apps exit; give it time
        if honoured is None:
            return (
                f"{why}, and nothing stopped it {prose.span(overdue.total_seconds())} after the app "
                "containers exited: is OpenKruise's SidecarTerminator installed and enabled?"
            )
        return (
            f"the platform should have stopped it ({why}), yet it still runs "
            f"{prose.span(overdue.total_seconds())} after the app containers exited"
        )
    if stopping and overdue is None:
        return None
    if container.role == Role.SIDECAR and container.known is not None:
        return (
            f"{container.known.title}, known to the sidecar catalogue by its {container.known_by} "
            f"({container.known.name}), runs as a regular container: it runs until it is told to exit"
        )
    if container.role == Role.SIDECAR and container.sidecar_kind == SidecarKind.DECLARED:
        return "declared a sidecar (--sidecar), but the pod runs it as a regular container"
    word = queries.looks_like_sidecar(container)
    if word:
        return f'an unmarked sidecar: its name or image says "{word}", but nothing marks it as a sidecar'
    if overdue is not None:
        return (
            f"a regular container still running {prose.span(overdue.total_seconds())} after the other "
            "containers exited: an unmarked sidecar?"
        )
    if waited is not None and waited.total_seconds() >= 0:
        return (
            f"a regular container still running {prose.span(waited.total_seconds())} after the other "
            "containers exited: it may still be at work, or be an unmarked sidecar"
        )
    return None


def _certainty(
    timeline: Timeline, ct: ContainerTimeline, last_exit: datetime, reference: datetime | None
) -> str:
    """How sure a blocker keeps the pod alive: ``error`` when something names it a sidecar (a marker, the
    catalogue, --sidecar, its name or image) or once it has outlived the apps by
    :data:`queries.BLOCK_AFTER`; ``info`` before that for a container nothing names (it may be an app
    still at work)."""
    container = ct.container
    if container.role == Role.SIDECAR or queries.looks_like_sidecar(container):
        return "error"
    waited = (reference - last_exit) if reference is not None else None
    return "error" if waited is not None and waited >= queries.BLOCK_AFTER else "info"


def check_job_pod_can_finish(timeline: Timeline, context: CheckContext) -> list:
    """SC003: a pod meant to run to completion cannot finish: its apps exited, a regular container keeps
    it running."""
    if not timeline.pod.runs_to_completion:
        return []
    view = platform.version_view(timeline, context)
    if timeline.pod.phase == "Failed":
        return _failed_at_deadline(timeline, view) if _is_job_pod(timeline) else []
    if timeline.pod.phase not in ("Running", None) or queries.termination_start(timeline) is not None:
        return []
    regular = queries.regular(timeline)
    exited = []  # app containers only: a sidecar that exited (crashed, or a stale status) is no app's end
    for ct in regular:
        run = queries.final_run(ct)
        if (
            ct.container.role != Role.SIDECAR
            and ct.state == RunState.TERMINATED
            and run is not None
            and run.finished_at is not None
            and not queries.will_restart(timeline, run)
        ):
            exited.append((ct, run))
    running = [ct for ct in regular if queries.is_running(ct)]
    if not exited or not running:
        return []
    last_exit = max(run.finished_at for _, run in exited if run.finished_at is not None)  # all have one
    reference = queries.reference_time(timeline, context)
    blockers = [(ct, _blocker_reason(timeline, ct, last_exit, reference)) for ct in running]
    if any(why is None for _, why in blockers):
        return []  # something still running may be an app at work: the pod is not (yet) shown blocked
    # the severity rises with what is known: the least certain blocker decides (one that may be an app
    # at work means the pod is not shown blocked yet)
    levels = [_certainty(timeline, ct, last_exit, reference) for ct, _ in blockers]
    severity = min(levels, key=("info", "error").index)
    names = ", ".join(ct.name for ct, _ in blockers)
    app_names = ", ".join(ct.name for ct, _ in exited)
    verb = "exited at" if len(exited) == 1 else "exited by"
    whose, consequence = _whose_pod(timeline)
    keeps = f"keep{'s' if len(blockers) == 1 else ''} running"
    if severity == "info":  # nothing says it is a sidecar, and not for long yet
        message = (
            f"{whose} may not finish: {app_names} {verb} {prose.offset(timeline, last_exit)}, but "
            f"{names} {keeps}; if it is a sidecar rather than an app at work, the pod stays Running and "
            f"{consequence}"
        )
    else:
        message = (
            f"{whose} cannot finish: {app_names} {verb} {prose.offset(timeline, last_exit)}, but "
            f"{names} {keeps}, so the pod stays Running and {consequence}"
        )
    evidence: list[str | None] = [
        f"{ct.name} exited with {prose.describe_exit(*queries.real_exit(run))} at "
        f"{prose.at(timeline, run.finished_at)}"
        for ct, run in exited
    ]
    for ct, why in blockers:
        run = next((r for r in reversed(ct.runs) if r.state == RunState.RUNNING), None)
        since = f" since {prose.at(timeline, run.started_at)}" if run and run.started_at else ""
        evidence.append(f"{ct.name} is running{since}: {why}")
    evidence.append(_owner_evidence(timeline))
    evidence += _job_evidence(timeline)
    evidence.append(_snapshot_evidence(timeline, context, reference))
    return [
        catalogue.make_finding(
            "SC003",
            timeline,
            blockers[0][0].name,
            message,
            evidence=evidence,
            fix=_sc003_fix(timeline, [ct for ct, _ in blockers], view),
            fix_yaml=_sc003_yaml(timeline, [ct for ct, _ in blockers], view),
            assumptions=[view.assumption],
            severity=Severity(severity),
        )
    ]


def _whose_pod(timeline: Timeline) -> tuple[str, str]:
    """Whose pod this is, in words, and what its never finishing holds up."""
    pod = timeline.pod
    owner = pod.owner
    if pod.job is not None:
        made = f" (made by CronJob {pod.cronjob})" if pod.cronjob else ""
        return f"Job {pod.job}{made}'s pod", "the Job does not complete"
    system = owner.system
    if system == "Argo Workflows":
        return f"the {owner.describe()} step's pod", "the workflow step never completes"
    if system == "Tekton":
        return f"the pod of {owner.describe()}", "the TaskRun does not complete"
    if system == "Airflow":
        return f"the {owner.describe()}", "the Airflow task is not seen to end"
    if system is not None:
        return f"the pod of {owner.describe()}", f"{system} does not see it end"
    if owner.kind:
        return f"pod {pod.name} (owned by {owner.describe()})", "it never reaches Succeeded or Failed"
    return (
        f"pod {pod.name} (restartPolicy {pod.restart_policy})",
        "it never reaches Succeeded or Failed",
    )


def _owner_evidence(timeline: Timeline) -> str:
    pod = timeline.pod
    if pod.job is not None:
        return f"the pod runs to completion: Job {pod.job}, restartPolicy {pod.restart_policy or '?'}"
    return f"the pod runs to completion: restartPolicy {pod.restart_policy}, {pod.owner.describe()}"


def _snapshot_evidence(timeline: Timeline, context: CheckContext, reference: datetime | None) -> str | None:
    """Which time the judgement rests on: the clock, --now, or the latest time in the data."""
    if reference is None:
        return None
    if context.now is None:
        return (
            f"judged at {prose.at(timeline, reference)}, the latest time in the data (give --now for the "
            "time the snapshot was taken)"
        )
    source = "--now" if timeline.snapshot_source == "flag" else "the time of the reading"
    return f"judged at {prose.at(timeline, reference)} ({source})"


def _job_evidence(timeline: Timeline) -> list[str]:
    job = timeline.job
    if job is None:
        return []
    parts = [f"active {job.active}", f"succeeded {job.succeeded}", f"failed {job.failed}"]
    done = "completed at " + job.completion_text if job.completion_text else "no completionTime"
    lines = [f"Job {timeline.pod.job}: " + ", ".join(parts) + f", {done}"]
    deadline = job.active_deadline_seconds
    start = job.start_time
    if deadline and start:
        lines.append(
            f"activeDeadlineSeconds {deadline}: the Job will fail with DeadlineExceeded at "
            f"{prose.at(timeline, start + timedelta(seconds=deadline))}"
        )
    return lines


def _failed_at_deadline(timeline: Timeline, view: VersionView) -> list[Finding]:
    """The same problem seen afterwards: the Job hit its deadline long after the apps had exited 0."""
    reason, failed_at = queries.job_failed(timeline)
    if reason != "DeadlineExceeded" or failed_at is None:
        return []
    apps, killed = [], []
    for ct in queries.regular(timeline):
        run = queries.final_run(ct)
        if run is None or run.finished_at is None:
            continue
        code, _ = queries.real_exit(run)
        if code == 0 and prose.earlier(run.finished_at, failed_at):
            apps.append((ct, run))
        elif not prose.earlier(run.finished_at, failed_at):
            killed.append((ct, run))
    if not apps or not killed:
        return []
    last_exit = max(run.finished_at for _, run in apps if run.finished_at is not None)  # all have one
    names = ", ".join(ct.name for ct, _ in killed)
    message = (
        f"Job {timeline.pod.job} failed with DeadlineExceeded at {prose.offset(timeline, failed_at)}: "
        f"its app containers had exited 0 by {prose.offset(timeline, last_exit)}, but {names} kept the "
        "pod running until the deadline killed it"
    )
    evidence = [f"{ct.name} exited 0 at {prose.at(timeline, run.finished_at)}" for ct, run in apps]
    evidence += [
        f"{ct.name} ended with {prose.describe_exit(*queries.real_exit(run))} at "
        f"{prose.at(timeline, run.finished_at)}"
        for ct, run in killed
    ]
    evidence.append(f"Job condition Failed=True (DeadlineExceeded) at {prose.at(timeline, failed_at)}")
    blockers = [ct for ct, _ in killed]
    return [
        catalogue.make_finding(
            "SC003",
            timeline,
            blockers[0].name,
            message,
            evidence=evidence,
            fix=_sc003_fix(timeline, blockers, view),
            fix_yaml=_sc003_yaml(timeline, blockers, view),
            assumptions=[view.assumption],
        )
    ]


def _exit_ways(blockers: list[ContainerTimeline]) -> list[str]:
    """How each known sidecar is told to exit, from the catalogue (command, setup, note)."""
    ways = []
    for ct in blockers:
        entry = ct.container.known
        if entry is None:
            continue
        if entry.exit_command:
            setup = f" ({entry.exit_setup})" if entry.exit_setup else ""
            ways.append(f"have the app run `{entry.exit_command}` when it is done, to stop {ct.name}{setup}")
        elif entry.exit_note:
            ways.append(f"{ct.name} ({entry.name}): {entry.exit_note}")
    return ways


def _injected_natively(blockers: list[ContainerTimeline]) -> bool:
    return all(ct.container.known is not None and ct.container.known.native_annotations for ct in blockers)


def _sc003_fix(timeline: Timeline, blockers: list[ContainerTimeline], view: VersionView) -> str:
    names = ", ".join(ct.name for ct in blockers)
    ways = _exit_ways(blockers)
    if view.native is True and _injected_natively(blockers):
        notes = "; ".join(
            f"{e.title}: {e.native_note}"
            for e in {ct.container.known for ct in blockers}
            if e and e.native_note
        )
        text = (
            f"{names} is injected: have the injector add it as a native sidecar (the annotation below"
            + (f"; {notes}" if notes else "")
            + "). It then starts before the app containers and is stopped after them."
        )
        return text + (" Or, as the pod is: " + "; or ".join(ways) + "." if ways else "")
    if view.native is True:
        text = (
            f"Make {names} a native sidecar: move it to initContainers with restartPolicy: Always "
            "(YAML below). The kubelet then stops it once the app containers have exited, and the pod "
            "completes."
        )
        return text + (" Or, as the pod is: " + "; or ".join(ways) + "." if ways else "")
    options = ways + [
        (
            "have the app tell it to stop when it is done (a file on a shared emptyDir volume that the "
            "sidecar watches)"
        )
    ]
    if platform.on_alibaba_serverless(timeline):
        options.insert(0, 'mark it with env __IS_SIDECAR__: "true" (ACS stops it after the app exits)')
    if any(ct.container.sidecar_kind == SidecarKind.KRUISE for ct in blockers):
        options.insert(0, "install or enable OpenKruise's SidecarTerminator")
    where = (
        "Kubernetes 1.28 has native sidecars only behind the alpha SidecarContainers gate"
        if view.native is None
        else f"Kubernetes {view.label} has no native sidecars"
    )
    return f"{where}: " + "; or ".join(options) + ". From 1.29 on, make it a native sidecar instead."


def _sc003_yaml(timeline: Timeline, blockers: list[ContainerTimeline], view: VersionView) -> str | None:
    if view.native is not True:
        return None
    if _injected_natively(blockers):
        return fixes.injector_native_yaml(timeline, [ct.container for ct in blockers])
    drops = {
        platform.legacy_env_name(ct.container) for ct in blockers if ct.container.sidecar_kind in LEGACY_KINDS
    }
    drop = ", ".join(sorted(d for d in drops if d)) or None
    return fixes.native_sidecar_yaml(timeline, [ct.name for ct in blockers], drop_env=drop)


def check_pod_failed_by_sidecar(timeline: Timeline, context: CheckContext) -> list:
    """SC012: a Job's pod failed although every app container exited 0: a sidecar's exit code failed it."""
    if not _is_job_pod(timeline) or timeline.pod.phase != "Failed":
        return []
    reason, _ = queries.job_failed(timeline)
    if reason == "DeadlineExceeded":
        return []  # SC003 tells that story
    apps, culprits = [], []
    for ct in queries.regular(timeline):
        run = queries.final_run(ct)
        if run is None:
            return []  # a container we cannot account for may be what failed the pod
        code, _ = queries.real_exit(run)
        helper = ct.container.role == Role.SIDECAR or queries.looks_like_sidecar(ct.container)
        if helper and run.exit_code not in (0, None):
            culprits.append((ct, run))
        elif code == 0:
            apps.append((ct, run))
        else:
            return []  # an app failed: the pod's failure is the app's
    if not apps or not culprits:
        return []
    names = ", ".join(ct.name for ct, _ in culprits)
    message = (
        f"the pod failed although its app containers exited 0: {names} ended with "
        f"{prose.describe_exit(culprits[0][1].exit_code, culprits[0][1].reason)}, and a regular "
        "container's exit code counts towards the pod's phase"
    )
    evidence = [f"{ct.name} exited 0 at {prose.at(timeline, run.finished_at)}" for ct, run in apps]
    for ct, run in culprits:
        evidence.append(
            f"{ct.name} ({ct.container.sidecar_kind or 'unmarked'}) ended with "
            f"{prose.describe_exit(run.exit_code, run.reason)} at {prose.at(timeline, run.finished_at)}"
        )
        for mark in queries.stop_requests(timeline, ct.name):
            evidence.append(f"Killing event for {ct.name} at {prose.at(timeline, mark.time)}")
    evidence.append("pod phase Failed")
    evidence += _job_evidence(timeline)
    kinds = {ct.container.sidecar_kind for ct, _ in culprits}
    fix = (
        "A native sidecar's exit code does not count towards the pod's phase: make it a native sidecar "
        "(an init container with restartPolicy: Always) where the cluster has them (1.29+). Otherwise "
        "make it exit 0 when it is stopped: handle SIGTERM and exit cleanly."
    )
    if SidecarKind.KRUISE in kinds:
        fix += " OpenKruise stops the sidecar with SIGTERM; its exit code must be 0 or the Job fails."
    if SidecarKind.MESH in kinds:
        fix += " For Istio, end the proxy through /quitquitquit, which exits 0."
    view = platform.version_view(timeline, context)
    fix_yaml = (
        fixes.native_sidecar_yaml(timeline, [ct.name for ct, _ in culprits]) if view.native is True else None
    )
    return [
        catalogue.make_finding(
            "SC012",
            timeline,
            culprits[0][0].name,
            message,
            evidence=evidence,
            fix=fix,
            fix_yaml=fix_yaml,
            assumptions=[view.assumption],
        )
    ]
