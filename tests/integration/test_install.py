"""The README's install line and `pipx install .`, run as a new user would, on this machine's python3.

On Debian and Ubuntu the system python3 refuses `pip install` outside a virtualenv (PEP 668); the
README's first line makes one. Each test installs a copy of the checkout into a temporary folder (pip
downloads the dependencies from the package index, as for a user) and runs the plugin through the real
kubectl: `demo`, `version --client` and `explain`. Nothing of the user's HOME is touched.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
# The interpreter a fresh Debian machine has: the system python3 when there is one.
SYSTEM_PYTHON = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
EXTERNALLY_MANAGED = bool(glob.glob("/usr/lib/python3*/EXTERNALLY-MANAGED"))

pytestmark = pytest.mark.kubectl


def _readme_first_line() -> str:
    """The README's first command: the first line of its first ``sh`` block, its comment removed."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", text, re.S).group(1)  # type: ignore[union-attr]
    return block.splitlines()[0].split("  #")[0].strip()


def _copy_checkout(dest: Path) -> Path:
    ignore = shutil.ignore_patterns(
        ".git", ".cache", ".venv", "dist", "build", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
    )
    shutil.copytree(REPO, dest, ignore=ignore)
    return dest


def _env(home: Path, *front: Path) -> dict:
    """A new user's environment: system PATH (kubectl, python3), a private HOME, pip quiet about root."""
    home.mkdir(exist_ok=True)
    path = [str(p) for p in front] + [str(Path(KUBECTL).parent), "/usr/bin", "/bin"]
    return {
        "PATH": os.pathsep.join(path),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_ROOT_USER_ACTION": "ignore",
        **{k: v for k, v in os.environ.items() if k.lower() in ("http_proxy", "https_proxy", "no_proxy")},
    }


def _run(cmd, env, cwd=None, timeout=900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(c) for c in cmd], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


def _uses_the_system_python(line: str) -> str:
    """The README line with `python3` pinned to this test's interpreter (the system one when present)."""
    return line.replace("python3 -m venv", f"{SYSTEM_PYTHON} -m venv", 1)


def test_readme_first_line_installs_and_runs_the_demo(tmp_path):
    line = _readme_first_line()
    assert line.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install . && ")
    assert line.endswith("kubectl sidecar demo")
    checkout = _copy_checkout(tmp_path / "kubectl-sidecar")
    env = _env(tmp_path / "home")
    proc = _run(["sh", "-c", _uses_the_system_python(line)], env, cwd=checkout)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "== acs-forced-exit" in proc.stdout and "SC010" in proc.stdout
    bin_dir = checkout / ".venv" / "bin"
    for args, expected in (
        (["version", "--client"], "Plugin Version: v"),
        (
            ["explain", "SC003"],
            (REPO / "docs" / "checks" / "SC003.md").read_text().splitlines()[0].lstrip("# "),
        ),
    ):
        ran = _run([KUBECTL, "sidecar", *args], _env(tmp_path / "home", bin_dir))
        assert ran.returncode == 0 and ran.stdout.startswith(expected), ran.stderr


@pytest.mark.skipif(not EXTERNALLY_MANAGED, reason="this python3 is not externally managed (PEP 668)")
def test_the_system_python_refuses_pip_install_outside_a_venv(tmp_path):
    """Why the README makes a virtualenv: the line it replaced fails here."""
    checkout = _copy_checkout(tmp_path / "kubectl-sidecar")
    proc = _run([SYSTEM_PYTHON, "-m", "pip", "install", "."], _env(tmp_path / "home"), cwd=checkout)
    assert proc.returncode != 0 and "externally-managed-environment" in proc.stderr


def test_pipx_install_then_uninstall(tmp_path):
    """`pipx install .` (pipx itself from the package index, into a virtualenv of the test's)."""
    env = _env(tmp_path / "home")
    tools = tmp_path / "pipx-venv"
    made = _run([SYSTEM_PYTHON, "-m", "venv", tools], env)
    assert made.returncode == 0, made.stderr
    got = _run([tools / "bin" / "python", "-m", "pip", "install", "-q", "pipx"], env)
    assert got.returncode == 0, got.stderr[-3000:]
    bin_dir = tmp_path / "bin"
    env = dict(
        env, PIPX_HOME=str(tmp_path / "pipx"), PIPX_BIN_DIR=str(bin_dir), PIPX_MAN_DIR=str(tmp_path / "man")
    )
    checkout = _copy_checkout(tmp_path / "kubectl-sidecar")
    installed = _run([tools / "bin" / "pipx", "install", checkout], env)
    assert installed.returncode == 0, installed.stdout + installed.stderr[-3000:]
    assert (bin_dir / "kubectl-sidecar").exists() and (bin_dir / "kubectl_complete-sidecar").exists()
    plugin_env = _env(tmp_path / "home", bin_dir)
    for args, expected in (
        (["demo", "acs-forced-exit"], "== acs-forced-exit"),
        (["version", "--client"], "Plugin Version: v"),
        (
            ["explain", "SC003"],
            (REPO / "docs" / "checks" / "SC003.md").read_text().splitlines()[0].lstrip("# "),
        ),
    ):
        ran = _run([KUBECTL, "sidecar", *args], plugin_env)
        assert ran.returncode == 0 and ran.stdout.startswith(expected), (args, ran.stderr)
    removed = _run([tools / "bin" / "pipx", "uninstall", "kubectl-sidecar"], env)
    assert removed.returncode == 0, removed.stderr
    assert not (bin_dir / "kubectl-sidecar").exists()
    assert not (tmp_path / "home" / ".local").exists()  # nothing outside the folders it was given
