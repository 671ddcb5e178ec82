"""A timeline as one self-contained SVG, drawn as systemd-analyze plot draws a boot (see ../shared/ux.md).

A row per container in spec order, labelled with its name and role; its runs as bars coloured by role,
the state shown by a pattern as well as a colour (running solid, stopping hatched, back-off dotted,
status unknown cross-hatched), so the picture reads in grey too; exits, stop requests and restarts as
labelled marks; the pod's and Job's moments as labelled ticks with a guide line; a time axis of offsets
from the pod's creation; a legend. Every bar and mark carries a ``<title>`` with exact times (hover).
No script, no external font, image or link: it is the same file offline, in a ticket or in a browser.
All cluster text goes through :func:`xml_escape`.
"""

from __future__ import annotations

from kubectl_sidecar.render.pictures.layout import (
    BACK_OFF,
    EXIT_FAIL,
    EXIT_OK,
    RESTART,
    RUNNING,
    STOP,
    STOPPING,
    UNKNOWN,
    Layout,
    Point,
)
from kubectl_sidecar.render.pictures.text import xml_escape as esc

ROLE_COLOURS = {"app": "#2563eb", "init": "#64748b", "sidecar": "#9333ea", "ephemeral": "#0d9488"}
FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace"
CHAR_W = 7.3  # 12px monospace
SMALL_W = 6.1  # 10px monospace
MARGIN = 16
ROW_BAR = 14
LEVEL_H = 12
_STATE_FILL = {RUNNING: "solid", STOPPING: "hatch", BACK_OFF: "dots", UNKNOWN: "cross"}


