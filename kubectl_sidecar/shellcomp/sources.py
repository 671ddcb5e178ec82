"""Where completion finds names: the kubeconfig (contexts, clusters, users) and the cluster (pods, Jobs).

Never fails and never waits long: a broken kubeconfig lists nothing, and the cluster gets
``COMPLETION_TIMEOUT`` seconds at most (plus ``GRACE``), from a daemon thread.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from kubectl_sidecar.options import KubeOptions
from kubectl_sidecar.textsafe import is_terminal_safe

DEBUG_VAR = "KUBECTL_SIDECAR_DEBUG"  # set: completion keeps stderr (tracebacks of the engine)
COMPLETION_TIMEOUT = 5.0  # seconds for the cluster to answer; a shorter --request-timeout wins
GRACE = 1.0  # on top of the timeout: loading the kubeconfig, credential plugins, retries

# The connection options that matter for listing names, by click parameter name.
_KUBE_PARAMS = (
    "kubeconfig",
    "context",
    "cluster",
    "user",
    "namespace",
    "as_user",
    "server",
    "token",
    "certificate_authority",
)


def last(values: dict, name: str) -> Any:
    """The last value typed for option ``name`` (``None`` if none)."""
    got = values.get(name)
    return got[-1] if got else None


def kubeconfig_names(section: str, kubeconfig: str | None = None) -> list:
    """Names in one section (contexts, clusters, users) of the kubeconfig kubectl would read.

    The files are the ones ``kube`` connects with (``--kubeconfig`` if typed, else ``KUBECONFIG``, else
    ``~/.kube/config``); never contacts a server; unreadable files list nothing.
    """
    try:
        from kubectl_sidecar.kube.config import kubeconfig_names as names_in_kubeconfigs

        return safe_names(names_in_kubeconfigs(section, kubeconfig))
    except Exception:  # noqa: BLE001 - completion never fails
        return []


def kube_options(values: dict, timeout: float = COMPLETION_TIMEOUT) -> KubeOptions:
    """The connection flags typed so far, as KubeOptions, with a request timeout of at most ``timeout``."""
    from kubectl_sidecar.options import parse_request_timeout

    given = {name: last(values, name) for name in _KUBE_PARAMS}
    try:
        typed = parse_request_timeout(last(values, "request_timeout"))
    except Exception:  # noqa: BLE001 - a half-typed duration
        typed = None
    return KubeOptions(
        **given,
        as_groups=tuple(values.get("as_groups") or ()),
        insecure_skip_tls_verify=bool(last(values, "insecure_skip_tls_verify")),
        request_timeout=min(typed, timeout) if typed else timeout,
    )


def list_names(values: dict, kind: str, timeout: float = COMPLETION_TIMEOUT) -> list:
    """Pod or Job names of the namespace the typed flags select (``kind="namespace"``: the namespaces);
    ``[]`` on any failure or after the timeout.

    The request runs in a daemon thread, so a server that does not answer, retries or a slow credential
    plugin cannot hold the shell longer than ``timeout`` plus a second.
    """
    try:
        opts = kube_options(values, timeout)
    except Exception:  # noqa: BLE001
        return []
    found: list = []

    def work() -> None:
        try:
            from kubectl_sidecar import kube

            found.extend(kube.list_names(opts, kind))
        except BaseException:  # noqa: BLE001 - completion never fails
            if os.environ.get(DEBUG_VAR):
                import traceback

                traceback.print_exc()

    thread = threading.Thread(target=work, name="kubectl-sidecar-complete", daemon=True)
    thread.start()
    thread.join((opts.request_timeout or timeout) + GRACE)
    return safe_names(found) if not thread.is_alive() else []


def safe_names(names: list) -> list:
    """The names a shell may insert into a command line: none with control or bidi characters, which
    no Kubernetes name holds, and which a hostile server or kubeconfig could use on the terminal."""
    return [name for name in names if isinstance(name, str) and name and is_terminal_safe(name)]
