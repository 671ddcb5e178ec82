"""Fixtures of the e2e tier: a real kube-apiserver + etcd on 127.0.0.1 for the whole session.

Session fixtures: ``e2e_binaries``, ``e2e_cluster`` (cluster.Cluster), ``admin_api``, ``viewer_api``,
``no_pods_api`` (cluster.Api), ``kubeconfigs`` (user -> path), ``admin_kubeconfig``,
``viewer_kubeconfig``, ``no_pods_kubeconfig``, ``plugin_kubeconfig`` (str paths), ``e2e_scenarios``
(name -> Scenario, the four small scenarios, each in its own namespace), ``many_pods_scenario`` (N
pods, N from $KUBECTL_SIDECAR_E2E_MANY_PODS, default 600), ``sidecar`` (a ``PluginRunner``: runs
kubectl-sidecar as a subprocess against the cluster). Function fixture: ``namespace`` (a fresh one).

The tier is skipped when Go is missing and no built binaries are available. Every test here gets
the ``e2e`` marker. When a test fails, the paths and tails of the apiserver and etcd logs are
attached to its report.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from . import cluster as c
from . import scenarios as sc

HERE = Path(__file__).resolve().parent
_ACTIVE: c.Cluster | None = None


def _skip_reason() -> str | None:
    if os.environ.get("KUBECTL_SIDECAR_E2E_KUBE_APISERVER") and os.environ.get("KUBECTL_SIDECAR_E2E_ETCD"):
        return None
    if shutil.which("go") or os.environ.get("GO") or os.access("/usr/local/go/bin/go", os.X_OK):
        return None
    try:
        c.find_binaries(build=False, timeout=60)
        return None
    except c.E2ESetupError:
        return (
            "e2e tier needs Go (to build kube-apiserver and etcd from the Go module proxy, "
            "see docs/testing.md) or prebuilt binaries; go is neither on PATH nor in /usr/local/go/bin"
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    mine = [it for it in items if HERE in Path(str(it.path)).resolve().parents]
    if not mine:
        return
    reason = _skip_reason()
    for it in mine:
        it.add_marker(pytest.mark.e2e)
        if reason:
            it.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.failed and _ACTIVE is not None and HERE in Path(str(item.path)).resolve().parents:
        report.sections.append(("e2e cluster logs", _ACTIVE.log_report(40)))
    return report


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if _ACTIVE is not None:
        terminalreporter.write_line(
            f"e2e cluster: {_ACTIVE.binaries.k8s_version}, etcd {_ACTIVE.binaries.etcd_version}, "
            f"started in {_ACTIVE.startup_seconds:.1f} s; logs: {_ACTIVE.apiserver_log}, {_ACTIVE.etcd_log}"
        )


@pytest.fixture(scope="session")
def e2e_binaries() -> c.Binaries:
    try:
        return c.find_binaries()
    except c.E2ESetupError as exc:
        pytest.fail(f"cannot build or find the e2e binaries: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def e2e_cluster(e2e_binaries: c.Binaries, tmp_path_factory: pytest.TempPathFactory) -> Iterator[c.Cluster]:
    global _ACTIVE
    cl = c.Cluster(e2e_binaries, tmp_path_factory.mktemp("e2e-cluster"))
    try:
        cl.start()
    except c.E2ESetupError as exc:
        cl.stop()
        pytest.fail(f"e2e cluster did not start: {exc}\n\n{cl.log_report(60)}", pytrace=False)
    _ACTIVE = cl
    try:
        yield cl
    finally:
        cl.stop()


@pytest.fixture(scope="session")
def admin_api(e2e_cluster: c.Cluster) -> c.Api:
    return e2e_cluster.api(c.ADMIN)


@pytest.fixture(scope="session")
def viewer_api(e2e_cluster: c.Cluster) -> c.Api:
    return e2e_cluster.api(c.VIEWER)


@pytest.fixture(scope="session")
def no_pods_api(e2e_cluster: c.Cluster) -> c.Api:
    return e2e_cluster.api(c.NO_PODS)


@pytest.fixture(scope="session")
def kubeconfigs(e2e_cluster: c.Cluster) -> dict[str, str]:
    return {user: str(path) for user, path in e2e_cluster.kubeconfigs.items()}


@pytest.fixture(scope="session")
def admin_kubeconfig(kubeconfigs: dict[str, str]) -> str:
    return kubeconfigs[c.ADMIN]


@pytest.fixture(scope="session")
def viewer_kubeconfig(kubeconfigs: dict[str, str]) -> str:
    return kubeconfigs[c.VIEWER]


@pytest.fixture(scope="session")
def no_pods_kubeconfig(kubeconfigs: dict[str, str]) -> str:
    return kubeconfigs[c.NO_PODS]


@pytest.fixture
def namespace(admin_api: c.Api) -> str:
    """A fresh namespace. Not deleted afterwards: no namespace controller runs, so a deleted
    namespace would stay Terminating; the whole cluster is thrown away at the end."""
    return c.create_namespace(admin_api)["metadata"]["name"]


@pytest.fixture(scope="session")
def e2e_scenarios(admin_api: c.Api) -> dict[str, sc.Scenario]:
    out = {}
    for name, build in sc.ALL_SMALL_BUILDERS.items():
        ns = c.create_namespace(admin_api, name)["metadata"]["name"]
        out[name] = build(admin_api, ns)
    return out


@pytest.fixture(scope="session")
def many_pods_scenario(admin_api: c.Api) -> sc.Scenario:
    n = int(os.environ.get("KUBECTL_SIDECAR_E2E_MANY_PODS", "600"))
    ns = c.create_namespace(admin_api, "many-pods")["metadata"]["name"]
    return sc.build_many_pods_job(admin_api, ns, n=n)


@pytest.fixture(scope="session")
def plugin_kubeconfig(kubeconfigs: dict[str, str]) -> str:
    return kubeconfigs[c.PLUGIN]


# ---------------------------------------------------------------------------------------------
# running the plugin

# ``python -c`` shim: the plugin with its clock pinned (argv[1], RFC3339), for outputs that would
# otherwise depend on the time of the run (a running container's bar ends "now"). Everything else is
# the real command line: same entry point, same kubeconfig handling, same HTTP client.
_PINNED_CLOCK = """
import sys
from datetime import datetime as _datetime
from kubectl_sidecar import app, cli
_now = _datetime.fromisoformat(sys.argv.pop(1).replace("Z", "+00:00"))
class _Pinned(_datetime):
    @classmethod
    def now(cls, tz=None):
        return _now if tz is None else _now.astimezone(tz)
