"""What ``timeline --watch`` prints for each new state of a followed pod.

Following itself (list+watch, reconnects) is in ``kube``, the loop in ``app.follow``. Each state gives
a :class:`FollowStep`: the text for stdout (the whole state on a terminal or for a document, only the
new marks when appending), the notes for stderr, and whether following ends (pod deleted, or finished
with no container left running). Rows come sanitised from ``rows.mark_rows``; the notes, which name the
pod, are sanitised where they are written (``cli.terminal.note``).
"""

from __future__ import annotations

from kubectl_sidecar.options import RenderOptions
from kubectl_sidecar.record import record
from kubectl_sidecar.render.plain import plain_table
from kubectl_sidecar.render.rows import mark_rows
from kubectl_sidecar.textsafe import terminal_safe
from kubectl_sidecar.timeline import Mark, Timeline

CLEAR_SCREEN = "\x1b[H\x1b[2J"


@record(frozen=True)
class PodState:
    """What a step needs to know of the pod beyond its timeline."""

    name: str
    phase: str | None
    finished: bool
    deleted: bool = False


@record(frozen=True)
class FollowStep:
    """What to print for one state: ``output`` for stdout ("" for nothing), ``notes`` for stderr."""

    output: str
    notes: tuple[str, ...]
    done: bool


def mark_key(mark: Mark) -> tuple:
    """What makes a mark new in append mode (an aggregated event counting up shows again)."""
    return (mark.time, mark.kind, mark.container, mark.detail, mark.count)


def render_marks(timeline: Timeline, marks: list[Mark], opts: RenderOptions) -> str:
    """Rows for marks that appeared since the last state, in the table's columns (no header)."""
    rows = mark_rows(timeline, marks, wide=opts.output == "wide", absolute=opts.absolute_time, utc=opts.utc)
    return plain_table(rows) + "\n"


class FollowView:
    """Remembers what was shown (marks, notes, the last text) and says what each new state adds."""

    def __init__(self, opts: RenderOptions, *, redraw: bool) -> None:
        self.opts = opts
        self.redraw = redraw
        self._index = 0
        self._seen: set[tuple] = set()
        self._shown_notes: set[str] = set()
        self._last_text: str | None = None

    def step(self, timeline: Timeline, text: str, pod: PodState, notes: list[str]) -> FollowStep:
        """The output for one state: ``text`` is the whole rendering of ``timeline``."""
        index = self._index
        self._index += 1
        output = ""
        if index == 0 or self.opts.is_document:
            if text != self._last_text:
                output = (CLEAR_SCREEN if self.redraw and index else "") + text
        elif self.redraw:
            if text != self._last_text:
                footer = (
                    ""
                    if pod.finished
                    else f"\nfollowing pod {terminal_safe(pod.name)} ({terminal_safe(pod.phase or '?')}); "
                    "Ctrl-C to stop\n"
                )
                output = CLEAR_SCREEN + text + footer
        else:
            new = [m for m in timeline.marks if mark_key(m) not in self._seen]
            if new:
                output = render_marks(timeline, new, self.opts)
        self._last_text = text
        self._seen.update(mark_key(m) for m in timeline.marks)
        shown: list[str] = []
        for note in notes:
            if note not in self._shown_notes:
                self._shown_notes.add(note)
                shown.append(note)
        if index == 0 and not pod.finished:
            shown.append(f"following pod {pod.name}: new marks appear as they happen; Ctrl-C to stop")
        if pod.deleted:
            shown.append(f"pod {pod.name} was deleted")
        elif pod.finished:
            shown.append(f"pod {pod.name} has finished ({pod.phase}) and no container is running")
        return FollowStep(output, tuple(shown), done=pod.finished)
