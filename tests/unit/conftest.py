"""The unit tier is pure: a test here that opens a socket or starts a process fails.

Purity is enforced, not hoped for: every test of tests/unit runs with ``socket.socket``, ``socketpair``,
``subprocess.Popen``, ``os.system``, ``os.fork`` and ``os.posix_spawn*`` replaced by guards. A guard raises
``ImpureTestError``, and because code under test may catch broad exceptions (an ``OSError`` turned into a
"connection refused" message, say), every attempt is also recorded and the test fails at teardown even when
the exception was swallowed. A test that needs the network or a process belongs in tests/integration.
"""

from __future__ import annotations

import os
import socket
import subprocess

import pytest


class ImpureTestError(RuntimeError):
    """Raised on a socket or a process in the unit tier (recorded too, in case the code swallows it)."""


def _guard(attempts: list[str], what: str):
    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(what)
        raise ImpureTestError(f"{what} in the unit tier: move this test to tests/integration")

    return refuse


@pytest.fixture(autouse=True)
def _no_sockets_no_processes(monkeypatch: pytest.MonkeyPatch):
    attempts: list[str] = []
    monkeypatch.setattr(socket.socket, "__init__", _guard(attempts, "a socket"))
    monkeypatch.setattr(socket, "socketpair", _guard(attempts, "a socket pair"))
    monkeypatch.setattr(socket, "create_connection", _guard(attempts, "a connection"))
    monkeypatch.setattr(subprocess.Popen, "__init__", _guard(attempts, "a subprocess"))
    for name in ("system", "popen", "fork", "forkpty", "posix_spawn", "posix_spawnp", "execv", "execve"):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, _guard(attempts, f"os.{name}"))
    yield attempts
    if attempts:
        pytest.fail(f"impure unit test: {', '.join(sorted(set(attempts)))} (move it to tests/integration)")