def _n(value: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros (stable golden files)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _levels(spans: list[tuple[float, float]]) -> list[int]:
    """Greedy stacking: each span on the first level where it overlaps nothing already placed."""
    ends: list[float] = []
    levels = []
    for start, end in spans:
        level = next((i for i, last in enumerate(ends) if start > last + 4), len(ends))
        if level == len(ends):
            ends.append(end)
        else:
            ends[level] = end
        levels.append(level)
    return levels


def _label_span(x: float, text: str, right_edge: float) -> tuple[float, float, str]:
    width = len(text) * SMALL_W
    if x + 3 + width <= right_edge:
        return x + 3, x + 3 + width, "start"
    return x - 3 - width, x - 3, "end"


def _defs(prefix: str) -> list[str]:
    out = ["<defs>"]
    for role, colour in ROLE_COLOURS.items():
        out.append(
            f'<pattern id="{prefix}-hatch-{role}" width="6" height="6" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
            f'<rect width="3" height="6" fill="{colour}"/></pattern>'
        )
    out.append(
        f'<pattern id="{prefix}-cross" width="6" height="6" patternUnits="userSpaceOnUse">'
        '<rect width="6" height="6" fill="#f1f5f9"/><path d="M0 0L6 6M6 0L0 6" stroke="#64748b" '
        'stroke-width="1"/></pattern>'
    )
    out.append(
        f'<pattern id="{prefix}-dots" width="6" height="6" patternUnits="userSpaceOnUse">'
        '<circle cx="3" cy="3" r="1.3" fill="#64748b"/></pattern>'
    )
    out.append("</defs>")
    return out


def _fill(state: str, role: str, prefix: str) -> str:
    if state == RUNNING:
        return ROLE_COLOURS.get(role, "#475569")
    if state == STOPPING:
        return f"url(#{prefix}-hatch-{role if role in ROLE_COLOURS else 'app'})"
    if state == UNKNOWN:
        return f"url(#{prefix}-cross)"
    return f"url(#{prefix}-dots)"


def render_svg(layout: Layout, *, width: int = 960, prefix: str = "ks", standalone: bool = True) -> str:
    """The SVG document (``standalone``: with the XML declaration, for a file; without, to inline)."""
    name_w = max(len(r.name) + 1 + len(r.label) for r in layout.rows) * CHAR_W
    x0 = MARGIN + min(name_w, 360) + 12
    x1 = width - MARGIN - 24
    scale = (x1 - x0) / layout.span

    def x(t: float) -> float:
        return x0 + (t - layout.lo) * scale

    out: list[str] = []
    # The pod lane: labelled ticks, stacked so labels never overlap.
    pod_points = sorted((p for p in layout.points if p.row is None), key=lambda p: p.at)
    pod_spans = [_label_span(x(p.at), p.label, width - MARGIN) for p in pod_points]
    pod_levels = _levels([(a, b) for a, b, _ in pod_spans])
    lane_h = (max(pod_levels) + 1) * LEVEL_H if pod_levels else 0
    top = 70
    rows_top = top + lane_h + 8

    # Rows: each as high as its stacked labels need.
    row_y: list[float] = []
    row_levels: dict[int, list[tuple[Point, int, tuple[float, float, str]]]] = {}
    y = rows_top
    for index in range(len(layout.rows)):
        mine = sorted((p for p in layout.points if p.row == index), key=lambda p: p.at)
        spans = [_label_span(x(p.at), p.label, width - MARGIN) for p in mine]
        levels = _levels([(a, b) for a, b, _ in spans])
        row_levels[index] = list(zip(mine, levels, spans))
        row_y.append(y)
        y += (max(levels) + 1 if levels else 1) * LEVEL_H + ROW_BAR + 12
    rows_bottom = y
    legend_y = rows_bottom + 18
    legend, legend_h = _legend(legend_y, prefix, width)
    height = legend_y + legend_h + 8

    out.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{width}" height="{_n(height)}" '
        f'viewBox="0 0 {width} {_n(height)}" font-family="{FONT}" font-size="12" role="img" '
        f'aria-labelledby="{prefix}-title" data-lo="{_n(layout.lo)}" data-hi="{_n(layout.hi)}">'
    )
    out.append(f'<title id="{prefix}-title">{esc(layout.title)}: {esc(layout.subtitle)}</title>')
    out += _defs(prefix)
    out.append(f'<rect width="{width}" height="{_n(height)}" fill="#fff"/>')
    out.append(f'<text x="{MARGIN}" y="24" font-size="16" font-weight="bold">{esc(layout.title)}</text>')
    out.append(f'<text x="{MARGIN}" y="42" fill="#334155">{esc(layout.subtitle)}</text>')

    # Axis and grid.
    ticks = layout.ticks(max(int((x1 - x0) / 70), 2))
    out.append('<g class="axis" fill="#475569" font-size="11">')
    for t, label in ticks:
        out.append(
            f'<g class="tick" data-t="{_n(t)}"><line x1="{_n(x(t))}" y1="{top - 6}" x2="{_n(x(t))}" '
            f'y2="{_n(rows_bottom)}" stroke="#e2e8f0"/><text x="{_n(x(t))}" y="{top - 10}" '
            f'text-anchor="middle">{esc(label)}</text></g>'
        )
    out.append("</g>")

    # Pod and Job marks.
    out.append('<g class="pod-marks" font-size="10" fill="#0f172a">')
    for point, level, (lx, _, anchor) in zip(pod_points, pod_levels, pod_spans):
        px = x(point.at)
        ly = top + (level + 1) * LEVEL_H - 2
        tx = lx if anchor == "start" else lx + len(point.label) * SMALL_W
        out.append(
            f'<g class="mark pod" data-t="{_n(point.at)}"><title>{esc(point.title)}</title>'
            f'<line x1="{_n(px)}" y1="{_n(top)}" x2="{_n(px)}" y2="{_n(rows_bottom)}" stroke="#94a3b8" '
            f'stroke-dasharray="3 3"/><text x="{_n(tx)}" y="{_n(ly)}" text-anchor="{anchor}">'
            f"{esc(point.label)}</text></g>"
        )
    out.append("</g>")

    # Container rows.
    for index, row in enumerate(layout.rows):
        marks = row_levels[index]
        depth = max((lv for _, lv, _ in marks), default=0) + 1
        bar_y = row_y[index] + depth * LEVEL_H + 2
        mid = bar_y + ROW_BAR / 2
        out.append(
            f'<g class="row" data-container="{esc(row.name)}" data-role="{esc(row.role)}">'
            f'<text class="name" x="{MARGIN}" y="{_n(mid + 4)}" font-weight="bold">{esc(row.name)}'
            f'<tspan class="role" font-weight="normal" fill="#475569"> {esc(row.label)}</tspan></text>'
            f'<line x1="{_n(x0)}" y1="{_n(mid)}" x2="{_n(x1)}" y2="{_n(mid)}" stroke="#f1f5f9"/>'
        )
        runs: dict[int, list[str]] = {}  # a run's bars; back-off gaps (key 0) sit between runs
        for seg in layout.segments:
            if seg.row != index:
                continue
            sx, sw = x(seg.start), max((seg.end - seg.start) * scale, 1.0)
            part = runs.setdefault(0 if seg.state == BACK_OFF else seg.run, [])
            stroke = ROLE_COLOURS.get(row.role, "#475569") if seg.state != BACK_OFF else "none"
            part.append(
                f'<rect class="seg {seg.state}" data-start="{_n(seg.start)}" data-end="{_n(seg.end)}" '
                f'x="{_n(sx)}" y="{_n(bar_y)}" width="{_n(sw)}" height="{ROW_BAR}" '
                f'fill="{_fill(seg.state, row.role, prefix)}" stroke="{stroke}" stroke-width="0.8">'
                f"<title>{esc(seg.title)}</title></rect>"
            )
        for number, parts in runs.items():
            group = f'<g class="run" data-run="{number}">' if number else '<g class="gaps">'
            out.append(group + "".join(parts) + "</g>")
        for point, level, (lx, _, anchor) in marks:
            out.append(
                _row_mark(point, x(point.at), mid, row_y[index] + (level + 1) * LEVEL_H - 2, lx, anchor)
            )
        out.append("</g>")

    out += legend
    out.append("</svg>")
    body = "\n".join(out) + "\n"
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body) if standalone else body


