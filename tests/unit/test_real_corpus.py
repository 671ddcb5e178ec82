"""The real-world corpus (tests/data/real/, sources in its README): roles, order and findings as a
domain expert reads each thread, and a TIME column that never runs backwards."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubectl_sidecar import app, files
from kubectl_sidecar.cli.options import parse_version_flag
from kubectl_sidecar.raw import parse_time
from kubectl_sidecar.render.document import pod_result_to_dict
from kubectl_sidecar.select import KIND_ALL, Target

REAL = Path(__file__).resolve().parents[1] / "data" / "real"
DEMO = Path(__file__).resolve().parents[2] / "kubectl_sidecar" / "demo"
# the demo scenarios too: acs-legacy-forced-exit is the seed example (a scheduler event at +0.21s)
ALL = sorted(REAL.glob("*.yaml")) + sorted(p for p in DEMO.glob("*.yaml") if p.name != "index.yaml")

M, K, N, A, INIT = "sidecar/mesh", "sidecar/known", "sidecar/native", "app", "init"

# file, cluster version, --now, {container: role/kind}, {container: catalogue entry}, codes, SC003 words
CASES = [
    (
        "istio-11045-pi-job",
        "1.13",
        "2019-01-17T02:33:25Z",
        {"istio-init": INIT, "pi": A, "istio-proxy": M},
        {"istio-proxy": "istio-proxy"},
        {"SC003"},
        ["Job pi's pod cannot finish", "15020/quitquitquit"],
    ),
    (
        "istio-11659-cronjob-backup",
        "1.13",
        "2019-02-11T08:34:03Z",
        {"backup": A, "istio-proxy": M},
        {"istio-proxy": "istio-proxy"},
        {"SC003", "SC011"},
        ["made by CronJob backup-at-uk", "quitquitquit"],
    ),
    (
        "katib-1042-trial-job",
        "1.15",
        None,
        {"training-container": A, "metrics-logger-and-collector": A, "istio-proxy": M},
        {"istio-proxy": "istio-proxy"},
        {"SC003", "SC011"},
        ["random-example-trial-5x2fz"],
    ),
    (
        "argo-panfactum-148-linkerd",
        "1.30",
        None,
        {"linkerd-init": INIT, "wait": A, "main": A, "linkerd-proxy": M},
        {"linkerd-proxy": "linkerd-proxy"},
        {"SC011"},
        [],
    ),
    (
        "tekton-4731-taskrun",
        "1.23",
        "2022-04-01T14:47:10Z",
        {"prepare": INIT, "step-build": A, "step-test": A, "istio-proxy": M},
        {"istio-proxy": "istio-proxy"},
        {"SC003", "SC011"},
        ["TaskRun build-and-test-run (Tekton)", "the TaskRun does not complete"],
    ),
    (
        "airflow-5448-executor-worker",
        "1.15",
        None,
        {"base": A, "istio-proxy": M},
        {"istio-proxy": "istio-proxy"},
        {"SC003", "SC011"},
        ["Airflow pod (example_bash_operator)"],
    ),
    (
        "arkmq-802-drainer-pod",
        "1.28",
        None,
        {"istio-init": INIT, "drainer": A, "istio-proxy": M},
        {"istio-proxy": "istio-proxy"},
        {"SC003", "SC011"},
        ["pod ex-aao-ss-drainer-1 (restartPolicy Never)"],
    ),
    (
        "compute-studio-362-cloudsql-v1-cronjob",
        "1.17",
        None,
        {"cs-cronjob": A, "cloudsql-proxy": K},
        {"cloudsql-proxy": "cloud-sql-proxy-v1"},
        {"SC003", "SC011"},
        ["made by CronJob cs-cronjob", "v1 has no quit"],
    ),
    (
        "cloud-sql-proxy-1941-v2-job",
        "1.27",
        None,
        {"migrate": A, "cloud-sql-proxy": K},
        {"cloud-sql-proxy": "cloud-sql-proxy-v2"},
        {"SC003", "SC011"},
        ["Job db-migrate's pod", "--quitquitquit", "localhost:9091/quitquitquit"],
    ),
    (
        "linkerd2-8033-cronjob-proxy-killed",
        "1.22",
        None,
        {"linkerd-init": INIT, "backup": A, "linkerd-proxy": M},
        {"linkerd-proxy": "linkerd-proxy"},
        {"SC012"},
        [],
    ),
    (
        "kruise-1366-eks-job-marker",
        "1.27",
        "2023-08-14T08:05:00Z",
        {"geckodriver": "sidecar/kruise", "crawler": A},
        {"geckodriver": "kruise-job-sidecar"},
        {"SC002", "SC003", "SC011"},
        ["SidecarTerminator"],
    ),
    ("kubectl-1739-eks-native-sidecar", "1.30", None, {"logshipper": N, "myjob": A}, {}, {"SC010"}, []),
    (
        "koperator-1021-vault-agent-job",
        "1.27",
        None,
        {"copy-vault-env": INIT, "vault-agent": K, "qdm-migration-service": A},
        {"vault-agent": "vault-agent"},
        {"SC003", "SC011"},
        ["agent-pre-populate-only"],
    ),
]


def _result(name, version, now):
    snapshot = files.load_snapshot([str(REAL / f"{name}.yaml")], cluster_version=parse_version_flag(version))
    return app.timeline_for_pod(
        snapshot, snapshot.pods[0], now=parse_time(now) if now else None, now_source="flag"
    )


def test_the_corpus_is_what_the_table_covers_and_each_file_names_its_source():
    assert {p.stem for p in REAL.glob("*.yaml")} == {c[0] for c in CASES}
    assert len(CASES) >= 12
    readme = (REAL / "README.md").read_text()
    for path in REAL.glob("*.yaml"):
        head = path.read_text().split("\n", 1)[0]
        assert head.startswith("# Source: https://"), path.name
        assert path.name in readme, path.name


@pytest.mark.parametrize("name, version, now, roles, known, codes, words", CASES, ids=[c[0] for c in CASES])
def test_roles_known_sidecars_and_findings(name, version, now, roles, known, codes, words):
    result = _result(name, version, now)
    got = {
        ct.name: f"{ct.container.role}/{ct.container.sidecar_kind}"
        if ct.container.sidecar_kind
        else str(ct.container.role)
        for ct in result.timeline.containers
    }
    assert got == roles
    assert list(got) == list(roles)  # spec order: init containers, then regular ones
    assert {
        ct.name: ct.container.known.name for ct in result.timeline.containers if ct.container.known
    } == known
    assert {f.code for f in result.findings} == codes, [f.message for f in result.findings]
    text = " ".join(
        f"{f.message} {f.fix} {' '.join(f.evidence)}" for f in result.findings if f.code == "SC003"
    )
    for word in words:
        assert word in text, (word, text)


@pytest.mark.parametrize("path", ALL, ids=[p.stem for p in ALL])
def test_the_time_column_never_runs_backwards_and_starts_at_the_pods_first_mark(path):
    snapshot = files.load_snapshot([str(path)])
    report = app.check_snapshot(snapshot, Target(kind=KIND_ALL), keep_timelines=True)
    assert report.results(), path.name
    for result in report.results():
        doc = pod_result_to_dict(result)
        own = [m["offsetSeconds"] for m in doc["marks"] if m["kind"] not in ("job started", "job completed")]
        assert min(own) == 0, path.name  # offsets start at the pod's earliest mark
        offsets = [m["offsetSeconds"] for m in doc["marks"]]
        shown = [int(o) if m["precision"] == "s" else o for o, m in zip(offsets, doc["marks"])]
        assert shown == sorted(shown), path.name


def test_a_stuck_job_from_a_file_reaches_the_rule_for_unmarked_containers_only_with_now():
    """Issue 13: without --now, the data ends at the app's exit; with it, five minutes have passed."""
    snapshot = files.load_snapshot([str(REAL / "kruise-1366-eks-job-marker.yaml")], cluster_version=None)
    target = Target(kind=KIND_ALL)
    without = app.check_snapshot(snapshot, target)
    assert "SC003" not in {f.code for f in without.findings()}
    later = app.check_snapshot(snapshot, target, now=parse_time("2023-08-14T08:05:00Z"), now_source="flag")
    (finding,) = [f for f in later.findings() if f.code == "SC003"]
    assert any("judged at" in e and "--now" in e for e in finding.evidence)
