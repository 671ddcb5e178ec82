"""early.scan against click: a command line the early reads understand means the same to click.

``early.scan`` reads ``timeline POD [flags]`` before click is loaded, so its reads can start while click
loads. Its one promise: when it understands a line, click parses that line without error into the same
pod name and the same KubeOptions (so the early reads are exactly the command's). Every line it is not
sure about, it declines. Both halves are checked here, on a table and on random lines.
"""

from __future__ import annotations

import random
import threading

import pytest
from click.testing import CliRunner

from kubectl_sidecar import app, early
from kubectl_sidecar.cli import cli
from kubectl_sidecar.errors import ConfigError
from kubectl_sidecar.options import KubeOptions


def click_reading(args: list[str], monkeypatch) -> tuple[int, object]:
    """Run ``args`` through click with the command's body replaced: (exit code, (pod, KubeOptions))."""
    seen: list = []

    def capture(name, **kwargs):
        seen.append((name, kwargs["kube"]))
        return app.Outcome("", ())

    monkeypatch.setattr(app, "run_timeline", capture)
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return result.exit_code, (seen[0] if seen else None)


@pytest.mark.parametrize(
    "args, expected",
    [
        (["timeline", "p1"], ("p1", KubeOptions())),
        (["timeline", "pod/p1", "-n", "batch"], ("p1", KubeOptions(namespace="batch"))),
        (["timeline", "-nbatch", "p1"], ("p1", KubeOptions(namespace="batch"))),
        (["timeline", "--namespace=batch", "p1", "-n", "other"], ("p1", KubeOptions(namespace="other"))),
        (
            ["timeline", "p1", "--context", "prod", "--kubeconfig", "/k", "--request-timeout", "1m30s"],
            ("p1", KubeOptions(context="prod", kubeconfig="/k", request_timeout=90.0)),
        ),
        (
            ["timeline", "p1", "--as", "jane", "--as-group", "a", "--as-group=b", "-s", "https://h:6443"],
            ("p1", KubeOptions(as_user="jane", as_groups=("a", "b"), server="https://h:6443")),
        ),
        (
            [
                "timeline",
                "p1",
                "--token",
                "t0k",
                "--insecure-skip-tls-verify",
                "--certificate-authority",
                "ca",
            ],
            ("p1", KubeOptions(token="t0k", insecure_skip_tls_verify=True, certificate_authority="ca")),
        ),
        (
            [
                "timeline",
                "p1",
                "-o",
                "wide",
                "--utc",
                "--no-chart",
                "--ascii",
                "--color=never",
                "--sidecar",
                "x",
            ],
            ("p1", KubeOptions()),
        ),
        (["timeline", "-ojson", "--absolute-time", "--chart", "p1"], ("p1", KubeOptions())),
        (["timeline", "--", "p1"], ("p1", KubeOptions())),
        (["timeline", "p1", "--request-timeout", "0"], ("p1", KubeOptions())),
        # declined: the command decides alone
        (["timeline"], None),
        (["check", "p1"], None),
        (["timeline", "p1", "p2"], None),
        (["timeline", "p1", "-f", "pod.yaml"], None),
        (["timeline", "p1", "--watch"], None),
        (["timeline", "p1", "-w"], None),
        (["timeline", "p1", "--now", "-1h"], None),
        (["timeline", "p1", "--cluster-version", "1.28"], None),
        (["timeline", "p1", "--sidecar-catalogue", "c.yaml"], None),
        (["timeline", "p1", "--output-file", "x.svg"], None),
        (["timeline", "p1", "--help"], None),
        (["timeline", "p1", "-h"], None),
        (["timeline", "p1", "-o", "JSON"], None),
        (["timeline", "p1", "-o", "xml"], None),
        (["timeline", "p1", "-n"], None),
        (["timeline", "p1", "-n", "-o"], None),
        (["timeline", "p1", "-n="], None),
        (["timeline", "p1", "-n=batch"], None),
        (["timeline", "p1", "--namespace="], None),
        (["timeline", "p1", "--insecure-skip-tls-verify=true"], None),
        (["timeline", "p1", "--request-timeout", "soon"], None),
        (["timeline", "job/report"], None),
        (["timeline", "P1"], None),
        (["timeline", "-"], None),
        (["timeline", "p1", "--bogus"], None),
        (["--version", "timeline", "p1"], None),
        (["__complete", "timeline", "p"], None),
    ],
)
def test_scan_reads_a_line_as_click_does_or_declines(args, expected, monkeypatch):
    line = early.scan(args)
    if expected is None:
        assert line is None
        return
    assert line == early.Line(name=expected[0], kube=expected[1])
    assert click_reading(args, monkeypatch) == (0, expected)


