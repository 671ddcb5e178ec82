"""Following a pod for ``timeline --watch``: list+watch of the pod and of its events, as informers do.

Each follower thread keeps one list+watch going, reconnects after dropped or ended streams and lists
again after 410 Gone; :func:`follow_pod` merges what they see into a new snapshot per change.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

from kubectl_sidecar.errors import ApiError, SidecarError
from kubectl_sidecar.kube.config import one_line
from kubectl_sidecar.kube.paths import events_path, field_value, pod_events_selector, pods_path
from kubectl_sidecar.kube.reads import read_pod
from kubectl_sidecar.kube.session import ApiTarget, DroppedConnection, Session
from kubectl_sidecar.model import ClusterVersion, EventsState, pod_finished
from kubectl_sidecar.raw import as_dict, as_str, event_key, meta
from kubectl_sidecar.record import record
from kubectl_sidecar.snapshot import Snapshot

WATCH_MAX_FAILURES = 6  # consecutive failed reconnections before --watch gives up
WATCH_MAX_RELISTS = 6  # 410 Gone answers in a row (each followed by a new list) before --watch gives up


@record
class PodUpdate:
    """One state of a followed pod: the snapshot to draw, and whether the pod is gone."""

    snapshot: Snapshot
    deleted: bool = False


class Follower(threading.Thread):
    """Keeps one list+watch going (like an informer) and feeds what it sees into a queue.

    Reconnects after dropped or ended streams; re-lists after 410 Gone. Gives up (with an error on the
    queue) after WATCH_MAX_FAILURES reconnections in a row fail, or on 401/403/404.
    """

    def __init__(
        self,
        session: Session,
        key: str,
        path: str,
        target: ApiTarget,
        query: dict,
        resource_version: str | None,
        out: queue.Queue,
        stop: threading.Event,
    ) -> None:
        super().__init__(name=f"kubectl-sidecar-watch-{key}", daemon=True)
        self.session, self.key, self.path, self.target, self.query = session, key, path, target, query
        self.resource_version = resource_version
        self.out, self.stop = out, stop
        self.response = None  # the open stream, to shut down from another thread
        self.watched = False  # a stream was opened once: the user may watch this

    def _opened(self, response: Any) -> None:
        self.response = response
        self.watched = True

    def _expired(self, relists: int) -> bool:
        """A 410 Gone: list again, after a back-off from the second in a row; False once too many."""
        self.resource_version = None
        if relists > WATCH_MAX_RELISTS:
            self.out.put(
                (
                    self.key,
                    "FAILED",
                    ApiError(
                        f"{self.session.described} answered the watch of {self.target.resource} with "
                        f"410 Gone (resource version expired) {relists} times in a row, each after a "
                        "fresh list: gave up",
                        status=410,
                    ),
                )
            )
            return False
        if relists > 1:
            self.session.pause(self.session.reconnect_delay(relists - 1))
        return True

    def run(self) -> None:
        failures = 0
        relists = 0  # 410 Gone answers since the last event a watch delivered
        while not self.stop.is_set():
            try:
                if not self.resource_version:
                    items, rv = self.session.list(self.path, self.target, self.query)
                    self.out.put((self.key, "RELIST", items))
                    self.resource_version = rv
                query = dict(self.query, resourceVersion=self.resource_version)
                opened_at = time.monotonic()
                seen = False
                for event in self.session.watch(self.path, self.target, query, self.stop, self._opened):
                    kind = event.get("type")
                    obj = as_dict(event.get("object"))
                    if kind == "ERROR":
                        if obj.get("code") == 410:  # too old: list again
                            relists += 1
                            if not self._expired(relists):
                                return
                            break
                        raise ApiError(
                            f"the watch of {self.target.resource} failed: "
                            f"{one_line(as_str(obj.get('message')) or str(obj))}",
                            status=obj.get("code"),
                        )
                    seen_rv = meta(obj, "resourceVersion")
                    if seen_rv:
                        self.resource_version = seen_rv
                    seen = True
                    failures = relists = 0
                    if kind != "BOOKMARK":
                        self.out.put((self.key, kind, obj))
                if not seen and time.monotonic() - opened_at < 1.0 and self.resource_version:
                    self.session.pause(0.2)  # a stream that ends at once: do not spin
            except ApiError as err:
                if err.status == 410:
                    relists += 1
                    if not self._expired(relists):
                        return
                    continue
                if err.status is None and err.fatal:  # the server broke the protocol: no retry helps
                    self.out.put((self.key, "FAILED", err))
                    return
                # A 403 after watching worked is most likely an API server that restarted: it answers 403
                # until its RBAC informers have synced (kubernetes#121635): one more failed attempt.
                restarting = err.status == 403 and self.watched
                if (err.status in (401, 403, 404) and not restarting) or failures >= WATCH_MAX_FAILURES:
                    self.out.put((self.key, "FAILED", err))
                    return
                failures += 1
                self.session.pause(self.session.reconnect_delay(failures))
            except DroppedConnection as err:
                if failures >= WATCH_MAX_FAILURES:
                    self.out.put(
                        (
                            self.key,
                            "FAILED",
                            ApiError(
                                f"lost the watch on {self.session.described}: {one_line(str(err), 120)}"
                            ),
                        )
                    )
                    return
                failures += 1
                self.session.pause(self.session.reconnect_delay(failures))
            except SidecarError as err:
                self.out.put((self.key, "FAILED", err))
                return

    def close(self) -> None:
        """Unblock the thread's read: shut the stream's socket down (every transport's response can)."""
        response = self.response
        if response is None:
            return
        try:
            response.shutdown()
        except (OSError, AttributeError, RuntimeError, ValueError):  # released or closed: nothing to unblock
            pass


class _PodState:
    """The followed pod as the followers last saw it: the pod, its events by identity, and whether it is gone."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.base = snapshot
        self.pod: dict = snapshot.pods[0]
        self.events: dict = {event_key(e): e for e in snapshot.events}
        self.deleted = False

    def apply(self, key: str, kind: str, payload: Any) -> bool:
        """One change a follower queued; True when it changed what is drawn. A failed follower raises."""
        if kind == "FAILED":
            raise payload
        if key != "pod":
            items = payload if kind == "RELIST" else [payload] if kind in ("ADDED", "MODIFIED") else []
            return self.merge_events(items)  # DELETED events (TTL expiry) stay: still the pod's history
        if kind == "RELIST":
            if payload:
                self.pod = payload[0]
            else:
                self.deleted = True
            return True
        if kind == "DELETED":
            self.pod, self.deleted = payload or self.pod, True
            return True
        if kind in ("ADDED", "MODIFIED"):
            self.pod = payload
            return True
        return False

    def merge_events(self, items: list) -> bool:
        """Add or replace events by identity; True when one was new or different."""
        changed = False
        for item in items:
            item.setdefault("kind", "Event")
            item.setdefault("apiVersion", "v1")
            key = event_key(item)
            if self.events.get(key) != item:
                self.events[key] = item
                changed = True
        return changed

    def snapshot(self) -> Snapshot:
        """A new snapshot of the current state, with the first read's Job, node, version and notes."""
        self.pod.setdefault("kind", "Pod")
        self.pod.setdefault("apiVersion", "v1")
        base = self.base
        return Snapshot(
            pods=[self.pod],
            events=list(self.events.values()),
            jobs=list(base.jobs),
            nodes=list(base.nodes),
            server_version=base.server_version,
            events_state=base.events_state,
            notes=list(base.notes),
            source=base.source,
        )


def _start_followers(
    session: Session, name: str, snapshot: Snapshot, changes: queue.Queue, stop: threading.Event
) -> list[Follower]:
    """The pod's follower (from its resourceVersion) and, when events could be listed, the events'."""
    namespace = session.namespace
    followers = [
        Follower(
            session,
            "pod",
            pods_path(namespace),
            ApiTarget("watch", "pods", namespace=namespace),
            {"fieldSelector": f"metadata.name={field_value(name)}"},
            meta(snapshot.pods[0], "resourceVersion"),
            changes,
            stop,
        ),
    ]
    if snapshot.events_state == EventsState.LISTED:
        followers.append(
            Follower(
                session,
                "events",
                events_path(namespace),
                ApiTarget("watch", "events", namespace=namespace),
                {"fieldSelector": pod_events_selector(name)},
                None,
                changes,
                stop,
            )
        )
    for follower in followers:
        follower.start()
    return followers


def _next_batch(changes: queue.Queue, poll: float) -> list:
    """Wait for a change, then take every change already queued with it."""
    while True:
        try:
            batch = [changes.get(timeout=poll)]
            break
        except queue.Empty:
            continue
    while True:
        try:
            batch.append(changes.get_nowait())
        except queue.Empty:
            return batch


def follow_pod(
    session: Session, name: str, *, poll: float = 0.5, cluster_version: ClusterVersion | None = None
) -> Iterator[PodUpdate]:
    """Yield the pod's snapshot, then a new one each time the pod or its events change.

    Watches the pod (``fieldSelector=metadata.name``, from the pod's resourceVersion) and its events
    (``involvedObject.kind=Pod,involvedObject.name``, listed first), in two threads. Ends after the
    update that says the pod was deleted; the caller decides when a finished pod is done.
    """
    stop = threading.Event()
    followers: list[Follower] = []
    try:
        snapshot = read_pod(session, name, cluster_version=cluster_version)
        yield PodUpdate(snapshot)
        state = _PodState(snapshot)
        changes: queue.Queue = queue.Queue()
        followers = _start_followers(session, name, snapshot, changes, stop)
        while True:
            batch = _next_batch(changes, poll)
            state.deleted = False
            changed = False
            for key, kind, payload in batch:
                changed = state.apply(key, kind, payload) or changed
            if not changed:
                continue
            if (state.deleted or pod_finished(state.pod)) and snapshot.events_state == EventsState.LISTED:
                # The event stream may lag the pod's: read the events once more before the last update,
                # so a stop request written just before the final status is not lost.
                state.merge_events(_final_events(session, name))
            yield PodUpdate(state.snapshot(), deleted=state.deleted)
            if state.deleted:
                return
    finally:
        stop.set()
        for follower in followers:
            follower.close()
        for follower in followers:
            follower.join(1.0)


def _final_events(session: Session, name: str) -> list:
    """The pod's events listed once more; none when that fails (the watch gave what it could)."""
    namespace = session.namespace
    try:
        items, _ = session.list(
            events_path(namespace),
            ApiTarget("list", "events", namespace=namespace),
            {"fieldSelector": pod_events_selector(name)},
        )
    except SidecarError:
        return []
    return items
