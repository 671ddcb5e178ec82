"""``timeline --watch``: follow a pod live, redrawing on a terminal and appending new marks otherwise.

The API side (list+watch of the pod and its events, reconnects, 410 re-lists) is in ``kube.py``; this
module only decides what to print for each new state and when to stop: when the pod is deleted, when
it has finished with no container left running, or on Ctrl-C (all exit 0).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Callable

from tabulate import tabulate

from kubectl_sidecar.model import as_dict, as_str, pod_finished  # noqa: F401 - pod_finished is part of this API
from kubectl_sidecar.options import RenderOptions
from kubectl_sidecar.render.table import MESSAGE_WIDTH, first_line, role_label
from kubectl_sidecar.timefmt import format_offset, format_wallclock
from kubectl_sidecar.timeline import Timeline

CLEAR_SCREEN = "\x1b[H\x1b[2J"
def mark_key(mark) -> tuple:
    """What makes a mark new in append mode (an aggregated event counting up shows again)."""
    return (mark.time, mark.kind, mark.container, mark.detail, mark.count)


def render_marks(timeline: Timeline, marks: list, opts: RenderOptions) -> str:
    """Rows for marks that appeared since the last state, in the table's columns (no header)."""
    roles = {c.name: role_label(c.container) for c in timeline.containers}
    rows = []
    for mark in marks:
        when = format_wallclock(mark.time, opts.utc) if (opts.absolute_time or opts.utc) else \
            format_offset(mark.time, timeline.origin, mark.precision)
        container = mark.container or ("(job)" if mark.sources == ["job"] else "(pod)")
        row = [when, container, roles.get(mark.container, "") if mark.container else "", mark.kind, mark.detail]
        if opts.output == "wide":
            row += [mark.source, first_line(mark.message, MESSAGE_WIDTH)]
        rows.append(row)
    return tabulate(rows, tablefmt="plain", disable_numparse=True) + "\n"


def follow(updates: Iterable, *, build: Callable, render: Callable[[Timeline], str], opts: RenderOptions,
           write: Callable[[str], None], notify: Callable[[str], None], redraw: bool) -> int:
    """Print each new state of the pod until it is deleted or finished.

    Args:
        updates: ``kube.PodUpdate`` objects, the first being the initial snapshot.
        build: snapshot -> timeline.
        render: timeline -> the whole text of one state (table and chart, or a document).
        write: writes to stdout (flushes); notify: writes a note to stderr.
        redraw: clear the terminal and draw each state whole (a terminal); otherwise append.
    """
    seen: set = set()
    shown_notes: set = set()
    last_text = None
    for index, update in enumerate(updates):
        snapshot = update.snapshot
        timeline = build(snapshot)
        text = render(timeline)
        pod = snapshot.pods[0] if snapshot.pods else {}
        name = as_str(as_dict(pod.get("metadata")).get("name")) or "?"
        finished = update.deleted or pod_finished(pod)
        if index == 0 or opts.output in ("json", "yaml"):
            if text != last_text:
                write((CLEAR_SCREEN if redraw and index else "") + text)
        elif redraw:
            if text != last_text:
                phase = as_str(as_dict(pod.get("status")).get("phase")) or "?"
                footer = "" if finished else f"\nfollowing pod {name} ({phase}); Ctrl-C to stop\n"
                write(CLEAR_SCREEN + text + footer)
        else:
            new = [m for m in timeline.marks if mark_key(m) not in seen]
            if new:
                write(render_marks(timeline, new, opts))
        last_text = text
        seen.update(mark_key(m) for m in timeline.marks)
        for text_note in snapshot.notes + timeline.notes:
            if text_note not in shown_notes:
                shown_notes.add(text_note)
                notify(text_note)
        if index == 0 and not finished:
            notify(f"following pod {name}: new marks appear as they happen; Ctrl-C to stop")
        if update.deleted:
            notify(f"pod {name} was deleted")
            return 0
        if finished:
            notify(f"pod {name} has finished ({as_str(as_dict(pod.get('status')).get('phase'))}) "
                   "and no container is running")
            return 0
    return 0


def follow_pod(kube_opts, name: str, *, declared=(), opts: RenderOptions, cluster_version=None,
               write: Callable[[str], None], notify: Callable[[str], None], redraw: bool) -> int:
    """Follow a live pod for ``timeline --watch``; returns the exit code (0, also on Ctrl-C)."""
    from kubectl_sidecar import app, kube

    def build(snapshot):
        if cluster_version is not None:
            snapshot.server_version = cluster_version
        pod = snapshot.find_pod(name, None)
        return app.timeline_for_pod(snapshot, pod, declared_sidecars=declared, now=datetime.now(timezone.utc))

    updates = kube.follow_pod(kube_opts, name)
    try:
        return follow(updates, build=build, render=lambda t: app.render_timeline(t, opts), opts=opts,
                      write=write, notify=notify, redraw=redraw)
    except KeyboardInterrupt:
        return 0
    finally:
        updates.close()
