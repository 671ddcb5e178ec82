"""``check`` against a live API server: the loopback stand-in (tests/fakeapi) through the real client.

The same objects served live and read from files give the same findings and exit codes (with the clock
pinned to the end of the data: a live check knows "now", files do not).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from clirunner import cli_runner as runner

from kubectl_sidecar import app as app_module
from kubectl_sidecar import kube
from kubectl_sidecar.cli import cli

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "kubectl_sidecar" / "demo"
DATA = Path(__file__).resolve().parents[1] / "data" / "checks"


@pytest.fixture(autouse=True)
def isolated_home(monkeypatch, clean_kube_env):
    monkeypatch.setattr(kube.session, "BACKOFF_SECONDS", 0.01)


def run(*args):
    return runner().invoke(
        cli, ["check", *args], env={"COLUMNS": "100", "TZ": "UTC", "NO_COLOR": "1"}, catch_exceptions=False
    )


def pin_clock(monkeypatch, path: Path) -> None:
    """Make the live check's "now" the last time in the data, as files have it."""
    marks = []
    for pod in json.loads(run("-f", str(path), "-o", "json").stdout)["pods"]:
        result = runner().invoke(
            cli, ["timeline", pod["name"], "-f", str(path), "-n", pod["namespace"], "-o", "json"]
        )
        marks += [m["time"] for m in json.loads(result.stdout)["marks"]]
        marks += [m["lastTime"] for m in json.loads(result.stdout)["marks"] if m["lastTime"]]
    last = max(datetime.fromisoformat(t.replace("Z", "+00:00")) for t in marks)
    clock = type("PinnedClock", (datetime,), {"now": staticmethod(lambda tz=None: last)})
    monkeypatch.setattr(app_module, "datetime", clock)


def codes(doc) -> list:
    return sorted({f["code"] for f in doc["findings"]})


# (id, file, server version, target, expected codes, exit code)
LIVE_CASES = [
    ("seed-acs", DEMO / "acs-legacy-forced-exit.yaml", "v1.28.15-aliyun.1", "test", ["SC007", "SC010"], 0),
    ("seed-native", DEMO / "native-sidecar.yaml", "v1.30.7", "job/test", ["SC010"], 0),
    (
        "stale-status",
        DEMO / "stale-legacy-status.yaml",
        "v1.30.1-aliyun.1",
        "nightly-export",
        ["SC004", "SC005", "SC008"],
        0,
    ),
    ("blocked-job", DEMO / "job-blocked-by-sidecar.yaml", "v1.29.10", "daily-report", ["SC003"], 1),
    (
        "unhonoured-marker",
        DATA / "sc003-unhonoured-marker.yaml",
        "v1.28.13-eks-a737599",
        "import-daily",
        ["SC003"],
        1,
    ),
    ("deadline", DATA / "sc003-deadline-exceeded.yaml", "v1.30.5-gke.1014001", "db-migrate", ["SC003"], 1),
    ("kruise-exit", DATA / "sc012-kruise-exit.yaml", "v1.28.13-eks-a737599", "db-backup", ["SC012"], 1),
    (
        "crashloop",
        DATA / "sc008-native-crashloop.yaml",
        "v1.31.1-aliyun.1",
        "pod/checkout-6f7d9c8b4-r5t6y",
        ["SC008"],
        0,
    ),
    ("markers", DATA / "sc009-markers.yaml", "v1.28.15-aliyun.1", None, ["SC009"], 0),
]


@pytest.mark.parametrize(
    "path, version, target, expected, exit_code", [c[1:] for c in LIVE_CASES], ids=[c[0] for c in LIVE_CASES]
)
def test_live_check_finds_what_files_find(
    path, version, target, expected, exit_code, fake_api_factory, kubeconfig, monkeypatch
):
    pin_clock(monkeypatch, path)
    api = fake_api_factory([str(path)], tls=True, token="check-token", version=version)
    namespace = api.objects("Pod")[0]["metadata"]["namespace"]
    config = kubeconfig(api, namespace=namespace)
    args = ([target] if target else []) + ["--kubeconfig", config]
    live = run(*args, "-o", "json")
    assert live.exit_code == exit_code, live.stderr
    doc = json.loads(live.stdout)
    assert codes(doc) == expected
    assert doc["cluster"]["versionSource"] == "server" and doc["cluster"]["version"] == version
    offline = json.loads(
        run(*([target] if target else []), "-f", str(path), "--cluster-version", version, "-o", "json").stdout
    )
    # the same findings, word for word, but for where the version came from and where files end
    same = json.loads(json.dumps(doc["findings"]).replace(f"{version} (server)", f"{version} (flag)"))
    for finding in offline["findings"] + same:  # the time judged at: the clock live, the data's end offline
        finding["evidence"] = [e for e in finding["evidence"] if not e.startswith("judged at ")]
    assert same == offline["findings"]
    assert {r.method for r in api.requests} == {"GET"} and api.writes() == []


def test_live_table_for_a_blocked_job_and_its_exit_code(fake_api_factory, kubeconfig):
    api = fake_api_factory([str(DEMO / "job-blocked-by-sidecar.yaml")], version="v1.29.10")
    config = kubeconfig(api, namespace="reports")
    result = run("daily-report", "--kubeconfig", config)
    assert result.exit_code == 1
    assert "error     SC003  fluent-bit  Job daily-report's pod cannot finish" in result.stdout
    assert "checked 1 Job, 1 pod: 1 error" in result.stdout
    # live, "now" is long after the data: the evidence says how long the shipper has outlived the app
    assert "the data ends at" not in result.stdout
    assert run("daily-report", "--kubeconfig", config, "--fail-on", "error").exit_code == 1


