"""The facts of a pod's spec and status the checks need beyond its runs and marks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from kubectl_sidecar.model.vocab import MARKER_ENVS, SECTIONS
from kubectl_sidecar.raw import as_dict, as_int, as_list, as_str
from kubectl_sidecar.record import record


class ContainerSpec(NamedTuple):
    """The facts of one container's spec the checks read. Env values are never kept, except whether a
    legacy marker's literal value is what a platform acts on (compared here, never printed).

    Immutable; a NamedTuple because every container of every pod has one.
    """

    name: str
    section: str
    env: tuple[tuple[str, bool], ...] = ()  # (name, has a literal value), in spec order
    marker_values: tuple[tuple[str, str | None], ...] = ()  # legacy marker env: (name, literal value)
    startup_delay: int = 0  # the startupProbe's initialDelaySeconds (0 without a probe)
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()

    def env_value_is(self, name: str, expected: str) -> bool | None:
        """Whether marker env ``name`` is literally ``expected``; ``None`` when the container has none."""
        for env_name, value in self.marker_values:
            if env_name == name:
                return value == expected
        return None


@record(frozen=True)
class PodFacts:
    """The facts of a pod's spec and status the checks need beyond the timeline's runs and marks."""

    containers: tuple[ContainerSpec, ...] = ()
    deletion_grace_seconds: int | None = None
    termination_grace_seconds: int | None = None
    status_reason: str | None = None
    status_message: str | None = None

    def spec(self, section: str, name: str) -> ContainerSpec:
        """The container's spec facts (empty facts when the spec does not declare it)."""
        for spec in self.containers:
            if spec.section == section and spec.name == name:
                return spec
        return ContainerSpec(name=name, section=section)


def _container_spec(raw: Mapping, name: str, section: str) -> ContainerSpec:
    env: list[tuple[str, bool]] = []
    markers: dict[str, str | None] = {}  # the first entry of each marker env, in spec order
    for entry in as_list(raw.get("env")):
        if not isinstance(entry, dict):
            continue
        env_name = entry.get("name")
        if not isinstance(env_name, str) or not env_name:
            continue
        env.append((env_name, "value" in entry))
        if env_name in MARKER_ENVS and env_name not in markers:
            value = entry.get("value")
            markers[env_name] = value if isinstance(value, str) else None
    probe = raw.get("startupProbe")
    delay = max(as_int(probe.get("initialDelaySeconds")) or 0, 0) if isinstance(probe, dict) else 0
    command = raw.get("command")
    args = raw.get("args")
    return ContainerSpec(
        name,
        section,
        tuple(env),
        tuple(markers.items()),
        delay,
        tuple(c for c in command if isinstance(c, str)) if isinstance(command, list) and command else (),
        tuple(a for a in args if isinstance(a, str)) if isinstance(args, list) and args else (),
    )


def parse_pod_facts(pod: Mapping) -> PodFacts:
    """Read the spec and status facts of a raw Pod dict."""
    spec = as_dict(as_dict(pod).get("spec"))
    status = as_dict(as_dict(pod).get("status"))
    metadata = as_dict(as_dict(pod).get("metadata"))
    containers: list[ContainerSpec] = []
    seen: set[tuple[str, str]] = set()
    for section in SECTIONS:
        for raw in as_list(spec.get(section)):
            raw = as_dict(raw)
            name = raw.get("name")
            if not isinstance(name, str) or (section, name) in seen:
                continue
            seen.add((section, name))
            containers.append(_container_spec(raw, name, section))
    return PodFacts(
        containers=tuple(containers),
        deletion_grace_seconds=as_int(metadata.get("deletionGracePeriodSeconds")),
        termination_grace_seconds=as_int(spec.get("terminationGracePeriodSeconds")),
        status_reason=as_str(status.get("reason")),
        status_message=as_str(status.get("message")),
    )
