"""Usage errors as kubectl prints them, and every error line through the one terminal sanitiser.

kubectl: ``error: <one sentence>`` then ``See 'kubectl <command> --help' for usage.``, exit 2 (click
prints ``Usage:``, ``Try ...`` and ``Error:`` over four lines). ``--help`` keeps click's own text.
"""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from clirunner import cli_runner as runner

from kubectl_sidecar.cli import cli

ROOT = Path(__file__).resolve().parents[2]
NATIVE = str(ROOT / "kubectl_sidecar" / "demo" / "native-sidecar.yaml")


def run(*args: str):
    env = {"COLUMNS": "100", "NO_COLOR": "", "TZ": "UTC", "KUBECTL_SIDECAR_DEBUG": ""}
    return runner().invoke(cli, list(args), env=env, catch_exceptions=False, prog_name="kubectl-sidecar")


@pytest.mark.parametrize(
    "args, sentence, command",
    [
        pytest.param(["timeline", "--frobnicate"], "no such option '--frobnicate'.", "timeline", id="option"),
        pytest.param(
            ["timeline", "-o", "xml"],
            "invalid value for '-o' / '--output': 'xml' is not one of 'table', 'wide', 'json', 'yaml', 'svg', 'html', 'mermaid', 'trace'.",
            "timeline",
            id="choice",
        ),
        pytest.param(["timeline", "a", "b"], "got unexpected extra argument (b)", "timeline", id="extra"),
        pytest.param(
            ["completion"],
            "missing argument '{bash|zsh|fish}'. Choose from: bash, zsh, fish",
            "completion",
            id="missing-on-several-lines",
        ),
        # click's parser raises this one without a context: the command is still named
        pytest.param(
            ["check", "--fail-on"], "option '--fail-on' requires an argument.", "check", id="no-context"
        ),
        pytest.param(
            ["demo", "--list", "--ascii=x"], "option '--ascii' does not take a value.", "demo", id="flag"
        ),
        pytest.param(["frobnicate"], "no such command 'frobnicate'.", None, id="command"),
        pytest.param(["--frobnicate"], "no such option '--frobnicate'.", None, id="root-option"),
    ],
)
def test_usage_errors_are_one_sentence_then_where_to_read_the_usage(args, sentence, command):
    result = run(*args)
    see = f"kubectl sidecar {command}" if command else "kubectl sidecar"
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"error: {sentence}\nSee '{see} --help' for usage.\n"


@pytest.mark.parametrize(
    "args", [["--help"], ["timeline", "--help"], ["check", "-h"], ["completion", "--help"]]
)
def test_help_is_click_own_text(args):
    """The same text as a plain click group over the same commands prints."""
    plain = click.Group(
        commands=cli.commands, params=cli.params, help=cli.help, context_settings=cli.context_settings
    )
    expected = runner().invoke(plain, args, env={"COLUMNS": "100"}, prog_name="kubectl-sidecar")
    result = run(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (0, expected.stdout, "")
    assert result.stdout.startswith("Usage: kubectl-sidecar")


def test_a_usage_error_shows_control_characters_visibly():
    result = run("timeline", "pod", "\x1b]0;pwned\x07")  # click names extra arguments as typed
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "error: got unexpected extra argument (^[]0;pwned^G)\nSee 'kubectl sidecar timeline --help' for usage.\n"
    )


def test_an_error_line_shows_control_characters_visibly(tmp_path):
    path = str(tmp_path / "evil\x1b[2J\u202e.yaml")
    result = run("timeline", "-f", path)
    assert result.exit_code == 2
    visible = str(tmp_path / "evil^[[2J\\u202e.yaml")
    assert result.stderr == f"error: {visible}: no such file\n"


def test_an_internal_error_line_shows_control_characters_visibly(monkeypatch):
    from kubectl_sidecar import app

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("kaput\x1b[2J\rforged line")

    monkeypatch.setattr(app, "render_timeline", boom)
    result = run("timeline", "-f", NATIVE)
    assert result.exit_code == 3
    assert result.stderr.startswith("internal error: RuntimeError: kaput^[[2J\\rforged line (this is a bug")
    assert len(result.stderr.splitlines()) == 1
