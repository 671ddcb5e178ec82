"""The bad-input corpus for ``-f``: every file in tests/corpus/files with what the plugin must do with it.

Each file is either refused (exit 2, nothing on stdout, one sentence on stderr that names the file and
the problem) or, where the input is odd but usable, rendered (exit 0, a timeline on stdout, only notes
on stderr, a JSON document that matches the schema). Never a traceback. This is the in-process half;
the files whose bug would be a hang (``HOSTILE``) and the cases that need a real process run in
tests/integration/test_corpus.py, which reads the table from here. docs/reliability.md lists the cases.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import jsonschema
import pytest
from clirunner import cli_runner

from kubectl_sidecar import files
from kubectl_sidecar.cli import cli

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "files"
SCHEMA = json.loads((ROOT / "docs" / "timeline.schema.json").read_text())
RENDERS = "renders"

# file -> (exit code, stderr fragment) for refused input, or RENDERS for odd-but-usable input.
EXPECTED = {
    # empty and not text
    "empty.yaml": (2, "is empty"),
    "blank.yaml": (2, "is empty"),
    "comments-only.yaml": (2, "holds no Kubernetes objects"),
    "null-documents.yaml": (2, "holds no Kubernetes objects"),
    "binary-nul.bin": (2, "is binary, not JSON or YAML"),
    "not-utf8.bin": (2, "is not UTF-8 text"),
    "gzipped.yaml.gz": (2, "is binary, not JSON or YAML"),
    "utf16-mark-then-garbage.bin": (2, "is not valid UTF-16 text, though it starts like UTF-16"),
    "ansi-colour.yaml": (
        2,
        (
            "holds a control character YAML does not allow (#x001b) at line 1: terminal colour "
            "codes? save the output without colour"
        ),
    ),
    "control-character.yaml": (2, "holds a control character YAML does not allow (#x007f) at line 4"),
    # truncated and malformed
    "truncated.json": (2, "ends too early (truncated?)"),
    "truncated-mid-flow.yaml": (2, "is not valid YAML at line"),
    "trailing-garbage.json": (2, "is not valid JSON at line 1"),
    "tabs.yaml": (2, "is not valid YAML at line 3"),
    "duplicate-keys.yaml": (2, "found duplicate key 'name'"),
    # wrong kinds and shapes
    "configmap.yaml": (2, "holds no Pod, Job, Event or Node (found: ConfigMap)"),
    "secret.yaml": (2, "holds no Pod, Job, Event or Node (found: Secret)"),
    "lowercase-kind.yaml": (2, "holds no Pod, Job, Event or Node (found: pod)"),
    "list-items-not-a-list.yaml": (2, "holds no Pod, Job, Event or Node (found: List)"),
    "job-only.yaml": (2, "holds no pod"),
    "events-only.json": (2, "holds no pod"),
    "scalar.yaml": (2, "holds a string where a Kubernetes object was expected"),
    "scalars-list.yaml": (2, "where a Kubernetes object was expected"),
    # unsafe or hostile
    "python-tag.yaml": (2, "could not determine a constructor for the tag"),
    "alias-bomb.yaml": (2, "(excessive aliasing: an alias bomb); refused"),
    "alias-bomb-in-pod.yaml": (2, "(excessive aliasing: an alias bomb); refused"),
    "recursive-alias.yaml": (2, "holds a YAML alias that refers to itself"),
    "recursive-alias-map.yaml": (2, "holds a YAML alias that refers to itself"),
    "deep-json.json": (2, "is nested too deeply to read"),
    "deep-yaml.yaml": (2, "is nested too deeply to read"),
    "deep-yaml-block.yaml": (2, "is nested too deeply to read"),
    "deep-lists.json": (2, "nests Lists too deeply to read"),
    "huge-integer.json": (2, "holds a number too long to read"),
    "huge-integer.yaml": (2, "holds a number too long to read"),
    "impossible-date.yaml": (2, "holds a value that cannot be read (day is out of range for month)"),
    # odd but usable
    "utf16-bom.yaml": RENDERS,
    "utf8-bom.yaml": RENDERS,
    "crlf.yaml": RENDERS,
    "cut-at-a-line.yaml": RENDERS,
    "pod-kind-only.json": RENDERS,
    "json-stream.json": RENDERS,
    "mixed-kinds.yaml": RENDERS,
    "benign-anchors.yaml": RENDERS,
    "wrong-types.yaml": RENDERS,
    "wrong-types-events.json": RENDERS,
    "huge-numbers.yaml": RENDERS,
    "extreme-times.yaml": RENDERS,
    "statuses-without-spec.yaml": RENDERS,
    "duplicate-containers.yaml": RENDERS,
    "lost-container.yaml": RENDERS,
    "hostile-escapes.yaml": RENDERS,  # "\e[2J"-style YAML escapes: shown made visible (test_terminal_injection)
}

# Files whose bug would be a hang, not a wrong answer: always run in a subprocess under a timeout.
HOSTILE = {
    "alias-bomb.yaml",
    "alias-bomb-in-pod.yaml",
    "recursive-alias.yaml",
    "recursive-alias-map.yaml",
    "deep-json.json",
    "deep-yaml.yaml",
    "deep-yaml-block.yaml",
    "deep-lists.json",
    "huge-integer.yaml",
}

# Notes that odd-but-usable input must bring to stderr (it says what it made of the input).
EXPECTED_NOTES = {
    "cut-at-a-line.yaml": "the pod has no container statuses (not started yet, or the input was cut)",
    "mixed-kinds.yaml": "ignored 1 object(s) of kind ConfigMap",
    "statuses-without-spec.yaml": 'a status names container "app", which the pod spec does not declare',
    "extreme-times.yaml": "app: a run finished before it started",
    "huge-numbers.yaml": "app: restartCount implies 999999999999999998 earlier run(s)",
}


def run(*args, input=None, env=None):
    base = {"COLUMNS": "100", "NO_COLOR": "", "TZ": "UTC", "KUBECTL_SIDECAR_DEBUG": ""}
    base.update(env or {})
    return cli_runner().invoke(cli, list(args), input=input, env=base, catch_exceptions=False)


def assert_refused(result, fragment, name):
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {name}") and fragment in lines[0], lines[0]
    assert "Traceback" not in result.stderr


def assert_rendered(result):
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip()
    assert all(line.startswith("note: ") for line in result.stderr.splitlines()), result.stderr


# ------------------------------------------------------------------------------------------ the table


def test_every_corpus_file_has_an_expectation():
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if e != RENDERS and n not in HOSTILE))
def test_refused_input_gives_one_sentence_and_exit_2(name):
    if name.startswith("huge-integer") and not hasattr(sys, "get_int_max_str_digits"):
        pytest.skip("this Python reads integers of any length (before 3.9.14, 3.10.7)")
    code, fragment = EXPECTED[name]
    path = str(CORPUS / name)
    result = run("timeline", "-f", path)
    assert code == 2
    assert_refused(result, fragment, path)


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if e == RENDERS))
@pytest.mark.parametrize("output", ["table", "wide", "json", "yaml"])
def test_odd_but_usable_input_renders(name, output):
    result = run("timeline", "-f", str(CORPUS / name), "-o", output, "--absolute-time")
    assert_rendered(result)
    if output == "json":
        jsonschema.validate(json.loads(result.stdout), SCHEMA)
    if output == "table" and name in EXPECTED_NOTES:
        assert EXPECTED_NOTES[name] in result.stderr


@pytest.fixture
def local_zone(monkeypatch):
    """Switch this process's local zone (``time.tzset``), and switch it back afterwards."""

    def switch(zone):
        monkeypatch.setenv("TZ", zone)
        time.tzset()

    yield switch
    monkeypatch.undo()
    time.tzset()


