"""Native sidecars the cluster cannot run (SC006): ``restartPolicy: Always`` on init containers before
1.29 (1.28 only with the alpha feature gate), and init containers that never exit, the sign that the
API server dropped the field."""

from __future__ import annotations

from kubectl_sidecar.checks import catalogue, fixes, platform, prose, queries
from kubectl_sidecar.checks.context import CheckContext
from kubectl_sidecar.checks.platform import VersionView
from kubectl_sidecar.findings import Finding
from kubectl_sidecar.model import LEGACY_KINDS, SECTION_INIT, Condition, ContainerState, Role, SidecarKind
from kubectl_sidecar.timeline import ContainerTimeline, Timeline

_FORBIDDEN = "InitContainerRestartPolicyForbidden"


def _ran_alongside_apps(timeline: Timeline, sidecar: ContainerTimeline) -> bool:
    """An app container started while the sidecar ran: the kubelet treated it as a native sidecar."""
    for app in queries.apps(timeline):
        started = queries.first_start(app)
        if started is None:
            continue
        for run in sidecar.known_runs():
            if (
                run.started_at is not None
                and not prose.earlier(started, run.started_at)
                and (run.finished_at is None or not prose.earlier(run.finished_at, started))
            ):
                return True
    return False


def check_native_sidecar_cannot_work(timeline: Timeline, context: CheckContext) -> list[Finding]:
    """SC006: a native sidecar this cluster cannot run, or an init container that blocks the pod's start."""
    view = platform.version_view(timeline, context)
    findings = []
    for ct in timeline.containers:
        container = ct.container
        if container.section != SECTION_INIT:
            continue
        if SidecarKind.NATIVE in container.markers:
            finding = _native_marker(timeline, ct, view)
        elif container.role == Role.INIT or (
            container.role == Role.SIDECAR and container.sidecar_kind == SidecarKind.DECLARED
        ):
            finding = _blocking_init(timeline, ct, view, context)
        else:
            finding = None
        if finding is not None:
            findings.append(finding)
    return findings


def _native_marker(timeline: Timeline, ct: ContainerTimeline, view: VersionView) -> Finding | None:
    name = ct.name
    node = timeline.pod.node or "its node"
    if timeline.facts.status_reason == _FORBIDDEN:
        message = (
            f"the kubelet on {node} rejected the pod ({_FORBIDDEN}): its SidecarContainers feature gate is "
            f"off, so native sidecar {name} cannot run there"
        )
        evidence = [
            f"pod status.reason {_FORBIDDEN}",
            f"{name}: restartPolicy: Always in spec.initContainers",
        ]
        if timeline.facts.status_message:
            evidence.append(f'pod status.message "{timeline.facts.status_message}"')
        fix = (
            "Run the pod on nodes whose kubelet has native sidecars (1.29+, or 1.28 with the "
            "SidecarContainers feature gate on), or declare the sidecar the old way until they do."
        )
        return catalogue.make_finding("SC006", timeline, name, message, evidence=evidence, fix=fix)
    if view.native is True:
        return None
    if view.native is None and _ran_alongside_apps(timeline, ct):
        return None  # 1.28 with the gate on: it works (without ordered termination, which came in 1.29)
    if view.native is False:
        message = (
            f"{name} is declared a native sidecar (restartPolicy: Always on an init container), but "
            f"Kubernetes {view.label} has no native sidecars: they start in 1.28 (alpha, behind a "
            "feature gate) and are on by default from 1.29"
        )
    else:
        message = (
            f"{name} is declared a native sidecar (restartPolicy: Always on an init container), but on "
            f"Kubernetes {view.label} that works only with the SidecarContainers feature gate (alpha, "
            "off by default) on the API server and every kubelet, and nothing shows it ran alongside "
            "the app containers"
        )
    evidence = [f"{name}: restartPolicy: Always in spec.initContainers", f"cluster version {view.describe()}"]
    evidence += _init_evidence(timeline, ct)
    fix = (
        "Upgrade to 1.29 or later (native sidecars on by default), or enable the SidecarContainers feature "
        "gate on the API server and every kubelet (1.28), or declare the sidecar the old way: a regular "
        "container that the app tells to stop when it is done. With the gate off the API server drops "
        "restartPolicy from init containers, and the sidecar becomes an init container that never exits."
    )
    return catalogue.make_finding("SC006", timeline, name, message, evidence=evidence, fix=fix)


