"""A versioned object store: every change gets a resourceVersion and is kept for watches and
consistent pagination until compact()."""

import bisect
import datetime
import json
import threading
import uuid
from typing import NamedTuple, Optional

from .resources import Resource, resource_for_kind

__all__ = ["Store", "Change", "core_event_to_events_v1", "events_v1_to_core_event"]

Key = tuple[tuple[str, str], str]  # ((group, plural), "namespace/name" or "name")


class Change(NamedTuple):
    rv: int
    type: str  # ADDED, MODIFIED, DELETED
    store: tuple[str, str]
    key: str
    obj: dict  # the new object (for DELETED: the last state, with the deletion's resourceVersion)
    prev: Optional[dict]


def _copy(obj: dict) -> dict:
    """A deep copy of JSON data (several times faster than copy.deepcopy)."""
    return json.loads(json.dumps(obj))


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def object_key(namespace: Optional[str], name: str) -> str:
    return "%s/%s" % (namespace, name) if namespace else name


def core_event_to_events_v1(ev: dict) -> dict:
    """The events.k8s.io/v1 view of a stored core/v1 Event, with the fields Go's encoder would print."""
    out = {
        "kind": "Event",
        "apiVersion": "events.k8s.io/v1",
        "metadata": ev.get("metadata", {}),
        "eventTime": ev.get("eventTime"),
    }
    for src, dst in (
        ("series", "series"),
        ("reportingComponent", "reportingController"),
        ("reportingInstance", "reportingInstance"),
        ("action", "action"),
        ("reason", "reason"),
    ):
        if ev.get(src):
            out[dst] = ev[src]
    out["regarding"] = ev.get("involvedObject") or {}
    for src, dst in (("related", "related"), ("message", "note"), ("type", "type")):
        if ev.get(src):
            out[dst] = ev[src]
    out["deprecatedSource"] = ev.get("source") or {}
    out["deprecatedFirstTimestamp"] = ev.get("firstTimestamp")
    out["deprecatedLastTimestamp"] = ev.get("lastTimestamp")
    if ev.get("count"):
        out["deprecatedCount"] = ev["count"]
    return out


def events_v1_to_core_event(ev: dict) -> dict:
    out = {"kind": "Event", "apiVersion": "v1", "metadata": ev.get("metadata", {})}
    mapping = (
        ("regarding", "involvedObject"),
        ("note", "message"),
        ("reason", "reason"),
        ("type", "type"),
        ("eventTime", "eventTime"),
        ("series", "series"),
        ("reportingController", "reportingComponent"),
        ("reportingInstance", "reportingInstance"),
        ("action", "action"),
        ("related", "related"),
        ("deprecatedSource", "source"),
        ("deprecatedFirstTimestamp", "firstTimestamp"),
        ("deprecatedLastTimestamp", "lastTimestamp"),
        ("deprecatedCount", "count"),
    )
    for src, dst in mapping:
        if src in ev:
            out[dst] = ev[src]
    out.setdefault("involvedObject", {})
    out.setdefault("source", {})
    out.setdefault("firstTimestamp", None)
    out.setdefault("lastTimestamp", None)
    out.setdefault("reportingComponent", "")
    out.setdefault("reportingInstance", "")
    return out


