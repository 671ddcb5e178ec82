"""The bundled demo scenarios: THE one reader of ``demo/index.yaml`` (used by ``app`` and ``shellcomp``).

Each scenario is a file read through exactly the code path of ``timeline -f FILE``.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from kubectl_sidecar.record import record
from kubectl_sidecar.snapshot import Snapshot

INDEX = "index.yaml"


@record(frozen=True)
class Scenario:
    """One entry of the index: which pod of which file, on which Kubernetes version."""

    name: str
    file: str
    pod: str
    cluster_version: str
    title: str


def load_index() -> list[Scenario]:
    """The scenarios, in the order of the index."""
    import yaml

    entries: list[Any] = yaml.safe_load(_folder().joinpath(INDEX).read_text("utf-8"))
    return [
        Scenario(
            name=str(entry["name"]),
            file=str(entry["file"]),
            pod=str(entry["pod"]),
            cluster_version=str(entry["clusterVersion"]),
            title=str(entry["title"]),
        )
        for entry in entries
    ]


def names() -> list[str]:
    """The scenario names; ``[]`` when the index cannot be read (shell completion never fails)."""
    try:
        return [scenario.name for scenario in load_index()]
    except Exception:  # noqa: BLE001 - completion never fails
        return []


def load_snapshot(scenario: Scenario) -> Snapshot:
    """Read a scenario's file as ``-f`` reads files, with the scenario's cluster version."""
    from kubectl_sidecar import files
    from kubectl_sidecar.model import parse_cluster_version

    data = _folder().joinpath(scenario.file).read_bytes()
    return files.snapshot_from_sources(
        [(f"demo/{scenario.file}", data)], cluster_version=parse_cluster_version(scenario.cluster_version)
    )


def _folder() -> Any:
    return resources.files(__name__)
