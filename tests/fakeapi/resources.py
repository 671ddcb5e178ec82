"""The resources the stand-in serves, with what discovery says about them."""

from typing import NamedTuple, Optional

__all__ = ["Resource", "RESOURCES", "GROUP_VERSIONS", "find_resource", "resource_for_kind"]

_ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


class Resource(NamedTuple):
    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = tuple(_ALL_VERBS)
    # subresource -> (response kind or "" for text, verbs)
    subresources: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    # the store this resource reads: (group, plural); events.k8s.io events share core events
    storage: Optional[tuple[str, str]] = None
    storage_version_hash: str = ""

    @property
    def api_version(self) -> str:
        return "%s/%s" % (self.group, self.version) if self.group else self.version

    @property
    def store_key(self) -> tuple[str, str]:
        return self.storage or (self.group, self.plural)

    @property
    def qualified(self) -> str:
        """What error messages call it: "pods", "jobs.batch"."""
        return "%s.%s" % (self.plural, self.group) if self.group else self.plural

    @property
    def list_kind(self) -> str:
        return self.kind + "List"


_STATUS = ("status", "", ("get", "patch", "update"))

RESOURCES = [
    Resource(
        "",
        "v1",
        "pods",
        "pod",
        "Pod",
        True,
        ("po",),
        ("all",),
        subresources=(
            ("attach", "PodAttachOptions", ("create", "get")),
            ("binding", "Binding", ("create",)),
            ("ephemeralcontainers", "Pod", ("get", "patch", "update")),
            ("eviction", "Eviction", ("create",)),
            ("exec", "PodExecOptions", ("create", "get")),
            ("log", "Pod", ("get",)),
            ("portforward", "PodPortForwardOptions", ("create", "get")),
            ("proxy", "PodProxyOptions", ("create", "delete", "get", "head", "options", "patch", "update")),
            ("resize", "Pod", ("get", "patch", "update")),
            ("status", "Pod", ("get", "patch", "update")),
        ),
        storage_version_hash="xPOwRZ+Yhw8=",
    ),
    Resource("", "v1", "events", "event", "Event", True, ("ev",), (), storage_version_hash="r2yiGXH7wu8="),
    Resource(
        "",
        "v1",
        "nodes",
        "node",
        "Node",
        False,
        ("no",),
        (),
        subresources=(
            ("proxy", "NodeProxyOptions", ("create", "delete", "get", "head", "options", "patch", "update")),
            ("status", "Node", ("get", "patch", "update")),
        ),
        storage_version_hash="XwShjMxG9Fs=",
    ),
    Resource(
        "",
        "v1",
        "namespaces",
        "namespace",
        "Namespace",
        False,
        ("ns",),
        (),
        verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
        subresources=(
            ("finalize", "Namespace", ("update",)),
            ("status", "Namespace", ("get", "patch", "update")),
        ),
        storage_version_hash="Q3oi5N2YM8M=",
    ),
    Resource(
        "",
        "v1",
        "services",
        "service",
        "Service",
        True,
        ("svc",),
        ("all",),
        verbs=("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"),
        subresources=(
            (
                "proxy",
                "ServiceProxyOptions",
                ("create", "delete", "get", "head", "options", "patch", "update"),
            ),
            ("status", "Service", ("get", "patch", "update")),
        ),
        storage_version_hash="0/CO1lhkEBI=",
    ),
    Resource(
        "",
        "v1",
        "configmaps",
        "configmap",
        "ConfigMap",
        True,
        ("cm",),
        (),
        storage_version_hash="qFsyl6wFWjQ=",
    ),
    Resource(
        "",
        "v1",
        "serviceaccounts",
        "serviceaccount",
        "ServiceAccount",
        True,
        ("sa",),
        (),
        storage_version_hash="pbx9ZvyFpBE=",
    ),
    Resource(
        "apps",
        "v1",
        "deployments",
        "deployment",
        "Deployment",
        True,
        ("deploy",),
        ("all",),
        subresources=(
            ("scale", "Scale", ("get", "patch", "update")),
            ("status", "Deployment", ("get", "patch", "update")),
        ),
        storage_version_hash="8aSe+NMegvE=",
    ),
    Resource(
        "apps",
        "v1",
        "replicasets",
        "replicaset",
        "ReplicaSet",
        True,
        ("rs",),
        ("all",),
        subresources=(
            ("scale", "Scale", ("get", "patch", "update")),
            ("status", "ReplicaSet", ("get", "patch", "update")),
        ),
        storage_version_hash="P1RzHs8/mWQ=",
    ),
    Resource(
        "apps",
        "v1",
        "statefulsets",
        "statefulset",
        "StatefulSet",
        True,
        ("sts",),
        ("all",),
        subresources=(
            ("scale", "Scale", ("get", "patch", "update")),
            ("status", "StatefulSet", ("get", "patch", "update")),
        ),
        storage_version_hash="H+vl74LkKdo=",
    ),
    Resource(
        "apps",
        "v1",
        "daemonsets",
        "daemonset",
        "DaemonSet",
        True,
        ("ds",),
        ("all",),
        subresources=(("status", "DaemonSet", ("get", "patch", "update")),),
        storage_version_hash="dd7pWHUlMKQ=",
    ),
    Resource(
        "batch",
        "v1",
        "jobs",
        "job",
        "Job",
        True,
        (),
        ("all",),
        subresources=(("status", "Job", ("get", "patch", "update")),),
        storage_version_hash="mudhfqk/qZY=",
    ),
    Resource(
        "batch",
        "v1",
        "cronjobs",
        "cronjob",
        "CronJob",
        True,
        ("cj",),
        ("all",),
        subresources=(("status", "CronJob", ("get", "patch", "update")),),
        storage_version_hash="sd5LIXh4Fjs=",
    ),
    Resource(
        "coordination.k8s.io",
        "v1",
        "leases",
        "lease",
        "Lease",
        True,
        (),
        (),
        storage_version_hash="gqkMMb/YqFM=",
    ),
    Resource(
        "events.k8s.io",
        "v1",
        "events",
        "event",
        "Event",
        True,
        ("ev",),
        (),
        storage=("", "events"),
        storage_version_hash="r2yiGXH7wu8=",
    ),
]

# group -> versions in preference order; "" is the legacy core group served under /api
GROUP_VERSIONS = {}  # type: dict[str, list[str]]
for _r in RESOURCES:
    GROUP_VERSIONS.setdefault(_r.group, [])
    if _r.version not in GROUP_VERSIONS[_r.group]:
        GROUP_VERSIONS[_r.group].append(_r.version)

_BY_PATH = {(r.group, r.version, r.plural): r for r in RESOURCES}


def find_resource(group: str, version: str, plural: str) -> Optional[Resource]:
    return _BY_PATH.get((group, version, plural))


def resource_for_kind(kind: str, api_version: Optional[str] = None) -> Optional[Resource]:
    """Find the storage resource for a kind ("Pod"), a plural ("pods") or a short name ("po").

    events.k8s.io/v1 Events map to the core/v1 events resource: the store keeps core events."""
    k = kind.lower()
    candidates = []
    for r in RESOURCES:
        if r.storage is not None:
            continue
        if (
            k in (r.kind.lower(), r.plural, r.singular)
            or k in r.short_names
            or k in ("%s.%s" % (r.plural, r.group), "%s.%s" % (r.kind.lower(), r.group))
        ):
            candidates.append(r)
    if not candidates:
        return None
    if api_version and "/" in api_version:
        group = api_version.split("/", 1)[0]
        for r in candidates:
            if r.group == group:
                return r
    return candidates[0]
