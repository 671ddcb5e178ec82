"""Rebuild a pod's start/exit timeline from its statuses, conditions and events. Pure: no I/O.

Sources and how they merge are described in docs/timeline.md. In short:

* containers come in spec order (init, regular, ephemeral), never in status order;
* runs come from ``lastState``/``state`` and ``restartCount``; ``Started`` events that the status
  does not explain are runs too (a legacy sidecar's status stops updating after a restart);
* marks from every source are ordered by time at the precision the data has (see ``marks``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from kubectl_sidecar.model import (
    ClusterVersion,
    Event,
    EventsState,
    JobInfo,
    RunState,
    detect_platform,
    parse_containers,
    parse_pod_conditions,
    parse_pod_facts,
    pod_annotation_version,
)
from kubectl_sidecar.raw import as_dict, as_int, as_list, as_str, parse_time
from kubectl_sidecar.timeline.marks import MarkBuilder, add_event_marks, add_pod_marks, add_run_marks
from kubectl_sidecar.timeline.notes import note_clock_skew, note_containers, note_events
from kubectl_sidecar.timeline.runs import build_runs, status_index
from kubectl_sidecar.timeline.types import ContainerTimeline, PodSummary, Timeline


def _shift(when: datetime, seconds: float) -> datetime | None:
    """``when`` moved by ``seconds``; ``None`` when that leaves the range of dates (absurd input)."""
    try:
        return when + timedelta(seconds=seconds)
    except (OverflowError, ValueError):
        return None


def summarise_pod(pod: Mapping, job: JobInfo | None) -> PodSummary:
    """The pod's identity and life times, and the name of the Job that owns it."""
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
        job_name = job.name
    return PodSummary(
        name=as_str(meta.get("name")) or "(unnamed)",
        namespace=as_str(meta.get("namespace")),
        uid=as_str(meta.get("uid")),
        phase=as_str(status.get("phase")),
        node=as_str(spec.get("nodeName")),
        created=parse_time(meta.get("creationTimestamp")),
        started=parse_time(status.get("startTime")),
        deletion_requested=requested,
        deletion_deadline=deadline if grace else None,
        restart_policy=as_str(spec.get("restartPolicy")),
        job=job_name,
    )


def build_timeline(
    pod: Any,
    events: Iterable[Event] = (),
    *,
    job: JobInfo | None = None,
    node: Mapping | None = None,
    cluster_version: ClusterVersion | None = None,
    declared_sidecars: Iterable[str] = (),
    events_state: str = EventsState.LISTED,
    now: datetime | None = None,
    read_notes: Sequence[str] = (),
) -> Timeline:
    """Rebuild the timeline of one pod.

    Args:
        pod: the raw Pod dict.
        events: the pod's events, already matched to it (``Snapshot.events_for``).
        job: the owning Job (``model.parse_job``), when known.
        node: the pod's Node, when known (virtual-node detection).
        cluster_version: the server version, when known.
        declared_sidecars: container names the user declared as sidecars (``--sidecar``).
        events_state: what we know about the completeness of ``events``.
        now: the current time, to say how old the pod is; ``None`` for files.
        read_notes: what the reading could not read (403/404 on optional data): they come first among
            the timeline's notes, so ``-o json|yaml`` carries them too.
    """
    pod = as_dict(pod)
    events = sorted(events, key=lambda e: (e.first, e.last))
    containers = parse_containers(pod, declared_sidecars)
    summary = summarise_pod(pod, job)
    statuses = status_index(pod)
    builder = MarkBuilder(containers)

    by_container: dict[str, list[Event]] = {}
    pod_events: list[Event] = []
    for event in events:
        if event.container:  # by name, also where spec and events disagree on the section
            by_container.setdefault(event.container, []).append(event)
        else:
            pod_events.append(event)

    container_timelines: list[ContainerTimeline] = []
    for container in containers:
        status = statuses.get((container.section, container.name))
        c_events = by_container.get(container.name, [])
        runs, state, waiting, event_total = build_runs(status, c_events)
        ready = status.get("ready") if status else None
        started = status.get("started") if status else None
        container_timelines.append(
            ContainerTimeline(
                container=container,
                runs=runs,
                has_status=status is not None,
                restart_count=as_int(status.get("restartCount")) if status else None,
                ready=ready if isinstance(ready, bool) else None,
                started=started if isinstance(started, bool) else None,
                state=state,
                waiting_reason=waiting,
                event_starts=event_total,
                events=c_events,
            )
        )
        first_start = min((r.started_at for r in runs if r.started_at), default=None)
        if first_start is not None:
            builder.run0_start[container.name] = first_start

    for ct in container_timelines:
        add_run_marks(builder, ct)
        add_event_marks(builder, ct)
    conditions = parse_pod_conditions(pod)
    add_pod_marks(builder, summary, conditions, job, pod_events)

    marks = builder.ordered()
    origin = summary.created or (marks[0].time if marks else None)
    times = [m.time for m in marks] + [m.last for m in marks if m.last]
    end = max(times) if times else origin
    still_running = any(r.state == RunState.RUNNING for c in container_timelines for r in c.runs)
    if now is not None and end is not None and still_running:
        end = max(end, now)

    version = cluster_version or pod_annotation_version(pod)
    notes = note_events(events_state, len(events), summary, now)
    notes += note_containers(container_timelines, statuses, containers)
    notes += note_clock_skew(marks, origin)
    notes = [text for text in read_notes if text not in notes] + notes
    return Timeline(
        pod=summary,
        containers=container_timelines,
        marks=marks,
        notes=notes,
        origin=origin,
        end=end,
        cluster_version=version,
        platform=detect_platform(pod, node, version),
        events_state=EventsState(events_state),
        events_count=len(events),
        conditions=conditions,
        facts=parse_pod_facts(pod),
        job=job,
    )
