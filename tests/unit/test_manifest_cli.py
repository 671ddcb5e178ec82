"""`kubectl sidecar lint` and `migrate` on the command line: -f files, directories, stdin, exit codes
(0 clean, 1 at --fail-on, 2 bad input, one sentence on stderr), --output-file, and --in-place."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubectl_sidecar.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "tests" / "data" / "seed"
LINT = ROOT / "tests" / "data" / "lint"
ACS = str(SEED / "acs-optimized-job.yaml")
NATIVE = str(SEED / "native-job.yaml")


def run(*args, input=None):
    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:
        runner = CliRunner()
    return runner.invoke(cli, list(args), env={"NO_COLOR": "1"}, input=input, catch_exceptions=False)


@pytest.mark.parametrize(
    "args, exit_code",
    [
        (["-f", ACS], 1),  # SL004 (error) on a generic cluster
        (["-f", ACS, "--platform", "acs"], 0),
        (["-f", ACS, "--platform", "acs", "--fail-on", "warning"], 1),
        (["-f", NATIVE, "--fail-on", "warning"], 1),
        (["-f", NATIVE], 0),
        (["-f", NATIVE, "--cluster-version", "1.28"], 1),
        (["-f", str(LINT / "corpus"), "--platform", "acs"], 0),
    ],
)
def test_lint_exit_codes(args, exit_code):
    result = run("lint", *args)
    assert result.exit_code == exit_code, result.stderr


@pytest.mark.parametrize(
    "args, fragment",
    [
        ([], "lint needs the manifests"),
        (["-f", "/nonexistent/job.yaml"], "no such file"),
        (["-f", ACS, "--cluster-version", "next"], "invalid --cluster-version"),
        (["-f", str(ROOT / "tests" / "corpus" / "files" / "alias-bomb.yaml")], "alias"),
    ],
)
def test_lint_bad_input_is_one_sentence_and_exit_2(args, fragment):
    result = run("lint", *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert fragment in result.stderr and result.stderr.count("\n") <= 2


def test_lint_reads_stdin_and_names_it():
    result = run(
        "lint", "-f", "-", "--cluster-version", "1.30", "--platform", "acs", input=Path(ACS).read_text()
    )
    assert result.exit_code == 0
    assert any(line.startswith("stdin:20:11 SL001 warning ") for line in result.stdout.splitlines())


def test_lint_sarif_to_a_file(tmp_path):
    out = tmp_path / "lint.sarif"
    result = run("lint", "-f", str(LINT), "-R", "-o", "sarif", "--output-file", str(out))
    assert result.exit_code == 1 and result.stdout == ""
    doc = json.loads(out.read_text())
    assert doc["version"] == "2.1.0" and doc["runs"][0]["results"]


def test_migrate_prints_a_diff_and_changes_nothing():
    before = Path(ACS).read_text()
    result = run("migrate", "-f", ACS)
    assert result.exit_code == 0 and result.stdout.startswith(f"--- a/{ACS}\n+++ b/{ACS}\n")
    assert (
        "+        restartPolicy: Always" in result.stdout
        and "-        - name: __IS_SIDECAR__" in result.stdout
    )
    assert "moved sidecar to initContainers" in result.stderr
    assert Path(ACS).read_text() == before


def test_migrate_in_place_writes_the_file_whole_and_keeps_its_mode(tmp_path):
    path = tmp_path / "job.yaml"
    path.write_text(Path(ACS).read_text())
    os.chmod(path, 0o640)
    result = run("migrate", "-f", str(path), "--in-place")
    assert result.exit_code == 0 and result.stdout == ""
    assert path.read_text().split("\n", 1)[1] == Path(NATIVE).read_text().split("\n", 1)[1]
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job.yaml"]  # no temporary file left
    again = run("migrate", "-f", str(path), "--in-place")
    assert again.exit_code == 0 and "nothing to migrate" in again.stderr


def test_migrate_yaml_from_stdin():
    result = run("migrate", "-f", "-", "-o", "yaml", input=Path(ACS).read_text())
    assert (
        result.exit_code == 0
        and result.stdout.split("\n", 1)[1] == Path(NATIVE).read_text().split("\n", 1)[1]
    )


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["-f", "-", "--in-place"], "--in-place cannot rewrite stdin"),
        (["-f", ACS, "--cluster-version", "1.28"], "native sidecars need 1.29 or later"),
        (["-f", NATIVE, "--sidecar", "nope"], "--sidecar nope"),
    ],
)
def test_migrate_refusals(args, fragment):
    result = run("migrate", *args, input="")
    assert result.exit_code == 2 and result.stdout == "" and fragment in result.stderr


@pytest.mark.parametrize("output", [[], ["-o", "yaml"]], ids=["diff", "yaml"])
def test_migrate_shows_a_files_control_and_bidi_characters_visibly_on_a_terminal(
    tmp_path, monkeypatch, output
):
    """The files' own text on a terminal goes through the one sanitiser; piped, it stays exact."""
    path = tmp_path / "job.yaml"
    seed = Path(ACS).read_text()
    assert seed.count('value: "true"\n') == 1
    # in a line the diff shows (the marker goes) and in one the YAML keeps (the first comment)
    seed = seed.replace('value: "true"\n', 'value: "true"  # note \u202egnp.exe\n')
    path.write_text(seed.replace("\n", " \u202egnp.exe\n", 1))
    piped = run("migrate", "-f", str(path), *output)
    assert piped.exit_code == 0 and "\u202e" in piped.stdout
    monkeypatch.setattr("kubectl_sidecar.cli.manifests.isatty", lambda stream: True)
    shown = run("migrate", "-f", str(path), *output)
    assert shown.exit_code == 0 and "\u202e" not in shown.stdout and "\\u202egnp.exe" in shown.stdout
