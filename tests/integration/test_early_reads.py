"""Early reads (kubectl_sidecar/early.py): a live ``timeline POD`` through the entry point prints and
asks exactly what the same command line prints and asks in-process.

``python -m kubectl_sidecar timeline POD ...`` (and the console script) starts the pod's reads before
click is imported; click's CliRunner and ``cli.run`` never do. So each case here runs one command line
twice against the API stand-in on 127.0.0.1: in a subprocess through the entry point (early reads) and
in-process with click's runner (no early reads), with the same environment (COLUMNS=100, TZ=UTC,
NO_COLOR=1, the same empty HOME, no KUBECONFIG, proxies or in-cluster variables unless the case sets
them), and proves:

* accepted lines (``timeline POD``, ``pod/NAME -n NS -o wide``, ``-o json``, ``--request-timeout``, a
  TLS server with the kubeconfig's token, ``--token``, ``-s`` without a kubeconfig, KUBECONFIG, ``--as``,
  drawing flags, ``--``): the same stdout, stderr and exit code. ``-o json``'s ``snapshotTime.time`` is
  the clock when the command ran (the only value that depends on "now"), so it is checked to lie within
  each run and compared apart;
* the server saw the same requests both ways (method, path, raw query, headers), as many, GETs only:
  the early reads are the command's reads, never made a second time;
* errors (404, 403, 401, a TLS failure, a missing context, no kubeconfig, a refused port, a request
  timeout) are the same one sentence with the same exit code, after the same requests;
* lines the early path declines (``--cluster-version``, ``--output-file``) still work and make the
  same requests as in-process;
* a probe around ``early.start`` and ``early.take`` shows the subprocess really used the early reads
  for an accepted line (or their error, from the API or from the kubeconfig), and started none for a
  declined one: the equalities above are not those of two identical late reads. (Without it, a ``take``
  that never matched would still pass on output, but not on the request log: the command would read a
  second time.)

``responses`` cannot stand in for the server: it patches ``requests``, which the plugin does not use
(its own HTTP/1.1 over the standard library, urllib3 behind a proxy), and could not reach into a
subprocess anyway. Every request here goes over TCP to the stand-in on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from clirunner import cli_runner
from fakeapi import FakeApiServer, write_kubeconfig

from kubectl_sidecar import early
from kubectl_sidecar.cli import USAGE_NAME, cli

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "kubectl_sidecar" / "demo" / "native-sidecar.yaml"
POD = "test-q8x5k"  # in DEMO, namespace default, Succeeded, with its Job, node name and events
POD_PATH = rf"/namespaces/default/pods/{POD}$"
FINISHED = "etl-20240501-x7k2p"  # tests/fakeapi/data: namespace batch-jobs, Succeeded, node-a, Job
RUNNING = "web-7d9c6b5f4-q2xkz"  # tests/fakeapi/data: namespace shop, Running
TOKEN = "tok-early-7c1e9d3a5b"
ENV = {"COLUMNS": "100", "TZ": "UTC", "NO_COLOR": "1"}
# what could send a run elsewhere or make one run differ from the other (clean_kube_env's and more)
UNSET = (
    "KUBECONFIG",
    "KUBERNETES_SERVICE_HOST",
    "KUBERNETES_SERVICE_PORT",
    "POD_NAMESPACE",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "KUBECTL_SIDECAR_DEBUG",
    "XDG_CONFIG_HOME",
)
TIME_BOUND = 20.0
# -o json: {"snapshotTime": {"time": "<the clock when the command ran>", "source": "clock"}}
CLOCK = re.compile(r'("snapshotTime": \{\s*"time": ")([^"]+)(",\s*"source": "clock")')


@pytest.fixture(autouse=True)
def isolated(clean_kube_env, monkeypatch):
    """The in-process runs' environment; the subprocesses get the same (see ``environment``)."""
    for var in UNSET:
        monkeypatch.delenv(var, raising=False)
    return clean_kube_env


@pytest.fixture
def tls_api(fake_api_factory):
    """The native demo over HTTPS; a bearer token is required."""
    return fake_api_factory([str(DEMO)], tls=True, token=TOKEN)


@dataclass
class World:
    tls: FakeApiServer
    cluster: FakeApiServer
    tls_config: str  # server, CA and token
    tls_config_no_token: str
    cluster_config: str
    home: Path
    tmp: Path


