"""A terminal Gantt chart of a timeline: one row per container, bars for runs, markers for stops.

Pure: the width, colour and glyph set are passed in. See ../shared/ux.md for the design: systemd-analyze
and trace waterfalls, eighth-block precision at bar ends, the most important mark wins a shared cell.
Names, waiting reasons and the pod's name and phase pass the terminal sanitiser before the columns are
measured: the only escapes in a chart are our own colours.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta

from kubectl_sidecar.model import MarkKind, RunState
from kubectl_sidecar.record import record
from kubectl_sidecar.render.fit import wrap_items
from kubectl_sidecar.textsafe import terminal_safe
from kubectl_sidecar.timefmt import format_duration
from kubectl_sidecar.timeline import ContainerTimeline, Timeline


@record(frozen=True)
class Glyphs:
    running: str
    stopping: str
    back_off: str
    unknown: str
    stop: str
    ok: str
    fail: str
    restart: str
    start_half: str  # a bar that starts in the second half of its first cell
    frame: str


UNICODE = Glyphs(
    running="█",
    stopping="▒",
    back_off="┄",
    unknown="░",
    stop="◆",
    ok="✓",
    fail="✗",
    restart="↻",
    start_half="▐",
    frame="│",
)
ASCII = Glyphs(
    running="#",
    stopping="=",
    back_off=".",
    unknown="?",
    stop="*",
    ok="v",
    fail="x",
    restart="R",
    start_half="#",
    frame="|",
)

# Which mark shows when two fall in one cell: exit > stop requested > restart > stopping > running.
_P_BACK_OFF, _P_UNKNOWN, _P_RUNNING, _P_STOPPING, _P_RESTART, _P_STOP, _P_EXIT = 1, 2, 3, 4, 5, 6, 7

_COLOURS = {
    "running": "32",
    "stopping": "33",
    "back_off": "2",
    "unknown": "35",
    "stop": "1;33",
    "ok": "32",
    "fail": "1;31",
    "restart": "36",
}
_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


class _Row:
    def __init__(self, width: int):
        self.cells: list[tuple[int, str, str | None]] = [(0, " ", None)] * width

    def put(self, index: int, priority: int, glyph: str, colour: str | None) -> None:
        if 0 <= index < len(self.cells) and priority >= self.cells[index][0]:
            self.cells[index] = (priority, glyph, colour)

    def render(self, colour: bool) -> str:
        """The row's glyphs; with ``colour``, one escape sequence per run of cells of one colour."""
        out = []
        current: str | None = None  # the colour open on the terminal
        for _, glyph, name in self.cells:
            wanted = _COLOURS[name] if colour and name and glyph != " " else None
            if wanted != current:
                if current is not None:
                    out.append("\x1b[0m")
                if wanted is not None:
                    out.append(f"\x1b[{wanted}m")
                current = wanted
            out.append(glyph)
        if current is not None:
            out.append("\x1b[0m")
        return "".join(out)


def _run_summary(ct: ContainerTimeline) -> str:
    codes = [
        (str(r.exit_code) if r.exit_code is not None else "?")
        + (f" ({r.original_exit_code})" if r.forced else "")
        for r in ct.runs
        if r.finished_at is not None
    ]
    text = ",".join(codes)
    if any(r.state == RunState.RUNNING for r in ct.runs):
        text = (text + "," if text else "") + "run"
    elif ct.runs and ct.runs[-1].state == RunState.UNKNOWN:
        text = (text + "," if text else "") + "?"
    elif not text and ct.waiting_reason:
        text = terminal_safe(ct.waiting_reason)
    restarts = max(ct.total_runs() - 1, ct.restart_count or 0, 0)
    if restarts:
        text += f" ↻{restarts}"
    return text


def render_gantt(
    timeline: Timeline, *, width: int = 80, colour: bool = False, ascii_only: bool = False
) -> str:
    """Draw the chart to fit ``width`` columns."""
    glyphs = ASCII if ascii_only else UNICODE
    if timeline.origin is None or not timeline.containers:
        return ""
    start = min([timeline.origin] + [m.time for m in timeline.marks])
    end = max([timeline.end or timeline.origin] + [m.time for m in timeline.marks])
    span = max((end - start).total_seconds(), 1.0)

    labels = [
        (terminal_safe(ct.name), str(ct.container.sidecar_kind or ct.container.role))
        for ct in timeline.containers
    ]
    summaries = [_run_summary(ct) for ct in timeline.containers]
    if ascii_only:
        summaries = [s.replace("↻", "R") for s in summaries]
    name_w = min(max(len(n) for n, _ in labels), 28)
    kind_w = max(len(k) for _, k in labels)
    label_w = name_w + 1 + kind_w + 1
    right_w = min(max(len(s) for s in summaries), 16)
    bar_w = max(width - label_w - 2 - 1 - right_w, 10)
    cell = span / bar_w

    def col(when: datetime) -> float:
        return (when - start).total_seconds() / cell

    lines = [_axis(start, timeline.origin, span, bar_w, label_w, glyphs)]
    for ct, (name, kind), summary in zip(timeline.containers, labels, summaries):
        row = _Row(bar_w)
        _draw_container(row, ct, timeline, end, col, glyphs)
        label = f"{name[:name_w]:<{name_w}} {kind:<{kind_w}} "
        lines.append(f"{label}{glyphs.frame}{row.render(colour)}{glyphs.frame} {summary[:right_w]}".rstrip())
    lines.append(_legend(glyphs, width))
    pod_line = _pod_line(timeline, " - " if ascii_only else " · ", width)
    if pod_line:
        lines.append(pod_line)
    return "\n".join(lines) + "\n"