def test_live_now_turns_a_long_outliving_second_worker_into_a_blocker(fake_api_factory, kubeconfig):
    """Files end 20s after the first worker exited; live, years have passed and the pod is still Running."""
    path = DATA / "sc003-worker-still-busy.yaml"
    assert run("-f", str(path)).exit_code == 0
    api = fake_api_factory([str(path)], version="v1.30.4")
    result = run("etl-pair", "--kubeconfig", kubeconfig(api, namespace="batch"), "-o", "json")
    assert result.exit_code == 1
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["code"] == "SC003" and finding["container"] == "load"


def test_live_targets(fake_api_factory, kubeconfig):
    api = fake_api_factory(
        [
            str(DEMO / "acs-legacy-forced-exit.yaml"),
            str(DEMO / "stale-legacy-status.yaml"),
            str(DEMO / "job-blocked-by-sidecar.yaml"),
            str(DATA / "sc009-markers.yaml"),
        ],
        version="v1.30.2",
    )
    config = kubeconfig(api, namespace="default")

    def doc(*args):
        result = run(*args, "--kubeconfig", config, "-o", "json")
        assert result.exit_code in (0, 1), result.stderr
        return json.loads(result.stdout)

    assert [p["name"] for p in doc("pod/test-729nd")["pods"]] == ["test-729nd"]
    assert [p["name"] for p in doc("-l", "app=test")["pods"]] == ["test-729nd"]
    everything = doc()
    assert [j["name"] for j in everything["jobs"]] == ["test"] and len(everything["pods"]) == 1
    across = doc("-A")
    assert sorted(j["name"] for j in across["jobs"]) == ["daily-report", "nightly-export", "test"]
    assert sorted(p["name"] for p in across["pods"]) == [
        "daily-report-5xk2p",
        "frontend-5b6c7d8e9f-k2l3m",
        "nightly-export-h7t2m",
        "test-729nd",
    ]
    assert [p["name"] for p in doc("nightly-export", "-n", "etl")["pods"]] == ["nightly-export-h7t2m"]
    assert run("-A", "--kubeconfig", config).exit_code == 1  # the blocked Job in "reports"


def test_live_job_pods_come_through_the_job_selector_across_pages(fake_api_factory, kubeconfig):
    path = DEMO / "native-sidecar.yaml"
    api = fake_api_factory([str(path)], version="v1.30.7")
    template = api.objects("Pod")[0]
    more = []
    for i in range(3):
        clone = json.loads(json.dumps(template))
        clone["metadata"]["name"] = f"test-extra{i}"
        clone["metadata"]["uid"] = f"uid-extra-{i}"
        more.append(clone)
    stranger = json.loads(json.dumps(template))
    stranger["metadata"].update(name="other-pod", uid="uid-other", labels={"app": "other"})
    api.load(more + [stranger])
    result = run("test", "--kubeconfig", kubeconfig(api, namespace="default"), "-o", "json")
    doc = json.loads(result.stdout)
    assert sorted(p["name"] for p in doc["pods"]) == [
        "test-extra0",
        "test-extra1",
        "test-extra2",
        "test-q8x5k",
    ]
    assert doc["summary"]["pods"] == 4


@pytest.mark.parametrize(
    "args, status_path, fragment",
    [
        (["nope"], None, 'Job "nope" not found in namespace "default"'),
        (["pod/nope"], None, 'pod "nope" not found in namespace "default"'),
        (["test"], r"/jobs/test$", "forbidden"),
        ([], r"/pods$", "forbidden"),
    ],
    ids=["job-not-found", "pod-not-found", "job-forbidden", "pods-forbidden"],
)
def test_live_target_that_cannot_be_inspected_exits_2(
    args, status_path, fragment, fake_api_factory, kubeconfig
):
    api = fake_api_factory([str(DEMO / "acs-legacy-forced-exit.yaml")], version="v1.28.15-aliyun.1")
    if status_path:
        api.fail(status_path, 403, times=None)
    result = run(*args, "--kubeconfig", kubeconfig(api, namespace="default"))
    assert result.exit_code == 2, result.stdout
    assert result.stdout == "" and fragment in result.stderr


def test_live_unreachable_server_exits_2(kubeconfig):
    from fakeapi import unused_port

    result = run(
        "test",
        "--kubeconfig",
        kubeconfig(server_url=f"http://127.0.0.1:{unused_port()}"),
        "--request-timeout",
        "2s",
    )
    assert result.exit_code == 2 and result.stdout == ""


def test_live_forbidden_events_give_sc011_and_a_note(fake_api_factory, kubeconfig):
    api = fake_api_factory([str(DEMO / "acs-legacy-forced-exit.yaml")], version="v1.28.15-aliyun.1")
    api.fail(r"/events$", 403, times=None)
    result = run("test", "--kubeconfig", kubeconfig(api, namespace="default"), "-o", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert "SC011" in codes(doc) and "SC007" in codes(doc)
    assert "forbidden" in result.stderr
