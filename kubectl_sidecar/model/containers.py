"""Containers as the pod spec declares them, with the role inferred from the spec alone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kubectl_sidecar.knownsidecars import Catalogue, KnownSidecar, Match, builtin
from kubectl_sidecar.model.vocab import (
    ENV_ACS,
    ENV_ECI,
    ENV_KRUISE,
    LEGACY_KINDS,
    SECTION_EPHEMERAL,
    SECTION_INIT,
    SECTION_REGULAR,
    SECTIONS,
    Role,
    SidecarKind,
)
from kubectl_sidecar.raw import as_dict, as_list, as_str
from kubectl_sidecar.record import record


@record(frozen=True)
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
    # The sidecar catalogue's entry this container matched, and what gave it away (image, command, ...).
    known: KnownSidecar | None = None
    known_by: str | None = None

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


def _words(value: object) -> list[str]:
    return [w for w in value if isinstance(w, str)] if isinstance(value, list) else []


def _recognise(pod: Mapping, catalogue: Catalogue) -> dict[tuple[str, str], Match]:
    """The catalogue's match for each container that has one, by (section, name).

    Regular containers are recognised only while one of them is not: a pod whose every regular
    container is a known sidecar (a Fluent Bit DaemonSet, an Envoy gateway) runs it as its app.
    """
    meta = as_dict(as_dict(pod).get("metadata"))
    annotations = {k: v for k, v in as_dict(meta.get("annotations")).items() if isinstance(v, str)}
    spec = as_dict(as_dict(pod).get("spec"))
    found: dict[tuple[str, str], Match] = {}
    regular = 0
    for section in (SECTION_INIT, SECTION_REGULAR):
        for raw in as_list(spec.get(section)):
            raw = as_dict(raw)
            name = as_str(raw.get("name"))
            if name is None:
                continue
            if section == SECTION_INIT and raw.get("restartPolicy") != "Always":
                continue  # a plain init container runs once (istio-init runs the proxy's image): no sidecar
            regular += section == SECTION_REGULAR
            env: dict[str, str | None] = {}
            for entry in map(as_dict, as_list(raw.get("env"))):
                env_name, value = entry.get("name"), entry.get("value")
                if isinstance(env_name, str):
                    env[env_name] = value if isinstance(value, str) else None
            match = catalogue.match(
                name,
                as_str(raw.get("image")),
                _words(raw.get("command")),
                _words(raw.get("args")),
                annotations,
                env,
            )
            if match is not None:
                found[(section, name)] = match
    matched = sum(1 for (section, _), m in found.items() if section == SECTION_REGULAR and m.by != "env")
    if regular and matched >= regular:
        found = {key: m for key, m in found.items() if key[0] != SECTION_REGULAR or m.by == "env"}
    return found


def parse_containers(
    pod: Mapping, declared_sidecars: Iterable[str] = (), catalogue: Catalogue | None = None
) -> list[Container]:
    """Return the pod's containers in spec order (init, regular, ephemeral) with their roles.

    Roles come from the spec only: statuses are sorted alphabetically and say nothing about intent.
    ``catalogue`` (default: the built-in one) recognises well-known sidecars.
    """
    spec = as_dict(as_dict(pod).get("spec"))
    declared = set(declared_sidecars)
    known = _recognise(pod, catalogue if catalogue is not None else builtin())
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
            match = known.get((section, name))
            role, kind = _role_of(section, name, restart_policy, markers, declared, match)
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
                    known=match.entry if match is not None else None,
                    known_by=match.by if match is not None else None,
                )
            )
    return result


def _role_of(
    section: str,
    name: str,
    restart_policy: str | None,
    markers: list[SidecarKind],
    declared: set,
    match: Match | None,
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
    if match is not None and match.by != "env":  # a marker env the platform ignores stays an app
        return Role.SIDECAR, SidecarKind.MESH if match.entry.is_mesh else SidecarKind.KNOWN
    if name in declared:
        return Role.SIDECAR, SidecarKind.DECLARED
    return Role.APP, None
