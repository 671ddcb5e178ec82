"""warmup.preload: modules imported in a daemon thread while a live command waits on the network."""

from __future__ import annotations

import sys
import threading

from kubectl_sidecar import warmup


def test_preload_imports_in_a_thread_then_runs_the_follow_up(monkeypatch):
    monkeypatch.delitem(sys.modules, "colorsys", raising=False)
    done = threading.Event()
    seen: list = []

    def then():
        seen.append(("colorsys" in sys.modules, threading.current_thread().name))
        done.set()

    warmup.preload(["colorsys"], then=then)
    assert done.wait(10)
    assert seen == [(True, "kubectl-sidecar-preload")]


def test_a_module_that_fails_to_import_is_left_to_the_caller():
    done = threading.Event()
    warmup.preload(["kubectl_sidecar.no_such_module"], then=done.set)
    assert not done.wait(0.5)  # stopped at the failure; nothing raised here


def test_the_timeline_modules_exist():
    import importlib.util

    assert all(importlib.util.find_spec(name) is not None for name in warmup.TIMELINE_MODULES)
