"""``timeline --watch`` in-process: when a followed pod has finished, and what each new state prints.

The live tests (the plugin following the stand-in server) are tests/integration/test_watch.py.
"""

from __future__ import annotations

import pytest
from clirunner import cli_runner as _cli_runner
from watchpods import make_pod, running, terminated, waiting

from kubectl_sidecar import app
from kubectl_sidecar.kube import PodUpdate
from kubectl_sidecar.model import pod_finished
from kubectl_sidecar.options import RenderOptions
from kubectl_sidecar.render.follow import CLEAR_SCREEN
from kubectl_sidecar.snapshot import Snapshot

# ------------------------------------------------------------------------------------ pure parts


@pytest.mark.parametrize(
    "pod, finished",
    [
        (make_pod("Running", proxy=running(2), main=running(3)), False),
        (make_pod("Succeeded", proxy=running(2), main=terminated(3, 20, 0, "Completed")), False),
        (
            make_pod(
                "Succeeded", proxy=terminated(2, 21, 143, "Error"), main=terminated(3, 20, 0, "Completed")
            ),
            True,
        ),
        (make_pod("Failed", proxy=waiting("ImagePullBackOff"), main=waiting()), True),
        (make_pod("Failed"), True),
        (make_pod("Pending", proxy=waiting(), main=waiting()), False),
    ],
    ids=[
        "running",
        "app-done-sidecar-stopping",
        "all-terminated",
        "failed-never-started",
        "failed-no-status",
        "pending",
    ],
)
def test_pod_finished(pod, finished):
    assert pod_finished(pod) is finished


def _updates(*pods, deleted_last=False):
    for i, pod in enumerate(pods):
        yield PodUpdate(Snapshot(pods=[pod], source="test"), deleted=deleted_last and i == len(pods) - 1)


def _follow(updates, redraw, output="table"):

    written, notes = [], []
    opts = RenderOptions(output=output, width=80)
    code = app.follow(
        updates,
        build=lambda s: app.timeline_for_pod(s, s.pods[0]),
        render=lambda t: app.render_timeline(t, opts),
        opts=opts,
        write=written.append,
        notify=notes.append,
        redraw=redraw,
    )
    return code, written, notes


def test_append_mode_prints_only_new_marks_and_stops_when_finished():
    pods = [
        make_pod("Running", proxy=running(2), main=waiting("ContainerCreating")),
        make_pod("Running", proxy=running(2), main=running(3)),
        make_pod("Running", proxy=running(2), main=running(3)),  # nothing new: nothing printed
        make_pod("Succeeded", proxy=terminated(2, 21, 143, "Error"), main=terminated(3, 20, 0, "Completed")),
        make_pod("Succeeded", proxy=terminated(2, 21, 143, "Error"), main=terminated(3, 20, 0, "Completed")),
    ]
    code, written, notes = _follow(_updates(*pods), redraw=False)
    assert code == 0
    assert len(written) == 3  # the whole first state, then two sets of new marks; stopped at the 4th pod
    assert written[0].startswith("TIME")
    assert "main" in written[1] and "started" in written[1] and "proxy" not in written[1]
    assert "exit 0 (Completed)" in written[2] and "exit 143 (Error)" in written[2]
    assert "\x1b[" not in "".join(written)
    assert notes[-1] == "pod job-x1 has finished (Succeeded) and no container is running"


def test_redraw_mode_clears_the_terminal_for_each_new_state():
    pods = [
        make_pod("Running", proxy=running(2), main=running(3)),
        make_pod("Running", proxy=running(2), main=running(3)),
        make_pod("Running", proxy=terminated(2, 9, 1, "Error"), main=running(3)),
    ]
    code, written, _notes = _follow(_updates(*pods), redraw=True)
    assert code == 0 and len(written) == 2
    assert not written[0].startswith(CLEAR_SCREEN)
    assert written[1].startswith(CLEAR_SCREEN) and "following pod job-x1 (Running)" in written[1]


def test_deleted_pod_ends_with_exit_0():
    pods = [make_pod("Running", proxy=running(2), main=running(3))] * 2
    code, _written, notes = _follow(_updates(*pods, deleted_last=True), redraw=False)
    assert code == 0 and notes[-1] == "pod job-x1 was deleted"


def test_json_output_prints_a_document_per_state():
    pods = [
        make_pod("Running", proxy=running(2), main=running(3)),
        make_pod("Succeeded", proxy=terminated(2, 21, 143, "Error"), main=terminated(3, 20, 0, "Completed")),
    ]
    _code, written, _notes = _follow(_updates(*pods), redraw=False, output="json")
    assert len(written) == 2 and all(w.startswith("{") for w in written)


def test_watch_cannot_read_files():
    from kubectl_sidecar.cli import cli

    result = _cli_runner().invoke(cli, ["timeline", "--watch", "-f", "x.yaml"])
    assert result.exit_code == 2 and "--watch follows a live pod" in result.stderr
