"""The timeline as a table of marks (tabulate's plain format), in the order the timeline established."""

from __future__ import annotations

from kubectl_sidecar.render.plain import plain_table
from kubectl_sidecar.render.rows import HEADERS, WIDE_HEADERS, mark_rows
from kubectl_sidecar.timeline import Timeline


def render_table(timeline: Timeline, *, wide: bool = False, absolute: bool = False, utc: bool = False) -> str:
    """Render the marks: TIME, CONTAINER, ROLE, EVENT, DETAIL (and SOURCE, MESSAGE when wide)."""
    rows = mark_rows(timeline, timeline.marks, wide=wide, absolute=absolute, utc=utc)
    if not rows:
        return "no marks: the pod has no times in its metadata, statuses or events\n"
    headers = WIDE_HEADERS if wide else HEADERS
    return plain_table(rows, headers) + "\n"
