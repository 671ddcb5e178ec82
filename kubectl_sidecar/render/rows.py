"""The table rows of timeline marks: shared by the whole table and by ``--watch``'s append mode."""

from __future__ import annotations

from collections.abc import Iterable

from kubectl_sidecar.model import Container
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
    """A message cut at its first newline (as ``kubectl events`` does), and to ``limit`` characters."""
    if not text:
        return ""
    line = text.strip().splitlines()[0] if text.strip() else ""
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
        row = [when, container, role, str(mark.kind), mark.detail]
        if wide:
            row += [mark.source, first_line(mark.message, MESSAGE_WIDTH)]
        rows.append(row)
    return rows
