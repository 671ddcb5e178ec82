"""Table-driven tests of the check engine on real-looking snapshots: the bundled demo files, the seed's
observed run, and the fixtures of tests/data/checks/ (written by tests/data/checks/generate.py).

Every code is triggered by at least one case and left silent by at least one near miss; each case
asserts the exact set of codes, so a code that fires where it should not fails the test too.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from kubectl_sidecar import app, files
from kubectl_sidecar.checks import CHECKS, CODES, ERROR, INFO, WARNING, CheckContext, check_timeline
from kubectl_sidecar.findings import Finding
from kubectl_sidecar.model import parse_cluster_version
from kubectl_sidecar.render import document
from kubectl_sidecar.select import KIND_ALL, Target

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "kubectl_sidecar" / "demo"
DATA = Path(__file__).resolve().parents[1] / "data" / "checks"


def load(path: Path, version: str | None = None):
    return files.load_snapshot(
        [str(path)], cluster_version=parse_cluster_version(version) if version else None
    )


def report_of(path: Path, version: str | None = None, now=None):
    return app.check_snapshot(load(path, version), Target(kind=KIND_ALL), now=now)


def codes(report) -> set:
    return {f.code for f in report.findings()}


# (id, file, --cluster-version, the exact set of codes, exit code with --fail-on error)
CASES = [
    (
        "demo-acs-forced-exit",
        DEMO / "acs-legacy-forced-exit.yaml",
        "v1.28.15-aliyun.1",
        {"SC007", "SC010"},
        0,
    ),
    ("demo-acs-forced-exit-no-version", DEMO / "acs-legacy-forced-exit.yaml", None, {"SC007", "SC010"}, 0),
    ("demo-native", DEMO / "native-sidecar.yaml", "v1.30.7", {"SC010"}, 0),
    (
        "demo-stale-status",
        DEMO / "stale-legacy-status.yaml",
        "v1.30.1-aliyun.1",
        {"SC004", "SC005", "SC008"},
        0,
    ),
    ("demo-blocked-job", DEMO / "job-blocked-by-sidecar.yaml", "v1.29.10", {"SC003"}, 1),
    ("sc001-mesh-proxy-late", DATA / "sc001-mesh-proxy-late.yaml", "v1.29.8", {"SC001"}, 0),
    ("sc001-native-probe-early", DATA / "sc001-native-probe-early.yaml", None, {"SC001"}, 0),
    ("sc001-native-probe-waited", DATA / "sc001-native-probe-waited.yaml", "v1.31.1", set(), 0),
    ("sc002-sidecar-oomkilled", DATA / "sc002-sidecar-oomkilled.yaml", "v1.30.7", {"SC002"}, 0),
    ("sc002-pod-deleted", DATA / "sc002-pod-deleted.yaml", "v1.30.7", set(), 0),
    ("sc003-unhonoured-marker", DATA / "sc003-unhonoured-marker.yaml", "v1.28.13", {"SC003"}, 1),
    ("sc003-deadline-exceeded", DATA / "sc003-deadline-exceeded.yaml", "v1.30.5", {"SC003"}, 1),
    # nothing names "load" a sidecar and the app ended minutes ago: SC003 at info (it may be at work)
    ("sc003-worker-still-busy", DATA / "sc003-worker-still-busy.yaml", "v1.30.4", {"SC003"}, 0),
    (
        "sc004-acs-128-status-updated",
        DATA / "sc004-acs-128-status-updated.yaml",
        "v1.28.15-aliyun.1",
        {"SC002"},
        0,
    ),
    ("sc006-native-on-127", DATA / "sc006-native-on-127.yaml", "v1.27.16", {"SC006"}, 1),
    ("sc006-dropped-on-128", DATA / "sc006-dropped-on-128.yaml", "v1.28.15", {"SC006"}, 1),
    ("sc006-kubelet-forbids", DATA / "sc006-kubelet-forbids.yaml", "v1.28.9", {"SC006"}, 1),
    ("sc006-job-failed-create", DATA / "sc006-job-failed-create.yaml", "v1.28.9", {"SC006"}, 1),
    ("sc006-native-128-gate-on", DATA / "sc006-native-128-gate-on.yaml", "v1.28.15", set(), 0),
    ("sc008-native-crashloop", DATA / "sc008-native-crashloop.yaml", "v1.31.1", {"SC008"}, 0),
    ("sc009-markers", DATA / "sc009-markers.yaml", "v1.28.15-aliyun.1", {"SC009"}, 0),
    ("sc010-handles-sigterm", DATA / "sc010-handles-sigterm.yaml", "v1.30.7", set(), 0),
    ("sc011-no-events", DATA / "sc011-no-events.yaml", "v1.28.15-aliyun.1", {"SC007", "SC010", "SC011"}, 0),
    ("sc012-kruise-exit", DATA / "sc012-kruise-exit.yaml", "v1.28.13", {"SC012"}, 1),
    ("sc012-app-failed", DATA / "sc012-app-failed.yaml", "v1.28.13", set(), 0),
]


@pytest.mark.parametrize(
    "path, version, expected, exit_code", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_case_raises_exactly_its_codes(path, version, expected, exit_code):
    report = report_of(path, version)
    assert codes(report) == expected, [(f.code, f.message) for f in report.findings()]
    assert report.exit_code() == exit_code


# code -> (a case that raises it, a near miss that does not)
BOTH_WAYS = {
    "SC001": ("sc001-mesh-proxy-late", "sc001-native-probe-waited"),
    "SC002": ("sc002-sidecar-oomkilled", "sc002-pod-deleted"),
    "SC003": ("demo-blocked-job", "demo-acs-forced-exit"),
    "SC004": ("demo-stale-status", "sc004-acs-128-status-updated"),
    "SC005": ("demo-stale-status", "demo-acs-forced-exit"),
    "SC006": ("sc006-dropped-on-128", "sc006-native-128-gate-on"),
    "SC007": ("demo-acs-forced-exit", "demo-native"),
    "SC008": ("sc008-native-crashloop", "sc004-acs-128-status-updated"),
    "SC009": ("sc009-markers", "demo-acs-forced-exit"),
    "SC010": ("demo-native", "sc010-handles-sigterm"),
    "SC011": ("sc011-no-events", "demo-native"),
    "SC012": ("sc012-kruise-exit", "sc012-app-failed"),
}
_BY_ID = {c[0]: c for c in CASES}


def test_every_code_is_checked_and_tested_both_ways():
    assert set(BOTH_WAYS) == set(CODES) == set(CHECKS)
    for code, (hit, miss) in BOTH_WAYS.items():
        assert code in _BY_ID[hit][3], (code, hit)
        assert code not in _BY_ID[miss][3], (code, miss)


@pytest.mark.parametrize("code", sorted(CODES))
def test_each_code_names_the_family_module_that_raises_it(code):
    assert CHECKS[code].__module__ == f"kubectl_sidecar.checks.{CODES[code].family}"


@pytest.mark.parametrize("code", sorted(BOTH_WAYS))
def test_each_check_alone_fires_on_its_case_and_not_on_its_near_miss(code):
    hit, miss = (_BY_ID[name] for name in BOTH_WAYS[code])
    for case, fires in ((hit, True), (miss, False)):
        snapshot = load(case[1], case[2])
        report = app.check_snapshot(snapshot, Target(kind=KIND_ALL))
        timelines = [app.timeline_for_pod(snapshot, pod).timeline for pod in snapshot.pods]
        own = [f for t in timelines for f in check_timeline(t, CheckContext(), codes={code})]
        own += [f for j in report.jobs for f in j.findings if f.code == code]
        assert bool(own) is fires, (code, case[0])


# ------------------------------------------------------------------------------------------ every finding

ALL_FINDINGS = [(c[0], f) for c in CASES for f in report_of(c[1], c[2]).findings()]


@pytest.mark.parametrize(
    "case, finding", ALL_FINDINGS, ids=[f"{c}-{f.code}-{f.container}" for c, f in ALL_FINDINGS]
)
def test_every_finding_names_pod_container_evidence_fix_and_doc(case, finding):
    assert isinstance(finding, Finding)
    assert finding.pod or finding.job
    assert finding.namespace
    assert finding.container or finding.code == "SC011"
    assert finding.message and finding.evidence and finding.fix
    assert all(isinstance(e, str) and e for e in finding.evidence)
    assert (ROOT / finding.doc).is_file()
    doc = document.finding_to_dict(finding)
    assert json.loads(json.dumps(doc)) == doc
    assert {"code", "severity", "pod", "namespace", "container", "message", "evidence", "fix"} <= set(doc)
    assert doc["severity"] in (INFO, WARNING, ERROR)


def test_findings_never_show_env_values():
    """Env is read only to recognise markers: values (even of the markers) never reach the output."""
    secrets = ["etl-nightly", "SCRAPE_INTERVAL", "15s"]
    for case in CASES:
        text = json.dumps(document.report_to_dict(report_of(case[1], case[2])))
        for secret in secrets:
            assert secret not in text, (case[0], secret)
    markers = report_of(DATA / "sc009-markers.yaml", "v1.28.15-aliyun.1")
    metrics = next(f for f in markers.findings() if f.container == "metrics")
    assert (
        '"True"' not in json.dumps(document.finding_to_dict(metrics))
        and "value is not shown" in metrics.evidence[0]
    )


# ------------------------------------------------------------------------------------------ the seed examples


def test_seed_acs_example_raises_sc007_and_nothing_at_error_level():
    report = report_of(DEMO / "acs-legacy-forced-exit.yaml", "v1.28.15-aliyun.1")
    assert "SC007" in codes(report)
    assert all(f.severity != ERROR for f in report.findings())
    forced = next(f for f in report.findings() if f.code == "SC007")
    assert (
        "137" in forced.message and "Force this container to be success(137, Error, )" in forced.evidence[0]
    )
    sigterm = next(f for f in report.findings() if f.code == "SC010")
    assert "30s" in sigterm.message and "original code was 137" in sigterm.message
    assert "trap 'exit 0' TERM" in sigterm.fix_yaml


def test_seed_acs_example_reads_the_version_from_the_virtual_node_when_none_is_given():
    report = report_of(DEMO / "acs-legacy-forced-exit.yaml")
    assert "SC005" not in codes(report)  # the node says 1.28: no native sidecars to recommend


def test_seed_native_example_is_killed_a_grace_period_after_its_stop():
    (finding,) = report_of(DEMO / "native-sidecar.yaml", "v1.30.7").findings()
    assert (finding.code, finding.container, finding.pod) == ("SC010", "sidecar", "test-q8x5k")
    assert "asked to stop at +13s" in finding.message and "killed 30s later" in finding.message
    assert any("Killing event at 2025-03-04T08:00:13Z (+13s)" in e for e in finding.evidence)


def test_blocked_job_names_the_unmarked_shipper_and_gives_the_native_form():
    (finding,) = report_of(DEMO / "job-blocked-by-sidecar.yaml", "v1.29.10").findings()
    assert (finding.code, finding.container, finding.job) == ("SC003", "fluent-bit", "daily-report")
    assert "report exited at +47s" in finding.message
    assert (
        "initContainers:\n- name: fluent-bit" in finding.fix_yaml
        and "restartPolicy: Always" in finding.fix_yaml
    )


def test_blocked_job_on_128_offers_the_old_ways_not_native_yaml():
    (finding,) = report_of(DEMO / "job-blocked-by-sidecar.yaml", "v1.28.3").findings()
    assert finding.fix_yaml is None and "emptyDir" in finding.fix


def test_stale_status_says_what_the_real_state_most_likely_is_and_since_when():
    report = report_of(DEMO / "stale-legacy-status.yaml", "v1.30.1-aliyun.1")
    stale = next(f for f in report.findings() if f.code == "SC004")
    assert "most likely running since 2025-06-11T01:03:33Z (+3m33s)" in stale.message
    assert "terminated with 1 (Error)" in stale.message
    native = next(f for f in report.findings() if f.code == "SC005")
    assert "drop the __IS_SIDECAR__ env entry" in native.fix_yaml
    restarts = next(f for f in report.findings() if f.code == "SC008")
    assert any("while exporter was running" in e for e in restarts.evidence)


def test_findings_come_errors_first_then_by_code():
    report = report_of(DEMO / "stale-legacy-status.yaml", "v1.30.1-aliyun.1")
    assert [f.code for f in report.findings()] == ["SC004", "SC008", "SC005"]


# ------------------------------------------------------------------------------------------ assumptions and time


def test_unknown_version_findings_say_what_they_assumed():
    report = report_of(DATA / "sc011-no-events.yaml")  # no node, no --cluster-version
    native = next(f for f in report.findings() if f.code == "SC005")
    assert any("assumed 1.29 or later" in a for a in native.assumptions)
    assert "(assumed 1.29+)" in native.message


def test_version_from_node_is_stated_as_an_assumption():
    report = report_of(DATA / "sc003-unhonoured-marker.yaml")
    (finding,) = report.findings()
    assert any("kubeletVersion v1.28.13-eks-a737599" in a for a in finding.assumptions)


def test_an_unmarked_second_container_is_info_then_an_error_after_five_minutes():
    """Issue 13: reported whether or not anything names it a sidecar; the severity rises with time."""
    snapshot = load(DATA / "sc003-worker-still-busy.yaml", "v1.30.4")
    target = Target(kind=KIND_ALL)
    exited = snapshot.pods[0]["status"]["containerStatuses"][0]["state"]["terminated"]["finishedAt"]
    from kubectl_sidecar.raw import parse_time

    soon = parse_time(exited) + timedelta(minutes=2)
    later = parse_time(exited) + timedelta(minutes=6)
    (early,) = app.check_snapshot(snapshot, target, now=soon).findings()
    assert (early.code, early.severity, early.container) == ("SC003", "info", "load")
    assert "may not finish" in early.message and "may still be at work" in early.evidence[1]
    report = app.check_snapshot(snapshot, target, now=later)
    (finding,) = report.findings()
    assert (
        finding.code == "SC003"
        and finding.severity == "error"
        and finding.container == "load"
        and "an unmarked sidecar?" in finding.evidence[1]
    )


def test_sc011_for_expired_and_forbidden_events():
    snapshot = load(DEMO / "native-sidecar.yaml", "v1.30.7")
    snapshot.events = []  # a new list: the snapshot's indexes are built again
    assert "SC011" in codes(app.check_snapshot(snapshot, Target(kind=KIND_ALL)))
    snapshot.events_state = "forbidden"
    (finding,) = [
        f for f in app.check_snapshot(snapshot, Target(kind=KIND_ALL)).findings() if f.code == "SC011"
    ]
    assert "forbidden" in finding.message and finding.container is None and finding.severity == INFO


def test_sc010_without_events_infers_the_stop_from_the_app_exit():
    report = report_of(DATA / "sc011-no-events.yaml", "v1.28.15-aliyun.1")
    finding = next(f for f in report.findings() if f.code == "SC010")
    assert any("no Killing event is left" in e for e in finding.evidence)


def test_every_code_has_a_doc_page_and_the_index_lists_it():
    index = (ROOT / "docs" / "checks" / "index.md").read_text()
    for code, entry in CODES.items():
        page = (ROOT / entry.doc).read_text()
        assert page.startswith(f"# {code}"), code
        assert entry.severity in page.splitlines()[2].lower() or entry.severity in page[:400].lower()
        for section in ("## What it means", "## Why it matters", "## Example", "## Fix"):
            assert section in page, (code, section)
        assert "```yaml" in page, code
        assert re.search(rf"\[{code}\]\({code}\.md\)", index), code
