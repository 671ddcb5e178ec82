"""Rebuild a pod's start/exit timeline from its statuses, conditions and events. Pure: no I/O.

Sources and how they merge are described in docs/timeline.md. In short:

* containers come in spec order (init, regular, ephemeral), never in status order;
* runs come from ``lastState``/``state`` and ``restartCount``; ``Started`` events that the status
  does not explain are runs too (a legacy sidecar's status stops updating after a restart);
* marks from every source are ordered by time at the precision the data has (whole seconds for
  statuses and kubelet events), then by meaning (created < started < stop requested < finished,
  init containers before regular ones), never by list position.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from kubectl_sidecar import model
from kubectl_sidecar.model import (
    PRECISION_SECONDS, ROLE_INIT, ROLE_SIDECAR, SECTION_INIT, SECTION_REGULAR, ClusterVersion,
    Container, Event, Platform, as_dict, as_int, as_list, as_str, parse_time,
)
from kubectl_sidecar.snapshot import EVENTS_ABSENT, EVENTS_FORBIDDEN, EVENTS_LISTED, EVENTS_UNAVAILABLE

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# Mark kinds.
JOB_STARTED = "job started"
JOB_COMPLETED = "job completed"
JOB_FAILED = "job failed"
POD_CREATED = "pod created"
SCHEDULED = "scheduled"
POD_STARTED = "pod started"
CONDITION = "condition"
DELETION_REQUESTED = "deletion requested"
GRACE_ENDS = "grace period ends"
PULLING = "pulling"
PULLED = "pulled"
CREATED = "created"
STARTED = "started"
STOP_REQUESTED = "stop requested"
FINISHED = "finished"
BACK_OFF = "back-off"
EVENT = "event"

# Run states.
RUN_RUNNING = "running"
RUN_TERMINATED = "terminated"
RUN_UNKNOWN = "unknown"  # seen starting in events; the status does not describe it
RUN_IMPLIED = "implied"  # restartCount or event counts say it happened; nothing says when

# Same-second ties are broken by meaning: the phase of the pod's life a mark belongs to, then the
# container's place in the start order, then the step within a container's run.
_STEP = {PULLING: 0, PULLED: 1, CREATED: 2, STARTED: 3, STOP_REQUESTED: 4, FINISHED: 5}
_EVENT_KINDS = {
    "Pulling": PULLING, "Pulled": PULLED, "Created": CREATED, "Started": STARTED,
    "Killing": STOP_REQUESTED, "BackOff": BACK_OFF,
}
_POD_SETUP_REASONS = {"FailedMount", "FailedAttachVolume", "SuccessfulAttachVolume", "SandboxChanged",
                      "FailedCreatePodSandBox", "FailedKillPod", "NetworkNotReady"}
_SCHEDULING_REASONS = {"Scheduled", "FailedScheduling", "TriggeredScaleUp", "NotTriggerScaleUp"}
_CONDITION_PHASE_TRUE = {"PodScheduled": 2, "PodReadyToStartContainers": 3, "Initialized": 5,
                         "ContainersReady": 7, "Ready": 7, "DisruptionTarget": 10}
# Conditions that change in one second follow their dependencies: Ready needs ContainersReady.
_CONDITION_STEP = {t: i for i, t in enumerate(("PodScheduled", "PodReadyToStartContainers", "Initialized",
                                               "ContainersReady", "Ready", "DisruptionTarget"))}
_PH_JOB_START, _PH_POD_CREATED, _PH_SCHEDULED, _PH_POD_SETUP = 0, 1, 2, 3
_PH_INIT, _PH_INITIALIZED, _PH_REGULAR, _PH_READY, _PH_RUNNING = 4, 5, 6, 7, 8
_PH_APP_EXIT, _PH_DELETION, _PH_STOP, _PH_EXIT, _PH_RESTART, _PH_END = 9, 10, 11, 12, 13, 14

# "Force this container to be success(137, Error, )" (ACS); ECI only promises the code and reason
# are "in the message in the form of text", so fall back to looser patterns.
# The gap is bounded so a long message of repeated "force" costs linear time, not quadratic.
_FORCED = re.compile(r"(?i)force[^()]{0,200}\(\s*(-?\d+)\s*(?:,\s*([A-Za-z][\w-]*)?)?")
_LOOSE_CODE = re.compile(r"(?i)exit\s*code\D{0,5}(-?\d+)")
_LOOSE_REASON = re.compile(r"(?i)reason\W{0,5}([A-Za-z]\w*)")


@dataclass(frozen=True)
class Run:
    """One run of a container, as far as the data tells."""

    started_at: datetime | None
    finished_at: datetime | None = None
    exit_code: int | None = None
    reason: str | None = None
    message: str | None = None
    original_exit_code: int | None = None
    original_reason: str | None = None
    state: str = RUN_TERMINATED
    source: str = "status"
    count: int = 1  # implied runs are folded into one entry with their count
    note: str | None = None

    @property
    def forced(self) -> bool:
        return self.original_exit_code is not None


@dataclass
class Mark:
    """One point on the timeline."""

    time: datetime
    kind: str
    container: str | None
    sources: list
    detail: str = ""
    message: str | None = None
    precision: str = PRECISION_SECONDS
    count: int = 1
    last: datetime | None = None
    reason: str | None = None
    exit_code: int | None = None
    run: int | None = None
    aggregate: str | None = None  # "first"/"last" of an aggregated event
    order: tuple = ()

    @property
    def source(self) -> str:
        return ",".join(self.sources)


@dataclass
class ContainerTimeline:
    """A container with its runs and the status facts the checks need."""

    container: Container
    runs: list
    restart_count: int | None = None
    ready: bool | None = None
    started: bool | None = None
    state: str | None = None  # running | terminated | waiting, from status.state
    waiting_reason: str | None = None
    has_status: bool = False
    event_starts: int = 0  # Started occurrences counted by events
    events: list = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.container.name

    def known_runs(self) -> list:
        return [r for r in self.runs if r.state != RUN_IMPLIED]

    def total_runs(self) -> int:
        return sum(r.count for r in self.runs)


@dataclass(frozen=True)
class PodSummary:
    name: str
    namespace: str | None
    uid: str | None
    phase: str | None
    node: str | None
    created: datetime | None
    started: datetime | None
    deletion_requested: datetime | None
    deletion_deadline: datetime | None
    restart_policy: str | None
    job: str | None


@dataclass
class Timeline:
    """Everything the renderers and the checks read about one pod."""

    pod: PodSummary
    containers: list
    marks: list
    notes: list
    origin: datetime | None
    end: datetime | None
    cluster_version: ClusterVersion | None
    platform: Platform
    events_state: str
    events_count: int
    conditions: list
    job: dict | None = None
    raw_pod: dict | None = None
    findings: list = field(default_factory=list)

    def container(self, name: str) -> ContainerTimeline | None:
        for c in self.containers:
            if c.name == name:
                return c
        return None


# ------------------------------------------------------------------------------------------- building

def parse_forced_exit(message: Any) -> tuple[int | None, str | None]:
    """Return the original exit code and reason a platform kept in the message of a forced exit."""
    if not isinstance(message, str) or not re.search(r"(?i)force|ignore", message):
        return None, None
    match = _FORCED.search(message)
    if match:
        return int(match.group(1)), match.group(2) or None
    code = _LOOSE_CODE.search(message)
    if code:
        reason = _LOOSE_REASON.search(message)
        return int(code.group(1)), reason.group(1) if reason else None
    return None, None


def _terminated_run(raw: Any, source: str) -> Run | None:
    term = as_dict(raw)
    if not term:
        return None
    message = term.get("message") if isinstance(term.get("message"), str) else None
    original_code, original_reason = parse_forced_exit(message)
    return Run(
        started_at=parse_time(term.get("startedAt")), finished_at=parse_time(term.get("finishedAt")),
        exit_code=as_int(term.get("exitCode")), reason=as_str(term.get("reason")), message=message,
        original_exit_code=original_code, original_reason=original_reason, state=RUN_TERMINATED,
        source=source,
    )


def _status_runs(status: dict) -> tuple[list, str | None, str | None]:
    """Runs described by a containerStatus, oldest first; plus the current state and waiting reason."""
    runs: list[Run] = []
    last = _terminated_run(as_dict(status.get("lastState")).get("terminated"), "status.lastState")
    if last is not None:
        runs.append(last)
    state = as_dict(status.get("state"))
    current_state = waiting_reason = None
    if isinstance(state.get("running"), dict):
        current_state = RUN_RUNNING
        runs.append(Run(started_at=parse_time(state["running"].get("startedAt")), state=RUN_RUNNING,
                        source="status.state"))
    elif isinstance(state.get("terminated"), dict):
        current_state = RUN_TERMINATED
        run = _terminated_run(state["terminated"], "status.state")
        if run is not None:
            runs.append(run)
    elif isinstance(state.get("waiting"), dict):
        current_state = "waiting"
        waiting_reason = as_str(state["waiting"].get("reason"))
    return runs, current_state, waiting_reason


def _same_second(a: datetime | None, b: datetime | None, slack: int = 1) -> bool:
    return a is not None and b is not None and abs((a - b).total_seconds()) <= slack


def _start_occurrences(events: list) -> tuple[list, int]:
    """Times at which Started events saw the container start, and how many starts they counted."""
    times: list[datetime] = []
    total = 0
    for event in events:
        if event.reason != "Started":
            continue
        total += event.count
        times.append(event.first)
        if event.count > 1 and event.last != event.first:
            times.append(event.last)
    return sorted(set(times)), total


def _build_runs(status: dict | None, events: list) -> tuple[list, str | None, str | None, int]:
    """Merge a container's status runs with the starts its events saw."""
    status_runs, state, waiting = _status_runs(status) if status else ([], None, None)
    restart_count = as_int(status.get("restartCount")) if status else None
    starts, event_total = _start_occurrences(events)
    latest_status_start = max((r.started_at for r in status_runs if r.started_at), default=None)
    latest_status_finish = max((r.finished_at for r in status_runs if r.finished_at), default=None)
    floor = max(filter(None, (latest_status_start, latest_status_finish)), default=None)
    event_runs: list[Run] = []
    for when in starts:
        if any(_same_second(when, r.started_at) for r in status_runs):
            continue
        if floor is not None and when <= floor:
            continue  # an older run the status no longer describes; counted below
        event_runs.append(Run(started_at=when, state=RUN_UNKNOWN, source="event",
                              note="started per events; no status describes this run"))
    runs: list = []
    status_total = (restart_count or 0) + 1 if (status_runs or (restart_count or 0) > 0) else 0
    implied_before = max(0, status_total - len(status_runs))
    if implied_before:
        runs.append(Run(started_at=None, state=RUN_IMPLIED, source="restartCount", count=implied_before,
                        note=f"restartCount implies {implied_before} earlier run(s) no status or event describes"))
    runs.extend(status_runs)
    known = status_total + len(event_runs)
    implied_after = max(0, event_total - known)
    if implied_after:
        position = len(runs) + max(0, len(event_runs) - 1)
        runs.extend(event_runs)
        runs.insert(position, Run(started_at=None, state=RUN_IMPLIED, source="event count",
                                  count=implied_after,
                                  note=f"Started events count {implied_after} more run(s) than status and "
                                       "event times describe"))
    else:
        runs.extend(event_runs)
    return runs, state, waiting, event_total


