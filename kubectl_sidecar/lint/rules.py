"""The lint rules: each a pure function of one pod template and the context, yielding issues.

An :class:`Issue` points into the pod spec by path (``("containers", 1, "env", 0)``); the caller turns
paths into lines and columns of the user's file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from kubectl_sidecar.lint import commands, recognise
from kubectl_sidecar.lint.templates import Path, PodTemplate
from kubectl_sidecar.model import (
    ENV_ACS,
    ENV_ECI,
    ENV_KRUISE,
    SECTION_INIT,
    SECTION_REGULAR,
    Container,
    Role,
    SidecarKind,
    parse_containers,
)
from kubectl_sidecar.raw import as_dict, as_int, as_list
from kubectl_sidecar.record import record

NATIVE_SINCE = (1, 29)
PLATFORMS = ("generic", "acs", "eci")
# The platforms that honour each legacy marker (OpenKruise's works wherever Kruise is installed).
HONOURED_ON = {
    SidecarKind.ACS: ("acs", "eci"),
    SidecarKind.ECI: ("acs", "eci"),
    SidecarKind.KRUISE: PLATFORMS,
}
DEFAULT_GRACE_SECONDS = 30
MIGRATE_HINT = "kubectl sidecar migrate -f FILE"


@record(frozen=True)
class LintContext:
    """What the rules assume: the cluster version and platform, and the containers named as sidecars."""

    version: tuple[int, int]
    platform: str = "generic"
    declared: frozenset[str] = frozenset()

    @property
    def native(self) -> bool:
        return self.version >= NATIVE_SINCE

    @property
    def version_text(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"


@record(frozen=True)
class Issue:
    """What a rule found, before it has a file position: ``path`` is relative to the pod spec."""

    code: str
    path: Path
    container: str | None
    message: str
    fix: str
    key: bool = False  # point at the key of the path's last step rather than its value


@record(frozen=True)
class Subject:
    """A pod template as the rules read it: its containers (roles from the spec) and their raw specs."""

    template: PodTemplate
    containers: tuple[Container, ...]

    def raw(self, container: Container) -> dict:
        return as_dict(as_list(self.template.spec.get(container.section))[container.index])

    def at(self, container: Container, *rest: str | int) -> Path:
        return (container.section, container.index, *rest)

    def env_index(self, container: Container, name: str) -> int | None:
        for index, entry in enumerate(as_list(self.raw(container).get("env"))):
            if as_dict(entry).get("name") == name:
                return index
        return None

    def marker_path(self, container: Container, name: str) -> Path:
        index = self.env_index(container, name)
        return self.at(container, "env", index) if index is not None else self.at(container)

    def regular(self) -> list[Container]:
        return [c for c in self.containers if c.section == SECTION_REGULAR]

    def apps(self) -> list[Container]:
        return [c for c in self.regular() if c.role == Role.APP and not recognise.known_sidecar(c)]


def make_subject(template: PodTemplate, context: LintContext) -> Subject:
    containers = parse_containers({"spec": template.spec}, context.declared)
    return Subject(template=template, containers=tuple(containers))


def is_sidecar(container: Container) -> bool:
    """A sidecar by a marker, by restartPolicy, by --sidecar, or by a name or image the list knows."""
    return container.role == Role.SIDECAR or recognise.known_sidecar(container) is not None


def honoured(kind: SidecarKind, context: LintContext) -> bool:
    return context.platform in HONOURED_ON.get(kind, ())


def honoured_markers(container: Container, context: LintContext) -> list[SidecarKind]:
    """The container's legacy markers that this platform acts on (ACS's only with the value "true")."""
    return [
        k
        for k in container.markers
        if honoured(k, context) and (k != SidecarKind.ACS or container.acs_marker_true)
    ]


# ------------------------------------------------------------------------------------------ the rules


def legacy_marker(subject: Subject, context: LintContext) -> Iterator[Issue]:
    """SL001: ``__IS_SIDECAR__`` on 1.29+, or off ACS/ECI."""
    for c in subject.regular():
        if SidecarKind.ACS not in c.markers:
            continue
        path = subject.marker_path(c, ENV_ACS)
        if context.platform in ("acs", "eci"):
            if not context.native:
                continue
            why = (
                f"on ACS with Kubernetes {context.version_text} (1.29 or later) the platform stops updating "
                f"{c.name}'s status after it restarts: it will show terminated while it runs again"
            )
        else:
            why = (
                f"only ACS and ECI honour it; on a {context.platform} cluster {c.name} is a plain regular "
                "container: it starts with the app, is not restarted as a sidecar and is not stopped when "
                "the app ends"
            )
        yield Issue(
            "SL001",
            path,
            c.name,
            f"{c.name} is marked {ENV_ACS}: {why}",
            f"make it a native sidecar (an init container with restartPolicy: Always): {MIGRATE_HINT}",
        )


def native_too_old(subject: Subject, context: LintContext) -> Iterator[Issue]:
    """SL002: ``initContainers[].restartPolicy: Always`` for a cluster older than 1.29."""
    if context.native:
        return
    what = (
        "1.28's API server drops restartPolicy (the SidecarContainers gate is off by default): the sidecar "
        "becomes a plain init container that never exits, so the pod never starts"
        if context.version == (1, 28)
        else f"Kubernetes {context.version_text} does not know restartPolicy on init containers and refuses it"
    )
    for c in subject.containers:
        if c.section == SECTION_INIT and c.restart_policy == "Always":
            yield Issue(
                "SL002",
                subject.at(c, "restartPolicy"),
                c.name,
                f"{c.name} is a native sidecar, for a cluster of {context.version_text}: {what}",
                "upgrade to 1.29 or later; until then run it as a regular container (on ACS marked "
                '__IS_SIDECAR__: "true")',
                key=True,
            )


def restart_policy_misplaced(subject: Subject, context: LintContext) -> Iterator[Issue]:
    """SL003: ``restartPolicy`` on a regular container, or an init container's other than Always."""
    for c in subject.containers:
        if "restartPolicy" not in subject.raw(c):
            continue
        path = subject.at(c, "restartPolicy")
        if c.section == SECTION_REGULAR:
            yield Issue(
                "SL003",
                path,
                c.name,
                f"{c.name} is a regular container with restartPolicy: only init containers may carry it "
                "(restartPolicy: Always makes one a native sidecar); the API server refuses the pod",
                "move the container to initContainers to make it a native sidecar, or remove restartPolicy "
                "and set the pod's spec.restartPolicy instead",
                key=True,
            )
        elif c.section == SECTION_INIT and c.restart_policy != "Always":
            yield Issue(
                "SL003",
                path,
                c.name,
                f"init container {c.name} has restartPolicy {c.restart_policy or 'set to a non-string'}: "
                "the only value an init container may carry is Always; the API server refuses the pod",
                "write restartPolicy: Always for a native sidecar, or remove it",
                key=True,
            )