def _draw_container(
    row: _Row,
    ct: ContainerTimeline,
    timeline: Timeline,
    end: datetime,
    col: Callable[[datetime], float],
    glyphs: Glyphs,
) -> None:
    runs = [(r, r.started_at) for r in ct.runs if r.state != RunState.IMPLIED and r.started_at is not None]
    stops = [m for m in timeline.marks if m.container == ct.name and m.kind == MarkKind.STOP_REQUESTED]
    previous_end = None
    for index, (run, started) in enumerate(runs):
        begin = col(started)
        finished = run.finished_at
        if finished is not None:
            finish = col(finished)
        else:
            following = runs[index + 1][1] if index + 1 < len(runs) else end
            finish = col(following)
        fill = "unknown" if run.state == RunState.UNKNOWN else "running"
        glyph = glyphs.unknown if fill == "unknown" else glyphs.running
        priority = _P_UNKNOWN if fill == "unknown" else _P_RUNNING
        if previous_end is not None:
            for i in range(int(previous_end) + 1, int(begin)):
                row.put(i, _P_BACK_OFF, glyphs.back_off, "back_off")
        # A phase that is not zero gets at least one cell, even at the chart's right edge.
        first = min(int(begin), len(row.cells) - 1)
        last = max(first, int(finish) - (1 if run.finished_at else 0))
        for i in range(first, min(last, len(row.cells) - 1) + 1):
            row.put(i, priority, glyph, fill)
        if fill == "running" and begin - first > 0.5 and last > first:
            row.put(first, priority, glyphs.start_half, fill)
        for stop in stops:
            if started <= stop.time and (finished is None or stop.time <= finished):
                stop_col = int(col(stop.time))
                for i in range(stop_col + 1, int(finish)):
                    row.put(i, _P_STOPPING, glyphs.stopping, "stopping")
                row.put(stop_col, _P_STOP, glyphs.stop, "stop")
        if index > 0 or any(r.state == RunState.IMPLIED for r in ct.runs[:1]):
            row.put(first, _P_RESTART, glyphs.restart, "restart")
        if run.finished_at is not None:
            ok = run.exit_code == 0 and not (run.forced and run.original_exit_code)
            row.put(
                min(int(finish), len(row.cells) - 1),
                _P_EXIT,
                glyphs.ok if ok else glyphs.fail,
                "ok" if ok else "fail",
            )
        previous_end = finish


def _axis(start: datetime, origin: datetime, span: float, bar_w: int, label_w: int, glyphs: Glyphs) -> str:
    """Tick labels at multiples of a 1/2/5/10/15/30/60 s... step, far enough apart to read."""
    cell = span / bar_w
    # Past a day per tick, whole days: a span of centuries (absurd times in a file) still gets ~bar_w/9
    # ticks, not millions of loop turns.
    step = next((s for s in _STEPS if s / cell >= 9), _STEPS[-1] * max(1, math.ceil(9 * cell / _STEPS[-1])))
    lead = (origin - start).total_seconds()  # how far the chart starts before the origin
    line = [" "] * (bar_w + 1)
    tick = -(lead // step) * step
    while (lead + tick) / cell <= bar_w:
        at = int(round((lead + tick) / cell))
        label = format_duration(tick)
        if at + len(label) <= len(line) and all(c == " " for c in line[max(at - 1, 0) : at + len(label) + 1]):
            line[at : at + len(label)] = list(label)
        tick += step
    return (" " * (label_w + 1) + "".join(line)).rstrip()


def _legend(glyphs: Glyphs, width: int) -> str:
    items = [
        f"{glyphs.running} running",
        f"{glyphs.stopping} stopping",
        f"{glyphs.back_off} back-off",
        f"{glyphs.unknown} status unknown",
        f"{glyphs.stop} stop requested",
        f"{glyphs.ok} exit 0",
        f"{glyphs.fail} exit" + ("!=" if glyphs is ASCII else "≠") + "0 or forced",
        f"{glyphs.restart} restart",
    ]
    return wrap_items("", items, "  ", width, indent="")


def _pod_line(timeline: Timeline, separator: str, width: int) -> str:
    origin = timeline.origin
    parts = []
    seen = set()
    for mark in timeline.marks:
        label = None
        if mark.kind == MarkKind.SCHEDULED:
            label = "scheduled"
        elif mark.kind == MarkKind.CONDITION and mark.detail.startswith("Initialized=True"):
            label = "initialized"
        elif mark.kind == MarkKind.CONDITION and mark.detail.startswith("Ready=True"):
            label = "ready"
        elif (
            mark.kind == MarkKind.CONDITION
            and mark.detail.startswith("Ready=False")
            and "PodCompleted" in mark.detail
        ):
            label = "completed"
        elif mark.kind == MarkKind.DELETION_REQUESTED:
            label = "deletion requested"
        elif mark.kind == MarkKind.JOB_COMPLETED:
            label = "job completed"
        if label and label not in seen:
            seen.add(label)
            offset = mark.time - origin if origin else timedelta(0)
            parts.append(f"{label} {format_duration(offset.total_seconds(), precise=True)}")
    phase = timeline.pod.phase
    head = f"pod {terminal_safe(timeline.pod.name)}" + (f" ({terminal_safe(phase)})" if phase else "")
    if not parts:
        return head
    return wrap_items(head + ": ", parts, separator, width)
