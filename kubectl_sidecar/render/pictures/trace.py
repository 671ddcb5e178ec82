"""A timeline as Chrome Trace Event JSON, for Perfetto (ui.perfetto.dev) and chrome://tracing.

One process, the pod; one thread (track) per container in spec order, and track 0 for the pod's and
the Job's own marks. Each run is a complete event (``ph: "X"``) and the stopping phase after a stop
request a nested complete event inside it; a back-off gap is one too; every mark of the timeline is an
instant event (``ph: "i"``) on its container's track. ``ts`` and ``dur`` are whole microseconds from
``otherData.zero`` (the chart's first moment: the pod's creation, or an earlier Job start); exact times
and details ride in ``args``. JSON escapes every character the terminal sanitiser would change, as the
JSON output does (``render.document``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from kubectl_sidecar.raw import format_time
from kubectl_sidecar.render.document import dump_json
from kubectl_sidecar.render.pictures.layout import Layout
from kubectl_sidecar.timeline import Mark, Timeline

PID = 1


def _micros(seconds: float) -> int:
    return int(round(seconds * 1_000_000))


def render_trace(timeline: Timeline, layout: Layout | None) -> str:
    """The trace document (``{"traceEvents": [...], ...}``) as JSON text."""
    events: list[dict] = [
        {
            "ph": "M",
            "pid": PID,
            "tid": 0,
            "name": "process_name",
            "args": {"name": f"pod {timeline.pod.name}"},
        },
        {"ph": "M", "pid": PID, "tid": 0, "name": "thread_name", "args": {"name": "(pod)"}},
        {"ph": "M", "pid": PID, "tid": 0, "name": "thread_sort_index", "args": {"sort_index": 0}},
    ]
    other: dict = {
        "pod": timeline.pod.name,
        "namespace": timeline.pod.namespace,
        "zero": None,
        "origin": None,
    }
    if layout is None or timeline.origin is None:
        return _dump({"traceEvents": events, "displayTimeUnit": "ms", "otherData": other})
    origin = timeline.origin
    zero = origin + timedelta(seconds=layout.lo)
    other.update(
        zero=format_time(zero),
        origin=format_time(origin),
        job=timeline.pod.job,
        clusterVersion=timeline.cluster_version.git_version if timeline.cluster_version else None,
    )
    tids = {row.name: index + 1 for index, row in enumerate(layout.rows)}
    for row, tid in tids.items():
        label = next(r.label for r in layout.rows if r.name == row)
        events.append(
            {"ph": "M", "pid": PID, "tid": tid, "name": "thread_name", "args": {"name": f"{row} ({label})"}}
        )
        events.append(
            {"ph": "M", "pid": PID, "tid": tid, "name": "thread_sort_index", "args": {"sort_index": tid}}
        )
    # A run's slices in order: the run itself (running or unknown), then the stopping phase inside it.
    runs: dict[tuple[int, int], dict] = {}
    for seg in layout.segments:
        tid = seg.row + 1
        ts = _micros(seg.start - layout.lo)
        dur = max(_micros(seg.end - layout.lo) - ts, 0)
        event = {
            "ph": "X",
            "pid": PID,
            "tid": tid,
            "ts": ts,
            "dur": dur,
            "cat": seg.state,
            "name": seg.state if seg.state in ("back-off", "stopping") else f"run {seg.run}",
            "args": {"state": seg.state, "detail": seg.title},
        }
        parent = runs.get((seg.row, seg.run))
        if seg.state == "stopping" and parent is not None:
            # The run's slice covers its stopping phase: the child stays inside its parent.
            parent["dur"] = max(parent["dur"], ts + dur - parent["ts"])
        elif seg.state != "back-off":
            runs[(seg.row, seg.run)] = event
        events.append(event)
    for mark in timeline.marks:
        events.append(_instant(mark.time, zero, tids.get(mark.container or "", 0), mark))
    return _dump({"traceEvents": events, "displayTimeUnit": "ms", "otherData": other})


def _instant(at: datetime, zero: datetime, tid: int, mark: Mark) -> dict:
    args = {
        "time": format_time(at),
        "detail": mark.detail,
        "source": mark.source,
        "reason": mark.reason,
        "exitCode": mark.exit_code,
        "message": mark.message,
        "count": mark.count,
    }
    return {
        "ph": "i",
        "s": "t" if tid else "p",
        "pid": PID,
        "tid": tid,
        "ts": _micros((at - zero).total_seconds()),
        "cat": "mark",
        "name": str(mark.kind) + (f": {mark.detail}" if mark.detail else ""),
        "args": {k: v for k, v in args.items() if v is not None},
    }


def _dump(document: dict) -> str:
    return dump_json(document)