app.datetime = _Pinned
sys.argv[0] = "kubectl-sidecar"
cli.main()
"""
_DROPPED_ENV = (
    "KUBECONFIG",
    "KUBERNETES_SERVICE_HOST",
    "KUBERNETES_SERVICE_PORT",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_COLOR",
    "KUBECTL_SIDECAR_DEBUG",
    "COLUMNS",
)


@dataclass
class PluginResult:
    args: list
    returncode: int
    stdout: str
    stderr: str
    audit_offset: int = 0
    seconds: float = 0.0

    def json(self) -> dict:
        return json.loads(self.stdout)

    @property
    def notes(self) -> list[str]:
        return [line[len("note: ") :] for line in self.stderr.splitlines() if line.startswith("note: ")]

    def __str__(self) -> str:
        return (
            f"kubectl-sidecar {' '.join(self.args)} -> exit {self.returncode}\n"
            f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}"
        )


@dataclass
class PluginRunner:
    """Runs ``python -m kubectl_sidecar`` (what the ``kubectl-sidecar`` console script runs) against
    the e2e cluster with a private HOME, no proxies and no KUBECONFIG unless given, COLUMNS=100, UTC.

    ``run(*args, user=PLUGIN)`` adds ``--kubeconfig`` of that user (``user=None``: none, e.g. to use
    ``env={"KUBECONFIG": ...}``); ``now="2024-..Z"`` pins the plugin's clock. ``popen`` starts it
    in the background (for ``--watch``). ``requests(result)`` returns the audit-log entries of the
    plugin's requests made since the run started (by User-Agent, any user).
    """

    cluster: c.Cluster
    home: Path
    runs: list = field(default_factory=list)

    def env(self, extra: dict | None = None) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
        env.update(
            {
                "HOME": str(self.home),
                "COLUMNS": "100",
                "TZ": "UTC",
                "NO_COLOR": "1",
                "PYTHONUNBUFFERED": "1",
                "NO_PROXY": "127.0.0.1,localhost",
            }
        )
        env.update(extra or {})
        return env

    def command(
        self, args, user: str | None = c.PLUGIN, kubeconfig: str | None = None, now: str | None = None
    ) -> list:
        args = [str(a) for a in args]
        if kubeconfig or user:
            args += ["--kubeconfig", str(kubeconfig or self.cluster.kubeconfigs[user])]
        if now:
            return [sys.executable, "-c", _PINNED_CLOCK, now, *args]
        return [sys.executable, "-m", "kubectl_sidecar", *args]

    def run(
        self,
        *args,
        user: str | None = c.PLUGIN,
        kubeconfig: str | None = None,
        now: str | None = None,
        env: dict | None = None,
        timeout: float = 120,
    ) -> PluginResult:
        cmd = self.command(args, user, kubeconfig, now)
        offset = self.cluster.audit_offset()
        t0 = time.monotonic()
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env(env),
            stdin=subprocess.DEVNULL,
            check=False,
        )
        result = PluginResult(
            [str(a) for a in args], proc.returncode, proc.stdout, proc.stderr, offset, time.monotonic() - t0
        )
        self.runs.append(result)
        return result

    def run_all(self, calls: list, workers: int = 4) -> list[PluginResult]:
        """Run several ``(args, kwargs)`` at once (each is a ``run``); results in order."""
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda call: self.run(*call[0], **call[1]), calls))

    def popen(
        self, *args, user: str | None = c.PLUGIN, kubeconfig: str | None = None, env: dict | None = None
    ) -> subprocess.Popen:
        return subprocess.Popen(
            self.command(args, user, kubeconfig),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            bufsize=1,
            env=self.env(env),
        )

    def requests(
        self,
        since: PluginResult | int,
        audit_log: Path | None = None,
        settle: float = 0.3,
        timeout: float = 10,
    ) -> list[dict]:
        """Audit entries of kubectl-sidecar requests after ``since`` (a result or a byte offset), one
        per request (the last stage seen), once the log stops growing."""
        offset = since.audit_offset if isinstance(since, PluginResult) else since
        deadline = time.monotonic() + timeout
        last = None
        while True:
            events = [
                e
                for e in self.cluster.audit_events(offset, audit_log)
                if (e.get("userAgent") or "").startswith(c.PLUGIN_USER_AGENT)
            ]
            by_id = {}
            for e in events:
                by_id[e["auditID"]] = e
            done = [e for e in by_id.values() if e.get("stage") in ("ResponseComplete", "Panic")]
            if last is not None and len(done) == last and len(done) == len(by_id):
                return list(by_id.values())
            if time.monotonic() > deadline:
                return list(by_id.values())
            last = len(done)
            time.sleep(settle)


@pytest.fixture(scope="session")
def sidecar(e2e_cluster: c.Cluster, tmp_path_factory: pytest.TempPathFactory) -> PluginRunner:
    home = tmp_path_factory.mktemp("e2e-plugin-home")
    return PluginRunner(e2e_cluster, home)


@pytest.fixture(scope="session", autouse=True)
def plugin_only_reads() -> Iterator[None]:
    """At the end of the session: every request with the plugin's User-Agent, in the audit logs of the
    apiserver and of any replica, was a get, list or watch, and nothing but the plugin (and kubectl,
    which test_plugin_access runs as the same user to compare) used the plugin's user. A failure here
    is reported as an error in the teardown of the last test."""
    yield
    if _ACTIVE is None:
        return
    cl = _ACTIVE
    logs = [cl.audit_log, *sorted(cl.workdir.glob("*-audit.log"))]
    events = [e for path in logs for e in cl.audit_events(0, path)]
    mine = [e for e in events if (e.get("userAgent") or "").startswith(c.PLUGIN_USER_AGENT)]
    writes = sorted({(e["verb"], e["requestURI"]) for e in mine if e["verb"] not in ("get", "list", "watch")})
    assert not writes, f"kubectl-sidecar sent requests that are not reads: {writes}"
    kubectl = ("kubectl/", "kubectl-dispatcher/")  # test_plugin_access compares with kubectl as this user
    others = sorted(
        {
            (e.get("userAgent"), e["verb"], e["requestURI"])
            for e in events
            if e["user"]["username"] == c.PLUGIN
            and e not in mine
            and not (e.get("userAgent") or "").startswith(kubectl)
        }
    )
    assert not others, f"something else used the plugin's user: {others}"
