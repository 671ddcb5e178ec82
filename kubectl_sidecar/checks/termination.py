"""How sidecars end: killed at the end of the grace period because they ignored SIGTERM (SC010)."""

from __future__ import annotations

from datetime import datetime

from kubectl_sidecar.checks import catalogue, fixes, prose, queries
from kubectl_sidecar.checks.context import CheckContext
from kubectl_sidecar.findings import Finding
from kubectl_sidecar.model import SidecarKind
from kubectl_sidecar.timeline import ContainerTimeline, Run, Timeline

# Whole-second times on both ends: a kill "at the end of the grace period" may read a second or two short.
_GRACE_SLACK = 2


def _stop_requested(timeline: Timeline, sidecar: ContainerTimeline, run: Run) -> tuple[datetime | None, str]:
    """When the sidecar was asked to stop before ``run`` ended, and how we know: ``(time, evidence)``."""
    finish = run.finished_at
    asks = [
        m
        for m in queries.stop_requests(timeline, sidecar.name)
        if not prose.earlier(finish, m.time)
        and (run.started_at is None or not prose.earlier(m.time, run.started_at))
    ]
    if asks:
        mark = asks[-1]
        message = f': "{mark.message}"' if mark.message else ""
        return mark.time, f"Killing event at {prose.at(timeline, mark.time)}{message}"
    ending = queries.termination_start(timeline)
    if ending is not None and not prose.earlier(finish, ending):
        return (
            ending,
            f"the pod's termination began at {prose.at(timeline, ending)} (no Killing event is left)",
        )
    exits = [queries.final_run(ct) for ct in queries.apps(timeline)]
    ends = [r.finished_at for r in exits if r is not None and r.finished_at is not None]
    if exits and len(ends) == len(exits):  # every app container has exited
        last = max(ends)
        if not prose.earlier(finish, last):
            return last, (
                f"the last app container exited at {prose.at(timeline, last)}: the sidecar's stop was "
                "requested then (no Killing event is left)"
            )
    return None, ""


def check_sidecar_ignored_sigterm(timeline: Timeline, context: CheckContext) -> list[Finding]:
    """SC010: a sidecar ended with 137 a grace period after its stop was requested."""
    grace = queries.grace_seconds(timeline)
    if grace <= 0:
        return []
    hits: list[tuple[ContainerTimeline, Run, datetime, datetime, str, float]] = []
    for sidecar in queries.sidecars(timeline):
        for run in reversed(sidecar.known_runs()):
            ended = run.finished_at
            if ended is None:
                continue
            code, reason = queries.real_exit(run)
            if code != 137 or reason in ("OOMKilled", "ContainerStatusUnknown"):
                continue
            asked, how = _stop_requested(timeline, sidecar, run)
            if asked is None:
                continue
            waited = (ended - asked).total_seconds()
            if waited >= grace - _GRACE_SLACK:
                hits.append((sidecar, run, ended, asked, how, waited))
                break
    # Native sidecars stop one by one, last declared first: those killed with the one that used up the
    # grace period never had their turn. Keep only the first in stop order of each such group.
    natives = [h for h in hits if h[0].container.sidecar_kind == SidecarKind.NATIVE]
    dropped = set()
    for hit in natives:
        for other in natives:
            if (
                other is not hit
                and other[0].container.index > hit[0].container.index
                and abs((other[2] - hit[2]).total_seconds()) <= _GRACE_SLACK
            ):
                dropped.add(hit[0].name)
    findings = []
    for sidecar, run, _, asked, how, waited in hits:
        if sidecar.name in dropped:
            continue
        forced = (
            f"; the platform reported exit {run.exit_code}, the original code was {run.original_exit_code}"
            if run.forced
            else ""
        )
        message = (
            f"{sidecar.name} ignored SIGTERM: asked to stop at {prose.offset(timeline, asked)}, it was "
            f"killed {prose.span(waited)} later (137, SIGKILL), at the end of the {grace}s grace period, "
            f"which delays the end of every pod it runs in{forced}"
        )
        evidence = [
            how,
            f"{sidecar.name} ended at {prose.at(timeline, run.finished_at)} with exit "
            f"{prose.describe_exit(*queries.real_exit(run))}"
            + (f', status message "{run.message}"' if run.forced and run.message else ""),
            f"grace period {grace}s (terminationGracePeriodSeconds or the deletion's)",
        ]
        for ct in queries.sidecars(timeline):
            if ct.name in dropped:
                evidence.append(
                    f"{ct.name} was killed at the same time without its turn to stop "
                    "(native sidecars stop one by one, last declared first)"
                )
        for event in sidecar.events:
            if event.reason == "ExceededGracePeriod":
                evidence.append(f"ExceededGracePeriod event at {prose.at(timeline, event.first)}")
        script = queries.shell_script(timeline, sidecar.container)
        if script is not None:
            evidence.append(f"{sidecar.name} runs a shell as PID 1 (sh -c), which ignores SIGTERM")
        findings.append(
            catalogue.make_finding(
                "SC010",
                timeline,
                sidecar.name,
                message,
                evidence=evidence,
                fix=_FIX,
                fix_yaml=fixes.trap_sigterm_yaml(timeline, sidecar.name, script),
            )
        )
    return findings


_FIX = (
    "The process runs as PID 1, which gets no default signal handling: SIGTERM does nothing unless "
    "the program handles it (a shell from `sh -c` does not, nor does `tail`). Trap SIGTERM in the "
    "shell and wait for the command, start it under an init such as tini or dumb-init, or use a "
    "program that exits on SIGTERM. A shorter terminationGracePeriodSeconds only hides the problem."
)
