"""click's completion classes (bash, zsh, fish), answering with the engine of this package."""

from __future__ import annotations

import os
from typing import Any

from kubectl_sidecar.shellcomp.engine import DIRECTIVE_DEFAULT, complete
from kubectl_sidecar.shellcomp.sources import DEBUG_VAR

_CLASSES: dict = {}


def click_class(shell: str) -> Any:
    """click's completion class for ``shell``, answering with this package's engine."""
    if shell in _CLASSES:
        return _CLASSES[shell]
    import click.shell_completion as sc

    base = {"bash": sc.BashComplete, "zsh": sc.ZshComplete, "fish": sc.FishComplete}[shell]

    def get_completions(self: Any, args: list[str], incomplete: str) -> list:
        words = list(args)
        if shell == "bash":  # bash splits `--context=pro` into `--context`, `=`, `pro`
            if incomplete == "=" and words and words[-1].startswith("-"):
                incomplete = ""
            words = [w for i, w in enumerate(words) if not (w == "=" and i and words[i - 1].startswith("-"))]
        try:
            result = complete(words + [incomplete], root=self.cli)
        except Exception:
            if os.environ.get(DEBUG_VAR):
                raise
            return []
        prefix = "" if shell == "bash" else result.flag_prefix
        items = [sc.CompletionItem(prefix + value, help=help_ or None) for value, help_ in result.items]
        if not items and result.directive == DIRECTIVE_DEFAULT:
            value = incomplete[len(result.flag_prefix) :] if shell == "fish" else incomplete
            items = [sc.CompletionItem(value, type="file")]
        return items

    cls = type(f"Sidecar{base.__name__}", (base,), {"get_completions": get_completions, "name": shell})
    _CLASSES[shell] = cls
    return cls
