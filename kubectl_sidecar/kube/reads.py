"""Request planning: which reads a command makes, in what order and in parallel, and what becomes of them.

Planned over a small :class:`Reader` protocol (``get`` and ``list`` of raw JSON), so it is tested in
memory; :class:`~kubectl_sidecar.kube.session.Session` is the reader that talks to an API server. Each
planned request is a :class:`Read` that knows how to apply its result, or its error, to the snapshot
being drafted: a required read raises its error, an optional one leaves a note that says what was
omitted and what follows (a 403 on optional data is a note, not a failure).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from dataclasses import field
from typing import TYPE_CHECKING, Any, Callable, Protocol

from kubectl_sidecar.errors import ApiError, NotFoundError, SidecarError
from kubectl_sidecar.kube.paths import (
    events_path,
    jobs_path,
    node_path,
    pod_events_selector,
    pods_path,
)
from kubectl_sidecar.kube.session import ApiTarget
from kubectl_sidecar.raw import as_dict, as_str, event_key, meta, owner_job_ref
from kubectl_sidecar.record import record

if TYPE_CHECKING:  # imported where used: a live timeline loads them while its requests are out
    from kubectl_sidecar.model import ClusterVersion
    from kubectl_sidecar.snapshot import Snapshot

MAX_PARALLEL = 4  # reads in flight at once


class Reader(Protocol):
    """What request planning needs of an API connection (a :class:`Session`, or a fake in tests)."""

    @property
    def namespace(self) -> str:
        """The namespace of the kubeconfig context or ``-n``."""
        ...

    @property
    def source(self) -> str:
        """Where a snapshot came from, for its ``source``."""
        ...

    @property
    def described(self) -> str:
        """The API server as error messages name it."""
        ...

    def get(self, path: str, target: ApiTarget, query: dict | None = None) -> dict: ...

    def list(
        self,
        path: str,
        target: ApiTarget,
        query: dict | None = None,
        each: Callable[[dict], Any] | None = None,
    ) -> tuple[list, str]:
        """Every item of a (paginated) list; with ``each``, ``each(item)`` for each item as its page is
        read (``None`` results are dropped), so the raw items need not be kept."""
        ...


# ------------------------------------------------------------------------------------------- drafting


@record
class Draft:
    """The snapshot being read; :meth:`finish` builds the :class:`Snapshot` once, at the end."""

    source: str
    pods: list = field(default_factory=list)
    events: list = field(default_factory=list)
    jobs: list = field(default_factory=list)
    nodes: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    events_state: str = "listed"  # an EventsState value (the model loads later: see the imports)
    version: ClusterVersion | None = None

    def add(self, obj: dict, kind: str) -> None:
        """One object read with GET: filed by its kind (``kind`` when the server left it out)."""
        obj.setdefault("kind", kind)
        obj.setdefault("apiVersion", "batch/v1" if kind == "Job" else "v1")
        lists = {"Pod": self.pods, "Event": self.events, "Job": self.jobs, "Node": self.nodes}
        target = lists.get(obj["kind"]) if isinstance(obj["kind"], str) else None
        if target is not None:
            target.append(obj)

    def note_optional(self, err: SidecarError, verb: str, what: str, consequence: str) -> None:
        """Optional data that could not be read is a note, not a failure: say what and what follows."""
        status = getattr(err, "status", None)
        if status == 403:
            detail = getattr(err, "detail", "")
            self.notes.append(
                f"{verb} {what} was forbidden (403{': ' + detail if detail else ''}): {consequence}"
            )
        elif status == 404 or isinstance(err, NotFoundError):
            self.notes.append(f"{what} does not exist (404): {consequence}")
        else:
            self.notes.append(f"{verb} {what} failed ({err}): {consequence}")

    def note_events_failure(self, err: SidecarError, namespace: str | None) -> None:
        status = getattr(err, "status", None)
        where = f' in namespace "{namespace}"' if namespace else ""
        if status == 403:
            self.events_state = "forbidden"
            self.notes.append(
                f"listing events{where} was forbidden (403): {getattr(err, 'detail', '') or err}"
            )
        else:
            self.events_state = "unavailable"
            self.notes.append(f"events{where} could not be read: {err}")

    def finish(self, cluster_version: ClusterVersion | None = None) -> Snapshot:
        """The snapshot; ``cluster_version`` (``--cluster-version``) wins over the version read."""
        from kubectl_sidecar.model import EventsState
        from kubectl_sidecar.snapshot import Snapshot

        return Snapshot(
            pods=self.pods,
            events=self.events,
            jobs=self.jobs,
            nodes=self.nodes,
            server_version=cluster_version if cluster_version is not None else self.version,
            events_state=EventsState(self.events_state),
            notes=self.notes,
            source=self.source,
        )


@record(frozen=True, eq=False)
class Read:
    """One planned request: its call, what its result does to the draft, and what its error does.

    Without ``on_error`` the read is required: its error is raised.
    """

    call: Callable[[], Any]
    apply: Callable[[Draft, Any], None]
    on_error: Callable[[Draft, SidecarError], None] | None = None

    def settle(self, draft: Draft, result: Any) -> None:
        if isinstance(result, SidecarError):
            if self.on_error is None:
                raise result
            self.on_error(draft, result)
        else:
            self.apply(draft, result)


def optional_get(
    reader: Reader, path: str, target: ApiTarget, kind: str, what: str, consequence: str
) -> Read:
    """GET one object that may be missing or forbidden: a note then."""
    return Read(
        call=lambda: reader.get(path, target),
        apply=lambda draft, obj: draft.add(obj, kind),
        on_error=lambda draft, err: draft.note_optional(err, "reading", what, consequence),
    )


def optional_list(
    reader: Reader,
    path: str,
    target: ApiTarget,
    query: dict | None,
    what: str,
    consequence: str,
    apply: Callable[[Draft, list], None],
    each: Callable[[dict], Any] | None = None,
) -> Read:
    """List objects that may be forbidden: a note then; ``apply`` takes the items (with ``each``, what
    ``each`` made of every item as its page was read)."""
    return Read(
        call=lambda: reader.list(path, target, query, each=each),
        apply=lambda draft, result: apply(draft, result[0]),
        on_error=lambda draft, err: draft.note_optional(err, "listing", what, consequence),
    )


def version_read(reader: Reader) -> Read:
    """``/version``: a note when it cannot be read (``--cluster-version`` can say it)."""

    def apply(draft: Draft, info: Any) -> None:
        from kubectl_sidecar.model import version_from_server_info

        draft.version = version_from_server_info(info)

    return Read(
        call=lambda: reader.get("/version", ApiTarget("get", "/version")),
        apply=apply,
        on_error=lambda draft, err: draft.note_optional(
            err,
            "reading",
            "the server version (/version)",
            "pass --cluster-version to say which Kubernetes this is",
        ),
    )


def run_reads(reads: Sequence[Read]) -> dict[Read, Any]:
    """Make the reads at once; each result is a value or the SidecarError it raised."""
    return dict(zip(reads, run_parallel([read.call for read in reads])))


def run_parallel(calls: list) -> list:
    """Run independent reads at once; each result is a value or the SidecarError it raised.

    Daemon threads, not a ThreadPoolExecutor: on Ctrl-C the executor (and the interpreter at exit)
    would wait for the requests in flight, for ever when a server never answers and there is no
    --request-timeout.
    """

    def guarded(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except SidecarError as err:
            return err

    if len(calls) <= 1:
        return [guarded(call) for call in calls]
    results: list = [None] * len(calls)
    failures: list = []
    pending: queue.SimpleQueue = queue.SimpleQueue()
    for item in enumerate(calls):
        pending.put(item)

    def work() -> None:
        while True:
            try:
                index, call = pending.get_nowait()
            except queue.Empty:
                return
            try:
                results[index] = guarded(call)
            except BaseException as err:  # noqa: BLE001 - a bug: raised again in the caller's thread
                failures.append(err)

    workers = [
        threading.Thread(target=work, name="kubectl-sidecar-read", daemon=True)
        for _ in range(min(MAX_PARALLEL, len(calls)))
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if failures:
        raise failures[0]
    return results


def dedupe_events(events: list) -> list:
    """The events, each once (by :func:`~kubectl_sidecar.raw.event_key`), first read first."""
    seen: set = set()
    out = []
    for event in events:
        key = event_key(event)
        if key in seen:
            continue
        seen.add(key)
        out.append(event)
    return out


def owner_job_name(pod: dict) -> str | None:
    """The name of the batch/v1 Job that owns the pod, as a GET of it would need."""
    ref = owner_job_ref(pod)
    if ref is not None and (as_str(ref.get("apiVersion", "batch/v1") or "") or "").startswith("batch/"):
        return as_str(ref.get("name"))
    return None


# ------------------------------------------------------------------------------------------- one pod


def pod_events_read(reader: Reader, namespace: str, name: str) -> Read:
    """The events of the pods named ``name``: one list, by name (optional: a note when it fails).

    One selector, not two: by name (and kind) finds the events with the pod's uid and the uid-less
    ones older ACS virtual nodes wrote. Events of an earlier pod of the same name are dropped once the
    pod's uid is known (:func:`keep_events_of`).
    """

    def add_events(draft: Draft, result: tuple) -> None:
        draft.events.extend(dedupe_events(result[0]))
        draft.events_state = "listed"

    target = ApiTarget("list", "events", namespace=namespace)
    return Read(
        lambda: reader.list(events_path(namespace), target, {"fieldSelector": pod_events_selector(name)}),
        add_events,
        lambda draft, err: draft.note_events_failure(err, namespace),
    )


def keep_events_of(pod: dict, events: list) -> list:
    """The events that belong to ``pod``: its uid, or no uid at all (older ACS virtual nodes)."""
    uid = meta(pod, "uid")
    if not uid:
        return events
    return [e for e in events if as_str(as_dict(e.get("involvedObject")).get("uid")) in (None, "", uid)]


def read_pod(reader: Reader, name: str, *, cluster_version: ClusterVersion | None = None) -> Snapshot:
    """Read one pod with its events, Job, node and the server version.

    Three requests go out at once: GET the pod, ``/version``, and the list of the events of pods of that
    name (the slowest: the server filters the namespace's events). The node (when bound) and the owning
    Job (when owned) go out as soon as the pod is known, while the other two may still be on their way.
    """
    namespace = reader.namespace
    draft = Draft(reader.source)
    pod_target = ApiTarget("get", "pods", name=name, namespace=namespace, kind="pod")

    def checked(pod: Any) -> dict:
        if (
            not isinstance(pod, dict)
            or pod.get("kind", "Pod") != "Pod"
            or not isinstance(pod.get("metadata"), dict)
        ):
            what = (
                pod.get("kind")
                if isinstance(pod, dict) and isinstance(pod.get("kind"), str)
                else "something else"
            )
            raise ApiError(
                f'{reader.described} answered the GET of pod "{name}" with {what}, '
                "not a Pod: is it a Kubernetes API server?"
            )
        pod.setdefault("kind", "Pod")
        pod.setdefault("apiVersion", "v1")
        return pod

    def pod_then_owners() -> tuple[dict, list, dict]:
        pod = checked(reader.get(pods_path(namespace, name), pod_target))
        later = owner_reads(reader, namespace, pod)
        return pod, later, run_reads(later)

    chain = Read(pod_then_owners, lambda draft, result: draft.pods.append(result[0]))
    first = [chain, version_read(reader), pod_events_read(reader, namespace, name)]
    results = run_reads(first)
    settle(draft, first, results)  # the pod's error, if any, is raised here
    pod, later, later_results = results[chain]
    draft.events = keep_events_of(pod, draft.events)
    settle(draft, later, later_results)
    return draft.finish(cluster_version)


def owner_reads(reader: Reader, namespace: str, pod: dict) -> list[Read]:
    """The node the pod is bound to and the Job that owns it (each optional: a note when it fails)."""
    reads = []
    node_name = as_str(as_dict(pod.get("spec")).get("nodeName"))
    if node_name:
        reads.append(
            optional_get(
                reader,
                node_path(node_name),
                ApiTarget("get", "nodes", name=node_name, kind="node"),
                "Node",
                f'node "{node_name}"',
                "virtual-node detection rests on the node name and the pod's annotations",
            )
        )
    job_name = owner_job_name(pod)
    if job_name:
        reads.append(
            optional_get(
                reader,
                jobs_path(namespace, job_name),
                ApiTarget("get", "jobs.batch", name=job_name, namespace=namespace, kind="Job"),
                "Job",
                f'Job "{job_name}"',
                "the timeline leaves out the Job's start and completion",
            )
        )
    return reads


def settle(draft: Draft, order: Sequence[Read], results: dict[Read, Any]) -> None:
    """Apply the results in ``order``: required reads first, so their errors raise before any note."""
    for read in sorted(order, key=lambda r: r.on_error is not None):
        read.settle(draft, results[read])
