"""Loading modules while the network is busy: a live command spends much of its time waiting for the API
server, and what it imports afterwards (the model, the checks, the renderers) can be imported meanwhile."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

# What building and drawing a timeline imports; a live read loads them meanwhile (preload)
TIMELINE_MODULES = (
    "kubectl_sidecar.model",
    "kubectl_sidecar.snapshot",
    "kubectl_sidecar.checks",
    "kubectl_sidecar.timeline",
    "kubectl_sidecar.render.table",
    "kubectl_sidecar.render.gantt",
    "kubectl_sidecar.render.findings",
)


def preload(modules: Sequence[str], then: Callable[[], Any] | None = None) -> None:
    """Import ``modules`` in a daemon thread: a live command waits on the network for much of its time,
    and importing what it needs afterwards (about 10 ms) can be done meanwhile. Safe because the package's
    imports form no cycle (tests/unit/test_layering.py): a module the main thread wants while this thread
    imports it is waited for, never half-seen; an import that fails here fails again, with its error,
    where it is used."""
    import importlib
    import threading

    def work() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except BaseException:  # noqa: BLE001 - raised again by the main thread's own import
                return
        if then is not None:
            try:
                then()
            except BaseException:  # noqa: BLE001 - done again, and raised, where it is needed
                return

    threading.Thread(target=work, name="kubectl-sidecar-preload", daemon=True).start()
