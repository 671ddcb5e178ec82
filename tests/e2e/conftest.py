"""Fixtures of the e2e tier: a real kube-apiserver + etcd on 127.0.0.1 for the whole session.

Session fixtures: ``e2e_binaries``, ``e2e_cluster`` (cluster.Cluster), ``admin_api``, ``viewer_api``,
``no_pods_api`` (cluster.Api), ``kubeconfigs`` (user -> path), ``admin_kubeconfig``,
``viewer_kubeconfig``, ``no_pods_kubeconfig`` (str paths), ``e2e_scenarios`` (name -> Scenario,
the four small scenarios, each in its own namespace), ``many_pods_scenario`` (N pods, N from
$KUBECTL_SIDECAR_E2E_MANY_PODS, default 600). Function fixture: ``namespace`` (a fresh one).

The tier is skipped when Go is missing and no built binaries are available. Every test here gets
the ``e2e`` marker. When a test fails, the paths and tails of the apiserver and etcd logs are
attached to its report.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
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
        return ("e2e tier needs Go (to build kube-apiserver and etcd from the Go module proxy, "
                "see docs/testing.md) or prebuilt binaries; go is neither on PATH nor in /usr/local/go/bin")


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
