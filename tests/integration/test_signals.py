"""The entry point in real processes: Ctrl-C from the first instruction, closed pipes, the quick exit.

``kubectl_sidecar.__main__`` is what ``python -m kubectl_sidecar`` and the console scripts run (setup.cfg).
Ctrl-C while the CLI still loads ends it with 130 and no traceback; a stdout closed by its reader
(``| head``) ends it as it ends kubectl, by SIGPIPE, with nothing on stderr; and its ``os._exit`` after
the command loses nothing buffered and still runs the ``atexit`` handlers.
"""

from __future__ import annotations

import configparser
import copy
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kubectl_sidecar.cli import cli

ROOT = Path(__file__).resolve().parents[2]
ACS = str(ROOT / "kubectl_sidecar" / "demo" / "acs-legacy-forced-exit.yaml")
POSIX_ONLY = pytest.mark.skipif(not hasattr(signal, "SIGPIPE"), reason="SIGPIPE and closed pipes are POSIX")


def console_scripts() -> dict:
    """setup.cfg's console scripts: name -> (module, function)."""
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    scripts = {}
    for line in cfg.get("options.entry_points", "console_scripts").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, target = (part.strip() for part in line.split("=", 1))
            module, function = target.split(":")
            scripts[name] = (module, function)
    return scripts


def script_command(name: str) -> list:
    """What pip's wrapper for console script ``name`` runs: import the module, call the function."""
    module, function = console_scripts()[name]
    code = f"import sys; from {module} import {function}; sys.argv[0] = {name!r}; sys.exit({function}())"
    return [sys.executable, "-c", code]


ENTRY_POINTS = {
    "python-m": [sys.executable, "-m", "kubectl_sidecar"],
    "console-script": None,  # filled from setup.cfg, at run time
}


def entry(form: str) -> list:
    return script_command("kubectl-sidecar") if form == "console-script" else list(ENTRY_POINTS[form])


def env(**extra: str) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith("KUBECTL_SIDECAR_")}
    base.update(COLUMNS="100", TZ="UTC", NO_COLOR="1", PYTHONPATH=str(ROOT))
    base.update(extra)
    return base


def many_pods(path: Path, count: int = 60) -> str:
    """A file of ``count`` copies of the seed's pod under other names: a check of it prints 100+ KiB."""
    items = []
    for obj in yaml.safe_load(Path(ACS).read_text())["items"]:
        if obj["kind"] != "Pod":
            items.append(obj)
            continue
        for n in range(count):
            pod = copy.deepcopy(obj)
            pod["metadata"]["name"] = f"test-{n:05d}"
            pod["metadata"]["uid"] = f"00000000-0000-4000-8000-{n:012d}"
            items.append(pod)
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    return str(path)


