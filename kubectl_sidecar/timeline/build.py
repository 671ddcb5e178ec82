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

from kubectl_sidecar.knownsidecars import Catalogue
from kubectl_sidecar.model import (
    ClusterVersion,
    Event,
    EventsState,
    JobInfo,
    MarkKind,
    RunState,
    detect_platform,
    parse_containers,
    parse_owner,
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
        owner=parse_owner(pod),
        cronjob=job.cronjob if job is not None else None,
    )


# An event without a uid dated this long before the pod's creation is another pod's of the same name:
# events live an hour by default, and no clock is that far off.
FOREIGN_AFTER = timedelta(hours=1)
_JOB_KINDS = (MarkKind.JOB_STARTED, MarkKind.JOB_COMPLETED, MarkKind.JOB_FAILED)


def own_events(events: Iterable[Event], summary: PodSummary) -> tuple[list[Event], int]:
    """The events that can be this pod's, and how many were left out: a uid-less event (older ACS
    virtual nodes wrote them) that ended long before the pod was created is an earlier pod's."""
    events = list(events)
    created = summary.created
    if created is None:
        return events, 0
    kept = [e for e in events if e.object_uid or created - e.last <= FOREIGN_AFTER]
    return kept, len(events) - len(kept)


def choose_origin(created: datetime | None, marks: Sequence) -> datetime | None:
    """Where offsets start: the earliest of the pod's own marks (its creation, or a container the
    kubelet's clock dates earlier); the Job's marks are the Job's, not the pod's."""
    own = [m.time for m in marks if m.kind not in _JOB_KINDS]
    if created is not None:
        own.append(created)
    if own:
        return min(own)
    return marks[0].time if marks else None


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
    catalogue: Catalogue | None = None,
    now_source: str = "clock",
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
        now: the current time (``None`` for files without ``--now``): how old the pod is, how long a
            container has run; ``now_source`` says where it comes from (``clock`` or ``flag``).
        catalogue: the sidecar catalogue (default: the built-in one).
        read_notes: what the reading could not read (403/404 on optional data): they come first among
            the timeline's notes, so ``-o json|yaml`` carries them too.
    """
    pod = as_dict(pod)
    summary = summarise_pod(pod, job)
    events, foreign = own_events(events, summary)
    events = sorted(events, key=lambda e: (e.first, e.last))
    containers = parse_containers(pod, declared_sidecars, catalogue)
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
    origin = choose_origin(summary.created, marks)
    times = [m.time for m in marks] + [m.last for m in marks if m.last]
    end = max(times) if times else origin
    data_end = end
    still_running = any(r.state == RunState.RUNNING for c in container_timelines for r in c.runs)
    if now is not None and end is not None and still_running:
        end = max(end, now)

    version = cluster_version or pod_annotation_version(pod)
    notes = note_events(events_state, len(events), summary, now)
    notes += note_containers(container_timelines, statuses, containers)
    notes += note_clock_skew(marks, summary.created)
    if foreign:
        notes.append(
            f"{foreign} event{'s' if foreign > 1 else ''} without a uid, dated over an hour before this pod "
            "was created, belong to an earlier pod of the same name: left out"
        )
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
        snapshot_time=now if now is not None else data_end,
        snapshot_source=(now_source if now is not None else "data") if (now or data_end) else None,
    )