def _summarise_pod(pod: dict, job: dict | None) -> PodSummary:
    meta = as_dict(pod.get("metadata"))
    spec = as_dict(pod.get("spec"))
    status = as_dict(pod.get("status"))
    deadline = parse_time(meta.get("deletionTimestamp"))
    grace = as_int(meta.get("deletionGracePeriodSeconds"))
    requested = _shift(deadline, -grace) if deadline is not None and grace is not None else deadline
    job_name = None
    for ref in as_list(meta.get("ownerReferences")):
        if as_dict(ref).get("kind") == "Job":
            job_name = as_str(as_dict(ref).get("name"))
    if job_name is None and job is not None:
        job_name = as_str(as_dict(job.get("metadata")).get("name"))
    return PodSummary(
        name=as_str(meta.get("name")) or "(unnamed)", namespace=as_str(meta.get("namespace")),
        uid=as_str(meta.get("uid")), phase=as_str(status.get("phase")), node=as_str(spec.get("nodeName")),
        created=parse_time(meta.get("creationTimestamp")), started=parse_time(status.get("startTime")),
        deletion_requested=requested, deletion_deadline=deadline if grace else None,
        restart_policy=as_str(spec.get("restartPolicy")), job=job_name,
    )


def _shift(when: datetime, seconds: float) -> datetime | None:
    """``when`` moved by ``seconds``; ``None`` when that leaves the range of dates (absurd input)."""
    try:
        return when + timedelta(seconds=seconds)
    except (OverflowError, ValueError):
        return None


