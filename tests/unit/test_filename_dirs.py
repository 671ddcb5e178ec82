"""`-f DIR` and `-R` for timeline and check, as kubectl reads directories (issue 17)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml
from click.testing import CliRunner

from kubectl_sidecar.cli import cli

DEMO = Path(__file__).resolve().parents[2] / "kubectl_sidecar" / "demo" / "native-sidecar.yaml"
POD = "test-q8x5k"


def split_demo(folder: Path, nested: bool = False) -> None:
    """The demo scenario's objects, one kind per file: pods as YAML, the rest as JSON, the Job below."""
    docs = [d for d in yaml.safe_load_all(DEMO.read_text()) if d]
    items = [i for d in docs for i in (d.get("items") or [d])]
    by_kind: dict = {}
    for item in items:
        by_kind.setdefault(item["kind"], []).append(item)
    folder.mkdir(parents=True, exist_ok=True)
    for kind, objects in by_kind.items():
        target = folder / "jobs" if nested and kind == "Job" else folder
        target.mkdir(exist_ok=True)
        body = {"apiVersion": "v1", "kind": "List", "items": objects}
        if kind == "Pod":
            (target / f"{kind.lower()}.yaml").write_text(yaml.safe_dump(body))
        else:
            (target / f"{kind.lower()}.json").write_text(json.dumps(body))
    (folder / "README.txt").write_text("not read: neither .json, .yaml nor .yml")


def timeline_json(*args: str) -> dict:
    result = CliRunner().invoke(cli, ["timeline", POD, "-o", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_directory_reads_its_json_and_yaml_files(tmp_path):
    split_demo(tmp_path / "snap")
    assert timeline_json("-f", str(tmp_path / "snap")) == timeline_json("-f", str(DEMO))


def test_folders_below_are_read_with_r_only(tmp_path):
    split_demo(tmp_path / "snap", nested=True)
    flat = timeline_json("-f", str(tmp_path / "snap"))
    deep = timeline_json("-f", str(tmp_path / "snap"), "-R")
    assert deep == timeline_json("-f", str(DEMO))
    assert flat != deep  # without -R the Job below is not read


def test_check_reads_directories_too(tmp_path):
    split_demo(tmp_path / "snap")
    a = CliRunner().invoke(cli, ["check", "-f", str(tmp_path / "snap"), "-o", "json"])
    b = CliRunner().invoke(cli, ["check", "-f", str(DEMO), "-o", "json"])
    assert a.exit_code == b.exit_code and json.loads(a.stdout)["jobs"] == json.loads(b.stdout)["jobs"]


def test_a_directory_without_manifests_is_one_sentence(tmp_path):
    (tmp_path / "empty" / "below").mkdir(parents=True)
    shutil.copy(DEMO, tmp_path / "empty" / "below" / "x.yaml")
    result = CliRunner().invoke(cli, ["timeline", "-f", str(tmp_path / "empty")])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: {tmp_path / 'empty'}: is a directory with no .yaml, .yml or .json file (-R reads the folders below)"
    )
