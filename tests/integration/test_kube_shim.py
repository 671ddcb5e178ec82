"""kube/shim.py against the oldest and the newest kubernetes client setup.cfg allows (24.2.0, latest 35.x).

Each version is pip-installed (with its dependencies) into its own --target directory (PyPI needed; skipped without it); a fresh
interpreter with only that directory in front loads ApiClient, Configuration and the loaders through the
shim, without running ``kubernetes/client/__init__.py``, and opens a Session against the API stand-in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = ["kubernetes==24.2.0", "kubernetes>=35,<36"]

PROBE = textwrap.dedent("""
    import json, sys
    from kubectl_sidecar.kube import shim
    from kubectl_sidecar.kube.session import ApiTarget, Session
    from kubectl_sidecar.options import KubeOptions

    library = shim.load()
    lazy = type(sys.modules["kubernetes.client"]).__name__ == "_LazyPackage"
    skipped_models = "kubernetes.client.api.core_v1_api" not in sys.modules
    with Session.open(KubeOptions(server=sys.argv[1])) as session:
        version = session.get("/version", ApiTarget("get", "/version"))
    from importlib.metadata import version as dist_version
    print(json.dumps({"file": library.ApiClient.__module__ and sys.modules[library.ApiClient.__module__].__file__,
                      "lazy": lazy, "skipped_models": skipped_models,
                      "loaders": [library.KubeConfigLoader.__name__, library.InClusterConfigLoader.__name__,
                                  library.ConfigNode.__name__, library.ConfigException.__name__],
                      "gitVersion": version.get("gitVersion"), "kubernetes": dist_version("kubernetes")}))
""")


@pytest.fixture(scope="module", params=VERSIONS, ids=["oldest-24.2.0", "newest-35.x"])
def client_dir(request, tmp_path_factory):
    target = tmp_path_factory.mktemp("kubernetes-client")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--target",
            str(target),
            request.param,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot install {request.param} from PyPI: {done.stderr.strip()[-300:]}")
    return request.param, target


def test_the_shim_loads_each_allowed_client_and_a_session_reads(client_dir, fake_api):
    spec, target = client_dir
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(target), str(ROOT)]))
    for var in ("KUBECONFIG", "HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        env.pop(var, None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, fake_api.url], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["file"].startswith(str(target)), found
    assert found["lazy"] and found["skipped_models"], found
    assert found["loaders"] == ["KubeConfigLoader", "InClusterConfigLoader", "ConfigNode", "ConfigException"]
    assert found["gitVersion"]
    if "24.2.0" in spec:
        assert found["kubernetes"] == "24.2.0"
    else:
        assert found["kubernetes"].startswith("35.")
