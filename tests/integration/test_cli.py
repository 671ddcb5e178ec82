"""CLI tests that run the plugin as a process (the in-process ones are tests/unit/test_cli_output.py)."""

from __future__ import annotations

import os
import subprocess
import sys

from click.testing import CliRunner

from kubectl_sidecar.cli import cli


def run(*args, env=None, input=None):
    base = {"COLUMNS": "100", "NO_COLOR": "", "TZ": "UTC"}
    base.update(env or {})
    return CliRunner().invoke(cli, list(args), env=base, input=input, catch_exceptions=False)


def test_absolute_time_in_utc_and_local_zone():
    utc = run("demo", "acs-forced-exit", "--utc", "--no-chart")
    assert "Tue, 29 Oct 2024 03:24:32 +0000" in utc.stdout
    # The local zone is read at process start, as a user's shell gives it: run a real process.
    local = subprocess.run(
        [sys.executable, "-m", "kubectl_sidecar", "demo", "acs-forced-exit", "--absolute-time", "--no-chart"],
        env=dict(os.environ, TZ="Asia/Shanghai"),
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Tue, 29 Oct 2024 11:24:32 +0800" in local.stdout