class Store:
    """Objects by (group, plural) and "ns/name", with their history.

    Thread-safe: every method takes the store's condition lock; watchers wait on ``cond``."""

    def __init__(self, first_rv: int = 1000, auto_namespaces: bool = True) -> None:
        self.cond = threading.Condition(threading.RLock())
        self.rv = first_rv
        self.compacted_rv = 0
        self.auto_namespaces = auto_namespaces
        # store -> key -> [(rv, obj or None)], oldest first
        self._versions = {}  # type: dict[tuple[str, str], dict[str, list[tuple[int, Optional[dict]]]]]
        self._changes = []  # type: list[Change]
        self._change_rvs = []  # type: list[int]
        self.generation = 0  # bumped by drop_watches()/bookmark()/stop to wake watchers
        self.bookmark_seq = 0
        self.drop_seq = 0
        self.abrupt_drop = False
        self.watch_cursors = {}  # type: dict[int, int]  # open watches keep the history they still need

    # ---- writes ------------------------------------------------------------------------------
    def normalize(self, obj: dict, copy: bool = True) -> tuple[Resource, dict]:
        if not isinstance(obj, dict) or not obj.get("kind"):
            raise ValueError("not a Kubernetes object (no kind): %r" % (obj,))
        kind, api_version = obj["kind"], obj.get("apiVersion", "")
        if kind == "Event" and api_version.startswith("events.k8s.io/"):
            obj = _copy(events_v1_to_core_event(obj))
            copy = False
            api_version = "v1"
        res = resource_for_kind(kind, api_version)
        if res is None or res.kind != kind:
            raise ValueError("the stand-in does not serve kind %s (%s)" % (kind, api_version))
        if copy:
            obj = _copy(obj)
        obj["apiVersion"] = res.api_version
        meta = obj.setdefault("metadata", {})
        if not meta.get("name"):
            raise ValueError("object without metadata.name: %r" % (obj,))
        if res.namespaced:
            meta.setdefault("namespace", "default")
        else:
            meta.pop("namespace", None)
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", _now())
        return res, obj

    def _record(self, etype: str, store: tuple[str, str], key: str, obj: dict, prev: Optional[dict]) -> None:
        ch = Change(self.rv, etype, store, key, obj, prev)
        self._changes.append(ch)
        self._change_rvs.append(self.rv)
        self._versions.setdefault(store, {}).setdefault(key, []).append(
            (self.rv, None if etype == "DELETED" else obj)
        )

    def put(self, obj: dict, copy: bool = True) -> dict:
        """Add or replace an object; returns the stored copy with its new resourceVersion.

        copy=False stores obj itself (for objects nobody else holds, e.g. just parsed from a file)."""
        res, obj = self.normalize(obj, copy)
        with self.cond:
            meta = obj["metadata"]
            if res.namespaced and self.auto_namespaces and res.kind != "Namespace":
                self._ensure_namespace(meta["namespace"], meta.get("creationTimestamp"))
            key = object_key(meta.get("namespace"), meta["name"])
            prev = self.current(res.store_key, key)
            self.rv += 1
            meta["resourceVersion"] = str(self.rv)
            self._record("ADDED" if prev is None else "MODIFIED", res.store_key, key, obj, prev)
            self.cond.notify_all()
            return obj

    def _ensure_namespace(self, ns: str, created: Optional[str] = None) -> None:
        """Create the Namespace an object lives in (as old as that object, so ages look plausible)."""
        if self.current(("", "namespaces"), ns) is not None:
            return
        self.rv += 1
        obj = {
            "kind": "Namespace",
            "apiVersion": "v1",
            "metadata": {
                "name": ns,
                "uid": str(uuid.uuid4()),
                "resourceVersion": str(self.rv),
                "creationTimestamp": created or _now(),
                "labels": {"kubernetes.io/metadata.name": ns},
            },
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        }
        self._record("ADDED", ("", "namespaces"), ns, obj, None)

    def delete(self, kind: str, namespace: Optional[str], name: str) -> dict:
        res = resource_for_kind(kind)
        if res is None:
            raise KeyError("unknown kind %r" % kind)
        with self.cond:
            key = object_key(namespace if res.namespaced else None, name)
            prev = self.current(res.store_key, key)
            if prev is None:
                raise KeyError("%s %s not found" % (res.kind, key))
            self.rv += 1
            gone = _copy(prev)
            gone["metadata"]["resourceVersion"] = str(self.rv)
            self._record("DELETED", res.store_key, key, gone, prev)
            self.cond.notify_all()
            return gone

    def compact(self, rv: Optional[int] = None) -> int:
        """Forget history up to rv (default: now). Older resourceVersions then get 410 Gone."""
        with self.cond:
            rv = self.rv if rv is None else int(rv)
            self.compacted_rv = max(self.compacted_rv, rv)
            cut_rv = min([self.compacted_rv] + list(self.watch_cursors.values()))
            cut = bisect.bisect_right(self._change_rvs, cut_rv)
            del self._changes[:cut]
            del self._change_rvs[:cut]
            for keys in self._versions.values():
                for key in list(keys):
                    versions = keys[key]
                    # keep the newest version at or before the compaction point, and all later ones
                    i = 0
                    while i + 1 < len(versions) and versions[i + 1][0] <= self.compacted_rv:
                        i += 1
                    del versions[:i]
                    if len(versions) == 1 and versions[0][1] is None and versions[0][0] <= self.compacted_rv:
                        del keys[key]
            return self.compacted_rv

    # ---- reads -------------------------------------------------------------------------------
    def current(self, store: tuple[str, str], key: str) -> Optional[dict]:
        with self.cond:
            versions = self._versions.get(store, {}).get(key)
            return versions[-1][1] if versions else None

    def snapshot(self, store: tuple[str, str], at_rv: Optional[int] = None) -> list[tuple[str, dict]]:
        """(key, object) pairs as of at_rv (default: now), sorted by key like etcd."""
        with self.cond:
            out = []
            for key, versions in self._versions.get(store, {}).items():
                obj = None
                if at_rv is None or at_rv >= self.rv:
                    obj = versions[-1][1]
                else:
                    for vrv, vobj in reversed(versions):
                        if vrv <= at_rv:
                            obj = vobj
                            break
                if obj is not None:
                    out.append((key, obj))
        out.sort(key=lambda kv: kv[0])
        return out

    def changes_after(self, rv: int) -> list[Change]:
        with self.cond:
            i = bisect.bisect_right(self._change_rvs, rv)
            return self._changes[i:]

    def all_objects(self) -> list[dict]:
        with self.cond:
            out = []
            for store in sorted(self._versions):
                out.extend(obj for _k, obj in self.snapshot(store))
            return out
