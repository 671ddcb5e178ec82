"""The timeline as a table of marks (tabulate), in the order the timeline established."""
from __future__ import annotations

from tabulate import tabulate

from kubectl_sidecar.timefmt import format_offset, format_wallclock
from kubectl_sidecar.timeline import Timeline

MESSAGE_WIDTH = 100


def role_label(container) -> str:
    """``app``, ``init``, ``sidecar/native``, ``sidecar/acs``, ..."""
    if container.sidecar_kind:
        return f"{container.role}/{container.sidecar_kind}"
    return container.role


def first_line(text: str | None, limit: int | None = None) -> str:
    """A message cut at its first newline (as ``kubectl events`` does), and to ``limit`` characters."""
    if not text:
        return ""
    line = text.strip().splitlines()[0] if text.strip() else ""
    if limit is not None and len(line) > limit:
        line = line[: limit - 1] + "…"
    return line


def render_table(timeline: Timeline, *, wide: bool = False, absolute: bool = False, utc: bool = False) -> str:
    """Render the marks: TIME, CONTAINER, ROLE, EVENT, DETAIL (and SOURCE, MESSAGE when wide)."""
    roles = {c.name: role_label(c.container) for c in timeline.containers}
    headers = ["TIME", "CONTAINER", "ROLE", "EVENT", "DETAIL"]
    if wide:
        headers += ["SOURCE", "MESSAGE"]
    rows = []
    for mark in timeline.marks:
        when = format_wallclock(mark.time, utc) if (absolute or utc) else \
            format_offset(mark.time, timeline.origin, mark.precision)
        container = mark.container or ("(job)" if mark.sources == ["job"] else "(pod)")
        row = [when, container, roles.get(mark.container, "") if mark.container else "", mark.kind, mark.detail]
        if wide:
            row += [mark.source, first_line(mark.message, MESSAGE_WIDTH)]
        rows.append(row)
    if not rows:
        return "no marks: the pod has no times in its metadata, statuses or events\n"
    return tabulate(rows, headers=headers, tablefmt="plain", disable_numparse=True) + "\n"
