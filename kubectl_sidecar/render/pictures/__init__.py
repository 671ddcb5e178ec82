"""Pictures to share: a timeline as SVG, self-contained HTML, a Mermaid gantt or a Chrome trace, and a
check report as HTML. All drawn from one layout (``layout.py``); see docs/pictures.md."""

from __future__ import annotations

from kubectl_sidecar.findings import PodResult

PICTURES = ("svg", "html", "mermaid", "trace")


def render_picture(result: PodResult, output: str) -> str:
    """The whole output of ``timeline -o svg|html|mermaid|trace`` for one pod."""
    from kubectl_sidecar.render.pictures.layout import build_layout

    layout = build_layout(result.timeline)
    if output == "html":
        from kubectl_sidecar.render.pictures.html import render_pod_page

        return render_pod_page(result, layout)
    if output == "trace":
        from kubectl_sidecar.render.pictures.trace import render_trace

        return render_trace(result.timeline, layout)
    if output == "mermaid":
        from kubectl_sidecar.render.pictures.mermaid import render_mermaid

        return render_mermaid(result.timeline, layout)
    from kubectl_sidecar.render.pictures.svg import render_empty_svg, render_svg

    return render_svg(layout) if layout is not None else render_empty_svg(f"pod {result.timeline.pod.name}")
