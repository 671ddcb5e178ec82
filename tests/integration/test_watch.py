"""``timeline --watch``: follow a live pod through the watch API of the stand-in server.

The end-to-end tests run the plugin as a subprocess (stdout is a pipe, so new marks are appended)
and change the pod and its events in the stand-in while it follows them. The in-process tests of
what each state prints are tests/unit/test_watch_render.py.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from clirunner import cli_runner as _cli_runner
from procs import with_default_sigint
from watchpods import make_event, make_pod, running, terminated, waiting

ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------------------------ live


class Plugin:
    """The plugin following a pod in a subprocess; stdout lines arrive in a queue."""

    def __init__(self, kubeconfig: str, *args: str):
        env = dict(os.environ, TZ="UTC", COLUMNS="120", NO_COLOR="1", HOME=os.path.dirname(kubeconfig))
        for var in ("KUBECONFIG", "HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
            env.pop(var, None)
        self.proc = subprocess.Popen(
            with_default_sigint(  # test_ctrl_c_exits_0 sends it Ctrl-C, whatever the runner ignores
                [
                    sys.executable,
                    "-m",
                    "kubectl_sidecar",
                    "timeline",
                    "job-x1",
                    "--watch",
                    "--kubeconfig",
                    kubeconfig,
                    *args,
                ]
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=str(ROOT),
            env=env,
        )
        self.lines: queue.Queue = queue.Queue()
        self.seen: list = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_for(self, *fragments: str, timeout: float = 15.0) -> str:
        """Wait until a line containing every fragment has been printed."""
        end = time.monotonic() + timeout
        for line in self.seen:
            if all(f in line for f in fragments):
                return line
        while time.monotonic() < end:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None and self.lines.empty():
                    break
                continue
            self.seen.append(line)
            if all(f in line for f in fragments):
                return line
        raise AssertionError(
            f"no line with {fragments}; stdout so far:\n{''.join(self.seen)}\nstderr:\n{self._stderr()}"
        )

    def _stderr(self) -> str:
        if self.proc.poll() is None:
            return "(still running)"
        return self.proc.stderr.read()

    def finish(self, timeout: float = 15.0) -> tuple:
        code = self.proc.wait(timeout=timeout)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return code, "".join(self.seen), self.proc.stderr.read()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def live(fake_api_factory, kubeconfig):
    plugins = []
    api = fake_api_factory([make_pod("Pending", proxy=waiting(), main=waiting())])
    config = kubeconfig(api, namespace="jobs")

    def start(*args):
        plugin = Plugin(config, *args)
        plugins.append(plugin)
        return plugin

    yield api, start
    for plugin in plugins:
        plugin.kill()


def test_follow_a_pod_through_start_sidecar_restart_and_completion(live):
    api, start = live
    plugin = start()
    plugin.wait_for("TIME", "CONTAINER")
    assert api.wait_for_watches(2)

    api.put(make_event(1, "Started", "proxy", 2))
    api.put(make_pod("Pending", proxy=running(2), main=waiting("PodInitializing")))
    plugin.wait_for("+2s", "proxy", "started")

    api.put(make_event(2, "Started", "main", 3, section="containers"))
    api.put(make_pod("Running", proxy=running(2), main=running(3)))
    plugin.wait_for("+3s", "main", "started")

    # the sidecar crashes and the kubelet restarts it (native sidecars restart whatever the policy)
    api.put(make_event(1, "Started", "proxy", 11, count=2, first=2))
    api.put(
        make_pod(
            "Running",
            proxy=running(11),
            main=running(3),
            proxy_restarts=1,
            proxy_last=terminated(2, 10, 1, "Error"),
        )
    )
    plugin.wait_for("+10s", "proxy", "finished", "exit 1 (Error)")
    plugin.wait_for("+11s", "proxy", "started", "restart 1")

    # the app completes; the sidecar is stopped after it; the pod succeeds
    api.put(make_event(3, "Killing", "proxy", 20))
    api.put(
        make_pod(
            "Succeeded",
            proxy=running(11),
            main=terminated(3, 20, 0, "Completed"),
            proxy_restarts=1,
            proxy_last=terminated(2, 10, 1, "Error"),
        )
    )
    plugin.wait_for("+20s", "main", "finished", "exit 0 (Completed)")
    api.put(
        make_pod(
            "Succeeded",
            proxy=terminated(11, 21, 143, "Error"),
            main=terminated(3, 20, 0, "Completed"),
            proxy_restarts=1,
            proxy_last=terminated(2, 10, 1, "Error"),
        )
    )
    code, stdout, stderr = plugin.finish()
    assert code == 0, stderr
    assert "exit 143 (Error)" in stdout
    assert re.search(r"^\+20s\s+proxy\s+sidecar/native\s+stop requested", stdout, re.M), stdout
    assert "has finished (Succeeded) and no container is running" in stderr
    assert api.writes() == []
    watches = [r for r in api.requests if r.query.get("watch") == "true"]
    assert {r.path for r in watches} == {"/api/v1/namespaces/jobs/pods", "/api/v1/namespaces/jobs/events"}
    assert all(r.query.get("resourceVersion") for r in watches)


def test_events_the_watch_has_not_delivered_yet_are_read_before_the_last_state(live):
    """The event stream may lag the pod's: a stop request written just before the pod finished is
    read with one more list before --watch ends, not lost."""
    api, start = live
    api.put(make_event(1, "Started", "proxy", 2))
    api.put(make_event(2, "Started", "main", 3, section="containers"))
    api.put(make_pod("Running", proxy=running(2), main=running(3)))
    plugin = start()
    plugin.wait_for("+3s", "main", "started")
    assert api.wait_for_watches(2)
    # From now on the events watch cannot reconnect in time; lists of events still answer.
    rule = api.fail(r"/api/v1/namespaces/jobs/events$", query=r"watch=(true|1)", delay=30, times=None)
    api.drop_watches()
    deadline = time.monotonic() + 10
    while rule.hits == 0 and time.monotonic() < deadline:  # the events watch is now stuck reconnecting
        time.sleep(0.05)
    assert rule.hits == 1
    api.put(make_event(3, "Killing", "proxy", 20))
    api.put(
        make_pod("Succeeded", proxy=terminated(2, 21, 143, "Error"), main=terminated(3, 20, 0, "Completed"))
    )
    code, stdout, stderr = plugin.finish()
    assert code == 0, stderr
    # the row, not the chart's legend, which names every glyph
    assert re.search(r"^\+20s\s+proxy\s+sidecar/native\s+stop requested", stdout, re.M), stdout
    assert "exit 143 (Error)" in stdout
    assert api.writes() == []


def test_reconnects_after_dropped_connections_and_relists_after_410(live):
    api, start = live
    plugin = start()
    plugin.wait_for("TIME", "CONTAINER")
    assert api.wait_for_watches(2)

    api.drop_watches(abrupt=True)  # connection reset
    time.sleep(0.3)
    api.put(make_pod("Pending", proxy=running(2), main=waiting("PodInitializing")))
    plugin.wait_for("+2s", "proxy", "started")

    api.drop_watches()  # the server ends the streams cleanly (as at timeoutSeconds)
    assert api.wait_for_watches(2)
    api.put(make_pod("Running", proxy=running(2), main=running(3)))
    plugin.wait_for("+3s", "main", "started")

    # history compacted while the streams were down: resuming gets 410 Gone, so the plugin lists again
    api.stop()
    api.put(make_event(7, "Pulled", "main", 2, section="containers"))
    api.put(
        make_pod(
            "Running",
            proxy=running(2),
            main=running(3),
            proxy_restarts=1,
            proxy_last=terminated(2, 3, 1, "Error"),
        )
    )
    api.compact()
    api.start()
    plugin.wait_for("main", "pulled")
    plugin.wait_for("+3s", "proxy", "finished", "exit 1 (Error)")
    lists = [r for r in api.requests if r.query.get("watch") is None]
    pod_relists = [
        r
        for r in lists
        if r.path.endswith("/pods") and r.query.get("fieldSelector") == "metadata.name=job-x1"
    ]
    event_lists = [
        r
        for r in lists
        if r.path.endswith("/events")
        and r.query.get("fieldSelector") == "involvedObject.kind=Pod,involvedObject.name=job-x1"
    ]
    assert len(pod_relists) == 1  # the pod is listed only after 410 (it starts from the GET's version)
    # the timeline's own read (it selects events by the same name), the first list of the events' watch,
    # and one after 410
    assert len(event_lists) == 3

    api.delete("Pod", "jobs", "job-x1")
    code, _stdout, stderr = plugin.finish()
    assert code == 0 and "pod job-x1 was deleted" in stderr, stderr
    assert api.writes() == []


def test_ctrl_c_exits_0(live):
    _api, start = live
    plugin = start()
    plugin.wait_for("TIME", "CONTAINER")
    _api.wait_for_watches(2)
    plugin.proc.send_signal(signal.SIGINT)
    code, _stdout, stderr = plugin.finish()
    assert code == 0, stderr
    assert "Traceback" not in stderr


def test_finished_pod_prints_once_and_exits(fake_api_factory, kubeconfig):
    done = make_pod(
        "Succeeded", proxy=terminated(2, 21, 143, "Error"), main=terminated(3, 20, 0, "Completed")
    )
    api = fake_api_factory([done])
    plugin = Plugin(kubeconfig(api, namespace="jobs"))
    code, stdout, stderr = plugin.finish()
    assert code == 0 and stdout.startswith("TIME") and "has finished" in stderr
    assert not [r for r in api.requests if r.query.get("watch")]


def test_watch_gives_up_after_the_server_stays_away(live, monkeypatch, tmp_path):
    """In-process, with short back-offs: a server that stays away ends --watch with one sentence."""
    from kubectl_sidecar import kube
    from kubectl_sidecar.cli import cli
    from kubectl_sidecar.kube import follow as _follow  # noqa: F401 - kube.follow is loaded lazily

    api, _start = live
    monkeypatch.setattr(kube.session, "BACKOFF_SECONDS", 0.01)
    monkeypatch.setattr(kube.follow, "WATCH_MAX_FAILURES", 2)
    path = api.write_kubeconfig(tmp_path / "gives-up.json", namespace="jobs")

    def stop_when_watching():
        api.wait_for_watches(2)
        api.stop()

    threading.Thread(target=stop_when_watching, daemon=True).start()
    started = time.monotonic()
    result = _cli_runner().invoke(
        cli,
        ["timeline", "job-x1", "--watch", "--kubeconfig", path],
        env={"TZ": "UTC", "NO_COLOR": "1"},
        catch_exceptions=False,
    )
    assert time.monotonic() - started < 10
    assert result.exit_code == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and api.url in last
    assert "Traceback" not in result.stderr


def _watch_in_process(api, tmp_path, monkeypatch, during):
    """``timeline job-x1 --watch`` in-process with short back-offs; ``during(api)`` runs once both
    watches are open. Returns the CliRunner result."""
    from kubectl_sidecar import kube
    from kubectl_sidecar.cli import cli
    from kubectl_sidecar.kube import follow as _follow  # noqa: F401 - kube.follow is loaded lazily

    monkeypatch.setattr(kube.session, "BACKOFF_SECONDS", 0.01)
    monkeypatch.setattr(kube.follow, "WATCH_MAX_FAILURES", 3)
    path = api.write_kubeconfig(tmp_path / "in-process.json", namespace="jobs")

    def act():
        api.wait_for_watches(2)
        during(api)

    threading.Thread(target=act, daemon=True).start()
    return _cli_runner().invoke(
        cli,
        ["timeline", "job-x1", "--watch", "--kubeconfig", path],
        env={"TZ": "UTC", "NO_COLOR": "1"},
        catch_exceptions=False,
    )


def test_closing_a_follower_whose_stream_urllib3_closed_does_not_raise():
    """Found by the e2e tier: a kube-apiserver shutting down ends its watch streams at EOF without
    the last chunk; urllib3 then closes the response, and shutdown() of a closed response raises
    ValueError. --watch reconnected meanwhile, but when it ended (an error, Ctrl-C) closing that stale
    response raised, and the command died with "internal error" (exit 3)."""
    import urllib3

    from kubectl_sidecar import kube
    from kubectl_sidecar.kube import follow as _follow  # noqa: F401 - kube.follow is loaded lazily

    response = urllib3.HTTPResponse(body=__import__("io").BytesIO(b""), preload_content=False)
    response.close()
    follower = kube.follow.Follower(
        None, "pod", "/api/v1/namespaces/jobs/pods", None, {}, "1", queue.Queue(), threading.Event()
    )
    follower._opened(response)
    follower.close()  # nothing to unblock: no error


def test_a_lasting_403_on_reconnection_still_ends_with_one_sentence(live, monkeypatch, tmp_path):
    def end_then_refuse(api):
        api.fail(r"/api/v1/namespaces/jobs/(pods|events)$", status=403, times=None, query="watch")
        api.drop_watches()

    result = _watch_in_process(live[0], tmp_path, monkeypatch, end_then_refuse)
    assert "internal error" not in result.stderr, result.stderr
    assert result.exit_code == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "refused to watch" in last and "403 Forbidden" in last


def test_a_403_while_reconnecting_is_retried(live, monkeypatch, tmp_path):
    """Found by the e2e tier: a restarted kube-apiserver answers 403 until its RBAC informers have
    synced (kubernetes#121635): a 403 on a reconnection counts as a failed attempt, not as the end."""

    def refuse_once_then_finish(api):
        rule = api.fail(r"/api/v1/namespaces/jobs/pods$", status=403, times=1, query="watch")
        api.drop_watches()
        deadline = time.monotonic() + 10
        while rule.hits < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        api.wait_for_watches(2)
        api.put(
            make_pod(
                "Succeeded", proxy=terminated(2, 21, 143, "Error"), main=terminated(3, 20, 0, "Completed")
            )
        )

    result = _watch_in_process(live[0], tmp_path, monkeypatch, refuse_once_then_finish)
    assert result.exit_code == 0, result.stderr
    assert "has finished (Succeeded)" in result.stderr
