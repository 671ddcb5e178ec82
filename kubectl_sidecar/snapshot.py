"""The seam between data sources and the engine: what was read, from the API or from files.

A :class:`Snapshot` holds the pods, Jobs and nodes as raw API dicts, the events as raw dicts (files,
``timeline``) or as parsed :class:`~kubectl_sidecar.model.Event` records (``check`` parses them while
it reads them), the server version when known, and what we know about the completeness of the events.
``kube`` and ``files`` build one; the timeline and the checks only ever read one. It is the one home of
the lookups between those objects: a pod's events, Job and node, a Job's events, and the identity of an
event. No I/O here.

Lookups are answered from indexes built once per snapshot (:class:`_Lookups`): events by the object they
are about, Jobs by uid and by name, nodes by name, pods by namespace, by the Job their ownerReference
names and by the value of a label a selector asks for. Every lookup costs the same whatever the number
of Jobs, pods and events, so checking a namespace of many Jobs (``check -A``) grows with the data, not
with its square.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import field
from typing import Any

from kubectl_sidecar.errors import NotFoundError, UsageError
from kubectl_sidecar.model import ClusterVersion, Event, EventsState, JobInfo, parse_event, parse_job
from kubectl_sidecar.raw import as_dict, as_str, job_refs, meta, owner_job_ref
from kubectl_sidecar.record import record

_MISSING = object()  # a Job whose metadata has no namespace key: it matches a pod of any namespace


@record
class Snapshot:
    """Everything one command read. Pods, Jobs and nodes are raw dicts exactly as the API returns them;
    events are raw dicts or :class:`~kubectl_sidecar.model.Event` records (see :func:`as_event`)."""

    pods: list = field(default_factory=list)
    events: list = field(default_factory=list)
    jobs: list = field(default_factory=list)
    nodes: list = field(default_factory=list)
    server_version: ClusterVersion | None = None
    events_state: str = EventsState.LISTED
    notes: list = field(default_factory=list)
    source: str = ""
    _lookups: _Lookups | None = field(default=None, repr=False, compare=False)
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
        self._lookups = None
        return ignored

    def lookups(self) -> _Lookups:
        """The indexes of this snapshot's events, Jobs and nodes, built on first use.

        Built again when a list was replaced or grew (tests and ``files`` fill snapshots in place).
        """
        current = self._lookups
        if current is None or not current.indexes(self):
            current = self._lookups = _Lookups(self)
        return current

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
        by_object = self.lookups().pod_events
        uid = pod_uid(pod)
        namespace = pod_namespace(pod)
        candidates = list(by_object.get((namespace, pod_name(pod)), ()))
        if namespace is not None:
            candidates += by_object.get((None, pod_name(pod)), [])
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
        """The Job that owns the pod, when the snapshot has it (see :func:`owned_by`).

        The first of the pod's Job ownerReferences that names a Job of its namespace wins; among Jobs
        it names, the first in the snapshot (as a scan of the Jobs would find it).
        """
        lookups = self.lookups()
        namespace = pod_namespace(pod)
        for ref in job_refs(pod):
            found = lookups.job_named_by(ref, namespace)
            if found is not None:
                return found
        return None

    def pods_in(self, namespace: str | None) -> list[dict]:
        """The pods of ``namespace`` and those without one, in the snapshot's order (every pod for
        ``None``): the pods a Job of that namespace may own, without a scan of every pod per Job."""
        if namespace is None:
            return list(self.pods)
        return _in_namespace(self.lookups().pods, namespace, None)

    def pods_owned_by(self, job: dict) -> list[dict]:
        """The pods of the Job's namespace (and those without one; every namespace for a Job without
        one) whose first Job ownerReference names the Job (:func:`owned_by`), in the snapshot's order.

        From an index of the pods by their owner's uid and name: the Job's own pods are looked at, not
        every pod of the namespace.
        """
        lookups = self.lookups()
        namespace, uid, name = meta(job, "namespace"), meta(job, "uid"), meta(job, "name")
        if uid:  # by uid where the reference has one, else by name
            found = _in_namespace(lookups.owned_by_uid, namespace, uid, sort=False)
            found += _in_namespace(lookups.owned_by_name_uidless, namespace, name, sort=False)
            return [pod for _position, pod in sorted(found, key=_position_of)]
        return _in_namespace(lookups.owned_by_name, namespace, name)

    def pods_labelled(self, namespace: str | None, key: str, values: Iterable[str]) -> list[dict]:
        """The pods of ``namespace`` (and those without one; every pod for ``None``) whose label ``key``
        is one of ``values``, in the snapshot's order: the candidates of a label selector's ``key in
        (values)`` requirement, from an index of that label built on first use."""
        index = self.lookups().labelled(self.pods, key)
        found: list = []
        for value in set(values):
            found += _in_namespace(index, namespace, value, sort=False)
        return [pod for _position, pod in sorted(found, key=_position_of)]

    def job_info(self, job: dict) -> JobInfo:
        """The typed view of one of the snapshot's Jobs, parsed once however many pods it has."""
        info = self._job_infos.get(id(job))
        if info is None:
            info = self._job_infos[id(job)] = parse_job(job)
        return info

    def node_for(self, pod: dict) -> dict | None:
        """The node the pod was bound to, when the snapshot has it."""
        node_name = as_str(as_dict(pod.get("spec")).get("nodeName"))
        return self.lookups().nodes.get(node_name) if node_name else None

    def events_of_job(self, job: dict) -> list[Event]:
        """The Job's own events (FailedCreate, SuccessfulCreate, ...), parsed, oldest first.

        Events about a Job of that name in the Job's namespace or in none; with uids on both sides, the
        uids must agree. Equal times keep the order the events were read in.
        """
        name, namespace, uid = meta(job, "name"), meta(job, "namespace"), meta(job, "uid")
        lookups = self.lookups()
        if namespace:
            found = lookups.job_events.get((namespace, name), []) + lookups.job_events.get((None, name), [])
        else:
            found = lookups.job_events_by_name.get(name, [])
        kept = [
            (position, event)
            for position, event in found
            if not (uid and event.object_uid and event.object_uid != uid)
        ]
        return [event for _position, event in sorted(kept, key=lambda p: (p[1].first, p[1].last, p[0]))]

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