def never_completes(subject: Subject, context: LintContext) -> Iterator[Issue]:
    """SL004: a Job's regular container that is a sidecar nothing will stop."""
    template = subject.template
    if not template.run_to_completion or not subject.apps():
        return
    if recognise.controller_stops_sidecars(template, [subject.raw(c) for c in subject.containers]):
        return
    stopper = recognise.stops_sidecars(template, subject.apps(), subject.raw)
    for c in subject.regular():
        if not is_sidecar(c) or honoured_markers(c, context):
            continue
        if c.sidecar_kind == SidecarKind.MESH and stopper:
            continue
        if recognise.stopped_by_file(subject.raw(c), [subject.raw(a) for a in subject.apps()]):
            continue
        why = recognise.why_sidecar(c)
        yield Issue(
            "SL004",
            subject.at(c),
            c.name,
            f"{template.label} will never complete: {c.name} ({why}) is a regular container that nothing "
            "stops, so it keeps the pod running after the app containers exit",
            "make it a native sidecar (stopped once the app containers exit): "
            + (MIGRATE_HINT + " --sidecar " + c.name if SidecarKind.ACS not in c.markers else MIGRATE_HINT),
        )


def sigterm_ignored(subject: Subject, context: LintContext) -> Iterator[Issue]:
    """SL005: a sidecar run by a shell (or tail, sleep) as PID 1 that never handles SIGTERM."""
    if subject.template.spec.get("shareProcessNamespace") is True:
        return  # the pause process is PID 1: the default action of SIGTERM applies again
    for c in subject.containers:
        if not is_sidecar(c):
            continue
        raw = subject.raw(c)
        reason = commands.sigterm_problem(raw.get("command"), raw.get("args"))
        if reason is None:
            continue
        where = "command" if "command" in raw else "args"
        grace = as_int(subject.template.spec.get("terminationGracePeriodSeconds")) or DEFAULT_GRACE_SECONDS
        yield Issue(
            "SL005",
            subject.at(c, where),
            c.name,
            f"{c.name} cannot handle SIGTERM: {reason}; it will be killed (exit 137) at the end of the "
            f"{grace}s grace period, which delays the end of every pod it runs in",
            "trap SIGTERM in the script (trap 'exit 0' TERM; run the command in the background and wait), "
            "or run it under an init such as tini",
        )


def sidecar_after_app(subject: Subject, context: LintContext) -> Iterator[Issue]:
    """SL006: a regular sidecar listed after an app container (regular containers start in list order)."""
    first_app = next(iter(subject.apps()), None)
    if first_app is None:
        return
    for c in subject.regular():
        if c.index < first_app.index or not is_sidecar(c) or c.sidecar_kind == SidecarKind.MESH:
            continue
        if any(k in (SidecarKind.ACS, SidecarKind.ECI) for k in honoured_markers(c, context)):
            continue  # ACS and ECI start their marked sidecars first, wherever they are listed
        yield Issue(
            "SL006",
            subject.at(c),
            c.name,
            f"sidecar {c.name} is listed after app container {first_app.name}: regular containers start in "
            f"list order, so {first_app.name} starts before {c.name}",
            "make it a native sidecar (it then starts before every app container"
            + (f": {MIGRATE_HINT}" if c.markers else "")
            + "), or list it first",
        )


