"""Faults of the API and of kubeconfigs: clear errors in bounded time, nothing half-printed, no leaks.

Every case runs the real CLI against the API stand-in (tests/fakeapi, over TLS with a bearer token)
with a fault injected, and checks what a user under pressure needs:

* the exit code (2: could not inspect; 0 when a retry or a note saved the day);
* on failure: nothing on stdout and one sentence on stderr, never a traceback;
* bounded wall time (generous bounds: a loaded 2-core CI machine must pass; a hang is what fails);
* bounded retries, GETs only (the server's request log), the token never in any output.

The kubeconfig corpus (tests/corpus/kubeconfig) holds broken kubeconfigs with placeholders
(``__SERVER__``, ``__CA__``, ``__TOKEN__``, ``__PYTHON__``, ``__PLUGINS__``) filled in at test time.
docs/reliability.md lists the cases and what the plugin does.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from clirunner import cli_runner
from fakeapi import FakeApiServer
from procs import with_default_sigint

from kubectl_sidecar import kube
from kubectl_sidecar.cli import cli

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "kubectl_sidecar" / "demo"
KUBECONFIGS = Path(__file__).resolve().parents[1] / "corpus" / "kubeconfig"
POD = "test-q8x5k"  # in DEMO / native-sidecar.yaml, with its Job "test", events and node name
POD_PATH = rf"/namespaces/default/pods/{POD}$"
TOKEN = "tok-S3CRET-4f9a2c7e1b"
TIME_BOUND = 20.0
UNSET = (
    "KUBECONFIG",
    "KUBERNETES_SERVICE_HOST",
    "KUBERNETES_SERVICE_PORT",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "KUBECTL_SIDECAR_DEBUG",
)


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No ~/.kube/config, no KUBECONFIG, not in a pod, no proxies; short back-offs (counts still real)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in UNSET:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(kube.config, "SERVICE_ACCOUNT_DIR", str(tmp_path / "no-service-account"))
    monkeypatch.setattr(kube.session, "BACKOFF_SECONDS", 0.05)


@pytest.fixture
def api(fake_api_factory):
    return fake_api_factory([str(DEMO / "native-sidecar.yaml")], tls=True, token=TOKEN)


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    elapsed: float


def invoke(*args, env=None) -> Outcome:
    started = time.monotonic()
    result = cli_runner().invoke(
        cli,
        list(args),
        env={"COLUMNS": "100", "TZ": "UTC", "NO_COLOR": "1", **(env or {})},
        catch_exceptions=False,
    )
    return Outcome(result.exit_code, result.stdout, result.stderr, time.monotonic() - started)


def assert_failed(outcome: Outcome, fragment: str, *secrets: str) -> None:
    assert outcome.code == 2, (outcome.stdout, outcome.stderr)
    assert outcome.stdout == "", "a failed command printed to stdout"
    lines = outcome.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), outcome.stderr
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in outcome.stderr
    assert outcome.elapsed < TIME_BOUND
    for secret in (TOKEN,) + secrets:
        assert secret not in outcome.stdout + outcome.stderr


def assert_only_gets(server: FakeApiServer) -> None:
    assert server.writes() == []
    assert server.errors == []


# ------------------------------------------------------------------------------------------ API faults

# (id, fault kwargs for the pod GET, extra args, stderr fragment, attempts on the pod's path)
FAILURES = [
    ("reset-mid-body", {"mode": "reset"}, [], "dropped the connection 4 times (", 4),
    ("closed-without-answer", {"mode": "close"}, [], "dropped the connection 4 times (", 4),
    ("truncated-json", {"mode": "truncate"}, [], "with something that is not JSON", 4),
    (
        "html-login-page",
        {"body": "<html><body>Sign in to the corporate proxy</body></html>"},
        [],
        "with something that is not JSON",
        4,
    ),
    ("429", {"status": 429, "retry_after": 1}, [], "answered 429 TooManyRequests", 4),
    ("500", {"status": 500}, [], "answered 500 InternalError", 4),
    ("503", {"status": 503}, [], "answered 503", 4),
    ("504", {"status": 504}, [], "answered 504", 4),
    (
        "slower-than-request-timeout",
        {"delay": 30},
        ["--request-timeout", "1s"],
        "did not answer within 1s (--request-timeout)",
        1,
    ),
    ("403", {"status": 403}, [], "(403 Forbidden)", 1),
    ("404", {"status": 404}, [], f'pod "{POD}" not found in namespace "default"', 1),
    (
        "200-but-not-a-pod",
        {"status": 200, "body": {"kind": "PodList", "apiVersion": "v1", "items": []}},
        [],
        f'answered the GET of pod "{POD}" with PodList, not a Pod',
        1,
    ),
]


@pytest.mark.parametrize(
    "fault, args, fragment, attempts", [f[1:] for f in FAILURES], ids=[f[0] for f in FAILURES]
)
def test_failures_are_one_sentence_in_bounded_time(api, tmp_path, fault, args, fragment, attempts):
    api.fail(POD_PATH, times=None, **fault)
    config = api.write_kubeconfig(tmp_path / "kubeconfig")
    assert_failed(invoke("timeline", POD, "--kubeconfig", config, *args), fragment)
    assert len(api.requests_to(POD_PATH)) == attempts  # bounded retries, none for timeouts and 4xx
    assert_only_gets(api)


@pytest.mark.parametrize("mode", ["reset", "close"])
def test_dropped_connections_are_described_in_words(api, tmp_path, mode):
    api.fail(POD_PATH, times=None, mode=mode)
    config = api.write_kubeconfig(tmp_path / "kubeconfig")
    result = invoke("timeline", POD, "--kubeconfig", config)
    reason = result.stderr.rsplit("(", 1)[-1]
    assert reason.rstrip().rstrip(")") in (
        "connection reset by the server",
        "the answer was cut short",
        "the server closed the connection without answering",
        "the connection ended unexpectedly",
    ), result.stderr
    assert "Error(" not in result.stderr and "'" not in reason


def test_connection_refused(tmp_path):
    config = tmp_path / "kubeconfig"
    config.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "test",
                "clusters": [{"name": "c", "cluster": {"server": FakeApiServer.refused_url()}}],
                "users": [{"name": "u", "user": {}}],
                "contexts": [{"name": "test", "context": {"cluster": "c", "user": "u"}}],
            }
        )
    )
    assert_failed(invoke("timeline", POD, "--kubeconfig", str(config)), "connection refused")


def test_wrong_token_is_refused_and_never_printed(api, tmp_path):
    wrong = "tok-WRONG-S3CRET-0042"
    config = api.write_kubeconfig(tmp_path / "kubeconfig", token=wrong)
    assert_failed(invoke("timeline", POD, "--kubeconfig", config), "(401 Unauthorized)", wrong)
    assert_failed(
        invoke("timeline", POD, "--kubeconfig", config, "--token", "tok-FLAG-S3CRET-77"),
        "(401 Unauthorized)",
        wrong,
        "tok-FLAG-S3CRET-77",
    )


def _baseline(api, config) -> str:
    ok = invoke("timeline", POD, "--kubeconfig", config)
    assert ok.code == 0 and ok.stdout, ok.stderr
    return ok.stdout


# (id, fault kwargs for the pod GET, how many times)
RECOVERIES = [
    ("reset-once", {"mode": "reset"}, 1),
    ("closed-once", {"mode": "close"}, 1),
    ("truncated-once", {"mode": "truncate"}, 1),
    ("429-retry-after-1", {"status": 429, "retry_after": 1}, 1),
    ("429-retry-after-an-hour", {"status": 429, "retry_after": 3600}, 1),  # waited for at most 5 s
    ("500-twice", {"status": 500}, 2),
    ("503-three-times", {"status": 503}, 3),
]


@pytest.mark.parametrize("fault, times", [r[1:] for r in RECOVERIES], ids=[r[0] for r in RECOVERIES])
def test_transient_faults_are_retried_and_the_output_is_whole(api, tmp_path, fault, times):
    config = api.write_kubeconfig(tmp_path / "kubeconfig")
    expected = _baseline(api, config)
    api.reset_log()
    api.fail(POD_PATH, times=times, **fault)
    outcome = invoke("timeline", POD, "--kubeconfig", config)
    assert outcome.code == 0, outcome.stderr
    assert outcome.stdout == expected
    assert outcome.elapsed < TIME_BOUND
    assert len(api.requests_to(POD_PATH)) == times + 1
    assert_only_gets(api)


@pytest.mark.parametrize(
    "path, fault, note",
    [
        (r"/events$", {"status": 500}, "events could not be read"),
        (r"/events$", {"mode": "truncate"}, "events could not be read"),
        (r"/events$", {"status": 403}, "listing events was forbidden"),
        (r"^/version$", {"delay": 30}, "pass --cluster-version"),
        (r"/nodes/", {"body": "<html>"}, "virtual-node detection rests on"),
        (r"/jobs/test$", {"status": 503}, "test"),
    ],
    ids=["events-500", "events-truncated", "events-403", "version-slow", "node-html", "job-503"],
)
def test_optional_data_failing_is_a_note_and_the_timeline_still_prints(api, tmp_path, path, fault, note):
    api.fail(path, times=None, **fault)
    config = api.write_kubeconfig(tmp_path / "kubeconfig")
    outcome = invoke("timeline", POD, "--kubeconfig", config, "--request-timeout", "2s")
    assert outcome.code == 0, outcome.stderr
    assert outcome.stdout.startswith("TIME")
    assert note in outcome.stderr and "Traceback" not in outcome.stderr
    assert all(line.startswith("note: ") for line in outcome.stderr.splitlines())
    assert outcome.elapsed < TIME_BOUND
    assert_only_gets(api)


def test_json_output_is_never_half_written(api, tmp_path):
    """-o json on a failure: stdout stays empty, so `| jq` sees nothing rather than half a document."""
    api.fail(r"/events$", times=None, mode="reset")
    api.fail(POD_PATH, times=None, status=503)
    config = api.write_kubeconfig(tmp_path / "kubeconfig")
    assert_failed(invoke("timeline", POD, "--kubeconfig", config, "-o", "json"), "answered 503")


# ------------------------------------------------------------------------------------------ pagination


def _many_events(count: int) -> list:
    pod = json.loads(json.dumps(next(o for o in _demo_objects() if o["kind"] == "Pod")))
    uid = pod["metadata"]["uid"]
    events = []
    for i in range(count):
        events.append(
            {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": f"{POD}.{i:05d}", "namespace": "default", "uid": f"ev-{i:05d}"},
                "involvedObject": {
                    "kind": "Pod",
                    "name": POD,
                    "namespace": "default",
                    "uid": uid,
                    "fieldPath": "spec.containers{app}",
                },
                "reason": "Unhealthy",
                "type": "Warning",
                "message": f"probe {i} failed",
                "firstTimestamp": "2025-03-04T08:00:05Z",
                "lastTimestamp": "2025-03-04T08:00:05Z",
                "count": 1,
            }
        )
    return [pod] + events


def _demo_objects() -> list:
    import yaml

    return yaml.safe_load((DEMO / "native-sidecar.yaml").read_text())["items"]


@pytest.mark.parametrize("times", [1, None], ids=["once", "always"])
def test_an_expired_continue_token_restarts_the_list(fake_api_factory, tmp_path, times):
    api = fake_api_factory(_many_events(1203), tls=True, token=TOKEN)
    api.fail(r"/events$", 410, times=times, query="continue=")
    config = api.write_kubeconfig(tmp_path / "kubeconfig")
    outcome = invoke("timeline", POD, "--kubeconfig", config, "-o", "json")
    assert outcome.code == 0, outcome.stderr
    assert json.loads(outcome.stdout)["events"]["count"] == 1203
    assert outcome.elapsed < TIME_BOUND
    unpaginated = [r for r in api.requests_to(r"/events$") if "limit" not in r.query]
    assert len(unpaginated) >= 1  # the restart reads the list in one piece, as client-go's pager does
    assert_only_gets(api)


def test_check_prints_nothing_when_a_later_page_fails(fake_api_factory, tmp_path):
    if "check" not in cli.commands:
        pytest.skip("no check command")
    api = fake_api_factory(_many_events(1203), tls=True, token=TOKEN)
    api.fail(r"/events$", 503, times=None, query="continue=")
    config = api.write_kubeconfig(tmp_path / "kubeconfig")
    outcome = invoke("check", "--kubeconfig", config, "-o", "json")
    # Events are optional for check too: a note, and a whole report; never half of one.
    if outcome.code == 2:
        assert_failed(outcome, "503")
    else:
        assert outcome.code in (0, 1), outcome.stderr
        json.loads(outcome.stdout)
    assert outcome.elapsed < TIME_BOUND
    assert_only_gets(api)


@pytest.mark.parametrize("output", ["table", "json", "yaml"])
def test_check_prints_nothing_when_it_cannot_read_the_pods(api, tmp_path, output):
    if "check" not in cli.commands:
        pytest.skip("no check command")
    api.fail(r"/pods$", 503, times=None)
    config = api.write_kubeconfig(tmp_path / "kubeconfig")
    assert_failed(invoke("check", "test", "--kubeconfig", config, "-o", output), "answered 503")
    assert_only_gets(api)


# ------------------------------------------------------------------------------------------ watch


class Follower:
    """``timeline POD --watch`` in a subprocess (stdout is a pipe: new marks are appended)."""

    def __init__(self, config: str):
        env = {k: v for k, v in os.environ.items() if k not in UNSET}
        env.update(TZ="UTC", COLUMNS="120", NO_COLOR="1", PYTHONPATH=str(ROOT))
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kubectl_sidecar",
                "timeline",
                "job-x1",
                "--watch",
                "--kubeconfig",
                config,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )

    def finish(self, timeout: float = TIME_BOUND * 2) -> tuple:
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            raise AssertionError(f"--watch did not end: stdout={out!r} stderr={err!r}") from None
        return self.proc.returncode, out, err


def _watched_pod(phase: str, state: dict) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "job-x1",
            "namespace": "default",
            "uid": "uid-x1",
            "creationTimestamp": "2025-03-04T08:00:00Z",
        },
        "spec": {"containers": [{"name": "main", "image": "busybox"}], "restartPolicy": "Never"},
        "status": {
            "phase": phase,
            "startTime": "2025-03-04T08:00:00Z",
            "containerStatuses": [{"name": "main", "restartCount": 0, "ready": False, "state": state}],
        },
    }


@pytest.mark.parametrize("in_stream", [False, True], ids=["http-410", "error-event-410"])
def test_watch_survives_410_gone_and_ends_cleanly(fake_api_factory, tmp_path, in_stream):
    running = _watched_pod("Running", {"running": {"startedAt": "2025-03-04T08:00:02Z"}})
    api = fake_api_factory([running], tls=True, token=TOKEN)
    rule = api.fail(r"/pods$", 410, times=1, query="watch=true", in_stream=in_stream)
    follower = Follower(api.write_kubeconfig(tmp_path / "kubeconfig"))
    deadline = time.monotonic() + TIME_BOUND
    while rule.hits == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert rule.hits == 1
    assert api.wait_for_watches(2)
    api.put(
        _watched_pod(
            "Succeeded",
            {
                "terminated": {
                    "exitCode": 0,
                    "reason": "Completed",
                    "startedAt": "2025-03-04T08:00:02Z",
                    "finishedAt": "2025-03-04T08:00:09Z",
                }
            },
        )
    )
    code, out, err = follower.finish()
    assert code == 0, err
    assert "exit 0 (Completed)" in out and "Traceback" not in err
    relists = [r for r in api.requests_to(r"/pods$") if r.query.get("watch") is None]
    assert relists, "a 410 on the watch must make the plugin list again"
    assert TOKEN not in out + err
    assert_only_gets(api)


# ------------------------------------------------------------------------------------------ Ctrl-C


def test_ctrl_c_during_a_slow_request_ends_promptly(api, tmp_path):
    """With no --request-timeout a silent server holds a read for ever: Ctrl-C must still end us."""
    api.fail(r"/events$", delay=60, times=None)
    config = api.write_kubeconfig(tmp_path / "kubeconfig")
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    proc = subprocess.Popen(
        with_default_sigint(
            [sys.executable, "-m", "kubectl_sidecar", "timeline", POD, "--kubeconfig", config]
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(env, PYTHONPATH=str(ROOT)),
        start_new_session=True,
    )
    deadline = time.monotonic() + TIME_BOUND
    while not api.requests_to(r"/events$") and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise AssertionError("Ctrl-C did not end the plugin within 10 s") from None
    assert proc.returncode == 130 and out == "" and "Traceback" not in err


def test_parallel_reads_keep_order_return_errors_and_raise_bugs():
    from kubectl_sidecar.errors import ApiError

    def fails():
        raise ApiError("no")

    def slow(value):
        def call():
            time.sleep(0.05)
            return value

        return call

    results = kube.reads.run_parallel([slow(1), fails, slow(3), slow(4), slow(5)])
    assert results[0] == 1 and isinstance(results[1], ApiError) and results[2:] == [3, 4, 5]

    def bug():
        raise KeyError("a bug")

    with pytest.raises(KeyError):
        kube.reads.run_parallel([slow(1), bug])


# ------------------------------------------------------------------------------------------ kubeconfigs

# name -> (exit code, stderr fragment); "ok" for kubeconfigs that work.
KUBECONFIG_CASES = {
    "good.json": "ok",
    "exec-good.json": "ok",
    "alias-bomb.yaml": (2, "excessive aliasing"),  # refused while composing, as kubectl refuses it
    "empty.yaml": (2, "sets no current-context"),
    "garbage.bin": (2, "is not UTF-8 text"),
    "not-utf8.yaml": (2, "is not UTF-8 text"),
    "scalar.yaml": (2, "holds a str, not a kubeconfig mapping"),
    "truncated.yaml": (2, "is not valid YAML at line 5"),
    "clusters-not-a-list.yaml": (2, '"clusters" must be a list'),
    "wrong-types.yaml": (2, 'cluster "test-cluster" in kubeconfig'),
    "missing-context.json": (2, 'context "prod" (current-context) is not defined in kubeconfig'),
    "no-current-context.json": (2, "sets no current-context: choose a context with --context"),
    "missing-cluster.json": (2, 'context "test" names cluster "gone"'),
    # kubectl too goes on without credentials when the context names a user that is not defined.
    "missing-user.json": (2, "(401 Unauthorized)"),
    "empty-server.json": (2, "has no server: set one or pass -s/--server"),
    "server-ftp.json": (2, 'address "ftp://127.0.0.1:1" from kubeconfig'),
    "server-not-a-url.json": (2, '"https://not a url" from kubeconfig'),
    "server-bad-ipv6.json": (2, '"https://[::1" from kubeconfig'),
    "missing-ca-file.json": (2, 'certificate-authority file "/nonexistent/ca.crt"'),
    "no-ca.json": (2, "certificate verify failed"),
    "garbage-ca-data.json": (2, "certificate-authority data of the kubeconfig cannot be read"),
    "garbage-client-key.json": (
        2,
        "client key or certificate-authority data of the kubeconfig cannot be read",
    ),
    "wrong-token.json": (2, "(401 Unauthorized)"),
    "missing-token-file.json": (2, "/nonexistent/token"),
    "exec-missing.json": (2, 'the credential plugin (exec) of user "test-user" failed'),
    "exec-fails.json": (2, "process returned 3. login expired"),
    "exec-garbage.json": (2, "failed to decode process output"),
    "exec-wrong-version.json": (2, "plugin api version client.authentication.k8s.io/v1alpha0 does not match"),
    "control-character.yaml": (2, "holds a control character YAML does not allow"),
    "huge-integer.yaml": (2, "holds a value that cannot be read (Exceeds the limit (4300"),
    "impossible-date.yaml": (2, "holds a value that cannot be read (day is out of range for month)"),
    "auth-provider-gcp.json": (
        2,
        (
            'the auth-provider "gcp" of user "test-user" failed (AttributeError): kubectl '
            "removed the gcp auth-provider in 1.26"
        ),
    ),
}
KUBECONFIG_BUGS: dict = {}  # name -> (expected, the bug in kube.py that stands in the way): strict xfails
SPECIAL = {"exec-hangs.json", "plugins"}


def _fill(name: str, api: FakeApiServer, tmp_path: Path) -> str:
    text = (KUBECONFIGS / name).read_bytes()
    for key, value in {
        "__SERVER__": api.url,
        "__CA__": api.ca_path,
        "__TOKEN__": TOKEN,
        "__PYTHON__": sys.executable,
        "__PLUGINS__": str(KUBECONFIGS / "plugins"),
    }.items():
        text = text.replace(key.encode(), json.dumps(value)[1:-1].encode())
    path = tmp_path / name
    path.write_bytes(text)
    return str(path)


def test_every_kubeconfig_of_the_corpus_has_an_expectation():
    assert sorted(p.name for p in KUBECONFIGS.iterdir()) == sorted(
        set(KUBECONFIG_CASES) | set(KUBECONFIG_BUGS) | SPECIAL
    )


def _kubeconfig_params():
    for name, expected in KUBECONFIG_CASES.items():
        yield pytest.param(name, expected, id=name)
    for name, (expected, bug) in KUBECONFIG_BUGS.items():
        yield pytest.param(name, expected, id=name, marks=pytest.mark.xfail(strict=True, reason=bug))


@pytest.mark.parametrize("name, expected", list(_kubeconfig_params()))
def test_kubeconfig_corpus(api, tmp_path, name, expected):
    if name == "huge-integer.yaml" and not hasattr(sys, "get_int_max_str_digits"):
        pytest.skip("this Python reads integers of any length")
    config = _fill(name, api, tmp_path)
    before = Path(config).read_bytes()
    outcome = invoke(
        "timeline", POD, "--kubeconfig", config, "--request-timeout", "5s", env={"CORPUS_TOKEN": TOKEN}
    )
    if expected == "ok":
        assert outcome.code == 0, outcome.stderr
        assert outcome.stdout.startswith("TIME") and TOKEN not in outcome.stdout + outcome.stderr
    else:
        code, fragment = expected
        assert code == 2
        assert_failed(
            outcome,
            fragment,
            "S0VZLVNFQ1JFVC1ETy1OT1QtUFJJTlQ=",
            "KEY-SECRET-DO-NOT-PRINT",
            "tok-WRONG-S3CRET-0042",
        )
    assert Path(config).read_bytes() == before  # never written, not even after a refresh
    assert_only_gets(api)


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads files whatever their mode"
)
def test_unreadable_kubeconfig(api, tmp_path):
    config = _fill("good.json", api, tmp_path)
    os.chmod(config, 0)
    try:
        assert_failed(invoke("timeline", POD, "--kubeconfig", config), "cannot be read")
    finally:
        os.chmod(config, 0o600)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_an_endless_kubeconfig_is_not_read_to_the_end():
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "kubectl_sidecar", "timeline", POD, "--kubeconfig", "/dev/zero"],
        capture_output=True,
        text=True,
        timeout=TIME_BOUND * 3,
        check=False,
        env=dict(env, PYTHONPATH=str(ROOT)),
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == 'error: kubeconfig "/dev/zero" is larger than 16 MiB: not a kubeconfig\n'
    assert time.monotonic() - started < TIME_BOUND


def test_kubeconfig_that_is_a_directory(tmp_path):
    assert_failed(invoke("timeline", POD, "--kubeconfig", str(tmp_path)), "cannot be read")


def test_a_hanging_credential_plugin_waits_like_kubectl_and_ctrl_c_ends_it(api, tmp_path):
    """kubectl does not time out exec plugins (a login may take minutes: kubernetes#108849); neither do
    we. What must work is Ctrl-C: it ends the plugin and us at once, with no traceback."""
    config = _fill("exec-hangs.json", api, tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    proc = subprocess.Popen(
        with_default_sigint(
            [sys.executable, "-m", "kubectl_sidecar", "timeline", POD, "--kubeconfig", config]
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=dict(env, PYTHONPATH=str(ROOT)),
        start_new_session=True,
    )
    time.sleep(1.5)
    assert proc.poll() is None
    os.killpg(proc.pid, signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=TIME_BOUND)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise AssertionError("Ctrl-C did not end a plugin waiting for its credential plugin") from None
    assert proc.returncode == 130 and out == "" and "Traceback" not in err
    assert api.requests == []
