"""`demo -o json|yaml` with no scenario: one List, in both formats, as kubectl prints several objects
(issue 17: YAML printed `---`-separated documents while JSON printed a List)."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from kubectl_sidecar import demo
from kubectl_sidecar.cli import cli


@pytest.mark.parametrize("output", ["json", "yaml"])
def test_every_scenario_in_one_list(output):
    result = CliRunner().invoke(cli, ["demo", "-o", output])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout) if output == "json" else yaml.safe_load(result.stdout)
    assert (doc["apiVersion"], doc["kind"]) == ("v1", "List")
    assert [item["pod"]["name"] for item in doc["items"]] == [s.pod for s in demo.load_index()]


def test_json_and_yaml_lists_hold_the_same_documents():
    as_json = json.loads(CliRunner().invoke(cli, ["demo", "-o", "json"]).stdout)
    as_yaml = yaml.safe_load(CliRunner().invoke(cli, ["demo", "-o", "yaml"]).stdout)
    assert as_json == as_yaml
