"""What lint recognises in a container spec: sidecars by name or image, proxies the app needs, ways a
Job's app stops its mesh proxy, and the drain a sidecar is configured to wait.

Sidecars are recognised by the markers (``model``), ``--sidecar`` and the names and images ``check``
already knows (``checks.queries.looks_like_sidecar``): the one list, until a catalogue replaces it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from kubectl_sidecar.checks.queries import looks_like_sidecar
from kubectl_sidecar.lint.templates import PodTemplate
from kubectl_sidecar.model import Container, Role, SidecarKind
from kubectl_sidecar.options import parse_request_timeout
from kubectl_sidecar.raw import as_dict, as_list, as_str

# Sidecars an app talks to: until one serves, the app's first requests fail.
PROXY_WORDS = (
    "proxy",
    "envoy",
    "vault-agent",
    "consul-dataplane",
    "dapr",
    "cloudflared",
    "tailscale",
)
# How an app stops its mesh proxy at the end of a Job (Istio's pilot-agent, Linkerd's admin server).
PROXY_STOPPERS = ("quitquitquit", "linkerd-await", "/shutdown")
_GO_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+\s*$")
# Flags of sidecars that wait before they exit on SIGTERM: (flag, unit) where unit None means a duration.
_DRAIN_FLAGS: tuple[tuple[str, str | None], ...] = (
    ("--drain-time-s", "s"),  # envoy
    ("--max-sigterm-delay", None),  # cloud-sql-proxy v2
    ("-term_timeout", None),  # cloud-sql-proxy v1
    ("--term-timeout", None),
    ("--shutdown-delay-duration", None),
)
_DRAIN_ENVS = {"TERMINATION_DRAIN_DURATION_SECONDS": "s", "MINIMUM_DRAIN_DURATION": None}


def known_sidecar(container: Container) -> str | None:
    """The word of a regular container's name or image that says sidecar (``fluent-bit``, ``envoy``)."""
    if container.role != Role.APP:
        return None
    return looks_like_sidecar(container)


def why_sidecar(container: Container) -> str:
    """How we know it is a sidecar, in a few words."""
    if container.sidecar_kind == SidecarKind.DECLARED:
        return "named with --sidecar"
    if container.sidecar_kind == SidecarKind.MESH:
        return "a mesh proxy"
    if container.markers:
        return f"marked {container.markers[0].value}"
    word = known_sidecar(container)
    return f"its {'name' if word and word in container.name.lower() else 'image'} says {word}"


def controller_stops_sidecars(template: PodTemplate, containers: Iterable[Mapping]) -> str | None:
    """The workflow engine that kills a pod's sidecars itself once the main container is done (Argo
    Workflows: its ``wait`` container runs argoexec)."""
    if template.owner is not None and template.owner[0] == "Workflow":
        return "Argo Workflows"
    if any("argoexec" in str(c.get("image", "")) for c in containers):
        return "Argo Workflows"
    return None


def stops_sidecars(
    template: PodTemplate, apps: Iterable[Container], raw: Callable[[Container], Mapping]
) -> bool:
    """Whether an app container's command tells its mesh proxy to quit (``/quitquitquit``)."""
    for app in apps:
        spec = raw(app)
        words = " ".join(str(w) for w in [*as_list(spec.get("command")), *as_list(spec.get("args"))])
        if any(stopper in words for stopper in PROXY_STOPPERS):
            return True
    return False


# A file test in a script: [ -f /tmp/pod/done ], test -e "/tmp/pod/done".
_FILE_TEST = re.compile(r"-[fe]\s+[\"']?(/[\w.-]+(?:/[\w.-]+)+)")


def stopped_by_file(sidecar: Mapping, apps: Iterable[Mapping]) -> bool:
    """The pre-1.29 workaround: the sidecar's script waits for a file that an app container writes
    (``while [ ! -f /tmp/pod/done ]; do sleep 1; done``, and ``touch /tmp/pod/done`` in the app)."""
    script = " ".join(str(w) for w in [*as_list(sidecar.get("command")), *as_list(sidecar.get("args"))])
    paths = set(_FILE_TEST.findall(script))
    if not paths:
        return False
    for app in apps:
        words = " ".join(str(w) for w in [*as_list(app.get("command")), *as_list(app.get("args"))])
        if any(path in words for path in paths):
            return True
    return False