def _status_index(pod: dict) -> dict:
    """containerStatuses by (section, name): the list order is alphabetical and means nothing."""
    status = as_dict(pod.get("status"))
    index: dict = {}
    for section, key in model.STATUS_KEYS.items():
        for entry in as_list(status.get(key)):
            entry = as_dict(entry)
            name = as_str(entry.get("name"))
            if name is not None:
                index.setdefault((section, name), entry)
    return index


class _MarkBuilder:
    """Collects marks and gives each its ordering key."""

    def __init__(self, containers: list):
        self.marks: list[Mark] = []
        self.start_rank = {}
        self.run0_start = {}
        # Legacy-marked sidecars are started first by the platforms that honour the marker.
        regular = [c for c in containers if c.section != SECTION_INIT]
        regular.sort(key=lambda c: (0 if c.is_legacy_sidecar else 1, c.section != SECTION_REGULAR, c.index))
        for rank, c in enumerate([c for c in containers if c.section == SECTION_INIT] + regular):
            self.start_rank[c.name] = rank
        self.by_name = {c.name: c for c in containers}

    def add(self, mark: Mark, phase: int, step: int | None = None) -> Mark:
        second = mark.time.replace(microsecond=0)
        rank = self.start_rank.get(mark.container, -1) if mark.container else -1
        step = _STEP.get(mark.kind, 6) if step is None else step
        mark.order = (second, phase, rank, step, mark.time, len(self.marks))
        self.marks.append(mark)
        return mark

    def container_phase(self, container: Container, kind: str, when: datetime) -> int:
        if kind in (PULLING, PULLED, CREATED, STARTED):
            first = self.run0_start.get(container.name)
            if first is not None and when.replace(microsecond=0) > first.replace(microsecond=0):
                return _PH_RESTART
            return _PH_INIT if container.section == SECTION_INIT else _PH_REGULAR
        if kind == FINISHED:
            if container.role == ROLE_INIT:
                return _PH_INIT
            return _PH_EXIT if container.role == ROLE_SIDECAR else _PH_APP_EXIT
        if kind == STOP_REQUESTED:
            return _PH_STOP
        return _PH_RUNNING