@pytest.fixture
def world(tls_api, cluster_api, kubeconfig, isolated, tmp_path):
    return World(
        tls=tls_api,
        cluster=cluster_api,
        tls_config=kubeconfig(tls_api),
        tls_config_no_token=kubeconfig(tls_api, token=None),
        cluster_config=kubeconfig(cluster_api),
        home=isolated,
        tmp=tmp_path,
    )


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    requests: list  # sorted (method, path, raw query, headers) of every server's log
    clocks: list  # -o json's snapshotTime.time values, taken out of stdout
    started: float
    ended: float


def signature(request) -> tuple:
    return (request.method, request.path, request.raw_query, tuple(sorted(request.headers.items())))


def log_of(servers) -> list:
    return sorted(signature(r) for server in servers for r in server.requests)


def without_clock(text: str) -> tuple[str, list]:
    clocks = [m.group(2) for m in CLOCK.finditer(text)]
    return CLOCK.sub(r"\g<1><clock>\g<3>", text), clocks


def environment(home: Path, extra: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in UNSET and "PROXY" not in k.upper()}
    env.update(ENV, HOME=str(home), PYTHONPATH=str(ROOT), **extra)
    return env


def in_process(servers, args, extra=None) -> Outcome:
    """click's runner: no early reads (nothing calls early.start)."""
    for server in servers:
        server.reset_log()
    started = time.time()
    result = cli_runner().invoke(
        cli, list(args), env={**ENV, **(extra or {})}, catch_exceptions=False, prog_name=USAGE_NAME
    )
    ended = time.time()
    stdout, clocks = without_clock(result.stdout)
    return Outcome(result.exit_code, stdout, result.stderr, log_of(servers), clocks, started, ended)


