"""Conditions of pods and Jobs, and what the timeline, the checks and the report need of a Job."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, NamedTuple

from kubectl_sidecar.raw import as_dict, as_int, as_list, as_str, meta, parse_time
from kubectl_sidecar.record import record

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class Condition(NamedTuple):
    """A condition of a pod or a Job: ``type`` is never empty; the rest may be unknown.

    Immutable; a NamedTuple because every pod has several, and a tuple is built in half the time of a
    frozen dataclass (which sets each field through ``object.__setattr__``).
    """

    type: str
    status: str | None
    time: datetime | None  # lastTransitionTime
    reason: str | None = None
    message: str | None = None


def parse_conditions(raw: Any) -> tuple[Condition, ...]:
    """The conditions of ``status.conditions`` in list order; entries without a type are left out."""
    result = []
    for cond in as_list(raw):
        cond = as_dict(cond)
        ctype = as_str(cond.get("type"))
        if ctype is None:
            continue
        result.append(
            Condition(  # type, status, time, reason, message
                ctype,
                as_str(cond.get("status")),
                parse_time(cond.get("lastTransitionTime")),
                as_str(cond.get("reason")),
                as_str(cond.get("message")),
            )
        )
    return tuple(result)


def parse_pod_conditions(pod: Mapping) -> tuple[Condition, ...]:
    """The pod's conditions ordered by time (those without a time last), ties in list order."""
    conditions = parse_conditions(as_dict(as_dict(pod).get("status")).get("conditions"))
    return tuple(sorted(conditions, key=lambda c: (c.time is None, c.time or _EPOCH)))


# --------------------------------------------------------------------------------------------- Jobs


@record(frozen=True)
class JobInfo:
    """What the timeline, the checks and the report need of a Job."""

    name: str | None
    namespace: str | None
    uid: str | None
    state: str  # Complete, Failed, Failing, Suspended, Running or Pending
    active: int = 0
    succeeded: int = 0
    failed: int = 0
    conditions: tuple[Condition, ...] = ()
    start_time: datetime | None = None
    completion_time: datetime | None = None
    completion_text: str | None = None  # status.completionTime as written (evidence quotes it)
    active_deadline_seconds: int | None = None
    init_containers: tuple[str | None, ...] = ()  # the pod template's init container names, in order
    cronjob: str | None = None  # the CronJob that made this Job (its controller ownerReference)

    def failed_condition(self) -> Condition | None:
        """The first ``Failed=True`` condition, when the Job failed."""
        return next((c for c in self.conditions if c.type == "Failed" and c.status == "True"), None)


def job_state(job: Mapping) -> str:
    """Complete, Failed, Failing, Suspended, Running or Pending, from the Job's conditions and counts."""
    status = as_dict(as_dict(job).get("status"))
    conditions = {
        as_str(as_dict(c).get("type")): as_str(as_dict(c).get("status"))
        for c in as_list(status.get("conditions"))
    }
    if conditions.get("Complete") == "True":
        return "Complete"
    if conditions.get("Failed") == "True":
        return "Failed"
    if conditions.get("FailureTarget") == "True":
        return "Failing"
    if conditions.get("Suspended") == "True" or as_dict(as_dict(job).get("spec")).get("suspend") is True:
        return "Suspended"
    if (as_int(status.get("active")) or 0) > 0:
        return "Running"
    return "Pending"


def parse_job(job: Mapping) -> JobInfo:
    """Read a raw Job dict."""
    status = as_dict(as_dict(job).get("status"))
    spec = as_dict(as_dict(job).get("spec"))
    template = as_dict(as_dict(spec.get("template")).get("spec"))
    completion = status.get("completionTime")
    return JobInfo(
        name=meta(job, "name"),
        namespace=meta(job, "namespace"),
        uid=meta(job, "uid"),
        state=job_state(job),
        active=as_int(status.get("active")) or 0,
        succeeded=as_int(status.get("succeeded")) or 0,
        failed=as_int(status.get("failed")) or 0,
        conditions=parse_conditions(status.get("conditions")),
        start_time=parse_time(status.get("startTime")),
        completion_time=parse_time(completion),
        completion_text=completion if isinstance(completion, str) and completion else None,
        active_deadline_seconds=as_int(spec.get("activeDeadlineSeconds")),
        init_containers=tuple(
            as_str(as_dict(c).get("name")) for c in as_list(template.get("initContainers"))
        ),
        cronjob=next(
            (
                as_str(as_dict(ref).get("name"))
                for ref in as_list(as_dict(as_dict(job).get("metadata")).get("ownerReferences"))
                if as_dict(ref).get("kind") == "CronJob"
            ),
            None,
        ),
    )
