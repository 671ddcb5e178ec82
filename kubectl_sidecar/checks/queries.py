"""Questions the checks ask of a timeline: which containers are apps, when things happened, how runs
ended, what the pod's spec says. Pure helpers, each small enough to test on its own."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from kubectl_sidecar.checks.context import CheckContext
from kubectl_sidecar.checks.prose import earlier
from kubectl_sidecar.model import (
    SECTION_REGULAR,
    Condition,
    Container,
    ContainerSpec,
    MarkKind,
    Role,
    RunState,
)
from kubectl_sidecar.timeline import ContainerTimeline, Mark, Run, Timeline

# How long a regular container that nothing marks as a sidecar must outlive the app containers of a
# Job's pod before we call the pod blocked (a second worker may simply be slower).
BLOCK_AFTER = timedelta(minutes=5)

# Names and image names of helpers people run next to their apps (log shippers, proxies, agents).
_SIDECAR_WORDS = (
    "sidecar",
    "istio-proxy",
    "linkerd-proxy",
    "envoy",
    "fluent-bit",
    "fluentbit",
    "fluentd",
    "filebeat",
    "promtail",
    "ilogtail",
    "logtail",
    "log-agent",
    "log-shipper",
    "logshipper",
    "otel-collector",
    "opentelemetry-collector",
    "datadog-agent",
    "cloud-sql-proxy",
    "cloudsql-proxy",
    "vault-agent",
    "oauth2-proxy",
    "cloudflared",
    "tailscale",
    "consul-dataplane",
    "dapr",
    "splunk-otel",
)
_SIDECAR_IMAGES = ("vector", "fluent-bit", "fluentd", "envoy", "filebeat", "promtail", "proxyv2")


# ----------------------------------------------------------------------------------------- containers


def apps(timeline: Timeline) -> list[ContainerTimeline]:
    """Regular containers nothing marks as a sidecar."""
    return [ct for ct in timeline.containers if ct.container.role == Role.APP]


def sidecars(timeline: Timeline) -> list[ContainerTimeline]:
    return [ct for ct in timeline.containers if ct.container.role == Role.SIDECAR]


def regular(timeline: Timeline) -> list[ContainerTimeline]:
    return [ct for ct in timeline.containers if ct.container.section == SECTION_REGULAR]


def looks_like_sidecar(container: Container) -> str | None:
    """What says the container is a helper: the sidecar catalogue's entry it matched, else a word in its
    name or image (fluent-bit, istio-proxy, ...)."""
    if container.known is not None:
        return container.known.name
    name = container.name.lower()
    image = (container.image or "").lower()
    base = image.rsplit("/", 1)[-1].split("@")[0].split(":")[0]
    for word in _SIDECAR_WORDS:
        if word in name or word in base:
            return word
    if base in _SIDECAR_IMAGES:
        return base
    return None


# ----------------------------------------------------------------------------------------- the spec


def spec_of(timeline: Timeline, container: Container) -> ContainerSpec:
    """The container's spec facts (probes, command; env names only)."""
    return timeline.facts.spec(container.section, container.name)


def env_names(timeline: Timeline, container: Container) -> list[tuple[str, bool]]:
    """Names of the container's env entries, with whether each has a literal value. Values are never kept."""
    return list(spec_of(timeline, container).env)


def env_value_is(timeline: Timeline, container: Container, name: str, expected: str) -> bool | None:
    """Whether marker env ``name`` is literally ``expected``; ``None`` when absent. Only compared."""
    return spec_of(timeline, container).env_value_is(name, expected)


def shell_script(timeline: Timeline, container: Container) -> str | None:
    """The script of a ``sh -c SCRIPT`` (or bash, ash) command, when that is the container's form."""
    spec = spec_of(timeline, container)
    words = list(spec.command) + list(spec.args)
    if (
        len(words) == 3
        and re.fullmatch(r"(/bin/|/usr/bin/)?(sh|bash|ash|dash)", words[0])
        and words[1] == "-c"
    ):
        return words[2]
    return None


def grace_seconds(timeline: Timeline) -> int:
    """The grace period the kubelet gave: the deletion's, else the spec's, else the default 30 s."""
    for seconds in (timeline.facts.deletion_grace_seconds, timeline.facts.termination_grace_seconds):
        if seconds is not None and seconds >= 0:
            return seconds
    return 30