class _Lookups:
    """The indexes of one snapshot, built in one pass over its events, Jobs and nodes.

    ``pod_events``: ``(object namespace, object name)`` -> the events about a pod (or about an object of
    unsaid kind), in the order read; ``job_events``: the same key -> ``(position, event)`` about a Job,
    and ``job_events_by_name`` by name alone (a Job without a namespace); ``nodes``: name -> the first
    node of that name; Jobs by uid, by ``(namespace, name)`` and, those without a uid, by name too. The
    pods as ``(position, pod)``, each under its namespace and under every namespace (:func:`_file`):
    ``pods`` all of them, ``owned_by_uid`` and ``owned_by_name`` by their first Job ownerReference, and
    by label values (:meth:`labelled`, one label at a time, as selectors ask).
    """

    def __init__(self, snapshot: Snapshot) -> None:
        self._sources = _shape(snapshot)
        self.pod_events: dict = {}
        self.job_events: dict = {}
        self.job_events_by_name: dict = {}
        for position, item in enumerate(snapshot.events):
            event = as_event(item)
            if event is None:
                continue
            if event.object_kind in (None, "Pod"):
                self.pod_events.setdefault((event.object_namespace, event.object_name), []).append(event)
            elif event.object_kind == "Job":
                entry = (position, event)
                self.job_events.setdefault((event.object_namespace, event.object_name), []).append(entry)
                self.job_events_by_name.setdefault(event.object_name, []).append(entry)
        # The pods, as (position, pod), under (namespace, key) and (_ANY, key): see _in_namespace.
        self.pods: dict = {}  # key None: every pod of the namespace
        self.owned_by_uid: dict = {}  # key: the uid of the pod's first Job ownerReference
        self.owned_by_name: dict = {}  # key: the name of that reference
        self.owned_by_name_uidless: dict = {}  # the same, for references without a uid
        self._labels: dict = {}  # label key -> its index (see labelled), built on first use
        for position, pod in enumerate(snapshot.pods):
            entry, namespace = (position, pod), pod_namespace(pod)
            _file(self.pods, namespace, None, entry)
            ref = owner_job_ref(pod)
            if ref is None:
                continue
            ref_uid, ref_name = ref.get("uid"), ref.get("name")
            if isinstance(ref_uid, str) and ref_uid:
                _file(self.owned_by_uid, namespace, ref_uid, entry)
            if ref_name is None or isinstance(ref_name, str):  # anything else names no Job
                _file(self.owned_by_name, namespace, ref_name, entry)
                if not ref_uid:
                    _file(self.owned_by_name_uidless, namespace, ref_name, entry)
        self.nodes: dict = {}
        for node in snapshot.nodes:
            name = as_dict(node.get("metadata")).get("name")
            if isinstance(name, str) and name:
                self.nodes.setdefault(name, node)
        # Jobs: (position, job, namespace key); the namespace key is _MISSING or the raw value.
        self._jobs_by_uid: dict = {}
        self._jobs_by_name: dict = {}  # (namespace key, name) -> entries, every Job
        self._uidless_by_name: dict = {}  # (namespace key, name) -> entries, Jobs without a uid
        for position, job in enumerate(snapshot.jobs):
            raw_namespace = as_dict(job.get("metadata")).get("namespace", _MISSING)
            if not (raw_namespace is _MISSING or raw_namespace is None or isinstance(raw_namespace, str)):
                continue  # equal to no pod's namespace: it owns no pod
            entry = (position, job)
            uid = meta(job, "uid")
            key = (raw_namespace, meta(job, "name"))
            self._jobs_by_name.setdefault(key, []).append(entry)
            if uid:
                self._jobs_by_uid.setdefault((raw_namespace, uid), []).append(entry)
            else:
                self._uidless_by_name.setdefault(key, []).append(entry)

    def labelled(self, pods: list, key: str) -> dict:
        """The index of label ``key``: its (string) value -> the pods that carry it (see _in_namespace).
        Other values equal no selector's value, as :class:`~kubectl_sidecar.select.Requirement` reads."""
        index = self._labels.get(key)
        if index is None:
            index = self._labels[key] = {}
            for position, pod in enumerate(pods):
                value = as_dict(as_dict(as_dict(pod).get("metadata")).get("labels")).get(key)
                if isinstance(value, str):
                    _file(index, pod_namespace(pod), value, (position, pod))
        return index

    def indexes(self, snapshot: Snapshot) -> bool:
        """Whether these indexes are still those of ``snapshot``'s lists."""
        return self._sources == _shape(snapshot)

    def job_named_by(self, ref: dict, namespace: str | None) -> dict | None:
        """The first Job of the pod's namespace (or of none) that the ownerReference names (see
        :func:`ref_names`): by uid when both have one, else by name."""
        ref_uid, ref_name = ref.get("uid"), ref.get("name")
        spaces = (namespace, _MISSING)
        candidates: list = []
        named = ref_name is None or isinstance(ref_name, str)  # anything else names no Job
        if ref_uid:
            if isinstance(ref_uid, str):
                for space in spaces:
                    candidates += self._jobs_by_uid.get((space, ref_uid), ())
            if named:
                for space in spaces:
                    candidates += self._uidless_by_name.get((space, ref_name), ())
        elif named:
            for space in spaces:
                candidates += self._jobs_by_name.get((space, ref_name), ())
        return min(candidates, key=lambda entry: entry[0])[1] if candidates else None


