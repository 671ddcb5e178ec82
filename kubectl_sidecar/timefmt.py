"""How times and durations are written: offsets from the pod's start, or wall-clock like kubectl."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from kubectl_sidecar.raw import Precision


def format_duration(seconds: float, precise: bool = False) -> str:
    """``12s``, ``3m05s``, ``1h02m``; with ``precise`` a fraction under a minute (``0.35s``)."""
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds < 60:
        if precise and seconds != int(seconds):
            text = f"{seconds:.2f}".rstrip("0").rstrip(".")
            return f"{sign}{text}s"
        return f"{sign}{int(round(seconds)) if precise else int(seconds)}s"
    whole = int(seconds)
    if whole < 3600:
        minutes, secs = divmod(whole, 60)
        return f"{sign}{minutes}m{secs:02d}s" if secs else f"{sign}{minutes}m"
    hours, rest = divmod(whole, 3600)
    minutes = rest // 60
    return f"{sign}{hours}h{minutes:02d}m" if minutes else f"{sign}{hours}h"


def format_offset(when: datetime, origin: datetime | None, precision: str = "s") -> str:
    """``+12s`` from the origin (the pod's creation); ``-2s`` for what came before it."""
    if origin is None:
        return "?"
    delta = (when - origin).total_seconds()
    text = format_duration(delta, precise=precision == Precision.MICROS)
    return text if text.startswith("-") else "+" + text


def format_wallclock(when: datetime, utc: bool = False) -> str:
    """As ``kubectl describe`` prints times: ``Tue, 29 Oct 2024 11:24:32 +0800`` (local zone)."""
    try:
        local = when.astimezone(timezone.utc) if utc else when.astimezone()
    except (OverflowError, ValueError):  # the first or last day of the calendar, shifted to the local zone
        local = when.astimezone(timezone.utc)
    text = local.strftime("%a, %d %b %Y %H:%M:%S %z")
    if when.microsecond:
        text = local.strftime("%a, %d %b %Y %H:%M:%S.%f")[:-3] + local.strftime(" %z")
    return text


_RELATIVE = re.compile(r"([+-])((?:\d+(?:\.\d+)?[smhd])+)")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_when(text: str, clock: datetime) -> datetime | None:
    """``--now``: RFC 3339 (``2024-10-29T03:40:00Z``, an offset or ``Z`` required) or relative to
    ``clock`` (``-10m``, ``-1h30m``, ``+30s``); ``None`` when it is neither."""
    text = text.strip()
    match = _RELATIVE.fullmatch(text)
    if match:
        seconds = sum(float(n) * _UNITS[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)([smhd])", match.group(2)))
        try:
            return clock + timedelta(seconds=seconds if match.group(1) == "+" else -seconds)
        except OverflowError:
            return None
    try:
        when = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "zZ" and text else text)
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    return when.astimezone(timezone.utc)
