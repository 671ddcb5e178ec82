"""The marks of a timeline and their order: by second, then by meaning, never by list position.

Marks from every source are ordered by time at the precision the data has (whole seconds for statuses
and kubelet events: a whole-second mark sorts at the start of its second, before any precise mark later
in that second), then by the phase of the pod's life they belong to (created < started < stop
requested < finished, init containers before regular ones), then by the step within a container's run.
"""

from __future__ import annotations

from datetime import datetime

from kubectl_sidecar.model import (
    SECTION_INIT,
    SECTION_REGULAR,
    Condition,
    Container,
    Event,
    JobInfo,
    MarkKind,
    Precision,
    Role,
    RunState,
)
from kubectl_sidecar.timeline.runs import same_second
from kubectl_sidecar.timeline.types import ContainerTimeline, Mark, PodSummary

# The enum members this module reads, as module globals: Python 3.11 does not specialise reading a class
# attribute (about 50 ns more than a global), and the timeline reads these several times per mark.
(
    BACK_OFF,
    CONDITION,
    CREATED,
    DELETION_REQUESTED,
    EVENT,
    FINISHED,
    GRACE_ENDS,
    JOB_COMPLETED,
    JOB_FAILED,
    JOB_STARTED,
    POD_CREATED,
    POD_STARTED,
    PULLED,
    PULLING,
    SCHEDULED,
    STARTED,
    STOP_REQUESTED,
) = (
    MarkKind.BACK_OFF,
    MarkKind.CONDITION,
    MarkKind.CREATED,
    MarkKind.DELETION_REQUESTED,
    MarkKind.EVENT,
    MarkKind.FINISHED,
    MarkKind.GRACE_ENDS,
    MarkKind.JOB_COMPLETED,
    MarkKind.JOB_FAILED,
    MarkKind.JOB_STARTED,
    MarkKind.POD_CREATED,
    MarkKind.POD_STARTED,
    MarkKind.PULLED,
    MarkKind.PULLING,
    MarkKind.SCHEDULED,
    MarkKind.STARTED,
    MarkKind.STOP_REQUESTED,
)
RUN_IMPLIED, RUN_UNKNOWN = RunState.IMPLIED, RunState.UNKNOWN
MICROS = Precision.MICROS
ROLE_INIT, ROLE_SIDECAR = Role.INIT, Role.SIDECAR

# Same-second ties are broken by meaning: the phase of the pod's life a mark belongs to, then the
# container's place in the start order, then the step within a container's run.
_STEP = {PULLING: 0, PULLED: 1, CREATED: 2, STARTED: 3, STOP_REQUESTED: 4, FINISHED: 5}
_RUN_START_KINDS = frozenset((PULLING, PULLED, CREATED, STARTED))  # looked up once per mark
_EVENT_KINDS = {
    "Pulling": PULLING,
    "Pulled": PULLED,
    "Created": CREATED,
    "Started": STARTED,
    "Killing": STOP_REQUESTED,
    "BackOff": BACK_OFF,
}
_POD_SETUP_REASONS = {
    "FailedMount",
    "FailedAttachVolume",
    "SuccessfulAttachVolume",
    "SandboxChanged",
    "FailedCreatePodSandBox",
    "FailedKillPod",
    "NetworkNotReady",
}
_SCHEDULING_REASONS = {"Scheduled", "FailedScheduling", "TriggeredScaleUp", "NotTriggerScaleUp"}
_CONDITION_PHASE_TRUE = {
    "PodScheduled": 2,
    "PodReadyToStartContainers": 3,
    "Initialized": 5,
    "ContainersReady": 7,
    "Ready": 7,
    "DisruptionTarget": 10,
}
# Conditions that change in one second follow their dependencies: Ready needs ContainersReady.
_CONDITION_STEP = {
    t: i
    for i, t in enumerate(
        (
            "PodScheduled",
            "PodReadyToStartContainers",
            "Initialized",
            "ContainersReady",
            "Ready",
            "DisruptionTarget",
        )
    )
}
_PH_JOB_START, _PH_POD_CREATED, _PH_SCHEDULED, _PH_POD_SETUP = 0, 1, 2, 3
_PH_INIT, _PH_INITIALIZED, _PH_REGULAR, _PH_READY, _PH_RUNNING = 4, 5, 6, 7, 8
_PH_APP_EXIT, _PH_DELETION, _PH_STOP, _PH_EXIT, _PH_RESTART, _PH_END = 9, 10, 11, 12, 13, 14


