"""The unit tier's guard (tests/unit/conftest.py) refuses sockets and processes, even when swallowed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "attempt",
    [
        pytest.param(lambda: socket.socket(), id="socket"),
        pytest.param(lambda: socket.create_connection(("127.0.0.1", 9)), id="create_connection"),
        pytest.param(lambda: socket.socketpair(), id="socketpair"),
        pytest.param(lambda: subprocess.run([sys.executable, "-c", "pass"]), id="subprocess.run"),
        pytest.param(lambda: os.system("true"), id="os.system"),
    ],
)
def test_sockets_and_processes_are_refused_and_recorded(attempt, _no_sockets_no_processes):
    with pytest.raises(RuntimeError) as refused:
        attempt()
    # by name: conftest modules are imported under a rootdir-relative name, not as tests.unit.conftest
    assert type(refused.value).__name__ == "ImpureTestError"
    assert _no_sockets_no_processes, "the attempt was not recorded"
    _no_sockets_no_processes.clear()
    try:
        attempt()
    except Exception:  # code under test that swallows errors does not hide the attempt
        pass
    assert _no_sockets_no_processes, "the attempt was not recorded"
    _no_sockets_no_processes.clear()  # recorded on purpose here: let teardown pass
