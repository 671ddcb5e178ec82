"""The seam between data sources and the engine: what was read, from the API or from files.

A :class:`Snapshot` holds raw API dicts (pods, events, Jobs, nodes), the server version when known,
and what we know about the completeness of the events. ``kube`` and ``files`` build one; the timeline
and the checks only ever read one. It is the one home of the lookups between those objects: a pod's
events, Job and node, a Job's pods and events, and the identity of an event. No I/O here.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kubectl_sidecar.errors import NotFoundError, UsageError
from kubectl_sidecar.model import ClusterVersion, Event, EventsState, JobInfo, parse_event, parse_job
from kubectl_sidecar.raw import as_dict, as_list, as_str, meta


@dataclass
class Snapshot:
    """Everything one command read. Lists hold raw dicts exactly as the API returns them."""

    pods: list = field(default_factory=list)
    events: list = field(default_factory=list)
    jobs: list = field(default_factory=list)
    nodes: list = field(default_factory=list)
    server_version: ClusterVersion | None = None
    events_state: str = EventsState.LISTED
    notes: list = field(default_factory=list)
    source: str = ""
    _event_index: dict | None = field(default=None, repr=False, compare=False)
    _job_infos: dict = field(default_factory=dict, repr=False, compare=False)  # id(raw Job) -> JobInfo

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
                raise UsageError(
                    f"{self.source or 'the input'} holds {len(candidates)} pods ({names}): name the one to show"
                )
            spaces = ", ".join(sorted({pod_namespace(p) or "?" for p in candidates}))
            raise UsageError(f'pod "{name}" exists in several namespaces ({spaces}): choose one with -n')
        return candidates[0]

    def events_for(self, pod: dict) -> list[Event]:
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
            key = parsed_event_key(event)
            if key in seen:
                continue
            seen.add(key)
            result.append(event)
        return result

    def job_for(self, pod: dict) -> dict | None:
        """The Job that owns the pod, when the snapshot has it (see :func:`owned_by`)."""
        for ref in job_refs(pod):
            for job in self.jobs:
                if as_dict(job.get("metadata")).get("namespace", pod_namespace(pod)) != pod_namespace(pod):
                    continue
                if ref_names(ref, job):
                    return job
        return None

    def job_info(self, job: dict) -> JobInfo:
        """The typed view of one of the snapshot's Jobs, parsed once however many pods it has."""
        info = self._job_infos.get(id(job))
        if info is None:
            info = self._job_infos[id(job)] = parse_job(job)
        return info

    def node_for(self, pod: dict) -> dict | None:
        """The node the pod was bound to, when the snapshot has it."""
        node_name = as_str(as_dict(pod.get("spec")).get("nodeName"))
        for node in self.nodes:
            if node_name and as_dict(node.get("metadata")).get("name") == node_name:
                return node
        return None

    def events_of_job(self, job: dict) -> list[Event]:
        """The Job's own events (FailedCreate, SuccessfulCreate, ...), parsed, oldest first."""
        name, namespace, uid = meta(job, "name"), meta(job, "namespace"), meta(job, "uid")
        result = []
        for raw in self.events:
            raw = as_dict(raw)
            involved = as_dict(raw.get("involvedObject")) or as_dict(raw.get("regarding"))
            if as_str(involved.get("kind")) != "Job":
                continue  # as parse_event would read it: most events are the pods' (about 10 per pod)
            event = parse_event(raw)
            if event is None or event.object_kind != "Job" or event.object_name != name:
                continue
            if namespace and event.object_namespace not in (namespace, None):
                continue
            if uid and event.object_uid and event.object_uid != uid:
                continue
            result.append(event)
        return sorted(result, key=lambda e: (e.first, e.last))

    def jobs_without_pods(self) -> list[tuple[str | None, str | None]]:
        """``(namespace, name)`` of the Jobs none of whose pods the snapshot holds (by owner uid or name)."""
        owners: set = set()
        for pod in self.pods:
            for ref in job_refs(pod):
                owners.add(as_str(ref.get("uid")))
                owners.add((pod_namespace(pod), as_str(ref.get("name"))))
        return [
            (meta(j, "namespace"), meta(j, "name"))
            for j in self.jobs
            if (meta(j, "uid") or (meta(j, "namespace"), meta(j, "name"))) not in owners
        ]


# --------------------------------------------------------------------------------------- one meaning each


def job_refs(pod: dict) -> list[dict]:
    """The pod's ownerReferences of kind Job."""
    refs = (as_dict(ref) for ref in as_list(as_dict(as_dict(pod).get("metadata")).get("ownerReferences")))
    return [ref for ref in refs if ref.get("kind") == "Job"]


def owner_job_ref(pod: dict) -> dict | None:
    """The pod's first ownerReference of kind Job, if any."""
    refs = job_refs(pod)
    return refs[0] if refs else None


def ref_names(ref: dict, job: dict) -> bool:
    """Whether an ownerReference names the Job: by uid when both have one, else by name.

    A Job deleted and created again under its name is another Job (another uid).
    """
    uid = meta(job, "uid")
    if uid and ref.get("uid"):
        return bool(ref.get("uid") == uid)
    return bool(ref.get("name") == meta(job, "name"))


def owned_by(pod: dict, job: dict) -> bool:
    """Whether the pod's (first) Job ownerReference names the Job (see :func:`ref_names`)."""
    ref = owner_job_ref(pod)
    return ref is not None and ref_names(ref, job)


def event_key(event: dict) -> Hashable:
    """The one identity of a raw event: its uid, else its namespace and name (the same event read twice)."""
    return meta(event, "uid") or (meta(event, "namespace"), meta(event, "name"))


def parsed_event_key(event: Event) -> Hashable:
    """The identity of a parsed event: its uid, else what it says (files may hold events without names)."""
    return event.uid or (event.name, event.reason, event.first, event.container, event.message)


def involved_key(event: dict) -> tuple[str | None, str | None]:
    """``(namespace, name)`` of the object a raw event is about (its own namespace when unsaid)."""
    involved = as_dict(as_dict(event).get("involvedObject"))
    return as_str(involved.get("namespace")) or meta(event, "namespace"), as_str(involved.get("name"))


def pod_name(pod: Any) -> str | None:
    return meta(pod, "name")


def pod_namespace(pod: Any) -> str | None:
    return meta(pod, "namespace")


def pod_uid(pod: Any) -> str | None:
    return meta(pod, "uid")
