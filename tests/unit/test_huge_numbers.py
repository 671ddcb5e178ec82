"""Numbers of over 4,300 digits inside messages are never an internal error (issue 12, item 9).

Python refuses ``int()`` of more than 4,300 digits; the plugin reads exit codes out of forced-exit
termination messages and container indexes out of ``FailedCreate`` events, so such messages once gave
exit 3. JSON numbers that long are refused while reading (``-f``: tests/unit/test_corpus_files.py;
the API: tests/integration/test_hostile_api.py).
"""

from __future__ import annotations

import json

import pytest
from builders import container, event, job, pod, status, terminated
from click.testing import CliRunner

from kubectl_sidecar.cli import cli

DIGITS = "7" * 5000


def snapshot(message: str, job_event_message: str) -> str:
    app = container("app")
    the_pod = pod(
        containers=[app],
        statuses=[status("app", terminated(1, 5, code=137, reason="Error", message=message))],
        job="test",
        phase="Failed",
    )
    failed = event("FailedCreate", message=job_event_message, pod_name="test", uid="0b7c2d4e-job")
    failed["involvedObject"].update({"kind": "Job", "apiVersion": "batch/v1"})
    return json.dumps({"kind": "List", "items": [job(), the_pod, failed]})


@pytest.mark.parametrize(
    ("message", "job_event_message"),
    [
        (f"container was forced to exit ({DIGITS}, Error)", "ok"),
        (f"forced to exit, exit code {DIGITS}", "ok"),
        (
            "ok",
            f'Pod "x" is invalid: spec.initContainers[{DIGITS}].restartPolicy: Forbidden: may not be set',
        ),
    ],
    ids=["forced-exit-code", "loose-exit-code", "failedcreate-index"],
)
@pytest.mark.parametrize("command", ["timeline", "check"])
def test_huge_numbers_in_messages_are_read_as_text(tmp_path, message, job_event_message, command):
    path = tmp_path / "snap.json"
    path.write_text(snapshot(message, job_event_message))
    args = [command, "-f", str(path)] + (["test-q8x5k"] if command == "timeline" else [])
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (0, 1), result.output
    assert "internal error" not in result.output
