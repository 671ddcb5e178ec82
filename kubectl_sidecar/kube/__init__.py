"""Read a live cluster as kubectl would. Static credentials (tokens, token files, client certificates,
basic auth, an unexpired oidc id-token, in-cluster config) need only the standard library and urllib3;
the ``kubernetes`` package is imported only for exec credential plugins and the gcp/azure
auth-providers (:mod:`.clientconfig`), so ``--help``, ``demo``, ``-f`` and most live reads never pay for it.

Every request is a GET (get, list, watch); responses are read as raw JSON, never as typed models. See
docs/live.md for the requests each command makes, the RBAC they need and the errors they raise.

- :mod:`.config`: kubeconfig files, in-cluster config and the flags -> :class:`Connection`
  (:mod:`.kubeconfig` reads the files, :mod:`.userauth` turns a user into credentials,
  :mod:`.credentials` checks and refreshes them, :mod:`.tls` makes the one SSL context and the pool,
  :mod:`.clientconfig` is the kubernetes package for exec plugins and auth-providers)
- :mod:`.session`: :class:`Session`, GETs with retries, pagination and watches over a transport;
  :mod:`.wire` bounds each request (deadline, byte caps, JSON limits, watch lines)
- :mod:`.reads`, :mod:`.checkreads`: which requests a command makes, over a small ``Reader`` protocol
  -> :class:`Snapshot`
- :mod:`.follow`: list+watch followers for ``timeline --watch``
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from kubectl_sidecar.kube import reads
from kubectl_sidecar.kube.session import Session
from kubectl_sidecar.options import KubeOptions

if TYPE_CHECKING:  # the model loads while the first requests are on their way (app.preload)
    from kubectl_sidecar.kube.follow import PodUpdate
    from kubectl_sidecar.model import ClusterVersion
    from kubectl_sidecar.snapshot import Snapshot

__all__ = [
    "PodUpdate",
    "fetch_check_snapshot",
    "fetch_pod_snapshot",
    "fetch_server_version",
    "follow_pod",
    "list_names",
]


def __getattr__(name: str) -> Any:
    """``PodUpdate``, from :mod:`.follow`, loaded only by the commands that follow a pod."""
    if name == "PodUpdate":
        from kubectl_sidecar.kube.follow import PodUpdate

        return PodUpdate
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def fetch_pod_snapshot(
    opts: KubeOptions, name: str, *, cluster_version: ClusterVersion | None = None
) -> Snapshot:
    """Read one pod with its events, Job, node and the server version (see :func:`reads.read_pod`).

    ``cluster_version`` (``--cluster-version``) is the snapshot's version when given; ``/version`` is
    read all the same.
    """
    with Session.open(opts) as session:
        return reads.read_pod(session, name, cluster_version=cluster_version)


def fetch_check_snapshot(
    opts: KubeOptions,
    *,
    job: str | None = None,
    pod: str | None = None,
    selector: str | None = None,
    cluster_version: ClusterVersion | None = None,
) -> Snapshot:
    """Read what ``check`` inspects: a Job and its pods, one pod, pods by label, or a namespace
    (``-A``: every namespace). See :func:`checkreads.read_check`."""
    from kubectl_sidecar.kube import checkreads

    with Session.open(opts) as session:
        return checkreads.read_check(
            session,
            job=job,
            pod=pod,
            selector=selector,
            all_namespaces=opts.all_namespaces and not (job or pod),
            cluster_version=cluster_version,
        )


def follow_pod(
    opts: KubeOptions, name: str, *, cluster_version: ClusterVersion | None = None, poll: float = 0.5
) -> Generator[PodUpdate, None, None]:
    """Yield the pod's snapshot, then a new one each time the pod or its events change, until it is
    deleted (see :func:`follow.follow_pod`). The session is closed when the iterator is."""
    from kubectl_sidecar.kube import follow

    with Session.open(opts) as session:
        yield from follow.follow_pod(session, name, poll=poll, cluster_version=cluster_version)


def list_names(opts: KubeOptions, kind: str) -> list[str]:
    """Names of the pods (``kind="pod"``) or Jobs (``"job"``) in the namespace, or of the namespaces
    (``"namespace"``), sorted (shell completion)."""
    if kind not in ("pod", "job", "namespace"):
        raise ValueError(f"cannot list names of {kind}")
    from kubectl_sidecar.kube import checkreads

    with Session.open(opts) as session:
        if kind == "namespace":
            from kubectl_sidecar.kube.apierrors import ApiTarget
            from kubectl_sidecar.raw import meta

            items, _rv = session.list("/api/v1/namespaces", ApiTarget("list", "namespaces"))
            return sorted({name for name in (meta(item, "name") for item in items) if name})
        return checkreads.list_names(session, kind)


def fetch_server_version(opts: KubeOptions) -> dict:
    """``/version`` of the cluster, as the server sends it (``kubectl sidecar version``)."""
    from kubectl_sidecar.kube.apierrors import ApiTarget

    with Session.open(opts) as session:
        return session.get("/version", ApiTarget("get", "/version"))
