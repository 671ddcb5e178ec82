"""What the user named on the command line: ``NAME``, ``pod/NAME``, ``job/NAME`` (kubectl's TYPE/NAME)."""

from __future__ import annotations

from kubectl_sidecar.errors import UsageError


def split_target(target: str | None, default_kind: str) -> tuple[str, str | None]:
    """``NAME``, ``pod/NAME``, ``pods/NAME``, ``job.batch/NAME`` -> (kind, name)."""
    if target is None:
        return default_kind, None
    if "/" in target:
        kind, _, name = target.partition("/")
        kind = kind.lower().split(".")[0]
        kind = {"po": "pod", "pods": "pod", "jobs": "job"}.get(kind, kind)
        if kind not in ("pod", "job") or not name:
            raise UsageError(f'cannot read "{target}": name a pod (pod/NAME) or a Job (job/NAME)')
        return kind, name
    return default_kind, target


def timeline_pod_name(target: str | None) -> str | None:
    """The pod ``timeline`` shows: ``NAME`` or ``pod/NAME`` (``None`` when left out)."""
    kind, name = split_target(target, "pod")
    if kind != "pod":
        raise UsageError("timeline shows one pod: name it as NAME or pod/NAME (use `check` for a Job)")
    return name
