"""The bad-input corpus for ``-f`` in real processes: the cases whose bug would be a hang, not a wrong
answer, run the real console script in a subprocess under a timeout. The table of every corpus file and
the in-process cases: tests/unit/test_corpus_files.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from unit.test_corpus_files import CORPUS, EXPECTED, HOSTILE, ROOT, assert_refused

from kubectl_sidecar import files

# Generous: a loaded 2-core CI machine must never fail these; a hang is what they catch.
TIME_BOUND = 20.0


def command() -> list:
    """The real console script next to this interpreter, else ``python -m kubectl_sidecar``."""
    script = Path(sys.executable).parent / "kubectl-sidecar"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "kubectl_sidecar"]


def run_process(*args, cwd=None, stdin=None, timeout=TIME_BOUND * 3, preexec_fn=None):
    env = dict(os.environ, COLUMNS="100", TZ="UTC", PYTHONPATH=str(ROOT))
    env.pop("KUBECTL_SIDECAR_DEBUG", None)
    started = time.monotonic()
    result = subprocess.run(
        command() + list(args),
        cwd=cwd,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
        preexec_fn=preexec_fn,
    )
    return result, time.monotonic() - started


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_is_refused_in_bounded_time(name, tmp_path):
    """A regression here would hang: run it where a timeout can stop it (the rest: tests/unit)."""
    if name.startswith("huge-integer") and not hasattr(sys, "get_int_max_str_digits"):
        pytest.skip("this Python reads integers of any length (before 3.9.14, 3.10.7)")
    code, fragment = EXPECTED[name]
    path = str(CORPUS / name)
    process, elapsed = run_process("timeline", "-f", path, cwd=tmp_path)
    result = SimpleNamespace(exit_code=process.returncode, stdout=process.stdout, stderr=process.stderr)
    assert elapsed < TIME_BOUND
    assert code == 2
    assert_refused(result, fragment, path)


# ------------------------------------------------------------------------------------------ real processes


def test_python_tags_are_never_executed(tmp_path):
    result, _ = run_process("timeline", "-f", str(CORPUS / "python-tag.yaml"), cwd=tmp_path)
    assert result.returncode == 2
    assert not (tmp_path / "PWNED-BY-CORPUS").exists()


def test_a_file_over_the_cap_is_refused_unread(tmp_path):
    """A sparse file: refused from its size alone, so the test costs no disk and no memory."""
    path = tmp_path / "huge.json"
    with open(path, "wb") as handle:
        handle.truncate(files.MAX_FILE_BYTES + 1)
    result, elapsed = run_process("timeline", "-f", str(path))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"error: {path}: is larger than 256 MiB; split it\n"
    assert elapsed < TIME_BOUND


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_an_endless_device_is_not_read_to_the_end():
    result, elapsed = run_process("timeline", "-f", "/dev/zero")
    assert result.returncode == 2 and result.stderr == "error: /dev/zero: is binary, not JSON or YAML\n"
    assert elapsed < TIME_BOUND


def test_binary_on_stdin_in_a_real_process():
    with open(CORPUS / "binary-nul.bin", "rb") as stdin:
        result, _ = run_process("timeline", "-f", "-", stdin=stdin)
    assert result.returncode == 2 and result.stderr == "error: stdin: is binary, not JSON or YAML\n"


@pytest.mark.parametrize("command_name", ["timeline", "check"])
@pytest.mark.skipif(sys.platform == "win32", reason="closes file descriptor 0 in the child (POSIX)")
def test_stdin_closed_is_refused_in_one_sentence(command_name):
    """``kubectl sidecar timeline -f - <&-``: no file descriptor 0 at all, so Python has no sys.stdin."""
    result, _ = run_process(command_name, "-f", "-", preexec_fn=lambda: os.close(0))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "error: stdin: is closed: there is nothing to read (pipe the objects in)\n"


def _large_cluster_dump(path: Path, pods: int = 1500, events_per_pod: int = 12) -> None:
    """`kubectl get pods,events -A -o json` of a busy cluster: the pod to show is one of many."""
    items = []
    pod, event = [json.loads(line) for line in (CORPUS / "json-stream.json").read_text().splitlines()]
    for i in range(pods):
        p = json.loads(json.dumps(pod))
        p["metadata"]["name"] = f"worker-{i:05d}"
        p["metadata"]["uid"] = f"uid-{i:05d}"
        items.append(p)
        for j in range(events_per_pod):
            e = json.loads(json.dumps(event))
            e["involvedObject"]["name"] = p["metadata"]["name"]
            e["metadata"] = {"name": f"worker-{i:05d}.{j}", "uid": f"ev-{i}-{j}"}
            e["message"] = "Stopping container proxy " + "x" * 200
            items.append(e)
    items.append(pod)
    items.append(event)
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=1))


def test_a_large_dump_renders_in_bounded_time(tmp_path):
    path = tmp_path / "cluster.json"
    _large_cluster_dump(path)
    assert path.stat().st_size > 5 * 1024 * 1024
    result, elapsed = run_process("timeline", "odd-pod", "-n", "default", "-f", str(path), "-o", "wide")
    assert result.returncode == 0, result.stderr
    assert "Killing" in result.stdout or "stop requested" in result.stdout
    assert elapsed < TIME_BOUND


def test_yaml_too_large_to_read_in_reasonable_time_asks_for_json(tmp_path):
    path = tmp_path / "cluster.yaml"
    with open(path, "wb") as handle:
        handle.write((CORPUS / "crlf.yaml").read_bytes())
        handle.write(b"#" * (files.MAX_YAML_BYTES + 1) + b"\n")
    result, elapsed = run_process("timeline", "-f", str(path))
    assert result.returncode == 2 and result.stdout == ""
    assert "is YAML larger than 32 MiB" in result.stderr and "-o json" in result.stderr
    assert elapsed < TIME_BOUND


def test_a_long_forced_exit_message_is_read_in_linear_time(tmp_path):
    """A termination message of a million bytes of "force" once took minutes in a regular expression."""
    pod = json.loads((CORPUS / "json-stream.json").read_text().splitlines()[0])
    state = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    state["message"] = "Force " * 200_000
    path = tmp_path / "pod.json"
    path.write_text(json.dumps(pod))
    result, elapsed = run_process("timeline", "-f", str(path), "-o", "wide")
    assert result.returncode == 0, result.stderr
    assert elapsed < TIME_BOUND