WORDS = [
    "p1", "pod/p1", "pods/web-0", "job/x", "P1", "-", "--", "a.b", "x" * 254,
    "-n", "--namespace", "-nns", "-n=ns", "--namespace=ns", "--namespace=",
    "--context", "--context=c", "--cluster", "--user", "--kubeconfig", "--kubeconfig=/k",
    "--request-timeout", "--request-timeout=5s", "5s", "0", "1m30s", "soon",
    "--as", "--as-group", "--as-group=g", "-s", "--server", "-shttps://h", "--token", "--token=t",
    "--certificate-authority", "--insecure-skip-tls-verify", "--insecure-skip-tls-verify=1",
    "-o", "-ojson", "-o=json", "--output", "--output=yaml", "json", "wide", "table", "svg", "JSON", "xml",
    "--color", "--color=always", "never", "--sidecar", "--sidecar=proxy",
    "--absolute-time", "--utc", "--chart", "--no-chart", "--ascii",
    "-f", "-R", "-w", "--watch", "--now", "--cluster-version", "--output-file", "-h", "--help", "--bogus", "-x",
    "ns", "c", "",
]  # fmt: skip


def test_every_random_line_scan_understands_click_reads_the_same(monkeypatch):
    rng = random.Random(16)
    understood = 0
    for _ in range(1500):
        args = ["timeline", *rng.choices(WORDS, k=rng.randint(1, 6))]
        line = early.scan(args)
        if line is None:
            continue
        understood += 1
        code, reading = click_reading(args, monkeypatch)
        assert (code, reading) == (0, (line.name, line.kube)), args
    assert understood >= 100  # the check above ran on many lines, not a handful


class FakeSession:
    """What start() opens: a session whose reads are counted (no network)."""

    opened: list = []

    def __init__(self, opts):
        self.opts = opts

    @classmethod
    def open(cls, opts):
        if opts.context == "broken":
            raise ConfigError('context "broken" is not defined in ~/.kube/config')
        cls.opened.append(opts)
        return cls(opts)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


@pytest.fixture
def fake_reads(monkeypatch):
    from kubectl_sidecar.kube import reads, session

    calls: list = []
    gate = threading.Event()

    def read_pod(sess, name):
        gate.wait(10)
        calls.append((sess.opts, name))
        if name == "gone":
            raise ConfigError("pod gone")
        return {"snapshot-of": name}

    FakeSession.opened = []
    monkeypatch.setattr(session, "Session", FakeSession)
    monkeypatch.setattr(reads, "read_pod", read_pod)
    monkeypatch.setattr(early, "_started", None)
    gate.set()
    return calls


def test_take_hands_over_the_reads_of_the_same_line_once(fake_reads):
    early.start(["timeline", "p1", "-n", "batch"])
    assert early.take(KubeOptions(namespace="batch"), "p1") == {"snapshot-of": "p1"}
    assert fake_reads == [(KubeOptions(namespace="batch"), "p1")]
    assert early.take(KubeOptions(namespace="batch"), "p1") is None  # handed over once


def test_take_ignores_reads_made_for_other_options(fake_reads):
    early.start(["timeline", "p1", "-n", "batch"])
    assert early.take(KubeOptions(namespace="other"), "p1") is None
    early.start(["timeline", "p1"])
    assert early.take(KubeOptions(), "p2") is None


def test_errors_of_the_early_reads_are_raised_by_take(fake_reads):
    early.start(["timeline", "gone"])
    with pytest.raises(ConfigError, match="pod gone"):
        early.take(KubeOptions(), "gone")
    early.start(["timeline", "p1", "--context", "broken"])  # opening the session failed: no thread
    assert FakeSession.opened == [KubeOptions()]
    with pytest.raises(ConfigError, match='context "broken"'):
        early.take(KubeOptions(context="broken"), "p1")


def test_a_line_scan_declines_starts_nothing(fake_reads):
    early.start(["timeline", "p1", "--watch"])
    assert early._started is None and FakeSession.opened == []