# ----------------------------------------------------------------------------------------- runs


def first_start(ct: ContainerTimeline) -> datetime | None:
    """When the container first started: the earliest run or Started event.

    ``None`` when runs we have no time for came before every time we have (``lastState`` keeps only
    the previous run): the first start is then unknown, not the earliest we see.
    """
    event_starts = [e.first for e in ct.events if e.reason == "Started" and e.first is not None]
    if event_starts:
        return min(event_starts + [r.started_at for r in ct.runs if r.started_at])
    if ct.runs and ct.runs[0].state == RunState.IMPLIED:
        return None
    return min((r.started_at for r in ct.runs if r.started_at), default=None)


def is_running(ct: ContainerTimeline) -> bool:
    return ct.state == RunState.RUNNING


def final_run(ct: ContainerTimeline) -> Run | None:
    """The run the status's ``state`` describes, if it is terminated."""
    for run in reversed(ct.runs):
        if run.source == "status.state" and run.state == RunState.TERMINATED:
            return run
    return None


def running_at(ct: ContainerTimeline, when: datetime | None) -> Run | None:
    """The run of ``ct`` certainly running at ``when``: started in an earlier second, ended in a later one."""
    for run in ct.known_runs():
        if run.started_at is None or not earlier(run.started_at, when):
            continue
        if run.state == RunState.RUNNING or (run.finished_at is not None and earlier(when, run.finished_at)):
            return run  # an event-only run (state unknown) has no known end: it proves nothing
    return None


def will_restart(timeline: Timeline, run: Run | None) -> bool:
    """Whether the pod's restartPolicy restarts a regular container after ``run``."""
    policy = timeline.pod.restart_policy or "Always"
    if run is None:
        return False
    if policy == "Always":
        return True
    if policy == "OnFailure":
        return run.exit_code not in (0, None)
    return False


def real_exit(run: Run) -> tuple[int | None, str | None]:
    """The exit code and reason that really happened: the original ones where a platform forced them."""
    if run.forced:
        return run.original_exit_code, run.original_reason
    return run.exit_code, run.reason


def restarts(ct: ContainerTimeline) -> int:
    """Restarts as far as any source tells: restartCount, the runs we know of, Started events."""
    return max(ct.restart_count or 0, ct.total_runs() - 1, ct.event_starts - 1, 0)


def back_offs(ct: ContainerTimeline) -> list:
    return [e for e in ct.events if e.reason == "BackOff"]


def keeps_restarting(ct: ContainerTimeline) -> bool:
    """Back-off events, a CrashLoopBackOff wait, or two restarts and more."""
    return bool(back_offs(ct)) or ct.waiting_reason == "CrashLoopBackOff" or restarts(ct) >= 2


# ----------------------------------------------------------------------------------------- the pod


def stop_requests(timeline: Timeline, name: str) -> list[Mark]:
    """Stop requests (``Killing`` events) for a container, oldest first."""
    return [m for m in timeline.marks if m.container == name and m.kind == MarkKind.STOP_REQUESTED]


def termination_start(timeline: Timeline) -> datetime | None:
    """When the pod's own termination began: deletion, or DisruptionTarget (eviction, preemption)."""
    times = [timeline.pod.deletion_requested] if timeline.pod.deletion_requested else []
    for cond in timeline.conditions:
        if cond.type == "DisruptionTarget" and cond.status == "True" and cond.time is not None:
            times.append(cond.time)
    return min(times, default=None)


def pod_condition(timeline: Timeline, ctype: str) -> Condition | None:
    """The pod's latest condition of type ``ctype``."""
    found = [c for c in timeline.conditions if c.type == ctype]
    return found[-1] if found else None


def reference_time(timeline: Timeline, context: CheckContext) -> datetime | None:
    """The latest moment the data speaks for: ``now`` for a live reading, else the latest mark."""
    if context.now is not None:
        return context.now
    times = [m.time for m in timeline.marks] + [m.last for m in timeline.marks if m.last]
    return max(times, default=None)


def job_failed(timeline: Timeline) -> tuple[str | None, datetime | None]:
    """``(reason, time)`` of the Job's Failed condition, or ``(None, None)``."""
    cond = timeline.job.failed_condition() if timeline.job is not None else None
    if cond is None:
        return None, None
    return cond.reason or "Failed", cond.time
