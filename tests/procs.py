"""Child processes that tests send Ctrl-C (SIGINT) to.

A shell that runs the suite as a background job (``make test &``, CI runners, ``nohup``) starts it with
SIGINT ignored, and an ignored signal stays ignored across ``fork`` and ``exec``: the plugin would never
see the Ctrl-C the test sends, and the test would measure the caller, not the plugin. Such children
start through a tiny exec wrapper that puts SIGINT back to its default first (Python then installs its
own handler, as it does in a terminal). A wrapper rather than ``preexec_fn``, which is not safe in a
process that runs threads (the API stand-in does).
"""

from __future__ import annotations

import signal
import sys

_RESET_SIGINT = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])"


def with_default_sigint(command: list) -> list:
    """``command`` started with SIGINT at its default disposition, whatever the test runner inherited.

    The wrapper replaces itself with ``command`` (same pid: ``send_signal`` and ``killpg`` reach it).
    """
    if not hasattr(signal, "SIGINT") or sys.platform == "win32":  # no dispositions to inherit
        return [str(part) for part in command]
    return [sys.executable, "-c", _RESET_SIGINT, *(str(part) for part in command)]