def _init_evidence(timeline: Timeline, ct: ContainerTimeline) -> list[str]:
    lines = []
    if ct.state == ContainerState.RUNNING:
        run = ct.known_runs()[-1] if ct.known_runs() else None
        if run is not None and run.started_at is not None:
            lines.append(f"{ct.name} is running since {prose.at(timeline, run.started_at)}")
    initialized = _initialized(timeline)
    if initialized is not None and initialized.status != "True":
        lines.append(
            f"pod condition Initialized={initialized.status}"
            + (f" ({initialized.reason})" if initialized.reason else "")
        )
    waiting = [a.name for a in queries.apps(timeline) if not a.known_runs()]
    if waiting:
        lines.append(f"{', '.join(waiting)} {'has' if len(waiting) == 1 else 'have'} not started")
    return lines


def _initialized(timeline: Timeline) -> Condition | None:
    return queries.pod_condition(timeline, "Initialized")


def _blocking_init(
    timeline: Timeline, ct: ContainerTimeline, view: VersionView, context: CheckContext
) -> Finding | None:
    """An init container that runs on and on: a sidecar whose restartPolicy is missing or was dropped."""
    if ct.state != ContainerState.RUNNING:
        return None
    initialized = _initialized(timeline)
    if initialized is not None and initialized.status == "True":
        return None
    if any(app.known_runs() for app in queries.apps(timeline)):
        return None
    run = ct.known_runs()[-1] if ct.known_runs() else None
    started = run.started_at if run is not None else None
    reference = queries.reference_time(timeline, context)
    waited = (reference - started) if reference is not None and started is not None else None
    word = queries.looks_like_sidecar(ct.container)
    legacy = [m for m in ct.container.markers if m in LEGACY_KINDS]
    declared = ct.container.sidecar_kind == SidecarKind.DECLARED
    if word:
        why = f'its name or image says "{word}"'
    elif legacy:
        why = "it carries a legacy sidecar marker"
    elif declared:
        why = "it is declared a sidecar (--sidecar)"
    elif waited is not None and waited >= queries.BLOCK_AFTER:
        why = f"it has run for {prose.span(waited.total_seconds())}"
    else:
        return None
    if view.native is True:
        cause = (
            "it has no restartPolicy: Always, so it is an ordinary init container, and the app containers "
            "wait for it to exit, which a sidecar never does"
        )
    elif view.native is None:
        cause = (
            "on Kubernetes 1.28 the API server drops restartPolicy from init containers unless the "
            "SidecarContainers feature gate is on: if it was declared a native sidecar, the field is gone "
            "and it became an init container that never exits"
        )
    else:
        cause = (
            f"Kubernetes {view.label} has no native sidecars: an init container must exit before the app "
            "containers start"
        )
    message = f"init container {ct.name} blocks the pod's start ({why}): {cause}"
    evidence = _init_evidence(timeline, ct)
    if waited is not None and context.now is None:
        evidence.append(f"the data ends at {prose.at(timeline, reference)}")
    if view.native is True:
        fix = (
            f"If {ct.name} is a sidecar, add restartPolicy: Always to it (a native sidecar: the app "
            "containers "
            "start once it has started). If it is a real init container, find out why it does not exit."
        )
        fix_yaml = fixes.restart_policy_yaml(timeline, ct.name)
    else:
        fix = (
            "Upgrade to 1.29+ (or enable the SidecarContainers gate on the 1.28 API server and kubelets), or "
            f"move {ct.name} to the regular containers and have the app tell it to stop when it is done."
        )
        fix_yaml = None
    return catalogue.make_finding(
        "SC006",
        timeline,
        ct.name,
        message,
        evidence=evidence,
        fix=fix,
        fix_yaml=fix_yaml,
        assumptions=[view.assumption],
    )
