"""Notes on a timeline: what the data lacks or where its writers disagree, said once, in words."""

from __future__ import annotations

from datetime import datetime, timedelta

from kubectl_sidecar.model import Container, EventsState, MarkKind, RunState
from kubectl_sidecar.timefmt import format_duration
from kubectl_sidecar.timeline.types import ContainerTimeline, Mark, PodSummary


def note_events(state: str, count: int, summary: PodSummary, now: datetime | None) -> list[str]:
    """Say what the timeline rests on when events are missing."""
    if state == EventsState.ABSENT:
        return [
            "the input holds no events: the timeline rests on statuses and conditions "
            "(save them with: kubectl get pod,events -o json)"
        ]
    if state == EventsState.FORBIDDEN:
        return ["listing events was forbidden: the timeline rests on statuses and conditions"]
    if state == EventsState.UNAVAILABLE:
        return ["events could not be read: the timeline rests on statuses and conditions"]
    if count == 0:
        age = ""
        if now is not None and summary.created is not None:
            minutes = int((now - summary.created).total_seconds() // 60)
            if minutes >= 60:
                age = f" (the pod is {minutes // 60}h{minutes % 60:02d}m old)"
        return [
            "no events found for this pod: events expire after 1 hour by default"
            + age
            + "; the timeline rests on statuses and conditions"
        ]
    return []


def note_containers(
    cts: list[ContainerTimeline], statuses: dict[tuple[str, str], dict], containers: list[Container]
) -> list[str]:
    """Statuses the spec does not explain, runs only counted, runs that end before they start."""
    notes: list[str] = []
    if not statuses:
        notes.append("the pod has no container statuses (not started yet, or the input was cut)")
    declared = {(c.section, c.name) for c in containers}
    for section, name in statuses:
        if (section, name) not in declared:
            notes.append(f'a status names container "{name}", which the pod spec does not declare')
    for ct in cts:
        for run in ct.runs:
            if run.state == RunState.IMPLIED:
                notes.append(f"{ct.name}: {run.note}")
        for run in ct.runs:
            if run.started_at and run.finished_at and run.finished_at < run.started_at:
                notes.append(
                    f"{ct.name}: a run finished before it started ({run.source}); the writer's clock is off"
                )
    return notes


def note_clock_skew(marks: list[Mark], created: datetime | None) -> list[str]:
    """Marks dated before the pod's creation: the writers' clocks disagree. Offsets start at the earliest
    of the pod's marks, so none is negative; this note says why the creation is not at +0s."""
    if created is None:
        return []
    try:
        earliest_allowed = created - timedelta(seconds=1)
    except OverflowError:  # a creation in the year 1: nothing can be dated before it
        return []
    job_kinds = (MarkKind.JOB_STARTED, MarkKind.JOB_COMPLETED, MarkKind.JOB_FAILED)
    early = [m for m in marks if m.time < earliest_allowed and m.kind not in job_kinds]
    if not early:
        return []
    first = min(early, key=lambda m: m.time)
    what = f"{first.container} {first.kind}" if first.container else str(first.kind)
    ahead = format_duration((created - first.time).total_seconds())
    return [
        f"clock skew: {what} is dated {ahead} before the pod was created: the kubelet's and the API "
        "server's clocks disagree; offsets start at the earliest mark, and such marks keep the times "
        "their writers gave"
    ]
