"""The timeline as a table of marks (tabulate), in the order the timeline established."""

from __future__ import annotations

from tabulate import tabulate

from kubectl_sidecar.render.rows import HEADERS, WIDE_HEADERS, mark_rows
from kubectl_sidecar.timeline import Timeline


def render_table(timeline: Timeline, *, wide: bool = False, absolute: bool = False, utc: bool = False) -> str:
    """Render the marks: TIME, CONTAINER, ROLE, EVENT, DETAIL (and SOURCE, MESSAGE when wide)."""
    rows = mark_rows(timeline, timeline.marks, wide=wide, absolute=absolute, utc=utc)
    if not rows:
        return "no marks: the pod has no times in its metadata, statuses or events\n"
    headers = WIDE_HEADERS if wide else HEADERS
    return tabulate(rows, headers=headers, tablefmt="plain", disable_numparse=True) + "\n"
