"""Run the real kubectl against a stand-in, isolated from the user's ~/.kube (config and cache)."""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from typing import Any, Optional

__all__ = ["KUBECTL", "kubectl_env", "run_kubectl"]

KUBECTL = shutil.which("kubectl")

_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def kubectl_env(kubeconfig: str, home: str, extra: Optional[dict[str, str]] = None) -> dict[str, str]:
    """The environment for a kubectl run: KUBECONFIG set, HOME (discovery cache) private, no proxies."""
    env = {k: v for k, v in os.environ.items() if k not in _PROXY_VARS and not k.startswith("KUBECTL_")}
    env["KUBECONFIG"] = kubeconfig
    env["HOME"] = home
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost,::1"
    env.update(extra or {})
    return env


def run_kubectl(
    target: Any,
    args: Sequence[str],
    home: Optional[str] = None,
    timeout: float = 60,
    env: Optional[dict[str, str]] = None,
    check: bool = False,
    input: Optional[str] = None,
) -> "subprocess.CompletedProcess[str]":  # noqa: A002
    """Run ``kubectl ARGS``. target: a FakeApiServer (a kubeconfig is written for it) or a kubeconfig
    path (or "a:b" list). home: the HOME (and so the discovery cache) to use; default: a fresh one."""
    if KUBECTL is None:
        raise RuntimeError("kubectl is not on PATH")
    own_home = home is None
    if own_home:
        home = tempfile.mkdtemp(prefix="fakeapi-kubectl-")
    assert home is not None
    try:
        if isinstance(target, (str, os.PathLike)):
            kubeconfig = os.fspath(target)
        else:
            kubeconfig = target.write_kubeconfig(os.path.join(home, "kubeconfig"))
        cmd = [KUBECTL] + [str(a) for a in args]  # type: list[str]
        return subprocess.run(
            cmd,
            env=kubectl_env(kubeconfig, home, env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
            input=input,
        )
    finally:
        if own_home:
            shutil.rmtree(home, ignore_errors=True)