_ANY = object()  # the namespace key under which an index files every pod, whatever its namespace


def _file(index: dict, namespace: str | None, key: Hashable, entry: tuple) -> None:
    """File a pod's ``(position, pod)`` under ``(its namespace, key)`` and ``(_ANY, key)``."""
    index.setdefault((namespace, key), []).append(entry)
    index.setdefault((_ANY, key), []).append(entry)


def _position_of(entry: tuple) -> int:
    return int(entry[0])


def _in_namespace(index: dict, namespace: str | None, key: Hashable, *, sort: bool = True) -> list:
    """The pods filed under ``key`` that a Job of ``namespace`` may own: those of the namespace and those
    without one; every one for ``None``. Pods in the snapshot's order, or ``(position, pod)`` entries
    unsorted with ``sort=False``."""
    if namespace is None:
        found = list(index.get((_ANY, key), ()))
    else:
        found = index.get((namespace, key), []) + index.get((None, key), [])
    if not sort:
        return found
    return [pod for _position, pod in sorted(found, key=_position_of)]


def _shape(snapshot: Snapshot) -> tuple:
    lists = (snapshot.pods, snapshot.events, snapshot.jobs, snapshot.nodes)
    return tuple((id(items), len(items)) for items in lists)


def as_event(item: Any) -> Event | None:
    """An event of a snapshot as a record: itself when already parsed, else :func:`parse_event` of it."""
    return item if isinstance(item, Event) else parse_event(item)


# --------------------------------------------------------------------------------------- one meaning each


def ref_names(ref: dict, job: dict) -> bool:
    """Whether an ownerReference names the Job: by uid when both have one, else by name.

    A Job deleted and created again under its name is another Job (another uid).
    """
    uid = meta(job, "uid")
    if uid and ref.get("uid"):
        return bool(ref.get("uid") == uid)
    return bool(ref.get("name") == meta(job, "name"))


class JobNames:
    """Which of some Jobs an ownerReference names (:func:`ref_names`), from sets of their uids and
    names: ``name_any(ref)`` is ``any(ref_names(ref, job) for job in jobs)`` without a scan of the Jobs."""

    def __init__(self, jobs: Iterable[dict]) -> None:
        self._uids: set = set()
        self._names: set = set()  # every Job's name (None for none)
        self._uidless_names: set = set()  # the names of the Jobs without a uid
        for job in jobs:
            uid, name = meta(job, "uid"), meta(job, "name")
            self._names.add(name)
            if uid:
                self._uids.add(uid)
            else:
                self._uidless_names.add(name)

    def name_any(self, ref: dict) -> bool:
        """Whether ``ref`` names one of the Jobs: by uid when both have one, else by name."""
        ref_uid, ref_name = ref.get("uid"), ref.get("name")
        named = ref_name is None or isinstance(ref_name, str)  # anything else equals no Job's name
        if ref_uid:
            return (isinstance(ref_uid, str) and ref_uid in self._uids) or (
                named and ref_name in self._uidless_names
            )
        return named and ref_name in self._names


def owned_by(pod: dict, job: dict) -> bool:
    """Whether the pod's (first) Job ownerReference names the Job (see :func:`ref_names`)."""
    ref = owner_job_ref(pod)
    return ref is not None and ref_names(ref, job)


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
