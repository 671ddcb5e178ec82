"""A timeline as a Mermaid ``gantt`` block for Markdown (GitHub and GitLab render it in issues and PRs).

``dateFormat x``: times are epoch milliseconds, so the axis shows the reader's local clock (Mermaid
cannot show offsets); the title says the pod's creation time in UTC. A section per container in spec
order (and one for the pod's and the Job's marks); runs as tasks (``done`` when finished, ``active``
while running), the stopping phase after a stop request ``crit``, back-off gaps and runs of unknown
status untagged; exits and stop requests as milestones (``crit`` for an exit that is not 0 or was
forced). Mermaid's task text may not hold ``:``, ``#`` or ``;`` and its lines no line break: every text
is cut to a safe alphabet.
"""

from __future__ import annotations

import re

from kubectl_sidecar.raw import format_time
from kubectl_sidecar.render.pictures.layout import (
    BACK_OFF,
    EXIT_FAIL,
    EXIT_OK,
    POD,
    RUNNING,
    STOP,
    STOPPING,
    UNKNOWN,
    Layout,
)
from kubectl_sidecar.timeline import Timeline

_UNSAFE = re.compile(r"[^\w .,()/+=≠-]")
_TITLE_UNSAFE = re.compile(r"[^\w .,:()/+=≠-]")  # a title may hold a colon, not a task


def mermaid_text(text: object, pattern: re.Pattern[str] = _UNSAFE) -> str:
    """``text`` in Mermaid's safe alphabet: letters, digits, spaces and ``.,()/+=-``; the rest a space."""
    cleaned = pattern.sub(" ", str(text))
    return re.sub(r"\s+", " ", cleaned).strip() or "-"


def render_mermaid(timeline: Timeline, layout: Layout | None, *, fence: bool = True) -> str:
    """The gantt (in a ```mermaid fence when ``fence``)."""
    lines = ["gantt"]
    if layout is None or timeline.origin is None:
        lines.append(f"    title {mermaid_text(f'pod {timeline.pod.name}: nothing to draw')}")
        return _fenced(lines, fence)
    origin = timeline.origin
    title = f"{layout.title}, created {format_time(origin)} (axis in your local time)"
    lines += [
        f"    title {mermaid_text(title, _TITLE_UNSAFE)}",
        "    dateFormat x",
        "    axisFormat %H:%M:%S" if layout.span < 86400 else "    axisFormat %d %H:%M",
        "    todayMarker off",
    ]

    base = origin.timestamp()  # no datetime arithmetic: a time near year 1 or 9999 stays a number

    def ms(seconds: float) -> int:
        return int(round((base + seconds) * 1000))

    task = 0
    for index, row in enumerate(layout.rows):
        lines.append(f"    section {mermaid_text(f'{row.name} {row.label}')}")
        for seg in (s for s in layout.segments if s.row == index):
            task += 1
            name = {
                RUNNING: f"run {seg.run}",
                UNKNOWN: f"run {seg.run} status unknown",
                STOPPING: "stopping",
                BACK_OFF: "back-off",
            }[seg.state]
            tag = {RUNNING: "done" if seg.finished else "active", STOPPING: "crit"}.get(seg.state)
            tags = f"{tag}, " if tag else ""
            lines.append(f"    {mermaid_text(name)} :{tags}t{task}, {ms(seg.start)}, {ms(seg.end)}")
        for point in (p for p in layout.points if p.row == index and p.kind in (EXIT_OK, EXIT_FAIL, STOP)):
            task += 1
            tags = "crit, milestone" if point.kind == EXIT_FAIL else "milestone"
            lines.append(f"    {mermaid_text(point.label)} :{tags}, t{task}, {ms(point.at)}, {ms(point.at)}")
    pod_points = [p for p in layout.points if p.kind == POD]
    if pod_points:
        lines.append("    section pod and Job")
        for point in pod_points:
            task += 1
            lines.append(
                f"    {mermaid_text(point.label)} :milestone, t{task}, {ms(point.at)}, {ms(point.at)}"
            )
    return _fenced(lines, fence)


def _fenced(lines: list[str], fence: bool) -> str:
    body = "\n".join(lines) + "\n"
    return f"```mermaid\n{body}```\n" if fence else body