def build_timeline(pod: dict, events: Iterable[Event] = (), *, job: dict | None = None,
                   node: dict | None = None, cluster_version: ClusterVersion | None = None,
                   declared_sidecars: Iterable[str] = (), events_state: str = EVENTS_LISTED,
                   now: datetime | None = None) -> Timeline:
    """Rebuild the timeline of one pod.

    Args:
        pod: the raw Pod dict.
        events: the pod's events, already matched to it (``Snapshot.events_for``).
        job: the owning Job's raw dict, when known.
        node: the pod's Node, when known (virtual-node detection).
        cluster_version: the server version, when known.
        declared_sidecars: container names the user declared as sidecars (``--sidecar``).
        events_state: what we know about the completeness of ``events``.
        now: the current time, to say how old the pod is; ``None`` for files.
    """
    pod = as_dict(pod)
    events = sorted(events, key=lambda e: (e.first, e.last))
    containers = model.parse_containers(pod, declared_sidecars)
    summary = _summarise_pod(pod, job)
    statuses = _status_index(pod)
    notes: list[str] = []
    builder = _MarkBuilder(containers)

    by_container: dict = {}
    pod_events: list[Event] = []
    known = {(c.section, c.name) for c in containers}
    for event in events:
        if event.container and (event.section, event.container) in known:
            by_container.setdefault(event.container, []).append(event)
        elif event.container:
            by_container.setdefault(event.container, []).append(event)  # spec and events disagree
        else:
            pod_events.append(event)

    container_timelines: list[ContainerTimeline] = []
    for container in containers:
        status = statuses.get((container.section, container.name))
        c_events = by_container.get(container.name, [])
        runs, state, waiting, event_total = _build_runs(status, c_events)
        ct = ContainerTimeline(
            container=container, runs=runs, has_status=status is not None,
            restart_count=as_int(status.get("restartCount")) if status else None,
            ready=status.get("ready") if status and isinstance(status.get("ready"), bool) else None,
            started=status.get("started") if status and isinstance(status.get("started"), bool) else None,
            state=state, waiting_reason=waiting, event_starts=event_total, events=c_events,
        )
        container_timelines.append(ct)
        first_start = min((r.started_at for r in runs if r.started_at), default=None)
        if first_start is not None:
            builder.run0_start[container.name] = first_start

    for ct in container_timelines:
        _add_run_marks(builder, ct)
        _add_event_marks(builder, ct)
    _add_pod_marks(builder, pod, summary, job, pod_events)

    marks = sorted(builder.marks, key=lambda m: m.order)
    origin = summary.created or (marks[0].time if marks else None)
    times = [m.time for m in marks] + [m.last for m in marks if m.last]
    end = max(times) if times else origin
    if now is not None and end is not None and any(r.state == RUN_RUNNING for c in container_timelines
                                                    for r in c.runs):
        end = max(end, now)

    version = cluster_version or model.pod_annotation_version(pod)
    platform = model.detect_platform(pod, node, version)
    _note_events(notes, events_state, len(events), summary, now)
    _note_containers(notes, container_timelines, statuses, containers)
    if origin is not None and any((m.time - origin).total_seconds() < -1 and m.kind != JOB_STARTED
                                  for m in marks):
        notes.append("some events are dated before the pod's creation: the kubelet's and the API "
                     "server's clocks disagree; such marks keep the times their writers gave")
    return Timeline(
        pod=summary, containers=container_timelines, marks=marks, notes=notes, origin=origin, end=end,
        cluster_version=version, platform=platform, events_state=events_state, events_count=len(events),
        conditions=_conditions(pod), job=job, raw_pod=pod,
    )