def serves_the_app(container: Container, raw: Mapping) -> str | None:
    """Why the app needs this sidecar up before it starts: it is a proxy, or it serves ports."""
    name = container.name.lower()
    image = (container.image or "").lower().rsplit("/", 1)[-1]
    for word in PROXY_WORDS:
        if word in name or word in image:
            return f"a {word}" if word != "proxy" else "a proxy"
    ports = [as_dict(p).get("containerPort") for p in as_list(raw.get("ports"))]
    ports = [p for p in ports if p is not None]
    if ports:
        return "it serves port " + ", ".join(str(p) for p in ports)
    return None


def _seconds(text: object, unit: str | None) -> float | None:
    if isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        return float(text)
    if not isinstance(text, str):
        return None
    value = text.strip().strip('"')
    if unit is not None or re.fullmatch(r"\d+(\.\d+)?", value):
        try:
            return float(value)
        except ValueError:
            return None
    if not _GO_DURATION.match(value):
        return None
    try:
        return parse_request_timeout(value) or 0.0
    except Exception:  # noqa: BLE001 - an unreadable duration is no drain setting
        return None


def _prestop_sleep(raw: Mapping) -> float | None:
    pre_stop = as_dict(as_dict(raw.get("lifecycle")).get("preStop"))
    seconds = as_dict(pre_stop.get("sleep")).get("seconds")  # the sleep action (1.30+)
    if isinstance(seconds, int) and not isinstance(seconds, bool):
        return float(seconds)
    command = " ".join(str(w) for w in as_list(as_dict(pre_stop.get("exec")).get("command")))
    match = re.search(r"\bsleep\s+(\d+)\b", command)
    return float(match.group(1)) if match else None


def drain_seconds(container: Container, raw: Mapping, pod_metadata: Mapping) -> tuple[float, str] | None:
    """The longest wait the sidecar is configured to take before it exits, and where it is set."""
    found: list[tuple[float, str]] = []
    sleep = _prestop_sleep(raw)
    if sleep is not None:
        found.append((sleep, f"preStop sleeps {sleep:g}s"))
    words = [str(w) for w in [*as_list(raw.get("command")), *as_list(raw.get("args"))]]
    for index, word in enumerate(words):
        for flag, unit in _DRAIN_FLAGS:
            value: str | None = None
            if word.startswith(flag + "="):
                value = word[len(flag) + 1 :]
            elif word == flag and index + 1 < len(words):
                value = words[index + 1]
            seconds = _seconds(value, unit) if value is not None else None
            if seconds is not None:
                found.append((seconds, f"{flag} {value}"))
    for entry in as_list(raw.get("env")):
        entry = as_dict(entry)
        name = as_str(entry.get("name"))
        if name in _DRAIN_ENVS:
            seconds = _seconds(entry.get("value"), _DRAIN_ENVS[name])
            if seconds is not None:
                found.append((seconds, f"env {name}={entry.get('value')}"))
    annotations = as_dict(pod_metadata.get("annotations"))
    if container.name == "istio-proxy":
        config = as_str(annotations.get("proxy.istio.io/config")) or ""
        match = re.search(r"terminationDrainDuration:\s*[\"']?([0-9.a-zµ]+)", config)
        seconds = _seconds(match.group(1), None) if match else None
        if seconds is not None:
            found.append((seconds, f"proxy.istio.io/config terminationDrainDuration {match.group(1)}"))  # type: ignore[union-attr]
    if container.name == "linkerd-proxy":
        wait = annotations.get("config.alpha.linkerd.io/proxy-wait-before-exit-seconds")
        seconds = _seconds(wait, "s")
        if seconds is not None:
            found.append((seconds, f"proxy-wait-before-exit-seconds {wait}"))
    return max(found) if found else None
