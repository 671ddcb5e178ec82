"""`kubectl sidecar check` from files: targets, output formats, --fail-on and exit codes, notes, progress.

Live targets (the API stand-in) are in tests/test_check_cli_live.py.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml
from clirunner import cli_runner as runner

from kubectl_sidecar.cli import cli, make_progress

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "kubectl_sidecar" / "demo"
DATA = Path(__file__).resolve().parents[1] / "data" / "checks"
SEED = ROOT / "tests" / "data" / "seed"  # copies of ../shared/seed-example
ACS = str(DEMO / "acs-legacy-forced-exit.yaml")
NATIVE = str(DEMO / "native-sidecar.yaml")
STALE = str(DEMO / "stale-legacy-status.yaml")
BLOCKED = str(DEMO / "job-blocked-by-sidecar.yaml")


def run(*args, env=None, input=None):
    base = {"COLUMNS": "100", "NO_COLOR": "", "TZ": "UTC"}
    base.update(env or {})
    return runner().invoke(cli, ["check", *args], env=base, input=input, catch_exceptions=False)


def report(*args):
    result = run(*args, "-o", "json")
    return result, json.loads(result.stdout)


def codes(doc) -> list:
    return sorted({f["code"] for f in doc["findings"]})


# ------------------------------------------------------------------------------------------ the seed and the demos


@pytest.mark.parametrize(
    "path, version, expected, exit_code",
    [
        (ACS, "v1.28.15-aliyun.1", ["SC007", "SC010"], 0),
        (NATIVE, "v1.30.7", ["SC010"], 0),
        (STALE, "v1.30.1-aliyun.1", ["SC004", "SC005", "SC008"], 0),
        (BLOCKED, "v1.29.10", ["SC003"], 1),
    ],
    ids=["acs-forced-exit", "native", "stale-status", "blocked-job"],
)
def test_demo_files_give_their_findings_and_exit_codes(path, version, expected, exit_code):
    result, doc = report("-f", path, "--cluster-version", version)
    assert result.exit_code == exit_code, result.stderr
    assert codes(doc) == expected
    assert doc["summary"]["exitCode"] == exit_code and doc["summary"]["failed"] is bool(exit_code)


def test_seed_acs_example_passes_ci_with_the_default_fail_on_and_fails_on_warning():
    assert run("-f", ACS).exit_code == 0
    assert run("-f", ACS, "--fail-on", "warning").exit_code == 1
    assert run("-f", ACS, "--fail-on", "info").exit_code == 1
    assert run("-f", NATIVE, "--fail-on", "warning").exit_code == 1
    assert run("-f", str(DATA / "sc010-handles-sigterm.yaml"), "--fail-on", "info").exit_code == 0


def test_seed_job_manifest_without_pods_is_checked_by_its_status_with_a_note():
    result = run("test", "-f", str(SEED / "acs-optimized-job.yaml"))
    assert result.exit_code == 0
    assert "Job test (Pending, 0 pods): no pods to check" in result.stdout
    assert "note: Job test has no pods" in result.stderr


def test_blocked_job_table_names_pod_container_evidence_fix_and_doc():
    result = run("daily-report", "-f", BLOCKED, "--cluster-version", "1.29")
    assert result.exit_code == 1
    out = result.stdout
    assert out.startswith("pod reports/daily-report-5xk2p (Job daily-report, Running")
    assert (
        "  SEVERITY  CODE   CONTAINER   FINDING\n  error     SC003  fluent-bit  Job daily-report's pod" in out
    )
    for fragment in (
        "evidence  - report exited with 0 (Completed) at 2025-09-02T06:00:47Z (+47s)",
        "restartPolicy: Always",
        "docs      kubectl sidecar explain SC003\n"
        "              https://github.com/kubectl-sidecar/kubectl-sidecar/blob/main/docs/checks/SC003.md\n",
        "checked 1 Job, 1 pod: 1 error, 0 warnings, 0 info (exit 1: a finding reaches --fail-on error)",
    ):
        assert fragment in out
    assert result.stderr == ""


def test_json_report_shape():
    result, doc = report("job/test", "-f", ACS, "--cluster-version", "v1.28.15-aliyun.1")
    assert result.exit_code == 0
    assert doc["apiVersion"] == "kubectl-sidecar/v1" and doc["kind"] == "CheckReport"
    assert doc["target"] == {"kind": "job", "name": "test", "selector": None, "namespace": None}
    assert doc["cluster"] == {
        "version": "v1.28.15-aliyun.1",
        "versionSource": "flag",
        "nativeSidecars": False,
    }
    assert doc["jobs"] == [
        {
            "name": "test",
            "namespace": "default",
            "status": "Complete",
            "active": 0,
            "succeeded": 1,
            "failed": 0,
            "pods": ["test-729nd"],
        }
    ]
    for finding in doc["findings"]:
        assert {"code", "severity", "pod", "namespace", "container", "message", "evidence", "fix"} <= set(
            finding
        )
        assert (finding["pod"], finding["namespace"], finding["container"]) == (
            "test-729nd",
            "default",
            "sidecar",
        )
    assert doc["summary"] == {
        "jobs": 1,
        "pods": 1,
        "findings": 2,
        "bySeverity": {"error": 0, "warning": 1, "info": 1},
        "byCode": {"SC007": 1, "SC010": 1},
        "highestSeverity": "warning",
        "failOn": "error",
        "failed": False,
        "exitCode": 0,
    }


def test_yaml_report_is_the_same_document_with_fix_yaml_as_blocks():
    as_json = json.loads(run("-f", STALE, "-o", "json").stdout)
    text = run("-f", STALE, "-o", "yaml").stdout
    assert yaml.safe_load(text) == as_json
    assert "fixYaml: |\n" in text


# ------------------------------------------------------------------------------------------ targets


def test_targets_from_files():
    several = ["-f", ACS, "-f", STALE, "-f", BLOCKED]
    _, everything = report(*several)
    assert [j["name"] for j in everything["jobs"]] == ["test", "nightly-export", "daily-report"]
    assert everything["target"]["kind"] == "all"
    _, one_job = report("nightly-export", *several)
    assert [p["name"] for p in one_job["pods"]] == ["nightly-export-h7t2m"]
    _, one_pod = report("pod/test-729nd", *several)
    assert one_pod["jobs"] == [] and [p["name"] for p in one_pod["pods"]] == ["test-729nd"]
    assert codes(one_pod) == ["SC007", "SC010"]
    _, selected = report("-l", "app in (daily-report, test)", *several)
    assert sorted(p["name"] for p in selected["pods"]) == ["daily-report-5xk2p", "test-729nd"]
    _, namespaced = report("-n", "etl", *several)
    assert [j["name"] for j in namespaced["jobs"]] == ["nightly-export"]


def test_no_target_checks_jobs_and_pods_outside_jobs():
    _, doc = report("-f", str(DATA / "sc009-markers.yaml"), "-f", NATIVE)
    assert [j["name"] for j in doc["jobs"]] == ["test"]
    assert [p["name"] for p in doc["pods"]] == ["test-q8x5k", "frontend-5b6c7d8e9f-k2l3m"]


def test_selector_matching_nothing_is_a_note_not_an_error():
    result = run("-l", "app=nope", "-f", ACS)
    assert result.exit_code == 0
    assert "checked 0 pods" in result.stdout and "note: no pods match app=nope" in result.stderr


def test_job_level_finding_from_failed_create_events():
    result, doc = report("weekly-report", "-f", str(DATA / "sc006-job-failed-create.yaml"))
    assert result.exit_code == 1
    (finding,) = doc["findings"]
    assert (finding["code"], finding["pod"], finding["job"], finding["container"]) == (
        "SC006",
        None,
        "weekly-report",
        "cloud-sql-proxy",
    )


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["nope", "-f", ACS], 'Job "nope" not found'),
        (["pod/nope", "-f", ACS], 'pod "nope" not found'),
        (["deploy/x", "-f", ACS], "name a pod (pod/NAME) or a Job (job/NAME)"),
        (["test", "-l", "a=b", "-f", ACS], "give a TARGET or -l SELECTOR, not both"),
        (["-l", "a b", "-f", ACS], 'invalid label selector "a b"'),
        (["-l", "in (x)", "-f", ACS], "invalid label selector"),
        (["-f", ACS, "--cluster-version", "banana"], 'invalid --cluster-version "banana"'),
        (["-f", str(ROOT / "nope.yaml")], "no such file"),
        (["-f", ACS, "--fail-on", "fatal"], "error: invalid value for '--fail-on'"),
    ],
)
def test_target_that_cannot_be_inspected_exits_2(args, fragment):
    result = run(*args)
    assert result.exit_code == 2 and result.stdout == ""
    assert fragment in result.stderr


def test_live_names_cannot_span_all_namespaces():
    result = run("test", "-A")
    assert result.exit_code == 2 and "cannot be named across all namespaces" in result.stderr


def test_declared_sidecar_turns_an_unmarked_worker_into_a_blocker():
    busy = str(DATA / "sc003-worker-still-busy.yaml")
    assert run("-f", busy).exit_code == 0
    result, doc = report("-f", busy, "--sidecar", "load")
    assert result.exit_code == 1 and codes(doc) == ["SC003"]
    assert any("declared a sidecar (--sidecar)" in e for e in doc["findings"][0]["evidence"])


# ------------------------------------------------------------------------------------------ terminal


def test_colour_only_when_asked():
    assert "\x1b[" not in run("-f", NATIVE).stdout
    coloured = run("-f", NATIVE, "--color", "always").stdout
    assert "\x1b[33mwarning" in coloured and "\x1b[0m" in coloured
    assert "\x1b[" not in run("-f", NATIVE, "--color", "always", env={"NO_COLOR": "1"}).stdout


def test_table_wraps_to_the_terminal_width():
    for columns in ("60", "100", "160"):
        out = run("-f", STALE, env={"COLUMNS": columns}).stdout
        prose = [
            line
            for line in out.splitlines()
            if not line.lstrip().startswith(
                ("#", "- name", "image", "restart", "initContainers", "containers")
            )
            and "://" not in line  # a page's URL, on a line of its own: a URL cannot be wrapped
        ]
        assert max(len(line) for line in prose) <= max(int(columns), 70), columns


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_drawn_on_a_terminal_for_large_checks_and_erased():
    stream = _Tty()
    progress = make_progress(stream, minimum=3)
    for done in range(1, 4):
        progress(done, 3)
    assert stream.getvalue() == "\rchecking pods: 1/3\rchecking pods: 2/3\r\x1b[K"
    small = _Tty()
    make_progress(small, minimum=3)(1, 2)
    assert small.getvalue() == ""
    assert make_progress(io.StringIO()) is None


def test_no_progress_or_noise_on_stderr_when_not_a_terminal():
    # Not NATIVE too: its Job "test" is another Job than ACS's under the same name (tests/unit/test_same_object_twice.py).
    result = run("-f", ACS, "-f", STALE, "-f", BLOCKED)
    assert result.stdout and result.stderr == ""


# ------------------------------------------------------------------------------------------ timeline shows findings


def test_timeline_shows_the_same_findings_for_its_pod():
    table = runner().invoke(
        cli,
        ["timeline", "-f", ACS, "--cluster-version", "v1.28.15-aliyun.1", "--no-chart"],
        env={"COLUMNS": "100", "NO_COLOR": ""},
    )
    assert table.exit_code == 0
    assert (
        "Findings: 1 warning, 1 info (evidence and fixes: kubectl sidecar check pod/test-729nd)\n"
        in table.stdout
    )
    assert "SC010  sidecar" in table.stdout and "evidence  -" not in table.stdout
    wide = runner().invoke(
        cli,
        ["timeline", "-f", ACS, "--cluster-version", "v1.28.15-aliyun.1", "--no-chart", "-o", "wide"],
        env={"COLUMNS": "100", "NO_COLOR": ""},
    )
    assert "evidence  - Killing event at 2024-10-29T03:24:43Z (+25s)" in wide.stdout
    doc = json.loads(
        runner()
        .invoke(cli, ["timeline", "-f", ACS, "--cluster-version", "v1.28.15-aliyun.1", "-o", "json"])
        .stdout
    )
    _, checked = report("pod/test-729nd", "-f", ACS, "--cluster-version", "v1.28.15-aliyun.1")
    assert doc["findings"] == checked["findings"]


def test_timeline_without_findings_has_no_findings_section():
    result = runner().invoke(cli, ["timeline", "-f", str(DATA / "sc010-handles-sigterm.yaml"), "--no-chart"])
    assert result.exit_code == 0 and "Findings" not in result.stdout


def test_help_has_examples_and_docs_exist():
    result = runner().invoke(cli, ["check", "--help"])
    assert result.exit_code == 0 and "Examples:" in result.stdout and "--fail-on" in result.stdout
    doc = (ROOT / "docs" / "check.md").read_text()
    for flag in ("-l SELECTOR", "-A", "--fail-on", "--cluster-version", "--sidecar", "-o table|json|yaml"):
        assert flag in doc