def _add_run_marks(builder: _MarkBuilder, ct: ContainerTimeline) -> None:
    container = ct.container
    for index, run in enumerate(ct.runs):
        if run.state == RUN_IMPLIED:
            continue
        if run.started_at is not None:
            detail = "" if index == 0 or all(r.state == RUN_IMPLIED for r in ct.runs[:index]) \
                else f"restart {index}"
            if run.state == RUN_UNKNOWN:
                detail = (detail + " " if detail else "") + "(status does not show this run)"
            builder.add(Mark(time=run.started_at, kind=STARTED, container=container.name,
                             sources=["event" if run.source == "event" else "status"], detail=detail,
                             run=index), builder.container_phase(container, STARTED, run.started_at))
        if run.finished_at is not None:
            detail = f"exit {run.exit_code}" if run.exit_code is not None else "exit ?"
            if run.reason:
                detail += f" ({run.reason})"
            if run.forced:
                detail += f", forced; original exit {run.original_exit_code}"
                if run.original_reason:
                    detail += f" ({run.original_reason})"
            builder.add(Mark(time=run.finished_at, kind=FINISHED, container=container.name, sources=["status"],
                             detail=detail, message=run.message, reason=run.reason,
                             exit_code=run.exit_code, run=index),
                        builder.container_phase(container, FINISHED, run.finished_at))


