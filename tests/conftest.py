"""Shared pytest fixtures.

The API stand-in (tests/fakeapi, see docs/testing.md "The API stand-in"):
  fake_api           a started FakeApiServer, plain HTTP, empty (function scope)
  fake_api_tls       the same over HTTPS with a required bearer token (fake_api_tls.token)
  cluster_api        a started FakeApiServer loaded with tests/fakeapi/data (pods, events, Jobs, nodes)
  fake_api_factory   make more servers: fake_api_factory(objects=..., tls=..., ...), all stopped at teardown
  kubeconfig         write a kubeconfig: kubeconfig(server_or_url, name="kubeconfig", **write_kubeconfig kwargs)
  kubectl            run the real kubectl: kubectl(server_or_kubeconfig, "get", "pods", ...) -> CompletedProcess;
                     skips the test when kubectl is not on PATH
"""

import os
import sys

import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from fakeapi import DATA_DIR, FakeApiServer, write_kubeconfig  # noqa: E402
from fakeapi.kubectl import KUBECTL, run_kubectl  # noqa: E402

FAKE_API_TOKEN = "fake-api-token-0123456789"
_TIERS = {"unit", "integration", "e2e"}


def pytest_collection_modifyitems(config, items):
    """Mark each test with its tier (tests/integration -> integration, krew tests -> krew too), so
    ``-m "not integration"`` and friends select by tier without a marker on every test."""
    for item in items:
        parts = set(os.path.relpath(str(item.path), _HERE).split(os.sep))
        if "integration" in parts & _TIERS:
            item.add_marker(pytest.mark.integration)
        if os.path.basename(str(item.path)) == "test_krew.py":
            item.add_marker(pytest.mark.krew)


# What a developer's shell may carry that would send the plugin somewhere other than the test's server.
KUBE_ENVIRONMENT = (
    "KUBECONFIG",
    "KUBERNETES_SERVICE_HOST",
    "KUBERNETES_SERVICE_PORT",
    "POD_NAMESPACE",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
)


@pytest.fixture
def clean_kube_env(tmp_path, monkeypatch):
    """No ~/.kube/config, no KUBECONFIG, not in a pod, no proxies: each test says what it has.

    Returns the empty HOME folder.
    """
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    for var in KUBE_ENVIRONMENT:
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def fake_api_factory():
    servers = []

    def make(objects=None, **kwargs):
        server = FakeApiServer(objects, **kwargs)
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def fake_api(fake_api_factory):
    return fake_api_factory()


@pytest.fixture
def fake_api_tls(fake_api_factory):
    return fake_api_factory(tls=True, token=FAKE_API_TOKEN)


@pytest.fixture
def cluster_api(fake_api_factory):
    return fake_api_factory([os.path.join(DATA_DIR, "cluster.json"), os.path.join(DATA_DIR, "acs-pod.yaml")])


@pytest.fixture
def kubeconfig(tmp_path):
    counter = [0]

    def make(server=None, name=None, **kwargs):
        counter[0] += 1
        path = tmp_path / (name or "kubeconfig-%d" % counter[0])
        if isinstance(server, FakeApiServer):
            return server.write_kubeconfig(path, **kwargs)
        if server is None:
            server = kwargs.pop("server_url")
        return write_kubeconfig(path, server, **kwargs)

    return make


@pytest.fixture
def kubectl(tmp_path):
    if KUBECTL is None:
        pytest.skip("kubectl is not on PATH")
    home = tmp_path / "kubectl-home"
    home.mkdir()

    def run(target, *args, **kwargs):
        kwargs.setdefault("home", str(home))
        return run_kubectl(target, args, **kwargs)

    return run
