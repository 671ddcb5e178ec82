"""lint's outputs: the text lines (file:line:column CODE severity message), JSON, and SARIF 2.1.0 checked
against the OASIS schema (tests/data/sarif, no network); the fixtures of helm template, kustomize build
and the real-world corpus, each with the exact codes it raises."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from kubectl_sidecar.lint import run_lint
from kubectl_sidecar.lint.codes import LINT_CODES
from kubectl_sidecar.lint.report import artifact_uri, render

ROOT = Path(__file__).resolve().parents[2]
LINT = ROOT / "tests" / "data" / "lint"
SEED = ROOT / "tests" / "data" / "seed"
SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif" / "sarif-schema-2.1.0.json").read_text())
LINE = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+):(?P<column>\d+) (?P<code>SL\d{3}) (?P<severity>info|warning|error) .+$"
)


def report_for(*paths, **kw):
    return run_lint([str(p) for p in paths], **kw)


@pytest.mark.parametrize(
    "name, platform, expected",
    [
        ("helm-rendered.yaml", "generic", ["SL001", "SL004", "SL006"]),
        ("helm-rendered.yaml", "acs", ["SL001"]),
        ("kustomize-build.yaml", "generic", ["SL009", "SL010"]),
        ("corpus/acs-eci-job.yaml", "generic", ["SL001", "SL004"]),
        ("corpus/acs-eci-job.yaml", "acs", ["SL001"]),
        ("corpus/cloudsql-job-file-signal.yaml", "generic", ["SL005", "SL006"]),
        ("corpus/istio-job-quitquitquit.yaml", "generic", []),
        ("corpus/linkerd-cronjob.yaml", "generic", []),
        ("corpus/logging-sidecar-deployment.yaml", "generic", []),
        ("corpus/vault-agent-native.yaml", "generic", []),
    ],
)
def test_fixtures_raise_exactly_their_codes(name, platform, expected):
    assert sorted(f.code for f in report_for(LINT / name, platform=platform).findings) == expected


REAL = ROOT / "tests" / "data" / "real"  # pods from public issue threads (issue 13's corpus)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("airflow-5448-executor-worker.yaml", {("SL004", "istio-proxy")}),
        ("argo-panfactum-148-linkerd.yaml", set()),  # Argo's wait container stops the sidecars
        ("arkmq-802-drainer-pod.yaml", {("SL004", "istio-proxy")}),
        ("cloud-sql-proxy-1941-v2-job.yaml", {("SL004", "cloud-sql-proxy"), ("SL006", "cloud-sql-proxy")}),
        (
            "compute-studio-362-cloudsql-v1-cronjob.yaml",
            {("SL004", "cloudsql-proxy"), ("SL006", "cloudsql-proxy")},
        ),
        ("istio-11045-pi-job.yaml", {("SL004", "istio-proxy")}),
        ("istio-11659-cronjob-backup.yaml", {("SL004", "istio-proxy")}),
        ("katib-1042-trial-job.yaml", {("SL004", "istio-proxy")}),
        ("koperator-1021-vault-agent-job.yaml", {("SL004", "vault-agent")}),
        ("kruise-1366-eks-job-marker.yaml", set()),  # the Kruise marker is assumed honoured
        ("kubectl-1739-eks-native-sidecar.yaml", {("SL005", "logshipper")}),  # sleep infinity
        ("linkerd2-8033-cronjob-proxy-killed.yaml", set()),  # linkerd-await --shutdown stops it
        ("tekton-4731-taskrun.yaml", {("SL004", "istio-proxy")}),
    ],
)
def test_the_real_world_corpus(name, expected):
    """What injectors added is only in the pods: a controller's pod is linted too, without repeating
    its controller's findings."""
    report = report_for(REAL / name)
    assert {(f.code, f.container) for f in report.findings} == expected


def test_sidecar_flag_reveals_the_docs_logging_sidecar():
    report = report_for(LINT / "corpus" / "logging-sidecar-deployment.yaml", declared=["count-log-1"])
    assert sorted(f.code for f in report.findings) == ["SL005", "SL006"]


def test_text_lines_are_file_line_column_code_severity_message():
    report = report_for(LINT / "helm-rendered.yaml")
    text = render(report, "text")
    lines = text.splitlines()
    findings = [line for line in lines if LINE.match(line)]
    assert len(findings) == len(report.findings) == 3
    first = LINE.match(findings[0])
    assert first["file"].endswith("helm-rendered.yaml") and first["code"] == "SL004"
    source = (LINT / "helm-rendered.yaml").read_text().splitlines()
    assert source[int(first["line"]) - 1][int(first["column"]) - 1 :].startswith("name: fluent-bit")
    assert lines[-1].startswith("linted 1 pod template in 1 file for Kubernetes 1.35 (the newest known")
    assert "exit 1" in lines[-1]


def test_json_report():
    doc = json.loads(
        render(report_for(SEED / "acs-optimized-job.yaml", version=(1, 30), platform="acs"), "json")
    )
    assert doc["kind"] == "LintReport"
    assert doc["assumed"] == {"clusterVersion": "1.30", "clusterVersionGiven": True, "platform": "acs"}
    assert [(f["code"], f["line"], f["column"], f["container"]) for f in doc["findings"]] == [
        ("SL005", 18, 18, "sidecar"),
        ("SL001", 20, 11, "sidecar"),
    ]
    assert doc["summary"]["exitCode"] == 0 and doc["summary"]["bySeverity"] == {
        "error": 0,
        "warning": 2,
        "info": 0,
    }


@pytest.mark.parametrize(
    "paths", [["helm-rendered.yaml", "kustomize-build.yaml"], ["corpus/vault-agent-native.yaml"]]
)
def test_sarif_validates_against_the_2_1_0_schema(paths):
    report = report_for(*(LINT / p for p in paths))
    doc = json.loads(render(report, "sarif"))
    jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(doc)
    run = doc["runs"][0]
    assert doc["version"] == "2.1.0" and len(run["results"]) == len(report.findings)
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(LINT_CODES)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1


def test_the_schema_catches_a_broken_sarif_document():
    doc = json.loads(render(report_for(LINT / "helm-rendered.yaml"), "sarif"))
    doc["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(SCHEMA).validate(doc)


@pytest.mark.parametrize(
    "source, uri",
    [
        ("k8s/job.yaml", "k8s/job.yaml"),
        ("./a b.yaml", "a%20b.yaml"),
        ("dir\\x.yaml", "dir/x.yaml"),
        ("stdin", "stdin"),
    ],
)
def test_artifact_uri(source, uri):
    assert artifact_uri(source) == uri


def test_every_code_has_a_doc_page_and_the_index_lists_it():
    index = (ROOT / "docs" / "lint" / "index.md").read_text()
    for code, entry in LINT_CODES.items():
        page = (ROOT / entry.doc).read_text()
        assert page.startswith(f"# {code}"), code
        assert f"Severity: **{entry.severity}**" in page, code
        for section in ("## What it means", "## Why it matters", "## Example", "## Fix"):
            assert section in page, (code, section)
        assert page.count("```yaml") >= 2, code
        assert re.search(rf"\[{code}\]\({code}\.md\)", index), code
