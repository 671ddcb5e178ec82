"""Request planning of ``check``: a Job and its pods, one pod, pods by label, or a namespace (``-A``: all).

Over the same :class:`~kubectl_sidecar.kube.reads.Reader` protocol as :mod:`.reads`, whose drafting,
planned reads and parallel runner it uses. Events are turned into :class:`~kubectl_sidecar.model.Event`
records as each page is read (``Reader.list(each=...)``): the raw event dicts are never all held. So are
the listed pods cut down to the fields the package reads, with the containers, labels and owner a Job's
pods have alike kept once (:class:`~kubectl_sidecar.model.slim.PodSlimmer`): a pod as listed is about
three times the size of what is kept of it.
"""

from __future__ import annotations

import math
from typing import Any

from kubectl_sidecar.errors import ApiError, SidecarError
from kubectl_sidecar.kube.paths import (
    VIRTUAL_NODE_SELECTOR,
    events_path,
    field_value,
    jobs_path,
    node_path,
    pod_events_selector,
    pods_path,
)
from kubectl_sidecar.kube.reads import (
    Draft,
    Read,
    Reader,
    optional_get,
    optional_list,
    owner_job_name,
    read_pod,
    run_reads,
    settle,
    version_read,
)
from kubectl_sidecar.kube.session import PAGE_SIZE, ApiTarget
from kubectl_sidecar.model import ClusterVersion, Event, EventsState, parse_event
from kubectl_sidecar.model.slim import PodSlimmer
from kubectl_sidecar.raw import as_dict, as_int, as_list, as_str, meta
from kubectl_sidecar.select import job_selector_string
from kubectl_sidecar.snapshot import Snapshot, involved_key

# A Job of at most this many pods may have its pods' events read by name, one request per pod (in
# parallel): each such list makes the API server scan the namespace's events once (kube-apiserver has no
# index on involvedObject), so past a few dozen pods one paged list of the namespace is kinder to it.
MAX_PODS_BY_NAME = 16

_POD_EVENTS = "involvedObject.kind=Pod"


def read_check(
    reader: Reader,
    *,
    job: str | None = None,
    pod: str | None = None,
    selector: str | None = None,
    all_namespaces: bool = False,
    cluster_version: ClusterVersion | None = None,
) -> Snapshot:
    """Read what ``check`` inspects: a Job and its pods, one pod, pods by label, or a namespace.

    Events are read with O(1) requests per page: one namespace-wide list with
    ``fieldSelector=involvedObject.kind=Pod`` (for a single pod, its uid/name selectors), except for a
    small Job in a namespace of many events, whose pods' events are read by name (see
    :func:`events_by_name`). Nodes: the one node when every pod is on it, else one list of
    ``type=virtual-kubelet`` nodes. Budget for a Job of N pods in a namespace of E events:
    ceil(N/500) + ceil(E/500) + 4 requests at most.
    """
    if pod:
        return read_pod(reader, pod, cluster_version=cluster_version)
    namespace = None if all_namespaces else reader.namespace
    draft = Draft(reader.source)
    pods_target = ApiTarget("list", "pods", namespace=namespace)

    def add_pods(draft: Draft, result: tuple) -> None:
        draft.pods.extend(_checked(reader, item, "Pod", _listed("pods", namespace)) for item in result[0])

    events = _pod_events_read(reader, namespace, {"fieldSelector": _POD_EVENTS})
    later: list[Read] = []
    if job:
        job_target = ApiTarget("get", "jobs.batch", name=job, namespace=namespace, kind="Job")
        sizes: dict = {}
        first = [
            Read(
                lambda: reader.get(jobs_path(namespace, job), job_target),
                lambda draft, obj: _add_named_job(reader, draft, obj, job),
            ),
            version_read(reader),
            _count_events(reader, namespace, sizes),
        ]
        settle(draft, first, run_reads(first))
        labels = _pods_selector(draft.jobs[0])
        pods = Read(
            lambda: reader.list(
                pods_path(namespace), pods_target, {"labelSelector": labels}, each=PodSlimmer()
            ),
            add_pods,
        )
        namespace_events = sizes.get("events")
        if events_by_name(expected_pods(draft.jobs[0]), namespace_events):
            settle(draft, [pods], run_reads([pods]))
            if events_by_name(len(draft.pods), namespace_events):
                later += _events_by_name_reads(reader, namespace, draft.pods)
            else:  # more pods than the Job's status said: the namespace's events after all
                later.append(events)
        else:
            settle(draft, [pods, events], run_reads([pods, events]))
    else:
        query = {"labelSelector": selector} if selector else {}
        pods = Read(
            lambda: reader.list(pods_path(namespace), pods_target, query, each=PodSlimmer()), add_pods
        )
        version = version_read(reader)
        reads = [pods, events, version]
        if not selector:
            reads.append(_list_jobs(reader, namespace))
        settle(draft, [pods, *reads[3:], version, events], run_reads(reads))
    later += _owner_reads(reader, draft, namespace) if selector and not job else []
    later += _podless_job_event_reads(reader, draft, namespace)
    later += _node_reads(reader, draft)
    settle(draft, later, run_reads(later))
    return draft.finish(cluster_version)


