"""The fields of a pod that the package reads, and a pod cut down to them (:func:`slim_pod`).

``check`` lists every pod of a Job, a selector or the cluster and holds them all until its report is
made. A pod as the API server returns it is mostly what nothing here reads: ``managedFields``, volumes
and their mounts, resources, probes, ports, tolerations, affinity, security contexts, env ``valueFrom``,
IPs, container and image ids, probe times. :data:`POD_FIELDS` says what is read (by
the model, the timeline, the checks, the selection and the snapshot's lookups), and :func:`slim_pod`
keeps just that, as each listed pod is read, so a big check holds a fraction of the pods' memory.

Nothing else changes: a field is kept exactly as it was (absent stays absent, a value of the wrong type
stays as it is, for the readers of :mod:`kubectl_sidecar.raw` to read as absent), and a pod read whole
and the same pod slimmed give the same timeline, findings and report (``tests/unit/test_slim_pods.py``
runs every check over every fixture both ways, and fails on a read of any field outside this list).
"""

from __future__ import annotations

import json
from typing import Any, Union

from kubectl_sidecar.model.vocab import SECTIONS, STATUS_KEYS

KEEP = True  # keep the value whole, whatever it holds

# A field's rule: KEEP, {key: rule} for a mapping (its other keys dropped), or [rule] for each item of a list.
Rule = Union[bool, dict, list]

_CONTAINER: dict = {
    "name": KEEP,
    "image": KEEP,
    "restartPolicy": KEEP,  # a native sidecar: an init container with restartPolicy Always
    "startupProbe": {"initialDelaySeconds": KEEP},
    "command": KEEP,
    "args": KEEP,
    # every entry's name (the checks name them) and literal value (the sidecar markers, and the env a
    # sidecar catalogue may recognise); valueFrom is never read
    "env": [{"name": KEEP, "value": KEEP}],
}

_STATE: dict = {
    "running": {"startedAt": KEEP},
    "terminated": {key: KEEP for key in ("exitCode", "reason", "message", "startedAt", "finishedAt")},
    "waiting": {"reason": KEEP},
}

_CONTAINER_STATUS: dict = {
    "name": KEEP,
    "ready": KEEP,
    "started": KEEP,
    "restartCount": KEEP,
    "state": _STATE,
    "lastState": _STATE,
}

POD_FIELDS: dict = {
    "apiVersion": KEEP,
    "kind": KEEP,
    "metadata": {
        "name": KEEP,
        "namespace": KEEP,
        "uid": KEEP,
        "creationTimestamp": KEEP,
        "deletionTimestamp": KEEP,
        "deletionGracePeriodSeconds": KEEP,
        "labels": KEEP,  # any label may be selected on (-l, a Job's selector)
        "annotations": KEEP,  # the platform's (ECI/ACS), and those a sidecar catalogue names
        "ownerReferences": KEEP,
    },
    "spec": {
        "nodeName": KEEP,
        "restartPolicy": KEEP,
        "terminationGracePeriodSeconds": KEEP,
        **{section: [_CONTAINER] for section in SECTIONS},
    },
    "status": {
        "phase": KEEP,
        "reason": KEEP,
        "message": KEEP,
        "startTime": KEEP,
        "conditions": [{key: KEEP for key in ("type", "status", "reason", "message", "lastTransitionTime")}],
        **{key: [_CONTAINER_STATUS] for key in STATUS_KEYS.values()},
    },
}


def project(value: Any, rule: Rule) -> Any:
    """``value`` cut down to what ``rule`` keeps (see :data:`Rule`); a value not of the shape the rule
    expects is kept as it is (its readers read it as absent either way)."""
    if rule is KEEP:
        return value
    if isinstance(rule, dict):
        if not isinstance(value, dict):
            return value
        return {key: project(value[key], inner) for key, inner in rule.items() if key in value}
    if isinstance(rule, list):
        if not isinstance(value, list):
            return value
        (inner,) = rule
        return [project(item, inner) for item in value]
    return value


def slim_pod(pod: Any) -> Any:
    """The pod with only the fields of :data:`POD_FIELDS`: what every reader of pods in the package
    reads, and nothing else. Anything but a dict is returned as it is."""
    return project(pod, POD_FIELDS)


# Fields a Job's pods hold alike (from its pod template): kept once, however many pods carry them.
SHARED_FIELDS = (
    ("metadata", "labels"),
    ("metadata", "annotations"),
    ("metadata", "ownerReferences"),
    *(("spec", section) for section in SECTIONS),
)
MAX_SHARED = 4096  # distinct values remembered per list read: pods that differ cost no more than that


class PodSlimmer:
    """:func:`slim_pod` for the pods of one list, whose equal :data:`SHARED_FIELDS` values (a Job's pods
    have the same containers, labels, annotations and owner) are one object shared by every pod.

    Equal means the same JSON text, so a shared value reads exactly as each pod's own did. Nothing in
    the package changes a pod it reads (``tests/unit/test_slim_pods.py`` fails on any change).
    """

    def __init__(self) -> None:
        self._known: dict = {}  # (field, JSON text) -> the first value seen

    def __call__(self, pod: Any) -> Any:
        slim = slim_pod(pod)
        if not isinstance(slim, dict):
            return slim
        for field in SHARED_FIELDS:
            parent = slim.get(field[0])
            if isinstance(parent, dict) and field[1] in parent:
                parent[field[1]] = self._share(field, parent[field[1]])
        return slim

    def _share(self, field: tuple, value: Any) -> Any:
        if not isinstance(value, (dict, list)) or not value:
            return value
        try:
            text = json.dumps(value, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError):  # not JSON (files may hold anything): kept as it is
            return value
        known = self._known.get((field, text))
        if known is not None:
            return known
        if len(self._known) < MAX_SHARED:
            self._known[(field, text)] = value
        return value


__all__ = ["KEEP", "MAX_SHARED", "POD_FIELDS", "SHARED_FIELDS", "PodSlimmer", "Rule", "project", "slim_pod"]
