"""The check fixtures (tests/data/checks/*.yaml) are exactly what tests/data/checks/generate.py writes,
and each reads as real `kubectl get -o yaml` output through the `-f` path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kubectl_sidecar import files

DATA = Path(__file__).resolve().parents[1] / "data" / "checks"
FIXTURES = sorted(DATA.glob("*.yaml"))


def test_fixtures_match_their_generator():
    result = subprocess.run(
        [sys.executable, str(DATA / "generate.py"), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_scenario_has_a_fixture():
    sys.path.insert(0, str(DATA))
    try:
        import generate
    finally:
        sys.path.remove(str(DATA))
    names = {s.__name__.replace("_", "-") + ".yaml" for s in generate.SCENARIOS}
    assert names == {p.name for p in FIXTURES}


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_fixture_reads_like_kubectl_output(path):
    snapshot = files.load_snapshot([str(path)])
    assert snapshot.notes == []
    assert snapshot.pods or snapshot.jobs
    for pod in snapshot.pods:
        statuses = [s["name"] for s in pod["status"].get("containerStatuses", [])]
        assert statuses == sorted(statuses)  # the kubelet sorts them
        assert pod["metadata"]["uid"] and pod["metadata"]["namespace"]
    for raw in snapshot.events:
        assert raw["involvedObject"]["uid"]
        assert raw["firstTimestamp"] is None or raw["firstTimestamp"].endswith("Z")