def events_by_name(pods: int, namespace_events: int | None) -> bool:
    """Whether a Job's pod events are read by pod name (one list per pod) rather than from one paged
    list of the namespace's pod events.

    By name when the namespace's size is known (``namespace_events``, from :func:`_count_events`) and
    the Job is small: at most :data:`MAX_PODS_BY_NAME` pods, and fewer pods than the namespace's events
    take pages (``PAGE_SIZE`` a page). So a 5-pod Job in a namespace of 50,000 events makes 5 small
    requests instead of 100 pages, while a 1-pod Job among 300 events, or a Job of 200 pods, reads the
    namespace's pages: never more requests than the paged list, and never one per pod for a big Job.
    A Job without pods needs no pod events at all.
    """
    if namespace_events is None:
        return False
    return pods == 0 or (pods <= MAX_PODS_BY_NAME and pods < math.ceil(namespace_events / PAGE_SIZE))


def expected_pods(job: dict) -> int:
    """The pods a Job's status counts (active, succeeded, failed, terminating): known before they are
    listed, so a big Job's events are listed beside its pods, in the same round trip."""
    status = as_dict(job.get("status"))
    return sum(as_int(status.get(key)) or 0 for key in ("active", "succeeded", "failed", "terminating"))


def _count_events(reader: Reader, namespace: str | None, sizes: dict) -> Read:
    """How many events the namespace holds: the first item of a ``limit=1`` list and the server's
    ``metadata.remainingItemCount`` (set for lists without selectors). Unknown (not in ``sizes``) when
    the server does not say, or the request fails: the namespace's events are listed in pages then, as
    they would be without this count, and their own list says what went wrong."""
    target = ApiTarget("list", "events", namespace=namespace)

    def apply(_draft: Draft, doc: Any) -> None:
        doc = as_dict(doc)
        listed = len(as_list(doc.get("items")))
        more = as_dict(doc.get("metadata"))
        remaining = as_int(more.get("remainingItemCount"))
        if not as_str(more.get("continue")):
            sizes["events"] = listed
        elif remaining is not None and remaining >= 0:
            sizes["events"] = listed + remaining

    return Read(
        lambda: reader.get(events_path(namespace), target, {"limit": "1"}),
        apply,
        lambda _draft, _err: None,
    )


def _event_record(raw: dict) -> Event | tuple[Any, Event] | None:
    """A listed event's record, or ``(the object it is about, its record)`` when that is not the
    record's own ``(object_namespace, object_name)`` (an involvedObject without a namespace: the event's
    own, :func:`~kubectl_sidecar.snapshot.involved_key`); ``None`` when unusable (no reason or no time:
    :func:`~kubectl_sidecar.model.parse_event`), as the timeline would skip it. (No pair per event: a
    big check reads hundreds of thousands.)"""
    event = parse_event(raw)
    if event is None:
        return None
    key = involved_key(raw)
    return event if key == (event.object_namespace, event.object_name) else (key, event)


def _keyed(records: list) -> Any:
    """``(the object it is about, record)`` of each of :func:`_event_record`'s results."""
    for item in records:
        if isinstance(item, Event):
            yield (item.object_namespace, item.object_name), item
        else:
            yield item


def _pod_events_read(reader: Reader, namespace: str | None, query: dict) -> Read:
    """A list of pod events (the namespace's, or one pod's by name), kept for the pods read."""
    target = ApiTarget("list", "events", namespace=namespace)

    def apply(draft: Draft, result: tuple) -> None:
        wanted = {(meta(p, "namespace"), meta(p, "name")) for p in draft.pods}
        draft.events.extend(event for key, event in _keyed(result[0]) if key in wanted)

    def failed(draft: Draft, err: SidecarError) -> None:
        if draft.events_state == EventsState.LISTED:  # one note, however many lists failed
            draft.note_events_failure(err, namespace)

    return Read(lambda: reader.list(events_path(namespace), target, query, each=_event_record), apply, failed)


def _events_by_name_reads(reader: Reader, namespace: str | None, pods: list) -> list[Read]:
    """One event list per pod name (``involvedObject.kind=Pod,involvedObject.name=NAME``): by name, so
    the events an older ACS virtual node wrote without a uid are read too; the snapshot matches uids."""
    names = sorted({name for name in (meta(p, "name") for p in pods) if name})
    return [_pod_events_read(reader, namespace, {"fieldSelector": pod_events_selector(n)}) for n in names]


