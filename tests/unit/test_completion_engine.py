"""Shell completion in-process: the completion engine (typed flags, cobra's output, which runs are
completion requests) and `kubectl sidecar completion SHELL` refusing other shells. The executables, the
scripts in real shells and kubectl calling them are tests/integration/test_completion.py."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kubectl_sidecar import shellcomp as completion
from kubectl_sidecar.cli import cli

# ------------------------------------------------------------------------------------------ scripts


def test_completion_refuses_other_shells():
    result = CliRunner().invoke(cli, ["completion", "powershell"])
    assert result.exit_code == 2 and "powershell" in result.stderr


# ------------------------------------------------------------------------------------------ engine


def test_typed_connection_flags_become_kube_options(monkeypatch):
    seen = []

    def fake_list_names(values, kind):
        seen.append((completion.kube_options(values), kind))
        return ["a", "b"]

    monkeypatch.setattr(completion.sources, "list_names", fake_list_names)
    result = completion.complete(
        [
            "check",
            "--kubeconfig",
            "/k",
            "--context=c",
            "-n",
            "ns",
            "--as",
            "me",
            "--as-group",
            "g1",
            "--as-group=g2",
            "-s",
            "https://h",
            "--token",
            "t",
            "--insecure-skip-tls-verify",
            "--request-timeout",
            "2s",
            "--fail-on",
            "info",
            "job/",
        ],
        cli,
    )
    assert result.items == [("job/a", ""), ("job/b", "")] and result.directive == 4
    opts, kind = seen[0]
    assert kind == "job"
    assert (
        opts.kubeconfig,
        opts.context,
        opts.namespace,
        opts.as_user,
        opts.as_groups,
        opts.server,
        opts.token,
        opts.insecure_skip_tls_verify,
        opts.request_timeout,
    ) == ("/k", "c", "ns", "me", ("g1", "g2"), "https://h", "t", True, 2.0)
    completion.complete(["timeline", "--request-timeout", "1m", ""], cli)
    assert seen[1][0].request_timeout == completion.COMPLETION_TIMEOUT  # completion waits 5 s at most
    completion.complete(["timeline", "--request-timeout", "bogus", "--", ""], cli)
    assert seen[2][0].request_timeout == completion.COMPLETION_TIMEOUT
    # the second word after the POD is not a name; after --, "-x" is a positional
    assert completion.complete(["timeline", "pod1", ""], cli).items == []
    assert len(seen) == 3


def test_combined_short_flags():
    words = completion.complete(["check", "-Ao", ""], cli)
    assert [v for v, _ in words.items] == ["table", "json", "yaml", "html"]


def test_cobra_output_never_spans_lines():
    text = completion.format_cobra(completion.Result([("a\tb", "two\nlines"), ("c", "")], 4))
    assert text == "a b\ttwo\nc\n:4\n"


@pytest.mark.parametrize(
    "argv,expected",
    [
        (["/x/kubectl_complete-sidecar", "timeline"], True),
        (["C:\\bin\\kubectl_complete-sidecar.exe"], True),
        (["/x/kubectl-sidecar", "__complete", ""], True),
        (["/x/kubectl-sidecar", "__completeNoDesc", ""], True),
        (["/x/kubectl-sidecar", "timeline", "__complete"], False),
        (["/x/kubectl-sidecar"], False),
    ],
)
def test_which_runs_are_completion_requests(argv, expected):
    assert completion.wanted(argv) is expected


def test_names_with_control_or_bidi_characters_are_never_offered(monkeypatch):
    """A hostile server or kubeconfig cannot make the shell insert escape sequences (issue 12, item 1)."""
    hostile = ["good-pod", "evil\x1b]0;owned\x07", "cr\rpod", "rtl\u202epod", "", "c1\x9bpod"]

    from kubectl_sidecar import kube
    from kubectl_sidecar.kube import config

    monkeypatch.setattr(kube, "list_names", lambda opts, kind: list(hostile), raising=False)
    assert completion.sources.list_names({}, "pod") == ["good-pod"]
    monkeypatch.setattr(config, "kubeconfig_names", lambda section, kubeconfig=None: list(hostile))
    assert completion.sources.kubeconfig_names("contexts") == ["good-pod"]


def test_cobra_descriptions_are_made_visible():
    text = completion.format_cobra(completion.Result([("a", "x\x1b[2Jy\u202e")], 4))
    assert text == "a\tx^[[2Jy\\u202e\n:4\n"
