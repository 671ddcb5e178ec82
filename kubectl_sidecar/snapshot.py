"""The seam between data sources and the engine: what was read, from the API or from files.

A :class:`Snapshot` holds raw API dicts (pods, events, Jobs, nodes), the server version when known,
and what we know about the completeness of the events. ``kube.py`` and ``files.py`` build one; the
timeline and the checks only ever read one. No I/O here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from kubectl_sidecar.errors import NotFoundError, UsageError
from kubectl_sidecar.model import ClusterVersion, Event, as_dict, as_list, as_str, parse_event

# What we know about the events behind a snapshot.
EVENTS_LISTED = "listed"  # the events of the pods were read (there may still be none: expired)
EVENTS_ABSENT = "absent"  # the input carried no events at all (e.g. a file of pods only)
EVENTS_FORBIDDEN = "forbidden"  # RBAC refused to list events
EVENTS_UNAVAILABLE = "unavailable"  # the API failed to answer for events

POD_KINDS = {"Pod"}
EVENT_KINDS = {"Event"}


@dataclass
class Snapshot:
    """Everything one command read. Lists hold raw dicts exactly as the API returns them."""

    pods: list = field(default_factory=list)
    events: list = field(default_factory=list)
    jobs: list = field(default_factory=list)
    nodes: list = field(default_factory=list)
    server_version: ClusterVersion | None = None
    events_state: str = EVENTS_LISTED
    notes: list = field(default_factory=list)
    source: str = ""
    _event_index: dict | None = field(default=None, repr=False, compare=False)

    def add_objects(self, objects: Iterable[dict]) -> list:
        """Sort API objects into pods, events, Jobs and nodes; return the kinds that were ignored."""
        ignored = []
        for obj in objects:
            kind = obj.get("kind")
            if kind == "Pod":
                self.pods.append(obj)
            elif kind == "Event":
                self.events.append(obj)
            elif kind == "Job":
                self.jobs.append(obj)
            elif kind == "Node":
                self.nodes.append(obj)
            else:
                ignored.append(kind if isinstance(kind, str) else "object without kind")
        self._event_index = None
        return ignored

    # ----------------------------------------------------------------------------------- lookups

    def find_pod(self, name: str | None, namespace: str | None = None) -> dict:
        """Pick a pod by name (and namespace when given); with no name, the only pod there is."""
        candidates = [p for p in self.pods if namespace is None or pod_namespace(p) == namespace]
        if name is not None:
            candidates = [p for p in candidates if pod_name(p) == name]
        if not candidates:
            if name is None:
                where = f' in namespace "{namespace}"' if namespace else ""
                raise UsageError(f"{self.source or 'the input'} holds no pod{where}")
            raise NotFoundError("pod", name, namespace, f"in {self.source}" if self.source else "")
        if len(candidates) > 1:
            if name is None:
                names = ", ".join(sorted({pod_name(p) or "?" for p in candidates})[:10])
                raise UsageError(f"{self.source or 'the input'} holds {len(candidates)} pods ({names}): "
                                 "name the one to show")
            spaces = ", ".join(sorted({pod_namespace(p) or "?" for p in candidates}))
            raise UsageError(f'pod "{name}" exists in several namespaces ({spaces}): choose one with -n')
        return candidates[0]

    def events_for(self, pod: dict) -> list:
        """The pod's events, matched by uid, or by name where the writer left the uid out.

        Older ACS virtual nodes wrote events without ``involvedObject.uid``; an event whose uid names
        another pod (an earlier pod of the same name) is left out. Duplicates (the same event read
        twice, by uid and by name) are dropped.
        """
        if self._event_index is None:
            index: dict = {}
            for raw in self.events:
                event = parse_event(raw)
                if event is None or (event.object_kind not in (None, "Pod")):
                    continue
                index.setdefault((event.object_namespace, event.object_name), []).append(event)
            self._event_index = index
        uid = pod_uid(pod)
        namespace = pod_namespace(pod)
        candidates = list(self._event_index.get((namespace, pod_name(pod)), ()))
        if namespace is not None:
            candidates += self._event_index.get((None, pod_name(pod)), [])
        seen: set = set()
        result: list[Event] = []
        for event in candidates:
            if event.object_uid and uid and event.object_uid != uid:
                continue
            key = event.uid or (event.name, event.reason, event.first, event.container, event.message)
            if key in seen:
                continue
            seen.add(key)
            result.append(event)
        return result

    def job_for(self, pod: dict) -> dict | None:
        """The Job that owns the pod, when the snapshot has it: by ownerReference uid, by name only when a
        uid is missing (a Job deleted and created again under its name is another Job)."""
        for ref in as_list(as_dict(pod.get("metadata")).get("ownerReferences")):
            ref = as_dict(ref)
            if ref.get("kind") != "Job":
                continue
            for job in self.jobs:
                meta = as_dict(job.get("metadata"))
                if meta.get("namespace", pod_namespace(pod)) != pod_namespace(pod):
                    continue
                if ref.get("uid") and meta.get("uid"):
                    if meta.get("uid") == ref.get("uid"):
                        return job
                elif meta.get("name") == ref.get("name"):
                    return job
        return None

    def node_for(self, pod: dict) -> dict | None:
        """The node the pod was bound to, when the snapshot has it."""
        node_name = as_str(as_dict(pod.get("spec")).get("nodeName"))
        for node in self.nodes:
            if node_name and as_dict(node.get("metadata")).get("name") == node_name:
                return node
        return None


def pod_name(pod: dict) -> str | None:
    return as_str(as_dict(as_dict(pod).get("metadata")).get("name"))


def pod_namespace(pod: dict) -> str | None:
    return as_str(as_dict(as_dict(pod).get("metadata")).get("namespace"))


def pod_uid(pod: dict) -> str | None:
    return as_str(as_dict(as_dict(pod).get("metadata")).get("uid"))