class MarkBuilder:
    """Collects marks, each with its ordering key beside it. Marks are immutable: a merge replaces one."""

    def __init__(self, containers: list[Container]):
        self.marks: list[Mark] = []
        self._keys: list[tuple] = []  # the ordering key of each mark, at the same index
        self.start_rank: dict[str, int] = {}
        self.run0_start: dict[str, datetime] = {}
        # Legacy-marked sidecars are started first by the platforms that honour the marker.
        regular = [c for c in containers if c.section != SECTION_INIT]
        regular.sort(key=lambda c: (0 if c.is_legacy_sidecar else 1, c.section != SECTION_REGULAR, c.index))
        for rank, c in enumerate([c for c in containers if c.section == SECTION_INIT] + regular):
            self.start_rank[c.name] = rank

    def add(self, mark: Mark, phase: int, step: int | None = None) -> None:
        # A whole-second mark sorts at its second, a precise one at its own time: so the TIME column,
        # which shows each at its precision, never runs backwards (+0s before +0.21s); ties by meaning.
        second = mark.time if mark.precision == MICROS else mark.time.replace(microsecond=0)
        rank = self.start_rank.get(mark.container, -1) if mark.container else -1
        step = _STEP.get(mark.kind, 6) if step is None else step
        self._keys.append((second, phase, rank, step, mark.time, len(self.marks)))
        self.marks.append(mark)

    def ordered(self) -> list[Mark]:
        """The marks by second, then by meaning (phase, start order, step), then by time and arrival."""
        return [mark for _key, mark in sorted(zip(self._keys, self.marks), key=lambda pair: pair[0])]

    def container_phase(self, container: Container, kind: MarkKind, when: datetime) -> int:
        if kind in _RUN_START_KINDS:
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

    def merge_start(self, name: str, when: datetime, event: Event) -> bool:
        """Fold a Started event into the run start it confirms, so one start shows once."""
        for index, mark in enumerate(self.marks):
            if mark.container == name and mark.kind == STARTED and same_second(mark.time, when):
                if "event" not in mark.sources:
                    self.marks[index] = mark._replace(
                        sources=mark.sources + ("event",),
                        message=event.message if mark.message is None else mark.message,
                    )
                return True
        return False


def add_run_marks(builder: MarkBuilder, ct: ContainerTimeline) -> None:
    """A mark for each start and each exit of the container's runs."""
    container = ct.container
    for index, run in enumerate(ct.runs):
        if run.state == RUN_IMPLIED:
            continue
        if run.started_at is not None:
            earlier_implied = all(r.state == RUN_IMPLIED for r in ct.runs[:index])
            detail = "" if index == 0 or earlier_implied else f"restart {index}"
            if run.state == RUN_UNKNOWN:
                detail = (detail + " " if detail else "") + "(status does not show this run)"
            builder.add(
                Mark(
                    time=run.started_at,
                    kind=STARTED,
                    container=container.name,
                    sources=("event" if run.source == "event" else "status",),
                    detail=detail,
                    run=index,
                ),
                builder.container_phase(container, STARTED, run.started_at),
            )
        if run.finished_at is not None:
            detail = f"exit {run.exit_code}" if run.exit_code is not None else "exit ?"
            if run.reason:
                detail += f" ({run.reason})"
            if run.forced:
                detail += f", forced; original exit {run.original_exit_code}"
                if run.original_reason:
                    detail += f" ({run.original_reason})"
            builder.add(
                Mark(
                    time=run.finished_at,
                    kind=FINISHED,
                    container=container.name,
                    sources=("status",),
                    detail=detail,
                    message=run.message,
                    reason=run.reason,
                    exit_code=run.exit_code,
                    run=index,
                ),
                builder.container_phase(container, FINISHED, run.finished_at),
            )


def _aggregate_detail(event: Event) -> str:
    if event.count <= 1:
        return ""
    span = int((event.last - event.first).total_seconds()) if event.last and event.first else 0
    return f"x{event.count} over {span}s"


