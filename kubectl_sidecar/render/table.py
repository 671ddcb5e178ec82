"""The timeline as a table of marks (tabulate's plain format), in the order the timeline established."""

from __future__ import annotations

from kubectl_sidecar.render.fit import (
    COLUMN_GAP,
    HEADER_PADDING,
    MIN_DETAIL,
    last_column_room,
    under_rows,
    wrap_last_column,
)
from kubectl_sidecar.render.plain import plain_table
from kubectl_sidecar.render.rows import HEADERS, WIDE_HEADERS, mark_rows
from kubectl_sidecar.timeline import Timeline


def render_table(
    timeline: Timeline,
    *,
    wide: bool = False,
    absolute: bool = False,
    utc: bool = False,
    width: int | None = None,
) -> str:
    """Render the marks: TIME, CONTAINER, ROLE, EVENT, DETAIL (and SOURCE, MESSAGE when wide).

    With ``width`` (a terminal's), DETAIL is broken over continuation rows to fit; ``-o wide`` never is.
    """
    rows = mark_rows(timeline, timeline.marks, wide=wide, absolute=absolute, utc=utc)
    if not rows:
        return "no marks: the pod has no times in its metadata, statuses or events\n"
    headers = WIDE_HEADERS if wide else HEADERS
    if width and not wide:
        if last_column_room(rows, headers, width) < MIN_DETAIL:  # DETAIL under each row, indented
            lines = plain_table([row[:-1] for row in rows], headers[:-1]).splitlines()
            indent = max(len(headers[0]) + HEADER_PADDING, *(len(row[0]) for row in rows)) + COLUMN_GAP
            return under_rows(lines, [row[-1] for row in rows], width, indent) + "\n"
        rows = wrap_last_column([list(row) for row in rows], headers, width)
    return plain_table(rows, headers) + "\n"