@pytest.mark.skipif(not hasattr(time, "tzset"), reason="time.tzset is Unix only")
@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT+12"])
@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if e == RENDERS))
def test_odd_input_renders_in_a_local_zone_far_from_utc(name, zone, local_zone):
    """Wall-clock times at the ends of the calendar must not overflow when moved to the local zone."""
    local_zone(zone)
    result = cli_runner().invoke(
        cli,
        ["timeline", "-f", str(CORPUS / name), "--absolute-time", "-o", "wide"],
        env={"TZ": zone, "COLUMNS": "100"},
        catch_exceptions=False,
    )
    assert_rendered(result)


def test_wrong_types_keep_what_is_usable():
    doc = json.loads(run("timeline", "-f", str(CORPUS / "wrong-types.yaml"), "-o", "json").stdout)
    assert [c["name"] for c in doc["containers"]] == ["app", "sidecar"]
    # An env list of the wrong shape marks nothing; a marker whose value is not the string "true" is
    # still recorded as an ACS marker that ACS would not honour.
    assert doc["containers"][0]["role"] == "app"
    assert doc["containers"][1]["sidecarKind"] == "acs"


def test_statuses_are_shown_in_spec_order_with_duplicate_names_once():
    doc = json.loads(run("timeline", "-f", str(CORPUS / "duplicate-containers.yaml"), "-o", "json").stdout)
    assert [(c["name"], c["section"]) for c in doc["containers"]] == [
        ("app", "initContainers"),
        ("zeta", "containers"),
        ("alpha", "containers"),
    ]


