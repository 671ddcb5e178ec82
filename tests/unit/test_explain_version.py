"""``kubectl sidecar explain`` (the bundled finding pages) and ``kubectl sidecar version --client``."""

from __future__ import annotations

import json
import platform
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kubectl_sidecar import __version__, about, info
from kubectl_sidecar.checks import CODES
from kubectl_sidecar.cli import cli
from kubectl_sidecar.render.markdown import render_markdown

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "kubectl_sidecar" / "checks" / "pages"


def run(*args: str, columns: int = 100):
    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:  # click 8.2+: always apart
        runner = CliRunner()
    env = {"COLUMNS": str(columns), "NO_COLOR": "", "KUBECTL_SIDECAR_DEBUG": ""}
    return runner.invoke(cli, list(args), env=env, catch_exceptions=False)


# ------------------------------------------------------------------------------------------ the pages


def test_bundled_pages_are_the_docs_pages_one_for_each_code():
    """One source of truth: the package's copy equals docs/checks/, byte for byte, for every code."""
    bundled = sorted(p.name for p in PAGES.glob("*.md"))
    assert bundled == sorted(f"{code}.md" for code in CODES)
    stale = [n for n in bundled if (PAGES / n).read_bytes() != (ROOT / "docs" / "checks" / n).read_bytes()]
    assert not stale, f"copy them: cp docs/checks/SC*.md kubectl_sidecar/checks/pages/ ({stale})"
    assert info.page_text("SC003") == (ROOT / "docs" / "checks" / "SC003.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("code", sorted(CODES))
def test_explain_shows_the_page_wrapped_with_its_url(code):
    result = run("explain", code.lower(), columns=60)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    title = (ROOT / "docs" / "checks" / f"{code}.md").read_text(encoding="utf-8").splitlines()[0]
    underline = next(i for i, ln in enumerate(lines) if set(ln) == {"="})
    assert " ".join(lines[:underline]) == title.lstrip("# ")
    assert lines[-1] == f"Online: {about.check_page_url(code)}"
    # Prose is wrapped to 60 columns; only code blocks (YAML to copy), tables and URLs may be longer.
    long = [ln for ln in lines[:-1] if len(ln) > 60 and not ln.startswith(("    ", "|")) and "://" not in ln]
    assert not long, long
    assert "](" not in result.stdout and "**" not in result.stdout


def test_explain_with_no_code_lists_every_code_with_severity_and_title():
    result = run("explain")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["CODE", "SEVERITY", "FINDING"]
    assert [ln.split()[0] for ln in lines[1:]] == list(CODES)
    for line, entry in zip(lines[1:], CODES.values()):
        assert line.split(None, 2)[1:] == [entry.severity.value, entry.title]


@pytest.mark.parametrize("code", ["SC999", "SC01", "x"])
def test_explain_refuses_an_unknown_code_in_one_sentence(code):
    result = run("explain", code)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f'error: no finding code "{code}": choose one of SC001, ')
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "markdown, expected",
    [
        pytest.param("# SC001: x\n", "SC001: x\n========\n", id="title"),
        pytest.param("## Fix\n", "Fix\n---\n", id="heading"),
        pytest.param("See [SC004](SC004.md).\n", "See SC004.\n", id="code-link"),
        pytest.param(
            "See [it](../check.md#exit).\n",
            f"See it\n({about.PROJECT_URL}/blob/main/docs/check.md).\n",
            id="doc-link",
        ),
        pytest.param("Severity: **error**.\n", "Severity: error.\n", id="bold"),
        pytest.param("```yaml\na:  b\n```\n", "    a:  b\n", id="code-kept"),
        pytest.param("- one two three four five six\n", "- one two three four\n  five six\n", id="item"),
        pytest.param("bad \x1b[31m\n", "bad ^[[31m\n", id="escapes-shown"),
        pytest.param(
            "# A title that is longer\n", "A title that is\nlonger\n===============\n", id="long-title"
        ),
    ],
)
def test_markdown_for_the_terminal(markdown, expected):
    assert render_markdown(markdown, width=20, resolve=info._resolve) == expected


def test_findings_point_at_explain_and_the_stable_url():
    from kubectl_sidecar.render.findings import render_finding_details

    finding = next(iter(_some_findings()))
    text = render_finding_details(finding)
    assert f"docs      kubectl sidecar explain {finding.code}\n" in text
    assert text.rstrip().endswith(about.check_page_url(finding.code))


def _some_findings():
    from kubectl_sidecar import app, demo

    scenario = next(s for s in demo.load_index() if s.name == "acs-forced-exit")
    snapshot = demo.load_snapshot(scenario)
    return app.timeline_for_pod(snapshot, snapshot.find_pod(scenario.pod)).findings


# ------------------------------------------------------------------------------------------ version


def test_version_client_lines_as_kubectl_version():
    result = run("version", "--client")
    assert result.exit_code == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == f"Plugin Version: v{__version__}"
    assert lines[1] == f"Python Version: {platform.python_version()} ({platform.python_implementation()})"
    assert lines[2].startswith("Client Libraries: click ") and "PyYAML " in lines[2]
    assert len(lines) == 3


@pytest.mark.parametrize("fmt, load", [("json", json.loads), ("yaml", yaml.safe_load)])
def test_version_client_as_a_document(fmt, load):
    result = run("version", "--client", "-o", fmt)
    assert result.exit_code == 0
    doc = load(result.stdout)
    assert list(doc) == ["clientVersion"]
    client = doc["clientVersion"]
    assert client["pluginVersion"] == __version__
    assert client["pythonVersion"] == platform.python_version()
    assert set(client["libraries"]) == set(about.LIBRARIES)
    from importlib.metadata import version

    assert client["libraries"]["click"] == version("click")


def test_version_reads_no_cluster_with_client():
    """--client with a kubeconfig that does not exist: no error, as kubectl version --client."""
    result = run("version", "--client", "--kubeconfig", "/nonexistent/kubeconfig")
    assert result.exit_code == 0


@pytest.mark.parametrize("args", [["explain", "--help"], ["version", "--help"], ["--help"]])
def test_usage_lines_say_kubectl_sidecar(args, capsys):
    """As users type it: kubectl runs the plugin by its path, so `kubectl sidecar` is the documented form."""
    assert cli.run_args(args) == 0
    assert capsys.readouterr().out.startswith(
        f"Usage: kubectl sidecar {' '.join(args[:-1])}".rstrip() + " [OPTIONS]"
    )


# ------------------------------------------------------------------------------------------ colour runs


@pytest.mark.parametrize("scenario", ["acs-forced-exit", "native", "stale-status", "blocked-job"])
def test_chart_colours_runs_not_cells(scenario):
    """--color always: one escape sequence per run of one colour, and the glyphs are the uncoloured ones."""
    import re as _re

    plain = run("demo", scenario, "--color", "never", columns=80).stdout
    coloured = run("demo", scenario, "--color", "always", columns=80).stdout
    assert _re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain
    for line in coloured.splitlines():
        codes = _re.findall(r"\x1b\[([0-9;]*)m", line)
        opened = [c for c in codes if c != "0"]
        assert codes.count("0") == len(opened)  # every run closed
        # Never closed and reopened in the same colour right away: adjacent cells of a colour are one run.
        reopened = _re.findall(r"\x1b\[([0-9;]+)m[^\x1b]*\x1b\[0m\x1b\[([0-9;]+)m", line)
        assert all(a != b for a, b in reopened), line
    assert coloured.count("\x1b[0m") < sum(line.count("█") for line in plain.splitlines())
