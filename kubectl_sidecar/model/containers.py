"""Containers as the pod spec declares them, with the role inferred from the spec alone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kubectl_sidecar.model.vocab import (
    ENV_ACS,
    ENV_ECI,
    ENV_KRUISE,
    LEGACY_KINDS,
    MESH_PROXIES,
    SECTION_EPHEMERAL,
    SECTION_INIT,
    SECTIONS,
    Role,
    SidecarKind,
)
from kubectl_sidecar.raw import as_dict, as_list, as_str


@dataclass(frozen=True)
class Container:
    """A container as the pod spec declares it, with the role we infer from the spec alone."""

    name: str
    section: str  # initContainers | containers | ephemeralContainers
    index: int  # position within its section
    role: Role
    sidecar_kind: SidecarKind | None = None
    restart_policy: str | None = None
    has_startup_probe: bool = False
    # Every sidecar marker found on this container, e.g. ("native", "acs"): more than one is a conflict.
    markers: tuple[SidecarKind, ...] = ()
    # For the ACS marker: whether its value is exactly "true" (the only value ACS honours).
    acs_marker_true: bool | None = None
    image: str | None = None

    @property
    def is_legacy_sidecar(self) -> bool:
        return self.role == Role.SIDECAR and self.sidecar_kind in LEGACY_KINDS


def _env_markers(spec: Mapping) -> tuple[list[SidecarKind], bool | None]:
    """Find legacy sidecar markers in a container's env. Only literal values are read, never printed."""
    markers: list[SidecarKind] = []
    acs_true: bool | None = None
    for entry in as_list(spec.get("env")):
        entry = as_dict(entry)
        name = entry.get("name")
        value = entry.get("value")
        if name == ENV_ACS:
            markers.append(SidecarKind.ACS)
            acs_true = value == "true"
        elif name == ENV_ECI and isinstance(value, str) and value.strip().lower() == "sidecar":
            markers.append(SidecarKind.ECI)
        elif name == ENV_KRUISE and isinstance(value, str) and value.strip().lower() == "true":
            markers.append(SidecarKind.KRUISE)
    return markers, acs_true


def parse_containers(pod: Mapping, declared_sidecars: Iterable[str] = ()) -> list[Container]:
    """Return the pod's containers in spec order (init, regular, ephemeral) with their roles.

    Roles come from the spec only: statuses are sorted alphabetically and say nothing about intent.
    """
    spec = as_dict(as_dict(pod).get("spec"))
    declared = set(declared_sidecars)
    result: list[Container] = []
    seen: set[str] = set()
    for section in SECTIONS:
        for index, raw in enumerate(as_list(spec.get(section))):
            raw = as_dict(raw)
            name = as_str(raw.get("name"))
            if name is None or name in seen:
                continue
            seen.add(name)
            restart_policy = as_str(raw.get("restartPolicy"))
            markers, acs_true = _env_markers(raw)
            if restart_policy == "Always" and section == SECTION_INIT:
                markers.insert(0, SidecarKind.NATIVE)
            role, kind = _role_of(section, name, restart_policy, markers, declared)
            result.append(
                Container(
                    name=name,
                    section=section,
                    index=index,
                    role=role,
                    sidecar_kind=kind,
                    restart_policy=restart_policy,
                    has_startup_probe=isinstance(raw.get("startupProbe"), dict),
                    markers=tuple(markers),
                    acs_marker_true=acs_true,
                    image=as_str(raw.get("image")),
                )
            )
    return result


def _role_of(
    section: str, name: str, restart_policy: str | None, markers: list[SidecarKind], declared: set
) -> tuple[Role, SidecarKind | None]:
    if section == SECTION_EPHEMERAL:
        return Role.EPHEMERAL, None
    if section == SECTION_INIT:
        if restart_policy == "Always":
            return Role.SIDECAR, SidecarKind.NATIVE
        if name in declared:
            return Role.SIDECAR, SidecarKind.DECLARED
        # A legacy marker on an init container does nothing: it stays a plain init container.
        return Role.INIT, None
    if markers:
        return Role.SIDECAR, markers[0]
    if name in MESH_PROXIES:
        return Role.SIDECAR, SidecarKind.MESH
    if name in declared:
        return Role.SIDECAR, SidecarKind.DECLARED
    return Role.APP, None
