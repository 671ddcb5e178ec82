"""Pod templates inside manifests, with the path to each and positions in the YAML source.

A path is a tuple of mapping keys and sequence indexes from a document's root (``("spec", "template",
"spec", "containers", 1, "env", 0)``); :func:`position` turns it into a line and column, 1-based.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Union

import yaml

from kubectl_sidecar.raw import as_dict, as_list, as_str
from kubectl_sidecar.record import record

PathKey = Union[str, int]
Path = tuple[PathKey, ...]

# Where each kind keeps its pod spec.
POD_SPEC_PATHS: dict[str, Path] = {
    "Pod": ("spec",),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "PodTemplate": ("template", "spec"),
}
RUN_TO_COMPLETION = frozenset({"Job", "CronJob"})
MAX_LIST_DEPTH = 50


@record(frozen=True)
class PodTemplate:
    """One pod spec found in a document: whose it is, where, and whether its pods run to completion."""

    kind: str
    name: str | None
    namespace: str | None
    path: Path  # from the document's root to the pod spec
    spec: dict
    metadata: dict  # the pod template's metadata (annotations of injectors live here)
    owner: tuple[str | None, str | None] | None = None  # a controller's pod: its (kind, name)

    @property
    def run_to_completion(self) -> bool:
        """Jobs and CronJobs; a bare Pod whose restartPolicy is Never or OnFailure."""
        if self.kind in RUN_TO_COMPLETION:
            return True
        return self.kind == "Pod" and self.spec.get("restartPolicy") in ("Never", "OnFailure")

    @property
    def label(self) -> str:
        return f"{self.kind}/{self.name or '?'}"


def find_templates(data: Any, base: Path = (), depth: int = 0) -> Iterator[PodTemplate]:
    """Every pod spec in a document: a workload's, or each item's of a ``List``."""
    if depth > MAX_LIST_DEPTH or not isinstance(data, dict):
        return
    kind = as_str(data.get("kind"))
    items = data.get("items")
    if isinstance(items, list) and (kind is None or kind.endswith("List")):
        for index, item in enumerate(items):
            yield from find_templates(item, (*base, "items", index), depth + 1)
        return
    if kind not in POD_SPEC_PATHS:
        return
    meta = as_dict(data.get("metadata"))
    owners = [as_dict(o) for o in as_list(meta.get("ownerReferences"))]
    owner = next((o for o in owners if o.get("controller") is True), None)
    spec_path = POD_SPEC_PATHS[kind]
    spec = _walk(data, spec_path)
    if not isinstance(spec, dict):
        return
    pod_meta = meta if kind == "Pod" else as_dict(_walk(data, (*spec_path[:-1], "metadata")))
    yield PodTemplate(
        kind=kind,
        name=as_str(meta.get("name")),
        namespace=as_str(meta.get("namespace")),
        path=(*base, *spec_path),
        spec=spec,
        metadata=pod_meta,
        owner=(as_str(owner.get("kind")), as_str(owner.get("name"))) if owner is not None else None,
    )


def _walk(data: Any, path: Path) -> Any:
    for key in path:
        if isinstance(key, int):
            data = data[key] if isinstance(data, list) and 0 <= key < len(data) else None
        else:
            data = data.get(key) if isinstance(data, dict) else None
    return data


def find_node(root: yaml.Node, path: Path, *, key: bool = False) -> yaml.Node:
    """The node at ``path`` (with ``key``, the key node of its last step); where the path leaves the
    document, the deepest node it reached."""
    node = root
    for step, part in enumerate(path):
        last = step == len(path) - 1
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            continue
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == part:
                    node = key_node if (last and key) else value_node
                    break
            else:
                return node
            continue
        return node
    return node


def position(root: yaml.Node, path: Path, *, key: bool = False) -> tuple[int, int]:
    """Line and column (1-based) of ``path`` in the source of ``root``."""
    mark = find_node(root, path, key=key).start_mark
    return mark.line + 1, mark.column + 1
