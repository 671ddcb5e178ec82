"""Shell completion: `kubectl sidecar completion SHELL`, the kubectl_complete-sidecar executable (kubectl's
plugin completion protocol, which is cobra's `__complete` output), and kubectl itself calling it.
The in-process tests of the completion engine are tests/unit/test_completion_engine.py."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakeapi import FakeApiServer, write_kubeconfig
from fakeapi.kubectl import KUBECTL

from kubectl_sidecar import shellcomp as completion
from kubectl_sidecar.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "kubectl_complete-sidecar"
POD = "etl-20240501-x7k2p"
JOB = "etl-20240501"
COMMANDS = ["check", "completion", "demo", "explain", "lint", "migrate", "timeline", "version"]


@pytest.fixture
def bin_dir(tmp_path):
    """A PATH folder holding kubectl-sidecar (this checkout) and the repository's kubectl_complete-sidecar."""
    folder = tmp_path / "bin"
    folder.mkdir()
    plugin = folder / "kubectl-sidecar"
    plugin.write_text(
        f"#!{sys.executable}\nimport sys\nfrom kubectl_sidecar.cli import main\nsys.exit(main())\n"
    )
    plugin.chmod(0o755)
    shutil.copy2(SCRIPT, folder / "kubectl_complete-sidecar")
    return folder


def _env(bin_dir: Path, tmp_path: Path, **extra) -> dict:
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(ROOT),
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


