"""Times and exits in words, for messages and evidence.

Times in statuses and kubelet events have whole-second precision, so "before" and "after" here mean
"in an earlier (later) second": two times in the same second are a tie, and a tie is never evidence.
"""

from __future__ import annotations

from datetime import datetime

from kubectl_sidecar.raw import format_time
from kubectl_sidecar.timefmt import format_duration, format_offset
from kubectl_sidecar.timeline import Timeline

_SIGNALS = {129: "SIGHUP", 130: "SIGINT", 134: "SIGABRT", 137: "SIGKILL", 139: "SIGSEGV", 143: "SIGTERM"}


def second(when: datetime) -> datetime:
    """``when`` truncated to its second."""
    return when.replace(microsecond=0)


def earlier(a: datetime | None, b: datetime | None) -> bool:
    """``a`` fell in an earlier second than ``b`` (a same-second tie is not "earlier")."""
    return a is not None and b is not None and second(a) < second(b)


def at(timeline: Timeline, when: datetime | None) -> str:
    """``2024-10-29T03:24:43Z (+25s)``: the wall-clock time and the offset from the pod's creation."""
    if when is None:
        return "an unknown time"
    return f"{format_time(when)} ({offset(timeline, when)})"


def offset(timeline: Timeline, when: datetime | None) -> str:
    """``+25s`` from the pod's creation; ``?`` for an unknown time."""
    return "?" if when is None else format_offset(when, timeline.origin)


def span(seconds: float) -> str:
    """A duration in words: ``12s``, ``3m05s``."""
    return format_duration(seconds)


def describe_exit(code: int | None, reason: str | None = None) -> str:
    """``137 (SIGKILL)``, ``1 (Error)``, ``137 (OOMKilled)``."""
    if code is None:
        return "an unknown code"
    if reason and reason not in ("Error", "Completed"):
        return f"{code} ({reason})"
    signal = _SIGNALS.get(code)
    if signal:
        return f"{code} ({signal})"
    return f"{code} ({reason})" if reason else str(code)