def through_entry_point(servers, args, home, extra=None, command=None) -> Outcome:
    """``python -m kubectl_sidecar ARGS``: the early reads start before click loads."""
    for server in servers:
        server.reset_log()
    started = time.time()
    done = subprocess.run(
        [*(command or [sys.executable, "-m", "kubectl_sidecar"]), *args],
        capture_output=True,
        text=True,
        env=environment(home, extra or {}),
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    ended = time.time()
    stdout, clocks = without_clock(done.stdout)
    return Outcome(done.returncode, stdout, done.stderr, log_of(servers), clocks, started, ended)


def both(world: World, args, extra=None) -> tuple[Outcome, Outcome]:
    """(entry point, in-process) of one command line, each checked on its own for what both share."""
    servers = (world.tls, world.cluster)
    sub = through_entry_point(servers, args, world.home, extra)
    inproc = in_process(servers, args, extra)
    for outcome in (sub, inproc):
        assert "Traceback" not in outcome.stderr, outcome.stderr
        assert outcome.ended - outcome.started < TIME_BOUND
        assert all(method == "GET" for method, *_ in outcome.requests), outcome.requests
        for clock in outcome.clocks:  # the clock of that very run: why it is compared apart
            when = datetime.fromisoformat(clock.replace("Z", "+00:00")).timestamp()
            assert outcome.started - 1 <= when <= outcome.ended + 1, clock
    assert len(sub.clocks) == len(inproc.clocks)
    for server in servers:
        assert server.writes() == [] and server.errors == []
    return sub, inproc


def args_pod(args) -> str:
    """The pod name the early path read for ``args``."""
    line = early.scan(args)
    assert line is not None
    return line.name


def assert_same(sub: Outcome, inproc: Outcome) -> None:
    assert (sub.code, sub.stderr) == (inproc.code, inproc.stderr), (sub.stderr, inproc.stderr)
    assert sub.stdout == inproc.stdout
    assert len(sub.requests) == len(inproc.requests), (sub.requests, inproc.requests)
    assert sub.requests == inproc.requests


# ------------------------------------------------------------------------------------ accepted lines

# (id, the command line, extra environment) from a World
ACCEPTED = [
    ("plain-tls-kubeconfig-token", lambda w: (["timeline", POD, "--kubeconfig", w.tls_config], {})),
    (
        "pod-slash-namespace-wide",
        lambda w: (
            [
                "timeline",
                f"pod/{FINISHED}",
                "-n",
                "batch-jobs",
                "-o",
                "wide",
                "--kubeconfig",
                w.cluster_config,
            ],
            {},
        ),
    ),
    (
        "json-finished-attached-values",
        lambda w: (
            ["timeline", FINISHED, "--namespace=batch-jobs", "-ojson", f"--kubeconfig={w.cluster_config}"],
            {},
        ),
    ),
    (
        "json-running",
        lambda w: (["timeline", RUNNING, "-n", "shop", "-o", "json", "--kubeconfig", w.cluster_config], {}),
    ),
    (
        "request-timeout",
        lambda w: (["timeline", POD, "--kubeconfig", w.tls_config, "--request-timeout", "5s"], {}),
    ),
    (
        "token-flag",
        lambda w: (["timeline", POD, "--kubeconfig", w.tls_config_no_token, "--token", TOKEN], {}),
    ),
    (
        "server-flags-without-kubeconfig",
        lambda w: (
            [
                "timeline",
                POD,
                "-s",
                w.tls.url,
                "--token",
                TOKEN,
                "--certificate-authority",
                w.tls.ca_path,
            ],
            {},
        ),
    ),
    (
        "insecure-skip-tls-verify",
        lambda w: (
            ["timeline", POD, "--server", w.tls.url, "--insecure-skip-tls-verify", "--token", TOKEN],
            {},
        ),
    ),
    (
        "KUBECONFIG-and-drawing-flags",
        lambda w: (
            ["timeline", POD, "--utc", "--absolute-time", "--ascii", "--color", "never"],
            {"KUBECONFIG": w.tls_config},
        ),
    ),
    (
        "impersonation-context-sidecar",
        lambda w: (
            [
                "timeline",
                FINISHED,
                "-n",
                "batch-jobs",
                "--context",
                "test",
                "--as",
                "jane",
                "--as-group",
                "dev",
                "--as-group",
                "ops",
                "--sidecar",
                "log-shipper",
                "--no-chart",
                "--kubeconfig",
                w.cluster_config,
            ],
            {},
        ),
    ),
    (
        "double-dash",
        lambda w: (["timeline", "--kubeconfig", w.cluster_config, "-n", "batch-jobs", "--", FINISHED], {}),
    ),
]


@pytest.mark.parametrize("make", [c[1] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_early_path_prints_and_asks_what_in_process_does(world, make):
    args, extra = make(world)
    assert early.scan(args) is not None, "the early path declines this line: it proves nothing here"
    sub, inproc = both(world, args, extra)
    assert sub.code == 0, sub.stderr
    assert sub.stdout.strip() and sub.requests
    assert any(path.endswith("/pods/" + args_pod(args)) for _m, path, *_ in sub.requests)
    assert_same(sub, inproc)


def test_json_documents_are_equal_but_for_the_clock(world):
    """The same as above, as documents: only snapshotTime.time was taken out, and it says "clock"."""
    args = ["timeline", RUNNING, "-n", "shop", "-o", "json", "--kubeconfig", world.cluster_config]
    sub, inproc = both(world, args)
    documents = [json.loads(o.stdout) for o in (sub, inproc)]
    assert [d["snapshotTime"] for d in documents] == [{"time": "<clock>", "source": "clock"}] * 2
    assert documents[0] == documents[1]
    assert documents[0]["pod"]["phase"] == "Running"  # a running pod: the timeline runs to "now"


# ------------------------------------------------------------------------------------ errors


def _refused_config(w: World) -> str:
    return write_kubeconfig(w.tmp / "refused", FakeApiServer.refused_url())


ERRORS = [
    (
        "404",
        lambda w: ["timeline", "ghost", "--kubeconfig", w.tls_config],
        'pod "ghost" not found in namespace "default"',
        1,
    ),
    ("403", lambda w: ["timeline", POD, "--kubeconfig", w.tls_config], "(403 Forbidden)", 1),
    (
        "401",
        lambda w: ["timeline", POD, "--kubeconfig", w.tls_config_no_token, "--token", "wrong-token"],
        "(401 Unauthorized)",
        1,
    ),
    (
        "missing-context",
        lambda w: ["timeline", POD, "--kubeconfig", w.tls_config, "--context", "nope"],
        'context "nope" (--context) is not defined in kubeconfig',
        0,
    ),
    ("no-kubeconfig", lambda w: ["timeline", POD], "no kubeconfig found", 0),
    ("refused", lambda w: ["timeline", POD, "--kubeconfig", _refused_config(w)], "connection refused", 0),
    (
        "tls-failure",
        lambda w: ["timeline", POD, "-s", w.tls.url, "--token", TOKEN],
        "certificate verify failed",
        0,
    ),
    (
        "request-timeout",
        lambda w: ["timeline", POD, "--kubeconfig", w.tls_config, "--request-timeout", "500ms"],
        "did not answer within 0.5s (--request-timeout)",
        1,
    ),
]


@pytest.mark.parametrize("make, fragment, pod_gets", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors_are_the_same_sentence_both_ways(world, request, make, fragment, pod_gets):
    case = request.node.callspec.id
    if case == "403":
        world.tls.fail(POD_PATH, 403, times=None)
    elif case == "request-timeout":
        world.tls.fail(POD_PATH, delay=3, times=None)
    args = make(world)
    assert early.scan(args) is not None
    sub, inproc = both(world, args)
    assert sub.code == 2, (sub.stdout, sub.stderr)
    assert sub.stdout == ""
    lines = sub.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], sub.stderr
    assert TOKEN not in sub.stderr
    pod_requests = [r for r in sub.requests if r[1].endswith("/pods/" + args_pod(args))]
    assert len(pod_requests) == pod_gets, sub.requests
    assert_same(sub, inproc)


# ------------------------------------------------------------------------------------ declined lines


def test_cluster_version_is_declined_and_reads_the_same(world):
    for output in ("table", "json"):
        args = ["timeline", POD, "--kubeconfig", world.tls_config, "--cluster-version", "1.30", "-o", output]
        assert early.scan(args) is None
        sub, inproc = both(world, args)
        assert sub.code == 0, sub.stderr
        assert sub.stdout.strip() and sub.requests
        assert_same(sub, inproc)
    # /version is still read; the flag wins over it (kube/reads.py Draft.finish)
    assert json.loads(sub.stdout)["cluster"]["versionSource"] == "flag"


def test_output_file_is_declined_and_writes_the_same_file(world):
    def args(name):
        return ["timeline", POD, "--kubeconfig", world.tls_config, "-o", "wide", "--output-file", str(name)]

    assert early.scan(args(world.tmp / "x")) is None
    servers = (world.tls, world.cluster)
    sub = through_entry_point(servers, args(world.tmp / "sub.txt"), world.home)
    inproc = in_process(servers, args(world.tmp / "inproc.txt"))
    assert sub.code == 0, sub.stderr
    assert (world.tmp / "sub.txt").read_text() == (world.tmp / "inproc.txt").read_text()
    assert (world.tmp / "sub.txt").read_text().strip()
    assert all(method == "GET" for method, *_ in sub.requests) and sub.requests
    assert_same(sub, inproc)


# ------------------------------------------------------------------------------------ the early path is taken

# Runs the entry point as ``-m`` does (runpy), with early.start and early.take wrapped to say what
# they did: whether start started reads, and whether the command got their snapshot, None or their error.
PROBE = """
import os, runpy
from kubectl_sidecar import early
def say(text):
    with open(os.environ["EARLY_PROBE"], "a") as probe:
        probe.write(text + "\\n")
starting, taken = early.start, early.take
def start(args):
    starting(args)
    say(f"start {early._started is not None}")
def take(*args, **kwargs):
    started, outcome = early._started is not None, "raised"
    try:
        result = taken(*args, **kwargs)
        outcome = "none" if result is None else "snapshot"
        return result
    finally:
        say(f"take {started} {outcome}")
early.start, early.take = start, take
runpy.run_module("kubectl_sidecar", run_name="__main__", alter_sys=True)
"""

PROBED = [
    (
        "accepted",
        lambda w: ["timeline", POD, "--kubeconfig", w.tls_config, "-o", "wide"],
        "start True\ntake True snapshot",
    ),
    ("error", lambda w: ["timeline", "ghost", "--kubeconfig", w.tls_config], "start True\ntake True raised"),
    (
        "config-error",  # kept by early.start from Session.open, raised by take where the command raises
        lambda w: ["timeline", POD, "--kubeconfig", w.tls_config, "--context", "nope"],
        "start True\ntake True raised",
    ),
    (
        "declined",
        lambda w: ["timeline", POD, "--kubeconfig", w.tls_config, "--cluster-version", "1.30"],
        "start False",
    ),
]


@pytest.mark.parametrize("make, said", [p[1:] for p in PROBED], ids=[p[0] for p in PROBED])
def test_the_subprocess_really_uses_the_early_reads(world, make, said):
    """A declined line starts nothing (and take is not even asked: --cluster-version reads now)."""
    args = make(world)
    probe = world.tmp / "probe"
    probe.write_text("")
    probed = through_entry_point(
        (world.tls,),
        args,
        world.home,
        {"EARLY_PROBE": str(probe)},
        command=[sys.executable, "-c", PROBE],
    )
    plain = in_process((world.tls,), args)
    assert probe.read_text().strip() == said
    assert_same(probed, plain)
