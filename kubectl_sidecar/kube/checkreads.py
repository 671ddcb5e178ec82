"""Request planning of ``check``: a Job and its pods, one pod, pods by label, or a namespace (``-A``: all).

Over the same :class:`~kubectl_sidecar.kube.reads.Reader` protocol as :mod:`.reads`, whose drafting,
planned reads and parallel runner it uses.
"""

from __future__ import annotations

from kubectl_sidecar.kube.paths import (
    VIRTUAL_NODE_SELECTOR,
    events_path,
    field_value,
    jobs_path,
    node_path,
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
from kubectl_sidecar.kube.session import ApiTarget
from kubectl_sidecar.model import ClusterVersion, EventsState
from kubectl_sidecar.raw import as_dict, as_str, meta
from kubectl_sidecar.select import job_selector_string
from kubectl_sidecar.snapshot import Snapshot, involved_key


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
    ``fieldSelector=involvedObject.kind=Pod`` (for a single pod, its uid/name selectors). Nodes: the
    one node when every pod is on it, else one list of ``type=virtual-kubelet`` nodes.
    Budget for a Job of N pods and E events: ceil(N/500) + ceil(E/500) + 4 requests at most.
    """
    if pod:
        return read_pod(reader, pod, cluster_version=cluster_version)
    namespace = None if all_namespaces else reader.namespace
    draft = Draft(reader.source)
    pods_target = ApiTarget("list", "pods", namespace=namespace)
    events_target = ApiTarget("list", "events", namespace=namespace)

    def add_pods(draft: Draft, result: tuple) -> None:
        draft.pods.extend(result[0])

    def add_pod_events(draft: Draft, result: tuple) -> None:
        wanted = {(meta(p, "namespace"), meta(p, "name")) for p in draft.pods}
        draft.events.extend(event for event in result[0] if involved_key(event) in wanted)
        draft.events_state = EventsState.LISTED

    events = Read(
        lambda: reader.list(
            events_path(namespace), events_target, {"fieldSelector": "involvedObject.kind=Pod"}
        ),
        add_pod_events,
        lambda draft, err: draft.note_events_failure(err, namespace),
    )
    if job:
        job_target = ApiTarget("get", "jobs.batch", name=job, namespace=namespace, kind="Job")
        first = [
            Read(lambda: reader.get(jobs_path(namespace, job), job_target), _add_named_job),
            version_read(reader),
        ]
        settle(draft, first, run_reads(first))
        labels = _pods_selector(draft.jobs[0])
        pods = Read(
            lambda: reader.list(pods_path(namespace), pods_target, {"labelSelector": labels}), add_pods
        )
        settle(draft, [pods, events], run_reads([pods, events]))
    else:
        query = {"labelSelector": selector} if selector else {}
        pods = Read(lambda: reader.list(pods_path(namespace), pods_target, query), add_pods)
        version = version_read(reader)
        reads = [pods, events, version]
        if not selector:
            reads.append(_list_jobs(reader, namespace))
        settle(draft, [pods, *reads[3:], version, events], run_reads(reads))
    later = _owner_reads(reader, draft, namespace) if selector and not job else []
    later += _podless_job_event_reads(reader, draft, namespace)
    later += _node_reads(reader, draft)
    settle(draft, later, run_reads(later))
    return draft.finish(cluster_version)


def _add_named_job(draft: Draft, job: dict) -> None:
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
            lambda d, items: d.events.extend(e for e in items if involved_key(e) in wanted),
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
        lambda d, items: d.jobs.extend(items),
    )
