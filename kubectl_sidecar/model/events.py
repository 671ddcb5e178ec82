"""Events (core/v1 and events.k8s.io/v1) normalised, and whether a pod has finished."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, NamedTuple

from kubectl_sidecar.raw import Precision, as_dict, as_int, as_list, as_str, meta, parse_time, time_precision

_FIELD_PATH = re.compile(r"^spec\.(initContainers|containers|ephemeralContainers)\{(.+)\}$")


class Event(NamedTuple):
    """A core/v1 or events.k8s.io/v1 event, normalised. Times are aware UTC and always known:
    :func:`parse_event` drops an event without one.

    A NamedTuple (immutable, like :class:`Mark`): a large check keeps one per event read instead of the
    raw dict (about 10 per pod), and a tuple of 16 fields is a fifth of a frozen dataclass's memory.
    """

    reason: str
    type: str | None
    message: str
    first: datetime
    last: datetime
    count: int  # type: ignore[assignment]  # the field shadows tuple.count, which nothing calls
    precision: Precision
    section: str | None  # the container's spec section, from involvedObject.fieldPath
    container: str | None
    object_kind: str | None
    object_name: str | None
    object_namespace: str | None
    object_uid: str | None
    source: str | None
    name: str | None
    uid: str | None


def parse_event(raw: Any) -> Event | None:
    """Normalise one event dict; ``None`` when it has no usable time or reason.

    core/v1 kubelet events carry ``firstTimestamp``/``lastTimestamp``/``count`` (seconds); scheduler
    events carry ``eventTime`` (microseconds) with null timestamps; events.k8s.io/v1 names the object
    ``regarding`` and aggregates through ``series``.
    """
    raw = as_dict(raw)
    reason = as_str(raw.get("reason"))
    if reason is None:
        return None
    involved = as_dict(raw.get("involvedObject")) or as_dict(raw.get("regarding"))
    series = as_dict(raw.get("series"))
    first_raw = raw.get("firstTimestamp") or raw.get("deprecatedFirstTimestamp")
    last_raw = raw.get("lastTimestamp") or raw.get("deprecatedLastTimestamp")
    event_time_raw = raw.get("eventTime")
    first = parse_time(first_raw)
    last = parse_time(last_raw)
    precision = Precision.SECONDS
    if first is None:
        first = parse_time(event_time_raw)
        precision = time_precision(event_time_raw)
    series_last = parse_time(series.get("lastObservedTime"))
    if last is None or (series_last is not None and series_last > last):
        last = series_last or last
    if first is None:
        first = last
    if first is None:  # no time at all (``last`` is None too)
        return None
    if last is None:
        last = first
    if last < first:  # clocks of different writers disagree; never invent a negative span
        last = first
    count = as_int(raw.get("count")) or as_int(raw.get("deprecatedCount")) or 0
    series_count = as_int(series.get("count")) or 0
    count = max(count, series_count, 1)
    section = container = None
    match = _FIELD_PATH.match(as_str(involved.get("fieldPath")) or "")
    if match:
        section, container = match.group(1), match.group(2)
    source = (
        as_dict(raw.get("source")).get("component")
        or raw.get("reportingComponent")
        or raw.get("reportingController")
    )
    message = raw.get("message") if "message" in raw else raw.get("note")
    return Event(
        reason=reason,
        type=as_str(raw.get("type")),
        message=message if isinstance(message, str) else "",
        first=first,
        last=last,
        count=count,
        precision=precision,
        section=section,
        container=container,
        object_kind=as_str(involved.get("kind")),
        object_name=as_str(involved.get("name")),
        object_namespace=as_str(involved.get("namespace")),
        object_uid=as_str(involved.get("uid")),
        source=as_str(source),
        name=meta(raw, "name"),
        uid=meta(raw, "uid"),
    )


def pod_finished(pod: Any) -> bool:
    """True when the pod is Succeeded or Failed and none of its containers is still running.

    Phase alone is not enough: a Job's pod is Succeeded when its app containers exit, while native
    sidecars are still being stopped (and legacy sidecars may run until the platform kills them).
    """
    status = as_dict(as_dict(pod).get("status"))
    if as_str(status.get("phase")) not in ("Succeeded", "Failed"):
        return False
    for key in ("initContainerStatuses", "containerStatuses"):
        for entry in as_list(status.get(key)):
            if isinstance(as_dict(as_dict(entry).get("state")).get("running"), dict):
                return False
    return True
