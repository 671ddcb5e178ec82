"""What ``check`` looks at: a Job and its pods (through the Job's ``spec.selector``), one pod, the pods
of a label selector, or everything in a namespace. Pure: works on a snapshot, read live or from files.

Also the one home of label selectors: kubectl's ``-l`` parsed and matched, and a Job's ``spec.selector``
as requirements or as the selector string a list request sends.
"""

from __future__ import annotations

import re
from dataclasses import field

from kubectl_sidecar.errors import ApiError, NotFoundError, UsageError
from kubectl_sidecar.raw import as_dict, as_list, as_str
from kubectl_sidecar.record import record
from kubectl_sidecar.snapshot import JobNames, Snapshot, owner_job_ref, pod_name, pod_namespace, pod_uid

KIND_JOB = "job"
KIND_POD = "pod"
KIND_SELECTOR = "selector"
KIND_ALL = "all"


@record(frozen=True)
class Target:
    """``kind`` is job, pod, selector or all; ``namespace`` None means every namespace in the data."""

    kind: str
    name: str | None = None
    selector: str | None = None
    namespace: str | None = None

    def describe(self) -> str:
        where = f' in namespace "{self.namespace}"' if self.namespace else ""
        if self.kind == KIND_JOB:
            return f"Job {self.name}{where}"
        if self.kind == KIND_POD:
            return f"pod {self.name}{where}"
        if self.kind == KIND_SELECTOR:
            return f"pods matching {self.selector}{where}"
        return f"every Job and pod{where or ' in every namespace'}"


@record
class Selection:
    """The Jobs (each with its pods) and the pods on their own that a target names."""

    jobs: list = field(default_factory=list)  # [(job dict, [pod dicts])]
    pods: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def pod_count(self) -> int:
        return len(self.pods) + sum(len(pods) for _, pods in self.jobs)


# ------------------------------------------------------------------------------------------ selectors


@record(frozen=True)
class Requirement:
    key: str
    operator: str  # In, NotIn, Exists, DoesNotExist
    values: tuple = ()

    def matches(self, labels: dict) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.operator == "Exists":
            return present
        if self.operator == "DoesNotExist":
            return not present
        if self.operator == "In":
            return present and value in self.values
        if self.operator == "NotIn":
            return not present or value not in self.values
        return False


_KEY = r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?"
_VALUE = r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?"


def _split_top(text: str) -> list:
    """Split on commas outside parentheses."""
    parts: list = []
    depth = 0
    current: list = []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def parse_label_selector(text: str) -> list:
    """Parse kubectl's ``-l``: ``a=b``, ``a==b``, ``a!=b``, ``a in (x,y)``, ``a notin (x)``, ``a``, ``!a``."""
    requirements = []
    if text is None or not text.strip():
        raise UsageError("the label selector is empty")
    for raw in _split_top(text):
        part = raw.strip()
        set_match = re.fullmatch(rf"({_KEY})\s+(in|notin)\s+\(([^()]*)\)", part)
        eq_match = re.fullmatch(rf"({_KEY})\s*(==|=|!=)\s*(\S*)", part)
        if set_match:
            values = tuple(v.strip() for v in set_match.group(4).split(",") if v.strip())
            if not all(re.fullmatch(_VALUE, v) for v in values):
                raise UsageError(f'invalid label selector "{text}": bad value in "{part}"')
            requirements.append(
                Requirement(set_match.group(1), "In" if set_match.group(3) == "in" else "NotIn", values)
            )
        elif eq_match and re.fullmatch(_VALUE, eq_match.group(4)):
            operator = "NotIn" if eq_match.group(3) == "!=" else "In"
            requirements.append(Requirement(eq_match.group(1), operator, (eq_match.group(4),)))
        elif re.fullmatch(rf"!\s*({_KEY})", part):
            requirements.append(Requirement(part.lstrip("!").strip(), "DoesNotExist"))
        elif re.fullmatch(_KEY, part):
            requirements.append(Requirement(part, "Exists"))
        else:
            raise UsageError(f'invalid label selector "{text}": cannot read "{part}"')
    return requirements


def job_selector(job: dict) -> list | None:
    """The Job's ``spec.selector`` as requirements; ``None`` when it has none (ownerReferences then)."""
    selector = as_dict(as_dict(job.get("spec")).get("selector"))
    if not selector:
        return None
    requirements = [
        Requirement(str(k), "In", (str(v),)) for k, v in as_dict(selector.get("matchLabels")).items()
    ]
    for expr in as_list(selector.get("matchExpressions")):
        expr = as_dict(expr)
        operator = as_str(expr.get("operator"))
        if as_str(expr.get("key")) is None or operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
            continue
        requirements.append(
            Requirement(expr["key"], operator, tuple(str(v) for v in as_list(expr.get("values"))))
        )
    return requirements


def job_selector_string(selector: dict) -> str:
    """A Job's ``spec.selector`` (matchLabels AND matchExpressions) as a label selector string."""
    selector = as_dict(selector)
    parts = [f"{key}={value}" for key, value in sorted(as_dict(selector.get("matchLabels")).items())]
    for expression in as_list(selector.get("matchExpressions")):
        expression = as_dict(expression)
        key = as_str(expression.get("key"))
        operator = as_str(expression.get("operator"))
        values = ",".join(str(v) for v in as_list(expression.get("values")))
        if not key or not operator:
            continue
        if operator == "In":
            parts.append(f"{key} in ({values})")
        elif operator == "NotIn":
            parts.append(f"{key} notin ({values})")
        elif operator == "Exists":
            parts.append(key)
        elif operator == "DoesNotExist":
            parts.append(f"!{key}")
        else:
            raise ApiError(f'the Job\'s selector uses an unknown operator "{operator}"')
    return ",".join(parts)