def add_event_marks(builder: MarkBuilder, ct: ContainerTimeline) -> None:
    """A mark for each event of the container (first and last of an aggregated one)."""
    container = ct.container
    for event in ct.events:
        kind = _EVENT_KINDS.get(event.reason, EVENT)
        occurrences: list[tuple[datetime | None, str | None]] = [
            (event.first, "first" if event.count > 1 else None)
        ]
        if event.count > 1 and event.last != event.first:
            occurrences.append((event.last, "last"))
        for when, aggregate in occurrences:
            if when is None:
                continue
            if kind == STARTED and builder.merge_start(container.name, when, event):
                continue
            detail = event.reason if kind == EVENT else ""
            agg = _aggregate_detail(event)
            if aggregate == "last":
                agg = f"last of {event.count}"
            detail = " ".join(x for x in (detail, agg) if x)
            phase = builder.container_phase(container, kind, when)
            if kind == EVENT and event.reason in ("ExceededGracePeriod", "FailedPreStopHook"):
                phase = _PH_STOP
            builder.add(
                Mark(
                    time=when,
                    kind=kind,
                    container=container.name,
                    sources=("event",),
                    detail=detail,
                    message=event.message,
                    precision=event.precision,
                    count=event.count,
                    last=event.last if aggregate == "first" else None,
                    reason=event.reason,
                    aggregate=aggregate,
                ),
                phase,
            )


def add_pod_marks(
    builder: MarkBuilder,
    summary: PodSummary,
    conditions: tuple[Condition, ...],
    job: JobInfo | None,
    pod_events: list[Event],
) -> None:
    """Marks of the pod as a whole: creation, start, deletion, conditions, pod events, its Job."""
    if summary.created:
        builder.add(
            Mark(time=summary.created, kind=POD_CREATED, container=None, sources=("pod",)), _PH_POD_CREATED
        )
    if summary.started:
        builder.add(
            Mark(
                time=summary.started,
                kind=POD_STARTED,
                container=None,
                sources=("pod",),
                detail="accepted by the kubelet" + (f" on {summary.node}" if summary.node else ""),
            ),
            _PH_POD_SETUP,
        )
    if summary.deletion_requested:
        builder.add(
            Mark(time=summary.deletion_requested, kind=DELETION_REQUESTED, container=None, sources=("pod",)),
            _PH_DELETION,
        )
    if summary.deletion_deadline and summary.deletion_deadline != summary.deletion_requested:
        builder.add(
            Mark(time=summary.deletion_deadline, kind=GRACE_ENDS, container=None, sources=("pod",)), _PH_END
        )
    for cond in conditions:
        if cond.time is None:
            continue
        detail = f"{cond.type}={cond.status}"
        if cond.reason:
            detail += f" ({cond.reason})"
        phase = _CONDITION_PHASE_TRUE.get(cond.type, _PH_RUNNING) if cond.status == "True" else _PH_END
        kind = SCHEDULED if cond.type == "PodScheduled" and cond.status == "True" else CONDITION
        builder.add(
            Mark(
                time=cond.time,
                kind=kind,
                container=None,
                sources=("condition",),
                detail=detail,
                reason=cond.type,
            ),
            phase,
            _CONDITION_STEP.get(cond.type, len(_CONDITION_STEP)),
        )
    for event in pod_events:
        if event.first is None:
            continue
        if event.reason in _SCHEDULING_REASONS:
            phase = _PH_SCHEDULED
        elif event.reason in _POD_SETUP_REASONS:
            phase = _PH_POD_SETUP
        else:
            phase = _PH_RUNNING
        kind = SCHEDULED if event.reason == "Scheduled" else EVENT
        detail = "" if kind == SCHEDULED else event.reason
        agg = _aggregate_detail(event)
        detail = " ".join(x for x in (detail, agg) if x)
        builder.add(
            Mark(
                time=event.first,
                kind=kind,
                container=None,
                sources=("event",),
                detail=detail,
                message=event.message,
                precision=event.precision,
                count=event.count,
                last=event.last if event.count > 1 else None,
                reason=event.reason,
                aggregate="first" if event.count > 1 else None,
            ),
            phase,
        )
    if job is not None:
        _add_job_marks(builder, job)


def _add_job_marks(builder: MarkBuilder, job: JobInfo) -> None:
    if job.start_time:
        builder.add(
            Mark(
                time=job.start_time,
                kind=JOB_STARTED,
                container=None,
                sources=("job",),
                detail=job.name or "",
            ),
            _PH_JOB_START,
        )
    if job.completion_time:
        builder.add(
            Mark(time=job.completion_time, kind=JOB_COMPLETED, container=None, sources=("job",)), _PH_END
        )
    for cond in job.conditions:
        if cond.type == "Failed" and cond.status == "True" and cond.time:
            builder.add(
                Mark(
                    time=cond.time,
                    kind=JOB_FAILED,
                    container=None,
                    sources=("job",),
                    detail=cond.reason or "",
                    message=cond.message,
                ),
                _PH_END,
            )
