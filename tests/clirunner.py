"""click's test runner with stdout and stderr apart, on every click the plugin supports."""

from __future__ import annotations

from click.testing import CliRunner


def cli_runner() -> CliRunner:
    """stdout and stderr apart: click 8.2+ always; click 8.1 (the last for Python 3.9) when asked."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()