def labels_of(obj: dict) -> dict:
    return as_dict(as_dict(obj.get("metadata")).get("labels"))


def matches(obj: dict, requirements: list) -> bool:
    labels = labels_of(obj)
    return all(r.matches(labels) for r in requirements)


# ------------------------------------------------------------------------------------------ selection


def job_name(job: dict) -> str | None:
    return as_str(as_dict(job.get("metadata")).get("name"))


def job_namespace(job: dict) -> str | None:
    return as_str(as_dict(job.get("metadata")).get("namespace"))


def pods_of_job(snapshot: Snapshot, job: dict) -> list:
    """The Job's pods: those its ``spec.selector`` matches in its namespace (ownerReferences without one).

    Only candidates from the snapshot's indexes are looked at (the pods whose label has the value of one
    of the selector's ``In`` requirements, or the pods the Job owns), never every pod per Job: checking
    many Jobs grows with their pods, not with Jobs times pods.
    """
    requirements = job_selector(job)
    if requirements is None:
        pods = snapshot.pods_owned_by(job)
    else:
        pods = [
            pod
            for pod in candidates(snapshot, job_namespace(job), requirements)
            if matches(pod, requirements)
        ]
    return sorted(pods, key=_pod_sort_key)


def candidates(snapshot: Snapshot, namespace: str | None, requirements: list) -> list:
    """The pods of ``namespace`` (and without one) that may match ``requirements``, in the snapshot's
    order: those the first ``In`` requirement admits, from the snapshot's index of that label; every pod
    of the namespace when there is none. No pod for no requirements (a selector that says nothing
    selects nothing)."""
    if not requirements:
        return []
    for requirement in requirements:
        if requirement.operator == "In":
            return snapshot.pods_labelled(namespace, requirement.key, requirement.values)
    return snapshot.pods_in(namespace)


def _pod_sort_key(pod: dict) -> tuple:
    created = as_str(as_dict(pod.get("metadata")).get("creationTimestamp")) or ""
    return (pod_namespace(pod) or "", created, pod_name(pod) or "")


def _in_namespace(obj: dict, namespace: str | None) -> bool:
    if namespace is None:
        return True
    return as_str(as_dict(obj.get("metadata")).get("namespace")) in (namespace, None)


def select(snapshot: Snapshot, target: Target) -> Selection:
    """Resolve ``target`` against the snapshot. Raises :class:`NotFoundError` for a missing Job or pod."""
    selection = Selection()
    if target.kind == KIND_JOB:
        jobs = [j for j in snapshot.jobs if job_name(j) == target.name and _in_namespace(j, target.namespace)]
        if not jobs:
            raise NotFoundError(
                "Job", target.name or "", target.namespace, f"in {snapshot.source}" if snapshot.source else ""
            )
        if len(jobs) > 1:
            spaces = ", ".join(sorted({job_namespace(j) or "?" for j in jobs}))
            raise UsageError(
                f'Job "{target.name}" exists in several namespaces ({spaces}): choose one with -n'
            )
        job = jobs[0]
        selection.jobs.append((job, pods_of_job(snapshot, job)))
    elif target.kind == KIND_POD:
        selection.pods.append(snapshot.find_pod(target.name, target.namespace))
    elif target.kind == KIND_SELECTOR:
        requirements = parse_label_selector(target.selector or "")
        selection.pods = sorted(
            (p for p in snapshot.pods if _in_namespace(p, target.namespace) and matches(p, requirements)),
            key=_pod_sort_key,
        )
        if not selection.pods:
            selection.notes.append(
                f"no pods match {target.selector}"
                + (f' in namespace "{target.namespace}"' if target.namespace else "")
            )
    else:
        claimed: set = set()
        jobs = sorted(
            (j for j in snapshot.jobs if _in_namespace(j, target.namespace)),
            key=lambda j: (job_namespace(j) or "", job_name(j) or ""),
        )
        for job in jobs:
            pods = pods_of_job(snapshot, job)
            claimed.update(id(p) for p in pods)
            selection.jobs.append((job, pods))
        owners = JobNames(jobs)
        for pod in sorted(snapshot.pods, key=_pod_sort_key):
            if id(pod) in claimed or not _in_namespace(pod, target.namespace):
                continue
            ref = owner_job_ref(pod)
            if ref is not None and owners.name_any(ref):
                continue
            selection.pods.append(pod)
        if not selection.jobs and not selection.pods:
            selection.notes.append(
                "no Jobs and no pods found"
                + (f' in namespace "{target.namespace}"' if target.namespace else "")
            )
    for job, pods in selection.jobs:
        if not pods:
            selection.notes.append(
                f"Job {job_name(job)} has no pods (not created yet, or deleted, e.g. by "
                "ttlSecondsAfterFinished): only its status and events were checked"
            )
    return selection


__all__ = [
    "KIND_ALL",
    "KIND_JOB",
    "KIND_POD",
    "KIND_SELECTOR",
    "Requirement",
    "Selection",
    "Target",
    "job_selector",
    "job_selector_string",
    "matches",
    "parse_label_selector",
    "pod_uid",
    "pods_of_job",
    "select",
]