def marker_value(subject: Subject, context: LintContext) -> Iterator[Issue]:
    """SL007: ``__IS_SIDECAR__`` with any value but the string "true"."""
    for c in subject.containers:
        index = subject.env_index(c, ENV_ACS)
        if index is None or c.acs_marker_true:
            continue
        yield Issue(
            "SL007",
            subject.at(c, "env", index),
            c.name,
            f'{c.name} sets {ENV_ACS} to something other than the string "true": ACS honours only "true", '
            f"so {c.name} is not treated as a sidecar",
            f'write value: "true" (quoted), or better, make it a native sidecar: {MIGRATE_HINT}',
        )


def conflicting_markers(subject: Subject, context: LintContext) -> Iterator[Issue]:
    """SL008: two kinds of marker on one container, or a legacy marker on an init container."""
    envs = {SidecarKind.ACS: ENV_ACS, SidecarKind.ECI: ENV_ECI, SidecarKind.KRUISE: ENV_KRUISE}
    for c in subject.containers:
        kinds = list(dict.fromkeys(c.markers))
        legacy = [k for k in kinds if k in envs]
        if c.section == SECTION_INIT and legacy:
            yield Issue(
                "SL008",
                subject.marker_path(c, envs[legacy[0]]),
                c.name,
                f"init container {c.name} carries {', '.join(envs[k] for k in legacy)}: legacy markers act "
                "on regular containers only"
                + (" and it is already a native sidecar" if SidecarKind.NATIVE in kinds else ""),
                "remove the marker",
            )
        elif len(kinds) > 1:
            yield Issue(
                "SL008",
                subject.marker_path(c, envs[legacy[-1]]),
                c.name,
                f"{c.name} carries several sidecar markers ({', '.join(k.value for k in kinds)}): platforms "
                "that honour different ones will stop and restart it differently",
                "keep one way of declaring the sidecar: a native sidecar on 1.29+",
            )


def native_without_probe(subject: Subject, context: LintContext) -> Iterator[Issue]:
    """SL009: a native sidecar the app needs (a proxy, or one that serves ports) without a probe."""
    if not subject.apps():
        return
    for c in subject.containers:
        if c.sidecar_kind != SidecarKind.NATIVE:
            continue
        raw = subject.raw(c)
        if "startupProbe" in raw or "readinessProbe" in raw:
            continue
        need = recognise.serves_the_app(c, raw)
        if need is None:
            continue
        yield Issue(
            "SL009",
            subject.at(c),
            c.name,
            f"native sidecar {c.name} ({need}) has neither a startupProbe nor a readinessProbe: the next "
            "container starts as soon as its process runs, before it can serve",
            "give it a startupProbe that passes once it serves: the kubelet starts the next container only then",
        )


def grace_shorter_than_drain(subject: Subject, context: LintContext) -> Iterator[Issue]:
    """SL010: terminationGracePeriodSeconds at most the drain a sidecar is configured to wait."""
    spec = subject.template.spec
    grace = as_int(spec.get("terminationGracePeriodSeconds"))
    shown = grace if grace is not None else DEFAULT_GRACE_SECONDS
    for c in subject.containers:
        if not is_sidecar(c):
            continue
        drain = recognise.drain_seconds(c, subject.raw(c), subject.template.metadata)
        if drain is None or drain[0] < shown:
            continue
        seconds, source = drain
        path: Path = ("terminationGracePeriodSeconds",) if grace is not None else subject.at(c)
        yield Issue(
            "SL010",
            path,
            c.name,
            f"{c.name} drains for {seconds:g}s ({source}), but the pod's grace period is {shown}s"
            + ("" if grace is not None else " (the default)")
            + f": the kubelet kills {c.name} before its drain ends",
            f"set terminationGracePeriodSeconds above {seconds:g} (the drain plus the time the app needs to stop)",
            key=grace is not None,
        )


RULES: tuple[Callable[[Subject, LintContext], Iterator[Issue]], ...] = (
    legacy_marker,
    native_too_old,
    restart_policy_misplaced,
    never_completes,
    sigterm_ignored,
    sidecar_after_app,
    marker_value,
    conflicting_markers,
    native_without_probe,
    grace_shorter_than_drain,
)


def lint_template(template: PodTemplate, context: LintContext) -> list[Issue]:
    """Every issue of one pod template, rule by rule."""
    subject = make_subject(template, context)
    return [issue for rule in RULES for issue in rule(subject, context)]
