"""CLI tests, in-process: stdout and stderr asserted separately, exit codes, golden renderings, the JSON schema.

The one CLI test that runs the plugin as a process (the local time zone) is tests/integration/test_cli.py.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from kubectl_sidecar.cli import cli

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "kubectl_sidecar" / "demo"
GOLDEN = Path(__file__).resolve().parents[1] / "golden"
SEED = ROOT / "tests" / "data" / "seed"  # copies of ../shared/seed-example
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
SCHEMA = json.loads((ROOT / "docs" / "timeline.schema.json").read_text())
SCENARIOS = [s["name"] for s in yaml.safe_load((DEMO / "index.yaml").read_text())]


def run(*args, env=None, input=None):
    base = {"COLUMNS": "100", "NO_COLOR": "", "TZ": "UTC"}
    base.update(env or {})
    return CliRunner().invoke(cli, list(args), env=base, input=input, catch_exceptions=False)


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"missing golden file {path}: run with UPDATE_GOLDEN=1 and review the diff"
    assert text == path.read_text()


# ------------------------------------------------------------------------------------------ demo


def test_demo_list_names_every_scenario():
    result = run("demo", "--list")
    assert result.exit_code == 0 and result.stderr == ""
    assert [line.split()[0] for line in result.stdout.splitlines()] == SCENARIOS


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_demo_matches_golden_table_and_chart(scenario):
    result = run("demo", scenario)
    assert result.exit_code == 0, result.stderr
    check_golden(f"demo-{scenario}.txt", result.stdout)


def test_readme_sample_is_what_the_seed_example_prints():
    readme = (ROOT / "README.md").read_text()
    sample = readme.split("$ kubectl sidecar timeline test-729nd\n", 1)[1].split("```", 1)[0]
    assert sample == (GOLDEN / "demo-acs-forced-exit.txt").read_text().split("\n\n", 1)[1]


def test_demo_ascii_golden():
    result = run("demo", "acs-forced-exit", "--ascii")
    assert result.exit_code == 0
    assert all(ord(ch) < 128 for ch in result.stdout.split("\n\n", 1)[1])
    check_golden("demo-acs-forced-exit-ascii.txt", result.stdout)


def test_demo_without_name_shows_every_scenario():
    result = run("demo")
    assert result.exit_code == 0
    assert [
        line.split(":")[0][3:] for line in result.stdout.splitlines() if line.startswith("== ")
    ] == SCENARIOS


def test_demo_unknown_scenario_is_a_usage_error():
    result = run("demo", "nope")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith('error: no demo scenario "nope"') and len(result.stderr.splitlines()) == 1


def test_demo_takes_the_same_path_as_files(tmp_path):
    """The demo is `timeline -f FILE --cluster-version V` on a bundled file: same bytes out."""
    index = {s["name"]: s for s in yaml.safe_load((DEMO / "index.yaml").read_text())}
    for name, scenario in index.items():
        demo = run("demo", name, "-o", "json")
        files = run(
            "timeline",
            scenario["pod"],
            "-f",
            str(DEMO / scenario["file"]),
            "--cluster-version",
            scenario["clusterVersion"],
            "-o",
            "json",
        )
        assert demo.exit_code == files.exit_code == 0
        assert demo.stdout == files.stdout


# ------------------------------------------------------------------------------------------ timeline -f


def test_seed_acs_example_shows_sidecar_first_and_forced_exit():
    result = run("timeline", "-f", str(DEMO / "acs-legacy-forced-exit.yaml"), "-o", "json")
    doc = json.loads(result.stdout)
    starts = [m["container"] for m in doc["marks"] if m["kind"] == "started"]
    assert starts == ["sidecar", "app"]
    sidecar = next(c for c in doc["containers"] if c["name"] == "sidecar")
    assert (sidecar["role"], sidecar["sidecarKind"]) == ("sidecar", "acs")
    (run_,) = sidecar["runs"]
    assert (run_["exitCode"], run_["originalExitCode"], run_["originalReason"]) == (0, 137, "Error")


def test_seed_native_example_shows_sidecar_first():
    result = run("timeline", "-f", str(DEMO / "native-sidecar.yaml"), "-o", "json")
    doc = json.loads(result.stdout)
    assert [m["container"] for m in doc["marks"] if m["kind"] == "started"] == ["sidecar", "app"]
    assert [c["name"] for c in doc["containers"]] == ["sidecar", "app"]


def test_seed_job_yaml_without_pods_says_what_is_missing():
    result = run("timeline", "-f", str(SEED / "acs-optimized-job.yaml"))
    assert result.exit_code == 2 and result.stdout == ""
    assert "holds no pod" in result.stderr


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_document_output_matches_schema(scenario, fmt):
    result = run("demo", scenario, "-o", fmt)
    doc = json.loads(result.stdout) if fmt == "json" else yaml.safe_load(result.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["kind"] == "Timeline" and "findings" in doc


def test_wide_adds_sources_and_messages():
    result = run("demo", "acs-forced-exit", "-o", "wide")
    header = next(line for line in result.stdout.splitlines() if line.startswith("TIME"))
    assert header.split() == ["TIME", "CONTAINER", "ROLE", "EVENT", "DETAIL", "SOURCE", "MESSAGE"]
    assert "Force this container to be success(137, Error, )" in result.stdout


def test_stdin_and_several_files(tmp_path):
    data = (DEMO / "native-sidecar.yaml").read_text()
    result = run("timeline", "test-q8x5k", "-f", "-", input=data)
    assert result.exit_code == 0 and "sidecar" in result.stdout
    split = yaml.safe_load(data)["items"]
    (tmp_path / "pod.json").write_text(json.dumps([i for i in split if i["kind"] == "Pod"][0]))
    (tmp_path / "events.yaml").write_text(yaml.safe_dump_all([i for i in split if i["kind"] == "Event"]))
    both = run(
        "timeline", "-f", str(tmp_path / "pod.json"), "-f", str(tmp_path / "events.yaml"), "-o", "json"
    )
    assert len(json.loads(both.stdout)["marks"]) > 8


def test_raw_api_list_items_without_kind(tmp_path):
    pod = [
        i for i in yaml.safe_load((DEMO / "native-sidecar.yaml").read_text())["items"] if i["kind"] == "Pod"
    ][0]
    pod.pop("kind")
    (tmp_path / "list.json").write_text(json.dumps({"kind": "PodList", "apiVersion": "v1", "items": [pod]}))
    result = run("timeline", "-f", str(tmp_path / "list.json"))
    assert result.exit_code == 0
    assert "the input holds no events" in result.stderr


def test_colour_only_when_asked_and_never_with_no_color():
    plain = run("demo", "native")
    assert "\x1b[" not in plain.stdout
    forced = run("demo", "native", "--color", "always")
    assert "\x1b[" in forced.stdout
    no_color = run("demo", "native", "--color", "always", env={"NO_COLOR": "1"})
    assert "\x1b[" not in no_color.stdout


@pytest.mark.parametrize("columns", ["60", "100", "200"])
def test_chart_fits_the_terminal_width(columns):
    result = run("demo", "stale-status", env={"COLUMNS": columns})
    chart = next(block for block in result.stdout.split("\n\n") if "│" in block)
    rows = [line for line in chart.splitlines() if "│" in line]
    assert rows and all(len(line) <= int(columns) for line in rows)


# ------------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"", "is empty"),
        (b"   \n\n", "is empty"),
        (b'{"kind": "Pod", "metadata": {', "truncated"),
        (b"\x00\x01\x02binary", "is binary"),
        (b"\xff\xfe\xfa not utf8", "not UTF-8"),
        (b"kind: Pod\n  bad: [indent\n", "is not valid YAML"),
        (b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "holds no Pod, Job, Event or Node"),
        (b"- 1\n- 2\n", "holds a number where a Kubernetes object was expected"),
        (b"kind: Pod\nkind: Job\n", "duplicate key"),
        (b'{"kind": "Job", "metadata": {"name": "x"}}', "holds no pod"),
    ],
    ids=[
        "empty",
        "blank",
        "truncated-json",
        "binary",
        "not-utf8",
        "bad-yaml",
        "wrong-kind",
        "scalars",
        "duplicate-keys",
        "job-only",
    ],
)
def test_bad_files_give_one_sentence_and_exit_2(tmp_path, content, fragment):
    path = tmp_path / "input.yaml"
    path.write_bytes(content)
    result = run("timeline", "-f", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and fragment in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["timeline", "-f", "/nonexistent/file.yaml"], "no such file"),
        (["timeline", "nope", "-f", str(DEMO / "native-sidecar.yaml")], 'pod "nope" not found'),
        (
            ["timeline", "-f", str(DEMO / "native-sidecar.yaml"), "--cluster-version", "latest"],
            "invalid --cluster-version",
        ),
        (["timeline", "-f", str(DEMO / "native-sidecar.yaml"), "-o", "xml"], "error: invalid value for '-o'"),
        (
            ["timeline", "-f", str(DEMO / "native-sidecar.yaml"), "--request-timeout", "soon"],
            "invalid --request-timeout",
        ),
        (["timeline", "job/test", "-f", str(DEMO / "native-sidecar.yaml")], "timeline shows one pod"),
        (
            ["timeline", "-f", str(DEMO / "native-sidecar.yaml"), "-n", "elsewhere"],
            "holds no pod in namespace",
        ),
        (["frobnicate"], "error: no such command 'frobnicate'.\nSee 'kubectl sidecar --help' for usage.\n"),
    ],
)
def test_usage_and_lookup_errors_exit_2(args, fragment):
    result = run(*args)
    assert result.exit_code == 2, result.stderr
    assert result.stdout == "" and fragment in result.stderr and "Traceback" not in result.stderr


def test_two_pods_in_files_need_a_name(tmp_path):
    a = (DEMO / "job-blocked-by-sidecar.yaml").read_text()  # not native-sidecar.yaml: its Job "test" clashes
    b = (DEMO / "acs-legacy-forced-exit.yaml").read_text()
    (tmp_path / "a.yaml").write_text(a)
    (tmp_path / "b.yaml").write_text(b)
    result = run("timeline", "-f", str(tmp_path / "a.yaml"), "-f", str(tmp_path / "b.yaml"))
    assert result.exit_code == 2 and "holds 2 pods" in result.stderr and "name the one" in result.stderr


def test_internal_errors_exit_3_without_traceback(monkeypatch):
    from kubectl_sidecar import app

    def boom(*_a, **_k):
        raise RuntimeError("kaput")

    monkeypatch.setattr(app, "render_timeline", boom)
    result = CliRunner().invoke(cli, ["demo", "native"], env={"KUBECTL_SIDECAR_DEBUG": ""})
    assert result.exit_code == 3
    assert "internal error: RuntimeError: kaput" in result.stderr and "Traceback" not in result.stderr


# ------------------------------------------------------------------------------------------ help and docs


def _commands():
    return sorted(cli.commands)


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help_with_an_example_and_is_documented(command):
    result = run(command, "--help")
    assert result.exit_code == 0 and "Examples:" in result.stdout
    docs = (ROOT / "docs" / "commands.md").read_text()
    assert re.search(rf"^## `kubectl sidecar {command}", docs, re.M), f"docs/commands.md lacks {command}"
    assert "kubectl sidecar " + command in (ROOT / "README.md").read_text() or command in ("completion",)


def test_version():
    from kubectl_sidecar import __version__

    result = run("--version")
    assert result.stdout.strip() == f"kubectl-sidecar {__version__}"