def test_secret_data_is_never_echoed():
    result = run("timeline", "-f", str(CORPUS / "secret.yaml"))
    assert "c2VjcmV0" not in result.stderr + result.stdout
    assert "secret-value-do-not-print" not in result.stderr + result.stdout


# ------------------------------------------------------------------------------------------ other sources


def test_missing_file_and_directory(tmp_path):
    assert_refused(
        run("timeline", "-f", str(tmp_path / "nope.yaml")), "no such file", str(tmp_path / "nope.yaml")
    )
    # a directory is read as kubectl reads it (tests/unit/test_filename_dirs.py): this one holds nothing
    assert_refused(
        run("timeline", "-f", str(tmp_path)),
        "is a directory with no .yaml, .yml or .json file",
        str(tmp_path),
    )


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads files whatever their mode"
)
def test_unreadable_file(tmp_path):
    path = tmp_path / "pod.yaml"
    shutil.copy(CORPUS / "crlf.yaml", path)
    path.chmod(0)
    try:
        assert_refused(run("timeline", "-f", str(path)), "permission denied", str(path))
    finally:
        path.chmod(0o600)


def test_empty_stdin():
    assert_refused(run("timeline", "-f", "-", input=b""), "is empty", "stdin")


def test_stdin_larger_than_the_cap(monkeypatch):
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 1024 * 1024)
    result = run("timeline", "-f", "-", input=b"#" * (1024 * 1024 + 10))
    assert_refused(result, "is larger than 1 MiB; split it", "stdin")


def test_stdin_at_the_cap_is_read(monkeypatch):
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 64 * 1024)
    pod = (CORPUS / "crlf.yaml").read_bytes()
    data = pod + b"#" * (64 * 1024 - len(pod))
    assert len(data) == 64 * 1024
    assert_rendered(run("timeline", "-f", "-", input=data))


def test_docs_list_every_corpus_file():
    """docs/reliability.md says what happens to each file: it must name them all."""
    text = (ROOT / "docs" / "reliability.md").read_text()
    files_part, kubeconfig_part = text.split("## Kubeconfigs", 1)
    kubeconfigs = Path(__file__).resolve().parents[1] / "corpus" / "kubeconfig"
    missing = [p.name for p in CORPUS.iterdir() if f"`{p.name}`" not in files_part]
    missing += [p.name for p in kubeconfigs.iterdir() if p.is_file() and f"`{p.name}`" not in kubeconfig_part]
    assert not missing, f"docs/reliability.md does not mention {missing}"