def _aggregate_detail(event: Event) -> str:
    if event.count <= 1:
        return ""
    span = int((event.last - event.first).total_seconds()) if event.last and event.first else 0
    return f"x{event.count} over {span}s"


def _add_event_marks(builder: _MarkBuilder, ct: ContainerTimeline) -> None:
    container = ct.container
    for event in ct.events:
        kind = _EVENT_KINDS.get(event.reason, EVENT)
        occurrences = [(event.first, "first" if event.count > 1 else None)]
        if event.count > 1 and event.last != event.first:
            occurrences.append((event.last, "last"))
        for when, aggregate in occurrences:
            if kind == STARTED:
                merged = _merge_start(builder, container.name, when, event)
                if merged:
                    continue
            detail = event.reason if kind == EVENT else ""
            agg = _aggregate_detail(event)
            if aggregate == "last":
                agg = f"last of {event.count}"
            detail = " ".join(x for x in (detail, agg) if x)
            phase = builder.container_phase(container, kind, when)
            if kind == EVENT and event.reason in ("ExceededGracePeriod", "FailedPreStopHook"):
                phase = _PH_STOP
            builder.add(Mark(time=when, kind=kind, container=container.name, sources=["event"], detail=detail,
                             message=event.message, precision=event.precision, count=event.count,
                             last=event.last if aggregate == "first" else None, reason=event.reason,
                             aggregate=aggregate), phase)


def _merge_start(builder: _MarkBuilder, name: str, when: datetime, event: Event) -> bool:
    """Fold a Started event into the run start it confirms, so one start shows once."""
    for mark in builder.marks:
        if mark.container == name and mark.kind == STARTED and _same_second(mark.time, when):
            if "event" not in mark.sources:
                mark.sources.append("event")
                if mark.message is None:
                    mark.message = event.message
            return True
    return False


def _conditions(pod: dict) -> list:
    result = []
    for cond in as_list(as_dict(pod.get("status")).get("conditions")):
        cond = as_dict(cond)
        ctype = as_str(cond.get("type"))
        if ctype is None:
            continue
        result.append({"type": ctype, "status": as_str(cond.get("status")),
                       "time": parse_time(cond.get("lastTransitionTime")), "reason": as_str(cond.get("reason"))})
    result.sort(key=lambda c: (c["time"] is None, c["time"] or _EPOCH))
    return result


