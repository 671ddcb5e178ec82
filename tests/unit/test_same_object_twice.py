"""The same object read twice through ``-f`` is one object; two objects under one name are an error.

``kubectl sidecar timeline -f a.json -f a.json`` (or a pod kept in two snapshots) must show the pod as
if it had been given once, and ``check`` must count it once. Identity is the uid; an object without a
uid is the same object when its content is identical. Two different objects of one kind under one
name and namespace cannot both be meant: the command stops with one sentence that names both files.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from clirunner import cli_runner as runner

from kubectl_sidecar.cli import cli

ROOT = Path(__file__).resolve().parents[2]
ACS = ROOT / "kubectl_sidecar" / "demo" / "acs-legacy-forced-exit.yaml"
POD = "test-729nd"


def run(*args: str):
    env = {"COLUMNS": "100", "NO_COLOR": "", "TZ": "UTC", "KUBECTL_SIDECAR_DEBUG": ""}
    return runner().invoke(cli, list(args), env=env, catch_exceptions=False)


def acs_objects() -> list:
    return yaml.safe_load(ACS.read_text())["items"]


def write(path: Path, items: list) -> str:
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    return str(path)


def the_pod(items: list) -> dict:
    return next(o for o in items if o["kind"] == "Pod")


def without_uids(items: list) -> list:
    items = copy.deepcopy(items)
    for obj in items:
        obj["metadata"].pop("uid", None)
    return items


def assert_refused_naming(result, *names: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    for name in names:
        assert name in lines[0], lines[0]
    assert f'pod "{POD}" in namespace "default"' in lines[0], lines[0]


@pytest.mark.parametrize(
    "second",
    [
        pytest.param("same-path", id="the-same-path-twice"),
        pytest.param("copy", id="a-copy"),
        pytest.param("pod-only", id="the-pod-again-in-another-file"),
    ],
)
@pytest.mark.parametrize("command", ["timeline", "check"])
def test_the_same_objects_twice_read_as_once(tmp_path, command, second):
    first = write(tmp_path / "a.json", acs_objects())
    if second == "same-path":
        other = first
    elif second == "copy":
        other = write(tmp_path / "b.json", acs_objects())
    else:
        other = write(tmp_path / "b.json", [the_pod(acs_objects())])
    once = run(command, "-f", first, "-o", "json")
    twice = run(command, "-f", first, "-f", other, "-o", "json")
    assert once.exit_code == 0, once.stderr
    assert (twice.exit_code, twice.stderr) == (0, once.stderr)
    assert json.loads(twice.stdout) == json.loads(once.stdout)


def test_timeline_of_a_pod_read_twice_needs_no_namespace_and_takes_one(tmp_path):
    path = write(tmp_path / "a.json", acs_objects())
    for args in ([], ["-n", "default"], [POD], [POD, "-n", "default"]):
        result = run("timeline", "-f", path, "-f", path, *args)
        assert result.exit_code == 0, (args, result.stderr)
        assert f"pod {POD} (Succeeded)" in result.stdout


def test_check_counts_a_pod_read_twice_once(tmp_path):
    path = write(tmp_path / "a.json", acs_objects())
    doc = json.loads(run("check", "-f", path, "-f", path, "-o", "json").stdout)
    assert [job["pods"] for job in doc["jobs"]] == [[POD]]
    assert [pod["name"] for pod in doc["pods"]] == [POD]
    assert sorted(f["code"] for f in doc["findings"]) == ["SC007", "SC010"]


def test_one_uid_read_twice_with_different_content_keeps_the_first_and_says_so(tmp_path):
    first = write(tmp_path / "a.json", acs_objects())
    changed = the_pod(acs_objects())
    changed["status"]["phase"] = "Running"
    other = write(tmp_path / "b.json", [changed])
    once = run("timeline", "-f", first, "-o", "json")
    twice = run("timeline", "-f", first, "-f", other, "-o", "json")
    assert twice.exit_code == 0, twice.stderr
    assert json.loads(twice.stdout) == json.loads(once.stdout)
    assert (
        f'note: {other}: pod "{POD}" in namespace "default" was read in {first} too (the same uid) with '
        "other content; the first reading is used"
    ) in twice.stderr


def test_objects_without_uid_and_identical_content_are_one(tmp_path):
    items = without_uids(acs_objects())
    first = write(tmp_path / "a.json", items)
    other = write(tmp_path / "b.json", items)
    result = run("check", "-f", first, "-f", other, "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert [pod["name"] for pod in json.loads(result.stdout)["pods"]] == [POD]


@pytest.mark.parametrize("command", ["timeline", "check"])
def test_two_different_pods_under_one_name_are_refused_naming_both_files(tmp_path, command):
    first = write(tmp_path / "first.json", acs_objects())
    later = the_pod(acs_objects())
    later["metadata"]["uid"] = "00000000-0000-4000-8000-000000000001"  # deleted and created again
    other = write(tmp_path / "second.json", [later])
    assert_refused_naming(run(command, "-f", first, "-f", other), first, other)


def test_two_different_pods_under_one_name_in_one_file_are_refused(tmp_path):
    later = the_pod(acs_objects())
    later["metadata"]["uid"] = "00000000-0000-4000-8000-000000000001"
    path = write(tmp_path / "both.json", [*acs_objects(), later])
    assert_refused_naming(run("timeline", "-f", path), path)


def test_pods_without_uid_and_different_content_are_refused(tmp_path):
    items = without_uids(acs_objects())
    changed = copy.deepcopy(the_pod(items))
    changed["status"]["phase"] = "Running"
    first = write(tmp_path / "a.json", items)
    other = write(tmp_path / "b.json", [changed])
    assert_refused_naming(run("check", "-f", first, "-f", other), first, other)


def test_near_miss_one_name_in_two_namespaces_is_two_pods(tmp_path):
    """Not a duplicate: the same name in another namespace is another pod, and timeline asks for -n."""
    first = write(tmp_path / "a.json", acs_objects())
    moved = the_pod(acs_objects())
    moved["metadata"]["namespace"] = "other"
    moved["metadata"]["uid"] = "00000000-0000-4000-8000-000000000002"
    other = write(tmp_path / "b.json", [moved])
    result = run("timeline", "-f", first, "-f", other, POD)
    assert result.exit_code == 2
    assert "exists in several namespaces (default, other): choose one with -n" in result.stderr
    assert run("timeline", "-f", first, "-f", other, POD, "-n", "other").exit_code == 0
