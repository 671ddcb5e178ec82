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


__all__ = ["KEEP", "POD_FIELDS", "Rule", "project", "slim_pod"]
