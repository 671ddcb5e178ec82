"""Sidecar markers that conflict or do nothing (SC009). Env values are compared, never printed."""

from __future__ import annotations

from kubectl_sidecar.checks import catalogue, platform, queries
from kubectl_sidecar.checks.context import CheckContext
from kubectl_sidecar.checks.platform import VersionView
from kubectl_sidecar.findings import Finding
from kubectl_sidecar.model import (
    ENV_ACS,
    ENV_KRUISE,
    LEGACY_KINDS,
    SECTION_INIT,
    SECTION_REGULAR,
    Container,
    SidecarKind,
)
from kubectl_sidecar.timeline import Timeline

# The literal value each platform acts on. ECI_CONTAINER_TYPE is left out: other values of it may
# mean something we do not know of.
_EXPECTED = {ENV_ACS: "true", ENV_KRUISE: "true"}


def check_marker_conflicts(timeline: Timeline, context: CheckContext) -> list[Finding]:
    """SC009: native and legacy markers on one container, legacy markers with values no platform acts
    on, and legacy markers on init containers."""
    findings = []
    for ct in timeline.containers:
        container = ct.container
        legacy = [m for m in container.markers if m in LEGACY_KINDS]
        names = [n for n, _ in queries.env_names(timeline, container)]
        problems, evidence = [], []
        if SidecarKind.NATIVE in container.markers and legacy:
            envs = ", ".join(platform.legacy_env_name_of(k) or "" for k in legacy)
            problems.append(
                f"native sidecar {ct.name} also carries the legacy marker {envs}, which does "
                "nothing on an init container"
            )
            evidence.append(f"{ct.name}: restartPolicy: Always in spec.initContainers and env {envs}")
        elif container.section == SECTION_INIT and legacy:
            envs = ", ".join(platform.legacy_env_name_of(k) or "" for k in legacy)
            problems.append(
                f"init container {ct.name} carries the legacy marker {envs}, which no platform acts "
                "on there: it stays an ordinary init container that must exit before the next one "
                "starts"
            )
            evidence.append(f"{ct.name}: env {envs} in spec.initContainers, no restartPolicy: Always")
        if container.section == SECTION_REGULAR:
            for env, expected in _EXPECTED.items():
                if env in names and queries.env_value_is(timeline, container, env, expected) is False:
                    literal = dict(queries.env_names(timeline, container)).get(env)
                    how = "a value" if literal else "valueFrom, not a literal value"
                    problems.append(
                        f'{ct.name} sets {env} with {how} other than "{expected}", the only value '
                        "the platform acts on: it is not treated as a sidecar"
                    )
                    evidence.append(
                        f'{ct.name}: env {env} is not exactly "{expected}" (the value is not shown)'
                    )
        if not problems:
            continue
        message = "; ".join(problems)
        findings.append(
            catalogue.make_finding(
                "SC009",
                timeline,
                ct.name,
                message,
                evidence=evidence,
                fix=_fix(container, platform.version_view(timeline, context)),
            )
        )
    return findings


def _fix(container: Container, view: VersionView) -> str:
    if SidecarKind.NATIVE in container.markers:
        return "Drop the legacy env marker: restartPolicy: Always alone makes it a native sidecar."
    if container.section == SECTION_INIT:
        if view.native is True:
            return (
                "To make it a sidecar, give it restartPolicy: Always (a native sidecar) and drop the env "
                "marker; to keep a legacy sidecar, move it to spec.containers."
            )
        return "Move it to spec.containers, where the platform acts on the marker."
    return (
        'Set the marker to its exact literal value (__IS_SIDECAR__: "true", '
        'KRUISE_TERMINATE_SIDECAR_WHEN_JOB_EXIT: "true")'
        + (", or better, make it a native sidecar (SC005)." if view.native is True else ".")
    )
