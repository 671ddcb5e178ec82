"""The table rows of timeline marks: shared by the whole table and by ``--watch``'s append mode.

Every cell passes the terminal sanitiser here, before a table measures its columns: names, reasons and
messages come from the cluster or a file, and a made-visible ``^[`` takes the two columns it shows.
"""

from __future__ import annotations

from collections.abc import Iterable

from kubectl_sidecar.model import Container
from kubectl_sidecar.textsafe import terminal_safe
from kubectl_sidecar.timefmt import format_offset, format_wallclock
from kubectl_sidecar.timeline import Mark, Timeline

MESSAGE_WIDTH = 100
HEADERS = ["TIME", "CONTAINER", "ROLE", "EVENT", "DETAIL"]
WIDE_HEADERS = HEADERS + ["SOURCE", "MESSAGE"]


def role_label(container: Container) -> str:
    """``app``, ``init``, ``sidecar/native``, ``sidecar/acs``, ..."""
    if container.sidecar_kind:
        return f"{container.role}/{container.sidecar_kind}"
    return str(container.role)


def first_line(text: str | None, limit: int | None = None) -> str:
    """A message cut at its first newline (as ``kubectl events`` does), made terminal-safe, and cut to
    ``limit`` characters. Only LF ends the line: a CR, or any other control, shows as itself."""
    if not text:
        return ""
    line = terminal_safe(text.strip().split("\n", 1)[0].rstrip())
    if limit is not None and len(line) > limit:
        line = line[: limit - 1] + "…"
    return line


def mark_rows(
    timeline: Timeline, marks: Iterable[Mark], *, wide: bool, absolute: bool, utc: bool
) -> list[list[str]]:
    """One row per mark: TIME, CONTAINER, ROLE, EVENT, DETAIL (and SOURCE, MESSAGE when ``wide``)."""
    roles = {c.name: role_label(c.container) for c in timeline.containers}
    rows = []
    for mark in marks:
        if absolute or utc:
            when = format_wallclock(mark.time, utc)
        else:
            when = format_offset(mark.time, timeline.origin, mark.precision)
        container = mark.container or ("(job)" if list(mark.sources) == ["job"] else "(pod)")
        role = roles.get(mark.container, "") if mark.container else ""
        row = [when, terminal_safe(container), role, str(mark.kind), terminal_safe(mark.detail)]
        if wide:
            row += [terminal_safe(mark.source), first_line(mark.message, MESSAGE_WIDTH)]
        rows.append(row)
    return rows