@pytest.fixture
def comp(bin_dir, tmp_path):
    """comp(*words, exe=None, **env): run the completion executable -> (candidates, directive, process)."""

    def run(*words, exe=None, **env):
        exe = exe or [str(bin_dir / "kubectl_complete-sidecar")]
        proc = subprocess.run(
            exe + list(words),
            env=_env(bin_dir, tmp_path, **env),
            check=False,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert proc.returncode == 0, proc
        assert proc.stderr == "", proc.stderr
        lines = proc.stdout.splitlines()
        assert lines and lines[-1].startswith(":"), proc.stdout
        return [line.split("\t")[0] for line in lines[:-1]], int(lines[-1][1:]), proc

    return run


@pytest.fixture
def api_config(cluster_api, tmp_path):
    return cluster_api.write_kubeconfig(
        tmp_path / "kubeconfig",
        namespace="batch-jobs",
        extra_contexts=[
            {"name": "shop-ctx", "namespace": "shop"},
            {"name": "analytics-ctx", "namespace": "analytics"},
        ],
    )


# ------------------------------------------------------------------------------------------ scripts


def test_completion_bash_is_a_bash_script():
    result = CliRunner().invoke(cli, ["completion", "bash"])
    assert result.exit_code == 0, result.output
    assert "_kubectl_sidecar_completion()" in result.stdout
    assert "complete -o nosort -F _kubectl_sidecar_completion kubectl-sidecar" in result.stdout
    assert "_KUBECTL_SIDECAR_COMPLETE=bash_complete" in result.stdout
    bash = shutil.which("bash")
    if bash:
        check = subprocess.run([bash, "-n"], input=result.stdout, check=False, capture_output=True, text=True)
        assert check.returncode == 0, check.stderr


@pytest.mark.parametrize(
    "shell,marks",
    [
        (
            "zsh",
            [
                "#compdef kubectl-sidecar",
                "_kubectl_sidecar_completion()",
                "_KUBECTL_SIDECAR_COMPLETE=zsh_complete",
            ],
        ),
        (
            "fish",
            [
                "function _kubectl_sidecar_completion",
                "--command kubectl-sidecar",
                "_KUBECTL_SIDECAR_COMPLETE=fish_complete",
            ],
        ),
    ],
)
def test_completion_zsh_and_fish(shell, marks):
    result = CliRunner().invoke(cli, ["completion", shell])
    assert result.exit_code == 0, result.output
    for mark in marks:
        assert mark in result.stdout
    exe = shutil.which(shell)
    if exe:  # neither is installed here; where they are, the script must at least parse
        check = subprocess.run([exe, "-n"], input=result.stdout, check=False, capture_output=True, text=True)
        assert check.returncode == 0, check.stderr


def test_the_bash_script_completes_through_click(bin_dir, tmp_path, api_config):
    """Source the script in bash, call its function as bash would, read COMPREPLY."""
    script = tmp_path / "kubectl-sidecar.bash"
    script.write_text(CliRunner().invoke(cli, ["completion", "bash"]).stdout)

    def reply(*words):
        program = (
            f"source {script}; COMP_WORDS=(kubectl-sidecar {' '.join(words)}); "
            f"COMP_CWORD={len(words)}; "
            '_kubectl_sidecar_completion kubectl-sidecar; printf "%s\\n" "${COMPREPLY[@]}"'
        )
        proc = subprocess.run(
            ["bash", "-c", program],
            env=_env(bin_dir, tmp_path, KUBECONFIG=api_config),
            check=False,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert proc.returncode == 0 and proc.stderr == "", proc
        return proc.stdout.split()

    assert reply("ti") == ["timeline"]
    assert reply("timeline", "-o", "''") == [
        "table",
        "wide",
        "json",
        "yaml",
        "svg",
        "html",
        "mermaid",
        "trace",
    ]
    assert reply("timeline", "''") == [POD]
    assert reply("check", "-n", "shop", "pod/") == ["pod/web-7d9c6b5f4-q2xkz"]
    assert reply("timeline", "--context", "=", "sh") == ["shop-ctx"]  # bash splits --context=sh at '='


# ------------------------------------------------------------------------------------------ kubectl protocol


@pytest.mark.parametrize("form", ["script", "console-script", "linked-plugin"])
def test_commands_are_listed_by_every_form_of_the_executable(comp, bin_dir, tmp_path, form):
    exe = None
    if form == "console-script":  # what pip installs: setup.cfg's entry point
        exe = [sys.executable, "-c", "from kubectl_sidecar.cli import complete; complete()"]
    elif form == "linked-plugin":  # what docs/install.md tells krew users to make
        link = tmp_path / "linked" / "kubectl_complete-sidecar"
        link.parent.mkdir()
        link.symlink_to(bin_dir / "kubectl-sidecar")
        exe = [str(link)]
    for words in (["__complete", ""], [""]):  # cobra's form, and the one kubectl uses
        names, directive, proc = comp(*words, exe=exe)
        assert names == COMMANDS and directive == completion.DIRECTIVE_NO_FILE
        assert "timeline\tShow the start/exit timeline" in proc.stdout


def test_descriptions_are_left_out_for_complete_no_desc(comp):
    _, _, proc = comp("__completeNoDesc", "")
    assert proc.stdout == "check\ncompletion\ndemo\nexplain\nlint\nmigrate\ntimeline\nversion\n:4\n"


def test_pod_names_from_the_cluster(comp, cluster_api, api_config):
    names, directive, _ = comp("__complete", "timeline", "", KUBECONFIG=api_config)
    assert names == [POD] and directive == 4
    assert comp("timeline", "etl-", KUBECONFIG=api_config)[0] == [POD]
    assert comp("timeline", "pod/e", KUBECONFIG=api_config)[0] == [f"pod/{POD}"]
    assert comp("timeline", "x", KUBECONFIG=api_config)[0] == []
    assert cluster_api.writes() == []
    assert {r.path for r in cluster_api.requests} == {"/api/v1/namespaces/batch-jobs/pods"}


@pytest.mark.parametrize(
    "words, expected",
    [
        pytest.param(("timeline", "-n", ""), ["analytics", "batch-jobs", "shop"], id="all"),
        pytest.param(("check", "--namespace", "s"), ["shop"], id="prefix"),
        pytest.param(("timeline", "-n", "zzz"), [], id="none"),
    ],
)
def test_namespaces_complete_from_the_cluster(comp, cluster_api, api_config, words, expected):
    """-n completes the namespaces of the cluster (kubectl's own -n completes them too): one list."""
    names, directive, _ = comp(*words, KUBECONFIG=api_config)
    assert names == expected and directive == 4
    assert {r.path for r in cluster_api.requests} <= {"/api/v1/namespaces"}
    assert cluster_api.writes() == []


def test_the_typed_namespace_context_and_kubeconfig_are_honoured(comp, tmp_path, api_config):
    shop = ["web-7d9c6b5f4-q2xkz"]
    assert comp("timeline", "-n", "shop", "", KUBECONFIG=api_config)[0] == shop
    assert comp("timeline", "--namespace=shop", "", KUBECONFIG=api_config)[0] == shop
    assert comp("timeline", "-nshop", "", KUBECONFIG=api_config)[0] == shop
    assert comp("timeline", "--context", "shop-ctx", "", KUBECONFIG=api_config)[0] == shop
    assert comp("timeline", "-o", "wide", "--context=analytics-ctx", "", KUBECONFIG=api_config)[0] == [
        "report-28571530-kq9zt"
    ]
    # --kubeconfig wins over KUBECONFIG (which here names nothing that exists)
    assert (
        comp("timeline", "--kubeconfig", api_config, "-n", "shop", "", KUBECONFIG=tmp_path / "nothing")[0]
        == shop
    )


def test_job_names_and_pod_targets_of_check(comp, api_config):
    names, directive, _ = comp("__complete", "check", "", KUBECONFIG=api_config)
    assert names == [JOB] and directive == 4
    assert comp("check", "job/", KUBECONFIG=api_config)[0] == [f"job/{JOB}"]
    assert comp("check", "pod/", KUBECONFIG=api_config)[0] == [f"pod/{POD}"]
    # -A and -l take no TARGET; -f reads names from files: no request at all
    for flags in (["-A"], ["-l", "app=x"], ["-f", "snap.yaml"]):
        assert comp("check", *flags, "", KUBECONFIG=api_config)[:2] == ([], 4)


def test_output_formats_and_other_choices(comp):
    assert comp("__complete", "timeline", "-o", "")[:2] == (
        ["table", "wide", "json", "yaml", "svg", "html", "mermaid", "trace"],
        4,
    )
    assert comp("check", "--output", "")[0] == ["table", "json", "yaml", "html"]
    assert comp("check", "--fail-on=w")[0] == ["warning"]  # cobra's scripts add --fail-on=
    assert comp("timeline", "-oj")[0] == ["-ojson"]
    assert comp("demo", "--color", "")[0] == ["auto", "always", "never"]
    assert comp("demo", "")[0] == ["acs-forced-exit", "native", "stale-status", "blocked-job"]
    assert comp("completion", "")[0] == ["bash", "zsh", "fish"]


def test_flags(comp):
    names, directive, proc = comp("timeline", "--")
    assert {"--output", "--context", "--namespace", "--kubeconfig", "--watch", "--help", "--no-chart"} <= set(
        names
    )
    assert all(n.startswith("--") for n in names) and directive == 4
    assert "--output\ttable (with a Gantt chart)" in proc.stdout
    assert set(comp("check", "-")[0]) >= {"-A", "-l", "-o", "-n", "-h", "--selector"}
    # a flag already given is not offered again, a repeatable one is
    names = comp("timeline", "-o", "json", "--sidecar", "x", "--")[0]
    assert "--output" not in names and "--sidecar" in names
    assert comp("--")[0] == ["--version", "--help"]
    assert comp("nosuchcommand", "")[:2] == ([], 4)


def test_contexts_clusters_and_users_from_the_kubeconfig_files(comp, tmp_path):
    first = write_kubeconfig(
        tmp_path / "a",
        FakeApiServer.refused_url(),
        context="prod",
        extra_contexts=[{"name": "staging", "server": "http://127.0.0.1:9"}],
    )
    second = write_kubeconfig(
        tmp_path / "b", FakeApiServer.refused_url(), context="dev", user="dev-user", current_context=None
    )
    both = os.pathsep.join([first, str(tmp_path / "missing"), second])
    assert comp("timeline", "--context", "", KUBECONFIG=both)[0] == ["dev", "prod", "staging"]
    assert comp("timeline", "--context=st", KUBECONFIG=both)[0] == ["staging"]
    assert comp("check", "--user", "", KUBECONFIG=both)[0] == ["dev-user", "test-user"]
    assert comp("check", "--kubeconfig", first, "--cluster", "", KUBECONFIG=second)[0] == [
        "staging-cluster",
        "test-cluster",
    ]
    # ~/.kube/config when KUBECONFIG is not set
    (tmp_path / ".kube").mkdir()
    shutil.copy(first, tmp_path / ".kube" / "config")
    assert comp("timeline", "--context", "")[0] == ["prod", "staging"]


def test_paths_are_left_to_the_shell(comp):
    for words in (
        ["timeline", "--kubeconfig", ""],
        ["timeline", "-f", ""],
        ["check", "--filename=sn"],
        ["check", "--certificate-authority", ""],
    ):
        assert comp(*words)[:2] == ([], completion.DIRECTIVE_DEFAULT)


# ------------------------------------------------------------------------------------------ failures


@pytest.mark.parametrize("case", ["refused", "no-kubeconfig", "not-yaml", "unknown-context", "forbidden"])
def test_failures_print_only_a_directive_quickly(comp, tmp_path, fake_api, case):
    config = write_kubeconfig(tmp_path / "kubeconfig", FakeApiServer.refused_url())
    words = ["timeline", ""]
    if case == "no-kubeconfig":
        config = tmp_path / "nothing"
    elif case == "not-yaml":
        config = tmp_path / "broken"
        config.write_text("clusters: [\n  - {name: x\n")
    elif case == "unknown-context":
        words = ["timeline", "--context", "nope", ""]
    elif case == "forbidden":
        config = fake_api.write_kubeconfig(tmp_path / "kubeconfig")
        fake_api.fail(r"/pods", status=403, times=None)
    started = time.monotonic()
    names, directive, proc = comp(*words, KUBECONFIG=config)
    assert (names, directive) == ([], 4) and proc.stdout == ":4\n"
    assert time.monotonic() - started < 3


def test_a_server_that_does_not_answer_is_given_the_short_timeout(comp, cluster_api, api_config):
    cluster_api.fail(r"/pods", delay=30, times=None)
    started = time.monotonic()
    assert comp("timeline", "--request-timeout", "1s", "", KUBECONFIG=api_config)[2].stdout == ":4\n"
    assert time.monotonic() - started < 4
    started = time.monotonic()  # no --request-timeout (or 0): COMPLETION_TIMEOUT, not for ever
    assert comp("timeline", "--request-timeout=0", "", KUBECONFIG=api_config)[2].stdout == ":4\n"
    elapsed = time.monotonic() - started
    limit = completion.COMPLETION_TIMEOUT + completion.GRACE + 2  # + python start-up
    assert completion.COMPLETION_TIMEOUT - 0.5 < elapsed < limit


def test_a_server_failing_with_retries_is_cut_off_by_the_deadline(comp, cluster_api, api_config):
    cluster_api.fail(r"/pods", status=503, delay=0.6, times=None)
    started = time.monotonic()
    out = comp("timeline", "--request-timeout", "1s", "", KUBECONFIG=api_config)[2].stdout
    assert out == ":4\n" and time.monotonic() - started < 1 + completion.GRACE + 1.5


def test_the_script_answers_when_the_plugin_is_missing(tmp_path):
    proc = subprocess.run(
        [str(SCRIPT), "timeline", ""],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, ":4\n", "")


def test_kubernetes_is_never_imported_to_complete_with_a_token_user(api_config):
    probe = (
        "import sys\nfrom kubectl_sidecar import shellcomp\nfrom kubectl_sidecar.cli import cli\n"
        "print(shellcomp.run_cobra(sys.argv[1:], cli).split()[0], 'kubernetes' in sys.modules)"
    )
    env = dict(os.environ, KUBECONFIG=str(api_config), PYTHONPATH=str(ROOT))

    def run(*words):
        return subprocess.run(
            [sys.executable, "-c", probe, *words], env=env, check=True, capture_output=True, text=True
        ).stdout.split()

    assert run("timeline", "-o", "") == ["table", "False"]
    assert run("timeline", "--context", "") == ["analytics-ctx", "False"]
    assert run("") == ["check", "False"]
    # listing pods with a token user needs nothing of the kubernetes package either (issue 16)
    assert run("timeline", "") == [POD, "False"]


# ------------------------------------------------------------------------------------------ kubectl


@pytest.mark.kubectl
@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not on PATH")
def test_kubectl_runs_the_completion_executable(bin_dir, tmp_path, api_config):
    """kubectl __complete sidecar ... finds kubectl-sidecar and kubectl_complete-sidecar on PATH."""
    env = _env(bin_dir, tmp_path, KUBECONFIG=api_config)
    env["PATH"] = f"{bin_dir}:{Path(KUBECTL).parent}:/usr/bin:/bin"

    def kubectl_complete(*words):
        proc = subprocess.run(
            [KUBECTL, "__complete", "sidecar", *words],
            env=env,
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        # kubectl's own debug lines say what it ran
        assert f"About to call: {bin_dir / 'kubectl_complete-sidecar'}" in proc.stderr
        assert "Traceback" not in proc.stderr
        lines = proc.stdout.splitlines()
        return [line.split("\t")[0] for line in lines[:-1]], lines[-1]

    assert kubectl_complete("timeline", "") == ([POD], ":4")
    assert kubectl_complete("") == (COMMANDS, ":4")
    assert kubectl_complete("check", "-n", "shop", "pod/") == (["pod/web-7d9c6b5f4-q2xkz"], ":4")
    assert kubectl_complete("timeline", "-o", "") == (
        ["table", "wide", "json", "yaml", "svg", "html", "mermaid", "trace"],
        ":4",
    )
    assert kubectl_complete("timeline", "--context", "sh") == (["shop-ctx"], ":4")
    # kubectl's own flags are not offered for a plugin: the plugin's are
    names, _ = kubectl_complete("timeline", "--req")
    assert names == ["--request-timeout"]
