"""Shell completion: one engine, two ways in.

- kubectl 1.26+ completes ``kubectl sidecar <TAB>`` by running ``kubectl_complete-sidecar ARGS...`` from
  PATH, with the words typed after ``sidecar`` and the word being completed last (``""`` for a new
  word). It reads one candidate per line (``value`` or ``value<TAB>description``) and an optional last
  line ``:<directive>``, cobra's ShellCompDirective bits (1 error, 2 no space, 4 no file completion,
  8 file extension filter, 16 directories only, 32 keep order; 0 lets the shell complete file names).
  Cobra programs are called as ``PROG __complete ARGS...``: that form is accepted too, so the same
  executable can be tested, or called by other tools, either way. See
  kubernetes staging/src/k8s.io/kubectl/pkg/cmd/plugin/plugin_completion.go.
- ``kubectl sidecar completion bash|zsh|fish`` prints click's script for the ``kubectl-sidecar``
  command itself; click then calls ``kubectl-sidecar`` with ``_KUBECTL_SIDECAR_COMPLETE`` set, and the
  shell classes of ``shells`` answer with the same engine.

The ``kubectl_complete-sidecar`` executable is any of: the console script pip installs (``cli.complete``), a
link to ``kubectl-sidecar`` under that name (the krew zipapp), or the script at the top of the
repository, which runs ``kubectl-sidecar __complete ARGS...``. ``hook`` in ``cli.main`` sends those
runs here before click parses anything. This package imports nothing from ``cli``: the root click
command is passed in (``hook(argv, root=cli)``, ``main(args, root=cli)``).

Modules: ``engine`` (words -> candidates), ``sources`` (kubeconfig and cluster names), ``shells``
(click's bash/zsh/fish classes); this module holds kubectl's (cobra's) protocol.

Completion must be quick and quiet: it never writes to stderr (the process's stderr is pointed at
``/dev/null``), never fails (no candidates and a directive instead), imports ``kubernetes`` only to
list pod or Job names, and gives the cluster ``COMPLETION_TIMEOUT`` seconds at most.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kubectl_sidecar.shellcomp.engine import Result

# The engine and its sources load only when a completion is asked for: ``cli.main`` calls ``hook`` on
# every run, and a normal run should not pay for them.
_LAZY = {
    "DIRECTIVE_DEFAULT": "engine",
    "DIRECTIVE_ERROR": "engine",
    "DIRECTIVE_NO_FILE": "engine",
    "DIRECTIVE_NO_SPACE": "engine",
    "SHELLS": "engine",
    "Result": "engine",
    "complete": "engine",
    "COMPLETION_TIMEOUT": "sources",
    "DEBUG_VAR": "sources",
    "GRACE": "sources",
    "kube_options": "sources",
    "kubeconfig_names": "sources",
    "list_names": "sources",
}


def __getattr__(name: str) -> Any:
    """The engine's and the sources' names (and the submodules themselves), imported on first use."""
    if name in ("engine", "sources", "shells"):
        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "COMPLETION_TIMEOUT",
    "DIRECTIVE_DEFAULT",
    "DIRECTIVE_ERROR",
    "DIRECTIVE_NO_FILE",
    "DIRECTIVE_NO_SPACE",
    "GRACE",
    "Result",
    "complete",
    "format_cobra",
    "hook",
    "kube_options",
    "kubeconfig_names",
    "list_names",
    "main",
    "run_cobra",
    "script",
    "wanted",
]

PROG = "kubectl-sidecar"
COMPLETE_VAR = "_KUBECTL_SIDECAR_COMPLETE"
COMPLETE_EXECUTABLE = "kubectl_complete-sidecar"
REQUEST_COMMANDS = ("__complete", "__completeNoDesc")


def format_cobra(result: Result, descriptions: bool = True) -> str:
    """Cobra's ``__complete`` output: a candidate per line, then ``:<directive>``."""
    lines = []
    for value, help_ in result.items:
        value = _one_line(value)
        help_ = _one_line(help_)
        lines.append(f"{value}\t{help_}" if help_ and descriptions else value)
    lines.append(f":{result.directive}")
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    from kubectl_sidecar.textsafe import terminal_safe

    return terminal_safe(" ".join(str(text).replace("\t", " ").split("\n")[0].split()))


def run_cobra(args: list[str], root: Any) -> str:
    """The whole ``kubectl_complete-sidecar ARGS...`` answer for the command tree ``root``; never raises."""
    descriptions = True
    while args and args[0] in REQUEST_COMMANDS:  # the script at the top of the repo adds one
        descriptions = descriptions and args[0] == "__complete"
        args = args[1:]
    from kubectl_sidecar.shellcomp.engine import Result, complete
    from kubectl_sidecar.shellcomp.sources import DEBUG_VAR

    try:
        result = complete(args, root)
    except Exception:
        if os.environ.get(DEBUG_VAR):
            raise
        result = Result()
    return format_cobra(result, descriptions)


def main(argv: list[str] | None = None, *, root: Any) -> None:
    """Answer one ``kubectl_complete-sidecar ARGS...`` request (also reached through ``hook``); does not return."""
    args = list(sys.argv[1:] if argv is None else argv)
    _quiet()
    out = run_cobra(args, root)  # raises only with KUBECTL_SIDECAR_DEBUG set
    try:
        sys.stdout.write(out)
        sys.stdout.flush()
    except Exception:  # noqa: BLE001 - a closed pipe
        pass
    os._exit(0)  # no waiting for a request thread still blocked on the network


def _quiet() -> None:
    """Point this process's stderr (and its children's) at /dev/null, unless debugging."""
    from kubectl_sidecar.shellcomp.sources import DEBUG_VAR

    if os.environ.get(DEBUG_VAR):
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except (OSError, ValueError):
        pass
    try:
        import warnings

        warnings.simplefilter("ignore")
    except Exception:  # noqa: BLE001
        pass


def wanted(argv: list[str]) -> bool:
    """Is this run a completion request in kubectl's (cobra's) protocol?"""
    base = (argv[0] if argv else "").replace("\\", "/").rsplit("/", 1)[-1].lower()  # also a Windows path
    for suffix in (".exe", ".pyz", ".py"):
        base = base.removesuffix(suffix)
    return base.startswith("kubectl_complete-") or (len(argv) > 1 and argv[1] in REQUEST_COMMANDS)


def hook(argv: list[str] | None = None, *, root: Any) -> None:
    """Called first by ``cli.main``: answer kubectl's completion requests, set up click's shells.

    Returns only when click should go on (a normal run, or click's own completion protocol).
    """
    argv = list(sys.argv if argv is None else argv)
    if wanted(argv):
        main(argv[1:], root=root)
    if os.environ.get(COMPLETE_VAR):
        import click.shell_completion as sc

        from kubectl_sidecar.shellcomp.engine import SHELLS
        from kubectl_sidecar.shellcomp.shells import click_class

        _quiet()
        for shell in SHELLS:
            sc.add_completion_class(click_class(shell), shell)


def script(shell: str, root: Any) -> str:
    """The completion script for ``kubectl-sidecar`` in ``shell`` (bash, zsh or fish)."""
    from kubectl_sidecar.shellcomp.shells import click_class

    cls = click_class(shell)
    return str(cls(root, {}, PROG, COMPLETE_VAR).source())