def _add_pod_marks(builder: _MarkBuilder, pod: dict, summary: PodSummary, job: dict | None,
                   pod_events: list) -> None:
    if summary.created:
        builder.add(Mark(time=summary.created, kind=POD_CREATED, container=None, sources=["pod"]), _PH_POD_CREATED)
    if summary.started:
        builder.add(Mark(time=summary.started, kind=POD_STARTED, container=None, sources=["pod"],
                         detail="accepted by the kubelet" + (f" on {summary.node}" if summary.node else "")),
                    _PH_POD_SETUP)
    if summary.deletion_requested:
        builder.add(Mark(time=summary.deletion_requested, kind=DELETION_REQUESTED, container=None,
                         sources=["pod"]), _PH_DELETION)
    if summary.deletion_deadline and summary.deletion_deadline != summary.deletion_requested:
        builder.add(Mark(time=summary.deletion_deadline, kind=GRACE_ENDS, container=None, sources=["pod"]),
                    _PH_END)
    for cond in _conditions(pod):
        if cond["time"] is None:
            continue
        detail = f"{cond['type']}={cond['status']}"
        if cond["reason"]:
            detail += f" ({cond['reason']})"
        phase = _CONDITION_PHASE_TRUE.get(cond["type"], _PH_RUNNING) if cond["status"] == "True" else _PH_END
        kind = SCHEDULED if cond["type"] == "PodScheduled" and cond["status"] == "True" else CONDITION
        builder.add(Mark(time=cond["time"], kind=kind, container=None, sources=["condition"], detail=detail,
                         reason=cond["type"]), phase, _CONDITION_STEP.get(cond["type"], len(_CONDITION_STEP)))
    for event in pod_events:
        phase = _PH_SCHEDULED if event.reason in _SCHEDULING_REASONS else \
            _PH_POD_SETUP if event.reason in _POD_SETUP_REASONS else _PH_RUNNING
        kind = SCHEDULED if event.reason == "Scheduled" else EVENT
        detail = "" if kind == SCHEDULED else event.reason
        agg = _aggregate_detail(event)
        detail = " ".join(x for x in (detail, agg) if x)
        builder.add(Mark(time=event.first, kind=kind, container=None, sources=["event"], detail=detail,
                         message=event.message, precision=event.precision, count=event.count,
                         last=event.last if event.count > 1 else None, reason=event.reason,
                         aggregate="first" if event.count > 1 else None), phase)
    if job is not None:
        status = as_dict(job.get("status"))
        start = parse_time(status.get("startTime"))
        if start:
            builder.add(Mark(time=start, kind=JOB_STARTED, container=None, sources=["job"],
                             detail=as_str(as_dict(job.get("metadata")).get("name")) or ""), _PH_JOB_START)
        done = parse_time(status.get("completionTime"))
        if done:
            builder.add(Mark(time=done, kind=JOB_COMPLETED, container=None, sources=["job"]), _PH_END)
        for cond in as_list(status.get("conditions")):
            cond = as_dict(cond)
            if cond.get("type") == "Failed" and cond.get("status") == "True":
                when = parse_time(cond.get("lastTransitionTime"))
                if when:
                    builder.add(Mark(time=when, kind=JOB_FAILED, container=None, sources=["job"],
                                     detail=as_str(cond.get("reason")) or "", message=as_str(cond.get("message"))),
                                _PH_END)


def _note_events(notes: list, state: str, count: int, summary: PodSummary, now: datetime | None) -> None:
    if state == EVENTS_ABSENT:
        notes.append("the input holds no events: the timeline rests on statuses and conditions "
                     "(save them with: kubectl get pod,events -o json)")
    elif state == EVENTS_FORBIDDEN:
        notes.append("listing events was forbidden: the timeline rests on statuses and conditions")
    elif state == EVENTS_UNAVAILABLE:
        notes.append("events could not be read: the timeline rests on statuses and conditions")
    elif count == 0:
        age = ""
        if now is not None and summary.created is not None:
            minutes = int((now - summary.created).total_seconds() // 60)
            if minutes >= 60:
                age = f" (the pod is {minutes // 60}h{minutes % 60:02d}m old)"
        notes.append("no events found for this pod: events expire after 1 hour by default" + age +
                     "; the timeline rests on statuses and conditions")


def _note_containers(notes: list, cts: list, statuses: dict, containers: list) -> None:
    if not statuses:
        notes.append("the pod has no container statuses (not started yet, or the input was cut)")
    declared = {(c.section, c.name) for c in containers}
    for section, name in statuses:
        if (section, name) not in declared:
            notes.append(f'a status names container "{name}", which the pod spec does not declare')
    for ct in cts:
        for run in ct.runs:
            if run.state == RUN_IMPLIED:
                notes.append(f"{ct.name}: {run.note}")
        known = [r for r in ct.runs if r.started_at and r.finished_at]
        for run in known:
            if run.finished_at < run.started_at:
                notes.append(f"{ct.name}: a run finished before it started ({run.source}); "
                             "the writer's clock is off")