def run_with_closed_stdout(command: list, **extra_env: str) -> subprocess.CompletedProcess:
    """Run with stdout a pipe whose reader has already gone: every write to it fails (EPIPE)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            command, stdout=write_end, stderr=subprocess.PIPE, text=True, env=env(**extra_env), timeout=60
        )
    finally:
        os.close(write_end)


# ------------------------------------------------------------------------------------------ the entry points


def test_the_console_scripts_run_the_small_entry_module():
    """The console scripts go through __main__, whose only imports before its try are os and sys."""
    assert console_scripts() == {
        "kubectl-sidecar": ("kubectl_sidecar.__main__", "main"),
        "kubectl_complete-sidecar": ("kubectl_sidecar.__main__", "complete"),
    }


@pytest.mark.parametrize("form", sorted(ENTRY_POINTS))
def test_ctrl_c_while_the_cli_loads_ends_quietly_with_130(form, tmp_path):
    """A Ctrl-C that lands during the start-up imports: a click that receives SIGINT as it loads."""
    fake = tmp_path / "click"
    fake.mkdir()
    (fake / "__init__.py").write_text("import os, signal\nos.kill(os.getpid(), signal.SIGINT)\n")
    proc = subprocess.run(
        entry(form) + ["demo"],
        capture_output=True,
        text=True,
        env=env(PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)])),
        timeout=60,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (130, "", "")


def test_complete_entry_point_answers_and_exits_0():
    module, function = console_scripts()["kubectl_complete-sidecar"]
    code = (
        f"import sys; from {module} import {function}; sys.argv[0] = 'kubectl_complete-sidecar'; {function}()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, ""], capture_output=True, text=True, env=env(), timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1].startswith(":")  # cobra's directive line ends the answer


# ------------------------------------------------------------------------------------------ closed pipes


@POSIX_ONLY
@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["demo"], id="demo"),
        pytest.param(["timeline", "-f", ACS], id="timeline"),
        pytest.param(["check", "-f", ACS], id="check"),
        pytest.param(["--help"], id="help"),
        pytest.param(["timeline", "--help"], id="command-help"),
        pytest.param(["--version"], id="version"),
        pytest.param(["completion", "bash"], id="completion"),
    ],
)
@pytest.mark.parametrize("form", sorted(ENTRY_POINTS))
def test_a_closed_stdout_ends_the_plugin_by_sigpipe_and_quietly(form, args):
    proc = run_with_closed_stdout(entry(form) + args)
    assert (proc.returncode, proc.stderr) == (-signal.SIGPIPE, "")


@POSIX_ONLY
@pytest.mark.skipif(shutil.which("kubectl") is None, reason="compares with kubectl")
def test_kubectl_itself_ends_by_sigpipe_on_a_closed_stdout():
    """The behaviour copied: a Go program dies by SIGPIPE on a write to a closed stdout, quietly."""
    proc = run_with_closed_stdout([str(shutil.which("kubectl")), "version", "--client"])
    assert (proc.returncode, proc.stderr) == (-signal.SIGPIPE, "")


def test_in_process_a_broken_pipe_is_reported_as_141_not_1(monkeypatch):
    """cli.main (tests, embedders) returns the code instead of killing the caller by SIGPIPE."""
    from kubectl_sidecar.cli import terminal

    def closed(_text: str) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("kubectl_sidecar.cli.commands.emit", closed)
    monkeypatch.setattr(terminal, "silence_broken_pipe", lambda: None)
    monkeypatch.setattr("kubectl_sidecar.cli.silence_broken_pipe", lambda: None)
    assert cli.main(["timeline", "-f", ACS], standalone_mode=False) == 141


# ------------------------------------------------------------------------------------------ the quick exit


def test_the_quick_exit_loses_nothing_buffered(tmp_path):
    """Everything written before os._exit reaches the pipe: the same text as an in-process run."""
    args = ["check", "-f", many_pods(tmp_path / "many.json"), "-o", "yaml"]
    proc = subprocess.run(entry("python-m") + args, capture_output=True, text=True, env=env(), timeout=60)
    try:
        runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        runner = CliRunner()
    expected = runner.invoke(cli, args, env={"COLUMNS": "100", "TZ": "UTC", "NO_COLOR": "1"})
    assert len(proc.stdout) > 65536  # more than a pipe holds: written in many buffers
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        expected.exit_code,
        expected.stdout,
        expected.stderr,
    )


def test_the_quick_exit_still_runs_the_atexit_handlers(tmp_path):
    """The kubernetes client removes its temporary certificate files in an atexit handler."""
    marker = tmp_path / "atexit-ran"
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        f"import atexit\natexit.register(lambda: open({str(marker)!r}, 'w').close())\n"
    )
    proc = subprocess.run(
        entry("python-m") + ["--version"],
        capture_output=True,
        text=True,
        env=env(PYTHONPATH=os.pathsep.join([str(hook), str(ROOT)])),
        timeout=60,
    )
    assert proc.returncode == 0 and proc.stdout.startswith("kubectl-sidecar ")
    assert marker.exists()