def _row_mark(point: Point, px: float, mid: float, label_y: float, lx: float, anchor: str) -> str:
    tx = lx if anchor == "start" else lx + len(point.label) * SMALL_W
    label = f'<text x="{_n(tx)}" y="{_n(label_y)}" font-size="10" text-anchor="{anchor}">{esc(point.label)}</text>'
    if point.kind in (EXIT_OK, EXIT_FAIL):
        colour = "#15803d" if point.kind == EXIT_OK else "#b91c1c"
        shape = (
            f'<line x1="{_n(px)}" y1="{_n(mid - 10)}" x2="{_n(px)}" y2="{_n(mid + 10)}" stroke="{colour}" '
            'stroke-width="3"/>'
        )
    elif point.kind == STOP:
        shape = (
            f'<path d="M{_n(px)} {_n(mid - 7)}l6 7l-6 7l-6 -7z" fill="#f59e0b" stroke="#78350f" '
            'stroke-width="1"/>'
        )
    elif point.kind == RESTART:
        shape = f'<circle cx="{_n(px)}" cy="{_n(mid)}" r="5" fill="none" stroke="#0e7490" stroke-width="2"/>'
    else:
        shape = ""
    return (
        f'<g class="mark {point.kind}" data-t="{_n(point.at)}"><title>{esc(point.title)}</title>'
        f"{shape}{label}</g>"
    )


def _legend(y: float, prefix: str, width: int) -> tuple[list[str], float]:
    """The legend, wrapped to ``width``; returns its lines and its height."""
    items: list[tuple[str, str]] = [
        (f'<rect width="18" height="10" fill="{ROLE_COLOURS["app"]}"/>', "running"),
        (f'<rect width="18" height="10" fill="url(#{prefix}-hatch-app)" stroke="#2563eb"/>', "stopping"),
        (f'<rect width="18" height="10" fill="url(#{prefix}-dots)"/>', "back-off"),
        (f'<rect width="18" height="10" fill="url(#{prefix}-cross)" stroke="#64748b"/>', "status unknown"),
        ('<path d="M9 -1l6 6l-6 6l-6 -6z" fill="#f59e0b" stroke="#78350f"/>', "stop requested"),
        ('<line x1="9" y1="-2" x2="9" y2="12" stroke="#15803d" stroke-width="3"/>', "exit 0"),
        ('<line x1="9" y1="-2" x2="9" y2="12" stroke="#b91c1c" stroke-width="3"/>', "exit≠0 or forced"),
        ('<circle cx="9" cy="5" r="5" fill="none" stroke="#0e7490" stroke-width="2"/>', "restart"),
    ]
    items += [
        (f'<rect width="18" height="10" fill="{c}"/>', f"role {role}") for role, c in ROLE_COLOURS.items()
    ]
    out = [f'<g class="legend" font-size="11" fill="#0f172a" transform="translate({MARGIN} {_n(y)})">']
    cx, cy = 0.0, 0.0
    for shape, label in items:
        step = 24 + len(label) * 6.7 + 14
        if cx and cx + step > width - 2 * MARGIN:
            cx, cy = 0.0, cy + 18
        out.append(
            f'<g transform="translate({_n(cx)} {_n(cy)})">{shape}<text x="24" y="10">{esc(label)}</text></g>'
        )
        cx += step
    out.append("</g>")
    return out, cy + 18


def render_empty_svg(title: str, *, standalone: bool = True) -> str:
    """A small SVG that says there is nothing to draw (no creation time, or no container)."""
    text = f"{title}: nothing to draw (no creation time or no container)"
    body = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline empty" width="640" height="40" '
        f'viewBox="0 0 640 40" font-family="{FONT}" font-size="12" role="img">'
        f"<title>{esc(text)}</title>"
        f'<rect width="640" height="40" fill="#fff"/><text x="{MARGIN}" y="24">{esc(text)}</text></svg>\n'
    )
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body) if standalone else body
