"""The picture of a timeline as data: rows, bar segments and points in seconds from the pod's start.

Every picture (SVG, HTML, Mermaid, Chrome trace) is drawn from one :class:`Layout`, so they agree with
each other and with the terminal Gantt (``render/gantt.py``): the same runs, back-off gaps, stopping
phases after a stop request, restarts and exits. Times are seconds from the timeline's origin (the pod's
creation); ``lo`` is negative when something (a Job's start) came before it. Text here is raw: each
format escapes it in its own syntax.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime

from kubectl_sidecar.model import MarkKind, RunState
from kubectl_sidecar.raw import format_time
from kubectl_sidecar.record import record
from kubectl_sidecar.render.rows import role_label
from kubectl_sidecar.timefmt import format_duration
from kubectl_sidecar.timeline import ContainerTimeline, Mark, Run, Timeline

RUNNING, STOPPING, BACK_OFF, UNKNOWN = "running", "stopping", "back-off", "unknown"
EXIT_OK, EXIT_FAIL, STOP, RESTART, POD = "exit-ok", "exit-fail", "stop", "restart", "pod"
STATES = (RUNNING, STOPPING, BACK_OFF, UNKNOWN)

_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


@record(frozen=True)
class Row:
    """One container: its name, its role label (``sidecar/acs``) and its role (the colour)."""

    name: str
    role: str
    label: str


@record(frozen=True)
class Segment:
    """A piece of a bar: ``state`` is running, stopping, back-off or unknown."""

    row: int
    state: str
    start: float
    end: float
    run: int  # 1-based run number of the container
    title: str
    finished: bool = False  # the run has an end (an exit); else it is still running, or unknown


@record(frozen=True)
class Point:
    """A mark drawn on a row (``row`` set) or on the pod lane (``row`` is ``None``)."""

    row: int | None
    kind: str  # exit-ok, exit-fail, stop, restart, pod
    at: float
    label: str
    title: str


@record(frozen=True)
class Layout:
    title: str
    subtitle: str
    origin: datetime
    lo: float  # the chart's first second (0 or earlier)
    hi: float  # the chart's last second
    rows: tuple[Row, ...]
    segments: tuple[Segment, ...]
    points: tuple[Point, ...]

    @property
    def span(self) -> float:
        return max(self.hi - self.lo, 1.0)

    def ticks(self, at_most: int) -> list[tuple[float, str]]:
        """Axis ticks at multiples of a 1/2/5/10/15/30/60 s... step, at most ``at_most`` of them."""
        step: float = next((s for s in _STEPS if self.span / s <= at_most), 0)
        if not step:  # beyond a day per tick: whole days
            step = _STEPS[-1] * math.ceil(self.span / at_most / _STEPS[-1])
        first = math.ceil(self.lo / step)
        return [(n * step, format_duration(n * step)) for n in range(first, math.floor(self.hi / step) + 1)]


def when(at: datetime, origin: datetime) -> str:
    """``+14s (2024-10-29T03:24:32Z)``: the offset and the exact time, for hover text."""
    offset = format_duration((at - origin).total_seconds(), precise=True)
    return f"{offset if offset.startswith('-') else '+' + offset} ({format_time(at)})"


def exit_label(run: Run) -> str:
    """``exit 0``, ``exit 1``, ``exit 0, forced (137)``, ``exit ?``."""
    code = "?" if run.exit_code is None else str(run.exit_code)
    return f"exit {code}" + (f", forced ({run.original_exit_code})" if run.forced else "")


def exit_ok(run: Run) -> bool:
    return run.exit_code == 0 and not (run.forced and run.original_exit_code)


# The pod- and Job-level marks a picture labels (the table and trace keep every mark).
def pod_label(mark: Mark) -> str | None:
    kind, detail = mark.kind, mark.detail
    if kind == MarkKind.CONDITION:
        if detail.startswith("Initialized=True"):
            return "initialized"
        if detail.startswith("Ready=True"):
            return "ready"
        if detail.startswith("Ready=False") and "PodCompleted" in detail:
            return "completed"
        return None
    labels = {
        MarkKind.JOB_STARTED: "job started",
        MarkKind.SCHEDULED: "scheduled",
        MarkKind.DELETION_REQUESTED: "deletion requested",
        MarkKind.GRACE_ENDS: "grace period ends",
        MarkKind.JOB_COMPLETED: "job completed",
        MarkKind.JOB_FAILED: "job failed",
    }
    return labels.get(kind)


def build_layout(timeline: Timeline) -> Layout | None:
    """The layout of a timeline; ``None`` when it has no origin (nothing to place) or no container."""
    origin = timeline.origin
    if origin is None or not timeline.containers:
        return None

    def sec(at: datetime) -> float:
        return (at - origin).total_seconds()

    lo = min([0.0] + [sec(m.time) for m in timeline.marks])
    hi = max([sec(timeline.end or origin)] + [sec(m.time) for m in timeline.marks])
    rows = tuple(Row(ct.name, str(ct.container.role), role_label(ct.container)) for ct in timeline.containers)
    segments: list[Segment] = []
    points: list[Point] = []
    for index, ct in enumerate(timeline.containers):
        _place_container(index, ct, timeline, sec, hi, segments, points)
    seen: set[str] = set()
    for mark in timeline.marks:
        label = pod_label(mark) if mark.container is None else None
        if label and label not in seen:
            seen.add(label)
            title = f"{label}: {mark.kind} {mark.detail}".rstrip() + f" at {when(mark.time, origin)}"
            points.append(Point(None, POD, sec(mark.time), label, title))
    return Layout(
        title=_title(timeline),
        subtitle=_subtitle(timeline),
        origin=origin,
        lo=lo,
        hi=max(hi, lo + 1.0),
        rows=rows,
        segments=tuple(segments),
        points=tuple(points),
    )


def _place_container(
    index: int,
    ct: ContainerTimeline,
    timeline: Timeline,
    sec: Callable[[datetime], float],
    hi: float,
    segments: list[Segment],
    points: list[Point],
) -> None:
    origin = timeline.origin
    assert origin is not None
    runs = [r for r in ct.runs if r.state != RunState.IMPLIED and r.started_at is not None]
    implied_first = any(r.state == RunState.IMPLIED for r in ct.runs[:1])
    stops = [m for m in timeline.marks if m.container == ct.name and m.kind == MarkKind.STOP_REQUESTED]
    previous_end: float | None = None
    name = ct.name
    for number, run in enumerate(runs, start=1):
        assert run.started_at is not None
        begin = sec(run.started_at)
        if run.finished_at is not None:
            end = sec(run.finished_at)
        else:
            following = runs[number].started_at if number < len(runs) else None
            end = sec(following) if following is not None else hi
        end = max(end, begin)
        if previous_end is not None and begin > previous_end:
            segments.append(
                Segment(index, BACK_OFF, previous_end, begin, number, f"{name}: back-off before run {number}")
            )
        state = UNKNOWN if run.state == RunState.UNKNOWN else RUNNING
        described = "status unknown (seen only in events)" if state == UNKNOWN else "running"
        span = f"from {when(run.started_at, origin)}"
        if run.finished_at is not None:
            span += f" to {when(run.finished_at, origin)}, {format_duration(end - begin, precise=True)}"
        else:
            span += ", no end recorded"
        head = f"{name} run {number}: {described} {span}"
        if run.finished_at is not None:
            head += f"; {exit_label(run)}" + (f" ({run.reason})" if run.reason else "")
        stop = next(
            (
                m
                for m in stops
                if run.started_at <= m.time and (run.finished_at is None or m.time <= run.finished_at)
            ),
            None,
        )
        cut = min(max(sec(stop.time), begin), end) if stop is not None else end
        segments.append(Segment(index, state, begin, cut, number, head, run.finished_at is not None))
        if stop is not None:
            segments.append(
                Segment(
                    index,
                    STOPPING,
                    cut,
                    end,
                    number,
                    f"{name} run {number}: stopping from {when(stop.time, origin)}"
                    + (f" to {when(run.finished_at, origin)}" if run.finished_at else ""),
                    run.finished_at is not None,
                )
            )
            points.append(
                Point(
                    index,
                    STOP,
                    cut,
                    "stop requested",
                    f"{name}: stop requested at {when(stop.time, origin)}"
                    + (f" ({stop.reason})" if stop.reason else ""),
                )
            )
        if number > 1 or implied_first:
            points.append(
                Point(
                    index, RESTART, begin, "restart", f"{name}: restarted at {when(run.started_at, origin)}"
                )
            )
        if run.finished_at is not None:
            label = exit_label(run)
            detail = f"{label}" + (f" ({run.reason})" if run.reason else "")
            if run.forced:
                detail += f"; the real exit was {run.original_exit_code}" + (
                    f" ({run.original_reason})" if run.original_reason else ""
                )
            points.append(
                Point(
                    index,
                    EXIT_OK if exit_ok(run) else EXIT_FAIL,
                    end,
                    label,
                    f"{name}: {detail} at {when(run.finished_at, origin)}",
                )
            )
        previous_end = end if run.finished_at is not None else None


def _title(timeline: Timeline) -> str:
    pod = timeline.pod
    text = f"pod {pod.name}" + (f" ({pod.phase})" if pod.phase else "")
    if pod.namespace:
        text += f" in {pod.namespace}"
    return text


def _subtitle(timeline: Timeline) -> str:
    pod = timeline.pod
    parts = []
    if pod.job or timeline.job is not None:
        job = pod.job or (timeline.job.name if timeline.job else None) or "?"
        state = f" ({timeline.job.state})" if timeline.job is not None and timeline.job.state else ""
        parts.append(f"Job {job}{state}")
    version = timeline.cluster_version
    parts.append(f"Kubernetes {version.git_version}" if version else "Kubernetes version unknown")
    if pod.node:
        parts.append(f"node {pod.node}")
    if timeline.origin is not None:
        parts.append(f"created {format_time(timeline.origin)}")
    return " · ".join(parts)
