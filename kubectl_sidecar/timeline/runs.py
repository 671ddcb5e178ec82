"""A container's runs: from its status (``lastState``, ``state``, ``restartCount``) and its Started events."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kubectl_sidecar.model import STATUS_KEYS, ContainerState, Event, RunState
from kubectl_sidecar.raw import as_dict, as_int, as_list, as_str, parse_time
from kubectl_sidecar.timeline.types import Run

# "Force this container to be success(137, Error, )" (ACS); ECI only promises the code and reason
# are "in the message in the form of text", so fall back to looser patterns.
# The gap is bounded so a long message of repeated "force" costs linear time, not quadratic.
# exit codes are 32-bit: at most 10 digits (a longer number is no exit code, and int() of over 4300
# digits would raise)
_FORCED = re.compile(r"(?i)force[^()]{0,200}\(\s*(-?\d{1,10})(?!\d)\s*(?:,\s*([A-Za-z][\w-]*)?)?")
_LOOSE_CODE = re.compile(r"(?i)exit\s*code\D{0,5}(-?\d{1,10})(?!\d)")
_LOOSE_REASON = re.compile(r"(?i)reason\W{0,5}([A-Za-z]\w*)")


def parse_forced_exit(message: Any) -> tuple[int | None, str | None]:
    """Return the original exit code and reason a platform kept in the message of a forced exit."""
    if not isinstance(message, str) or not re.search(r"(?i)force|ignore", message):
        return None, None
    match = _FORCED.search(message)
    if match:
        return int(match.group(1)), match.group(2) or None
    code = _LOOSE_CODE.search(message)
    if code:
        reason = _LOOSE_REASON.search(message)
        return int(code.group(1)), reason.group(1) if reason else None
    return None, None


def _terminated_run(raw: Any, source: str) -> Run | None:
    term = as_dict(raw)
    if not term:
        return None
    message = term.get("message") if isinstance(term.get("message"), str) else None
    original_code, original_reason = parse_forced_exit(message)
    return Run(
        started_at=parse_time(term.get("startedAt")),
        finished_at=parse_time(term.get("finishedAt")),
        exit_code=as_int(term.get("exitCode")),
        reason=as_str(term.get("reason")),
        message=message,
        original_exit_code=original_code,
        original_reason=original_reason,
        state=RunState.TERMINATED,
        source=source,
    )


def status_runs(status: Mapping) -> tuple[list[Run], ContainerState | None, str | None]:
    """Runs described by a containerStatus, oldest first; plus the current state and waiting reason."""
    runs: list[Run] = []
    last = _terminated_run(as_dict(status.get("lastState")).get("terminated"), "status.lastState")
    if last is not None:
        runs.append(last)
    state = as_dict(status.get("state"))
    current_state: ContainerState | None = None
    waiting_reason = None
    if isinstance(state.get("running"), dict):
        current_state = ContainerState.RUNNING
        runs.append(
            Run(
                started_at=parse_time(state["running"].get("startedAt")),
                state=RunState.RUNNING,
                source="status.state",
            )
        )
    elif isinstance(state.get("terminated"), dict):
        current_state = ContainerState.TERMINATED
        run = _terminated_run(state["terminated"], "status.state")
        if run is not None:
            runs.append(run)
    elif isinstance(state.get("waiting"), dict):
        current_state = ContainerState.WAITING
        waiting_reason = as_str(state["waiting"].get("reason"))
    return runs, current_state, waiting_reason


def same_second(a: datetime | None, b: datetime | None, slack: int = 1) -> bool:
    """``a`` and ``b`` are within ``slack`` seconds of each other (both known)."""
    return a is not None and b is not None and abs((a - b).total_seconds()) <= slack


def _start_occurrences(events: list[Event]) -> tuple[list[datetime], int]:
    """Times at which Started events saw the container start, and how many starts they counted."""
    times: list[datetime] = []
    total = 0
    for event in events:
        if event.reason != "Started":
            continue
        total += event.count
        if event.first is not None:
            times.append(event.first)
        if event.count > 1 and event.last != event.first and event.last is not None:
            times.append(event.last)
    return sorted(set(times)), total


def build_runs(
    status: Mapping | None, events: list[Event]
) -> tuple[list[Run], ContainerState | None, str | None, int]:
    """Merge a container's status runs with the starts its events saw."""
    found, state, waiting = status_runs(status) if status else ([], None, None)
    restart_count = as_int(status.get("restartCount")) if status else None
    starts, event_total = _start_occurrences(events)
    latest_status_start = max((r.started_at for r in found if r.started_at), default=None)
    latest_status_finish = max((r.finished_at for r in found if r.finished_at), default=None)
    floor = max([t for t in (latest_status_start, latest_status_finish) if t is not None], default=None)
    event_runs: list[Run] = []
    for when in starts:
        if any(same_second(when, r.started_at) for r in found):
            continue
        if floor is not None and when <= floor:
            continue  # an older run the status no longer describes; counted below
        event_runs.append(
            Run(
                started_at=when,
                state=RunState.UNKNOWN,
                source="event",
                note="started per events; no status describes this run",
            )
        )
    runs: list[Run] = []
    status_total = (restart_count or 0) + 1 if (found or (restart_count or 0) > 0) else 0
    implied_before = max(0, status_total - len(found))
    if implied_before:
        runs.append(
            Run(
                started_at=None,
                state=RunState.IMPLIED,
                source="restartCount",
                count=implied_before,
                note=f"restartCount implies {implied_before} earlier run(s) no status or event describes",
            )
        )
    runs.extend(found)
    known = status_total + len(event_runs)
    implied_after = max(0, event_total - known)
    if implied_after:
        position = len(runs) + max(0, len(event_runs) - 1)
        runs.extend(event_runs)
        runs.insert(
            position,
            Run(
                started_at=None,
                state=RunState.IMPLIED,
                source="event count",
                count=implied_after,
                note=f"Started events count {implied_after} more run(s) than status and event times describe",
            ),
        )
    else:
        runs.extend(event_runs)
    return runs, state, waiting, event_total


def status_index(pod: Mapping) -> dict[tuple[str, str], dict]:
    """containerStatuses by (section, name): the list order is alphabetical and means nothing."""
    status = as_dict(pod.get("status"))
    index: dict[tuple[str, str], dict] = {}
    for section, key in STATUS_KEYS.items():
        for entry in as_list(status.get(key)):
            entry = as_dict(entry)
            name = as_str(entry.get("name"))
            if name is not None:
                index.setdefault((section, name), entry)
    return index
