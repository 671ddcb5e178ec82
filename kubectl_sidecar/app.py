"""The application layer: snapshot in, timeline and rendered text out. No flags, no terminal, no network."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from kubectl_sidecar.options import RenderOptions
from kubectl_sidecar.render import document, gantt, table
from kubectl_sidecar.snapshot import Snapshot
from kubectl_sidecar.timeline import Timeline, build_timeline


def timeline_for_pod(snapshot: Snapshot, pod: dict, *, declared_sidecars: Iterable[str] = (),
                     now: datetime | None = None) -> Timeline:
    """Build the timeline of one pod of a snapshot, with everything the snapshot knows about it."""
    return build_timeline(
        pod, snapshot.events_for(pod), job=snapshot.job_for(pod), node=snapshot.node_for(pod),
        cluster_version=snapshot.server_version, declared_sidecars=declared_sidecars,
        events_state=snapshot.events_state, now=now,
    )


def render_timeline(timeline: Timeline, opts: RenderOptions) -> str:
    """The whole stdout of ``timeline`` for one pod, as one string (written only once complete)."""
    if opts.output in ("json", "yaml"):
        return document.dump(document.timeline_to_dict(timeline), opts.output)
    parts = [table.render_table(timeline, wide=opts.output == "wide", absolute=opts.absolute_time, utc=opts.utc)]
    if opts.chart:
        chart = gantt.render_gantt(timeline, width=opts.width, colour=opts.colour, ascii_only=opts.ascii_only)
        if chart:
            parts.append(chart)
    return "\n".join(parts)