def _checked(reader: Reader, obj: Any, kind: str, what: str) -> dict:
    """The object the server answered, when it is one: a dict with ``metadata.name`` and the kind asked
    for (or none). Anything else is the server's fault, said in one sentence (exit 2)."""
    if isinstance(obj, dict):
        metadata = obj.get("metadata")
        if obj.get("kind", kind) != kind:
            found = obj.get("kind")
            shape = f'an object of kind "{found}"' if isinstance(found, str) else "an object of no known kind"
        elif not isinstance(metadata, dict) or not as_str(metadata.get("name")):
            shape = "an object without metadata.name"
        else:
            return obj
    else:
        shape = "a list" if isinstance(obj, list) else f"a JSON {type(obj).__name__}"
    raise ApiError(f"{reader.described} answered {what} with {shape}, not a {kind}: the answer is malformed")


def _listed(resource: str, namespace: str | None) -> str:
    return f'the list of {resource} in namespace "{namespace}"' if namespace else f"the list of {resource}"


def _add_named_job(reader: Reader, draft: Draft, job: Any, name: str) -> None:
    job = _checked(reader, job, "Job", f'the GET of Job "{name}"')
    job.setdefault("kind", "Job")
    job.setdefault("apiVersion", "batch/v1")
    draft.jobs.append(job)


def _pods_selector(job: dict) -> str:
    """The label selector of the Job's pods: its ``spec.selector``, else its controller uid."""
    labels = job_selector_string(as_dict(as_dict(job.get("spec")).get("selector")))
    return labels or f"batch.kubernetes.io/controller-uid={meta(job, 'uid') or ''}"


def _owner_reads(reader: Reader, draft: Draft, namespace: str | None) -> list[Read]:
    """The Jobs owning pods found by label: GET the one, or list them all."""
    owners = sorted({j for j in (owner_job_name(p) for p in draft.pods) if j})
    if len(owners) == 1:
        target = ApiTarget("get", "jobs.batch", name=owners[0], namespace=namespace, kind="Job")
        return [
            optional_get(
                reader,
                jobs_path(namespace, owners[0]),
                target,
                "Job",
                f'Job "{owners[0]}"',
                "pods are shown without their Job",
            )
        ]
    if owners:
        return [_list_jobs(reader, namespace)]
    return []


def _podless_job_event_reads(reader: Reader, draft: Draft, namespace: str | None) -> list[Read]:
    """Jobs without pods are checked by their status and events alone: their own events are needed."""
    if draft.events_state != EventsState.LISTED:
        return []
    podless = Snapshot(pods=draft.pods, jobs=draft.jobs).jobs_without_pods()
    if not podless:
        return []
    selector = (
        f"involvedObject.kind=Job,involvedObject.name={field_value(podless[0][1] or '')}"
        if len(podless) == 1 and namespace
        else "involvedObject.kind=Job"
    )
    wanted = set(podless)
    return [
        optional_list(
            reader,
            events_path(namespace),
            ApiTarget("list", "events", namespace=namespace),
            {"fieldSelector": selector},
            "the events of Jobs without pods",
            "those Jobs are checked by their status alone",
            lambda d, items: d.events.extend(event for key, event in _keyed(items) if key in wanted),
            each=_event_record,
        )
    ]


def _node_reads(reader: Reader, draft: Draft) -> list[Read]:
    """The one node every pod is on, else the virtual-kubelet nodes."""
    nodes = sorted({n for n in (as_str(as_dict(p.get("spec")).get("nodeName")) for p in draft.pods) if n})
    if len(nodes) == 1:
        return [
            optional_get(
                reader,
                node_path(nodes[0]),
                ApiTarget("get", "nodes", name=nodes[0], kind="node"),
                "Node",
                f'node "{nodes[0]}"',
                "virtual-node detection rests on the node name and the pod's annotations",
            )
        ]
    if nodes:
        return [
            optional_list(
                reader,
                node_path(),
                ApiTarget("list", "nodes"),
                {"labelSelector": VIRTUAL_NODE_SELECTOR},
                "virtual-kubelet nodes",
                "virtual-node detection rests on node names and the pods' annotations",
                lambda d, items: d.nodes.extend(items),
            )
        ]
    return []


def list_names(reader: Reader, kind: str) -> list[str]:
    """Names of the pods or Jobs in the reader's namespace, sorted (for shell completion)."""
    if kind not in ("pod", "job"):
        raise ValueError(f"cannot list names of {kind}")
    namespace = reader.namespace
    if kind == "pod":
        items, _rv = reader.list(pods_path(namespace), ApiTarget("list", "pods", namespace=namespace))
    else:
        items, _rv = reader.list(jobs_path(namespace), ApiTarget("list", "jobs.batch", namespace=namespace))
    return sorted({name for name in (meta(item, "name") for item in items) if name})


def _list_jobs(reader: Reader, namespace: str | None) -> Read:
    """Every Job of the namespace (or of all): optional, pods are shown without their Jobs otherwise."""
    return optional_list(
        reader,
        jobs_path(namespace),
        ApiTarget("list", "jobs.batch", namespace=namespace),
        None,
        "Jobs",
        "pods are shown without their Jobs",
        lambda d, items: d.jobs.extend(_checked(reader, j, "Job", _listed("Jobs", namespace)) for j in items),
    )
