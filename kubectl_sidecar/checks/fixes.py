"""Every fix snippet of YAML the checks print, in one place. Only names and images are printed: the rest
of each container is to be kept as it is, and env values are never shown."""

from __future__ import annotations

from kubectl_sidecar.model import SECTION_INIT, SECTION_REGULAR, Container
from kubectl_sidecar.timeline import Timeline

MESH_NATIVE_FIX = (
    "Have the mesh inject it as a native sidecar (Istio 1.20+: pod annotation "
    'sidecar.istio.io/nativeSidecar: "true", or ENABLE_NATIVE_SIDECARS=true on istiod; Linkerd '
    '2.15+: config.beta.linkerd.io/proxy-enable-native-sidecar: "true"). It then starts before the '
    "app containers and is stopped after them."
)


def pod_spec_path(timeline: Timeline) -> str:
    """Where the fix goes: the Job's pod template, or the pod's spec."""
    if timeline.pod.job:
        return f"Job {timeline.pod.job}: spec.template.spec"
    return f"pod {timeline.pod.name}: spec"


def native_sidecar_yaml(
    timeline: Timeline, names: list[str], *, drop_env: str | None = None, probe: bool = False
) -> str:
    """The native form of ``names``: moved to initContainers with ``restartPolicy: Always``."""
    by_name = {ct.name: ct.container for ct in timeline.containers}
    lines = [f"# {pod_spec_path(timeline)}", "initContainers:"]
    for ct in timeline.containers:
        if ct.container.section == SECTION_INIT and ct.name not in names:
            lines.append(f"- name: {ct.name}                # unchanged")
    for name in names:
        container = by_name[name]
        lines.append(f"- name: {name}")
        if container.image:
            lines.append(f"  image: {container.image}")
        lines.append(
            "  restartPolicy: Always        # native sidecar: started before the app containers, "
            "stopped after them"
        )
        if probe:
            lines += [
                "  startupProbe:                # the next container starts only once this passes",
                "    tcpSocket: {port: 15000}   # use what says the sidecar is ready (port, path, file)",
                "    periodSeconds: 1",
                "    failureThreshold: 30",
            ]
        lines.append("  # keep the rest of the container (command, env, volumeMounts, resources) as it is")
        if drop_env:
            lines.append(f"  # and drop the {drop_env} env entry")
    lines.append("containers:")
    for ct in timeline.containers:
        if ct.container.section == SECTION_REGULAR and ct.name not in names:
            lines.append(f"- name: {ct.name}                # unchanged")
    return "\n".join(lines) + "\n"


def mesh_native_yaml(timeline: Timeline, containers: list[Container]) -> str:
    """The annotation that makes the mesh inject its proxy as a native sidecar."""
    where = (
        f"Job {timeline.pod.job}: spec.template.metadata"
        if timeline.pod.job
        else f"pod {timeline.pod.name}: metadata (set it where the pod is created)"
    )
    lines = [f"# {where}", "annotations:"]
    names = {c.name for c in containers}
    if "linkerd-proxy" in names:
        lines.append('  config.beta.linkerd.io/proxy-enable-native-sidecar: "true"')
    if names - {"linkerd-proxy"}:
        lines.append('  sidecar.istio.io/nativeSidecar: "true"')
    return "\n".join(lines) + "\n"


def injector_native_yaml(timeline: Timeline, containers: list[Container]) -> str:
    """The pod annotations (from the sidecar catalogue) that make each injector add its sidecar natively."""
    where = (
        f"Job {timeline.pod.job}: spec.template.metadata"
        if timeline.pod.job
        else f"pod {timeline.pod.name}: metadata (set it where the pod is created)"
    )
    lines = [f"# {where}", "annotations:"]
    seen: set[str] = set()
    for container in containers:
        for key, value in container.known.native_annotations if container.known else ():
            if key not in seen:
                seen.add(key)
                lines.append(f'  {key}: "{value}"')
    return "\n".join(lines) + "\n"


def restart_policy_yaml(timeline: Timeline, name: str) -> str:
    """``restartPolicy: Always`` added to an init container: the one line that makes it a native sidecar."""
    return (
        f"# {pod_spec_path(timeline)}\ninitContainers:\n- name: {name}\n"
        "  restartPolicy: Always        # makes it a native sidecar\n"
        "  # keep the rest of the container as it is\n"
    )


def quote_yaml_list(items: list[str]) -> str:
    """A flow-style YAML list of strings, quoted so shell text survives."""

    def one(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return "[" + ", ".join(one(i) for i in items) + "]"


def trap_sigterm_yaml(timeline: Timeline, name: str, script: str | None) -> str:
    """A command that makes a shell sidecar exit on SIGTERM (the script kept when it is short)."""
    body = script if script is not None and len(script) <= 160 and "\n" not in script else "<the command>"
    trapped = f"trap 'exit 0' TERM; ({body}) & wait"
    return (
        f"# {pod_spec_path(timeline)}, container {name}\n"
        f"command: {quote_yaml_list(['sh', '-c', trapped])}\n"
        "# the shell handles SIGTERM and exits at once; `& wait` keeps it able to\n"
        '# run the trap while the command runs. Or: command: ["tini", "--", ...]\n'
    )
