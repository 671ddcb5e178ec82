"""The krew distribution: archives, manifest, and an install with the real krew.

Builds the archives with scripts/build_krew.py (needs pip and the package index), builds krew and
validate-krew-manifest from the Go module proxy with scripts/build-krew-tools.sh (skipped without Go),
installs the plugin into a temporary KREW_ROOT and runs it through kubectl with a python3 that has no
packages. Nothing here talks to anything but local files and 127.0.0.1.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO / "scripts" / "build_krew.py"
TOOLS_SCRIPT = REPO / "scripts" / "build-krew-tools.sh"
KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
# Every network access of krew would go through this proxy, a closed loopback port, and fail.
DEAD_PROXY = "http://127.0.0.1:9"


def _load_build_krew():
    spec = importlib.util.spec_from_file_location("build_krew", BUILD_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


build_krew = _load_build_krew()
VERSION = build_krew.read_version()


def _run(
    cmd: list[str], env: dict[str, str] | None = None, check: bool = True, timeout: float = 300, **kwargs
) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(c) for c in cmd], env=env, capture_output=True, text=True, check=False, timeout=timeout, **kwargs
    )
    if check and proc.returncode != 0:
        pytest.fail(f"{cmd} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _bare_env(home: Path, path_dirs: list[Path], **extra: str) -> dict[str, str]:
    """A minimal environment: no PYTHON* variables, no proxies but the dead one, a private HOME."""
    env = {
        "PATH": os.pathsep.join(str(p) for p in path_dirs),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "KREW_NO_UPGRADE_CHECK": "1",
        "HTTP_PROXY": DEAD_PROXY,
        "HTTPS_PROXY": DEAD_PROXY,
        "http_proxy": DEAD_PROXY,
        "https_proxy": DEAD_PROXY,
        "NO_PROXY": "",
    }
    env.update(extra)
    return env


# ------------------------------------------------------------------------------------------ fixtures


def _build(dist: Path) -> dict:
    _run([sys.executable, BUILD_SCRIPT, "--dist", dist], timeout=600)
    return json.loads((dist / "krew-build.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    """What `make krew` builds, into a temporary dist/."""
    dist = tmp_path_factory.mktemp("dist")
    summary = _build(dist)
    summary["dist"] = dist
    return summary


@pytest.fixture(scope="module")
def archive(built) -> Path:
    return Path(built["archives"]["linux/amd64"]["path"])


@pytest.fixture(scope="module")
def zipapp(archive, tmp_path_factory) -> Path:
    """The kubectl-sidecar zipapp unpacked from the linux/amd64 archive."""
    out = tmp_path_factory.mktemp("unpacked")
    with tarfile.open(archive) as tf:
        member = tf.getmember("kubectl-sidecar")
        data = tf.extractfile(member).read()  # type: ignore[union-attr]
    path = out / "kubectl-sidecar"
    path.write_bytes(data)
    path.chmod(0o755)
    return path


@pytest.fixture(scope="module")
def krew_tools() -> Path:
    """The folder holding kubectl-krew and validate-krew-manifest, built from Go modules."""
    if shutil.which("go") is None and not os.access("/usr/local/go/bin/go", os.X_OK):
        pytest.skip(
            "Go is not installed: krew and validate-krew-manifest are built from the Go module "
            "proxy by scripts/build-krew-tools.sh"
        )
    proc = _run(["bash", TOOLS_SCRIPT], timeout=900)
    bin_dir = Path(proc.stdout.strip().splitlines()[-1])
    assert (bin_dir / "kubectl-krew").is_file() and (bin_dir / "validate-krew-manifest").is_file()
    return bin_dir


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory) -> Path:
    """A bin/ folder whose python3 is a venv without pip and without any package."""
    venv = tmp_path_factory.mktemp("bare") / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python3"
    probe = _run([python, "-c", "import click"], env={"PATH": "/usr/bin:/bin"}, check=False)
    assert probe.returncode != 0, "the bare python3 can import click: it proves nothing"
    return python.parent


@pytest.fixture(scope="module")
def krew_root(krew_tools, built, archive, tmp_path_factory) -> Path:
    """A fresh KREW_ROOT with the plugin installed from the rendered manifest and the local archive."""
    root = tmp_path_factory.mktemp("krew-root")
    home = tmp_path_factory.mktemp("krew-home")
    env = _bare_env(home, [krew_tools, root / "bin", Path(KUBECTL).parent, Path("/bin")], KREW_ROOT=str(root))
    proc = _run(
        [KUBECTL, "krew", "install", f"--manifest={built['manifest']}", f"--archive={archive}"],
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert "Installed plugin: sidecar" in proc.stdout + proc.stderr
    return root


def _plugin_env(krew_root: Path, bare_python: Path, home: Path, **extra: str) -> dict[str, str]:
    """kubectl finds kubectl-sidecar in KREW_ROOT/bin; `env python3` finds the bare venv first."""
    return _bare_env(
        home,
        [bare_python, krew_root / "bin", Path(KUBECTL).parent, Path("/bin")],
        KREW_ROOT=str(krew_root),
        **extra,
    )


# ------------------------------------------------------------------------------------------ archives


def test_archives_hold_the_zipapp_license_and_readme(built):
    archives = built["archives"]
    assert set(archives) == {"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64"}
    digests = set()
    for platform, info in archives.items():
        path = Path(info["path"])
        os_name, arch = platform.split("/")
        assert path.name == f"kubectl-sidecar-v{VERSION}-{os_name}-{arch}.tar.gz"
        assert _sha256(path) == info["sha256"]
        digests.add(info["sha256"])
        with tarfile.open(path) as tf:
            members = tf.getmembers()
            assert [m.name for m in members] == ["LICENSE", "README.md", "kubectl-sidecar"]
            for m in members:
                assert m.isfile() and m.uid == 0 and m.gid == 0 and m.uname == "" and m.gname == ""
                assert m.mtime == build_krew.source_epoch()
            modes = {m.name: m.mode for m in members}
            assert modes == {"LICENSE": 0o644, "README.md": 0o644, "kubectl-sidecar": 0o755}
            assert tf.extractfile("LICENSE").read() == (REPO / "LICENSE").read_bytes()  # type: ignore
            readme = tf.extractfile("README.md").read().decode()  # type: ignore[union-attr]
            assert f"kubectl-sidecar v{VERSION}" in readme and "python3 3.9" in readme
    # Pure Python: the four platforms get the same bytes.
    assert len(digests) == 1
    assert (built["dist"] / "sha256sums.txt").read_text().count(digests.pop()) == 4


def test_build_is_reproducible(built, tmp_path):
    again = _build(tmp_path / "dist")
    assert {k: v["sha256"] for k, v in again["archives"].items()} == {
        k: v["sha256"] for k, v in built["archives"].items()
    }
    assert again["build_id"] == built["build_id"]


def test_zipapp_is_pure_python_with_its_dependencies(zipapp, built):
    data = zipapp.read_bytes()
    assert data.startswith(build_krew.launcher())
    with zipfile.ZipFile(zipapp) as zf:
        names = zf.namelist()
        assert names == sorted(names)
        stamp = time.gmtime(max(build_krew.source_epoch(), build_krew.DEFAULT_EPOCH))[:6]
        stamp = stamp[:5] + (stamp[5] // 2 * 2,)  # zip keeps even seconds
        assert {i.date_time for i in zf.infolist()} == {stamp}
        wheel_tags = {n: zf.read(n).decode() for n in names if n.endswith(".dist-info/WHEEL")}
        main_py = zf.read("__main__.py").decode()
    for needed in (
        "__main__.py",
        "kubectl_sidecar/cli/__init__.py",
        "kubectl_sidecar/demo/index.yaml",
        "click/__init__.py",
        "yaml/__init__.py",
        "dateutil/parser/__init__.py",
        "tabulate/__init__.py",
        "kubernetes/__init__.py",
        "urllib3/__init__.py",
        "certifi/cacert.pem",
    ):
        assert needed in names
    assert not [n for n in names if n.endswith(build_krew.NATIVE_SUFFIXES)], "compiled code bundled"
    assert not [n for n in names if n.startswith(("yaml/_yaml", "_yaml/"))]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or n.startswith("bin/")]
    for name, text in wheel_tags.items():
        assert "Root-Is-Purelib: true" in text, name
        assert all(t.endswith("-none-any") for t in re.findall(r"^Tag: (\S+)", text, re.MULTILINE)), name
    # What is bundled is exactly the pinned set, plus the plugin.
    bundled = {_norm(d["name"]): d["version"] for d in built["bundled"]}
    pinned = dict(p.split("==") for p in build_krew.PINS)
    assert bundled == {**{_norm(k): v for k, v in pinned.items()}, "kubectl-sidecar": VERSION}
    assert f'BUILD_ID = "{built["build_id"]}"' in main_py and f'VERSION = "{VERSION}"' in main_py
    print(f"zipapp {len(data)} bytes; archive {built['archives']['linux/amd64']['size']} bytes")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_zipapp_carries_a_click_inside_the_range_the_tests_ran(zipapp, built):
    """pip and krew installs behave alike: the bundled click and the click these tests ran with are both
    inside setup.cfg's range (click>=8.1,<9), read from the zipapp itself, not from the build summary."""
    from importlib.metadata import version as installed

    spec = build_krew.read_requirements()["click"]
    assert "<9" in spec.replace(" ", ""), f"click{spec}: no upper bound below click 9"
    with zipfile.ZipFile(zipapp) as zf:
        metadata = [n for n in zf.namelist() if re.fullmatch(r"click-[^/]+\.dist-info/METADATA", n)]
        assert len(metadata) == 1, metadata
        version = re.search(r"^Version: (\S+)$", zf.read(metadata[0]).decode(), re.MULTILINE).group(1)
    specifiers = build_krew._specifier_set(spec)
    assert version in specifiers, f"bundled click {version} outside click{spec}"
    assert installed("click") in specifiers, f"tests ran with click {installed('click')}, outside click{spec}"
    assert built["requirements"]["click"] == spec


def test_build_refuses_a_pin_outside_the_requirements():
    requirements = {"click": ">=8.1,<9", "pyyaml": ">=5.4"}
    build_krew.check_within_requirements([("click", "8.1.8"), ("PyYAML", "6.0.3")], requirements)
    for dists in ([("click", "9.0.0")], [("click", "8.0.4")], [("PyYAML", "5.3")]):
        with pytest.raises(build_krew.BuildError, match="outside setup.cfg"):
            build_krew.check_within_requirements(dists, requirements)


# ------------------------------------------------------------------------------------------ manifest


def test_template_keeps_placeholders_and_documents_the_caveats():
    template = (REPO / "krew" / "sidecar.yaml").read_text(encoding="utf-8")
    doc = yaml.safe_load(template)
    assert doc["apiVersion"] == "krew.googlecontainertools.github.com/v1alpha2"
    assert doc["kind"] == "Plugin" and doc["metadata"]["name"] == "sidecar"
    assert doc["spec"]["version"] == "v{{ version }}"
    spec = doc["spec"]
    assert "\n" not in spec["shortDescription"] and len(spec["shortDescription"]) <= 60
    assert "python3" in spec["caveats"] and "3.9" in spec["caveats"]
    assert "kubectl_complete-sidecar" in spec["caveats"]
    for pl in spec["platforms"]:
        assert pl["uri"] == "{{ uri }}" and pl["sha256"] == "{{ sha256 }}"
        assert pl["bin"] == "kubectl-sidecar"
        assert {"from": "LICENSE", "to": "."} in pl["files"]


def test_rendered_manifest_points_at_each_archive(built):
    manifest = Path(built["manifest"])
    assert manifest.name == "sidecar.yaml"
    text = manifest.read_text(encoding="utf-8")
    assert "{{" not in text
    doc = yaml.safe_load(text)
    assert doc["spec"]["version"] == f"v{VERSION}"
    base = build_krew.DEFAULT_BASE_URI.format(version=VERSION)
    seen = set()
    for pl in doc["spec"]["platforms"]:
        key = f"{pl['selector']['matchLabels']['os']}/{pl['selector']['matchLabels']['arch']}"
        info = built["archives"][key]
        assert pl["uri"] == f"{base}/{Path(info['path']).name}"
        assert pl["sha256"] == info["sha256"] == _sha256(Path(info["path"]))
        seen.add(key)
    assert seen == set(built["archives"])


def test_base_uri_is_overridable(tmp_path):
    artifacts = {
        p: (f"https://example.invalid/v{VERSION}/{'-'.join(p)}.tar.gz", "0" * 64)
        for p in build_krew.PLATFORMS
    }
    text = build_krew.render_manifest((REPO / "krew" / "sidecar.yaml").read_text(), VERSION, artifacts)
    uris = [pl["uri"] for pl in yaml.safe_load(text)["spec"]["platforms"]]
    assert sorted(uris) == sorted(a[0] for a in artifacts.values())


def test_validate_krew_manifest_accepts_the_rendered_manifest(krew_tools, built):
    proc = _run([krew_tools / "validate-krew-manifest", "-manifest", built["manifest"], "-skip-install"])
    assert "structural validation OK" in proc.stderr


@pytest.mark.kubectl
def test_validate_krew_manifest_installs_every_platform(krew_tools, built, tmp_path):
    """The full validation installs each platform with krew, downloading from a loopback server."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(built["dist"]))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        artifacts = {
            (k.split("/")[0], k.split("/")[1]): (f"{base}/{Path(v['path']).name}", v["sha256"])
            for k, v in built["archives"].items()
        }
        manifest = tmp_path / "sidecar.yaml"
        manifest.write_text(
            build_krew.render_manifest((REPO / "krew" / "sidecar.yaml").read_text(), VERSION, artifacts)
        )
        env = _bare_env(tmp_path, [krew_tools, Path(KUBECTL).parent, Path("/bin")])
        proc = _run([krew_tools / "validate-krew-manifest", "-manifest", manifest], env=env)
    finally:
        server.shutdown()
        server.server_close()
    assert "all 4 spec.platforms installed fine" in proc.stderr


# ------------------------------------------------------------------------------------------ krew


@pytest.mark.kubectl
def test_krew_installs_from_manifest_and_archive_without_an_index(krew_root):
    assert (krew_root / "receipts" / "sidecar.yaml").is_file()
    store = krew_root / "store" / "sidecar" / f"v{VERSION}"
    assert sorted(p.name for p in store.iterdir()) == ["LICENSE", "README.md", "kubectl-sidecar"]
    link = krew_root / "bin" / "kubectl-sidecar"
    assert link.is_symlink() and link.resolve() == (store / "kubectl-sidecar").resolve()
    # krew never fetched its index (no `krew update` needed) and left it empty.
    assert list((krew_root / "index").iterdir()) == []
    # (`kubectl krew list` would want an index: a user's krew has one, this test's does not.)


@pytest.mark.kubectl
def test_kubectl_runs_the_plugin_with_a_python3_that_has_no_packages(krew_root, bare_python, tmp_path):
    env = _plugin_env(krew_root, bare_python, tmp_path)
    plugins = _run([KUBECTL, "plugin", "list"], env=env, check=False)
    assert str(krew_root / "bin" / "kubectl-sidecar") in plugins.stdout
    version = _run([KUBECTL, "sidecar", "--version"], env=env)
    assert version.stdout.strip() == f"kubectl-sidecar {VERSION}"
    helped = _run([KUBECTL, "sidecar", "--help"], env=env)
    assert helped.stdout.startswith("Usage: kubectl sidecar")
    demo = _run([KUBECTL, "sidecar", "demo"], env=env)
    assert demo.stdout.strip() and "Traceback" not in demo.stderr
    # The modules come from the zipapp's unpacked copy under HOME's cache, not from any site-packages.
    unpacked = tmp_path / ".cache" / "kubectl-sidecar" / "zipapp"
    verbose = _run([KUBECTL, "sidecar", "--version"], env=dict(env, PYTHONVERBOSE="1"))
    origins = set(re.findall(r"(/\S*?)/click/(?:__pycache__/)?__init__\.", verbose.stderr))
    assert origins and all(o.startswith(str(unpacked)) for o in origins), origins
    assert shutil.which("python3", path=env["PATH"]) == str(bare_python / "python3")


@pytest.mark.kubectl
def test_installed_plugin_reads_a_cluster_over_tls(krew_root, bare_python, fake_api_factory, tmp_path):
    """The bundled kubernetes client, urllib3 and ssl: a timeline from the API stand-in over HTTPS."""
    from fakeapi import DATA_DIR

    server = fake_api_factory(
        [os.path.join(DATA_DIR, "cluster.json")], tls=True, token="krew-test-token-0123"
    )
    config = server.write_kubeconfig(tmp_path / "kubeconfig")
    env = _plugin_env(krew_root, bare_python, tmp_path)
    proc = _run(
        [KUBECTL, "sidecar", "timeline", "--kubeconfig", config, "-n", "batch-jobs", "etl-20240501-x7k2p"],
        env=env,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stderr  # 1: findings
    assert "log-shipper" in proc.stdout and "etl" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.kubectl
def test_plugin_runs_from_the_zip_when_told_not_to_unpack(krew_root, bare_python, tmp_path):
    env = _plugin_env(krew_root, bare_python, tmp_path, KUBECTL_SIDECAR_UNPACK_DIR="none", PYTHONVERBOSE="1")
    proc = _run([KUBECTL, "sidecar", "demo"], env=env)
    origins = set(re.findall(r'<zipimporter object "(\S+?)/click/"', proc.stderr))
    assert origins == {str(krew_root / "bin" / "kubectl-sidecar")}, origins
    assert not (tmp_path / ".cache").exists()


# ------------------------------------------------------------------------------------------ zipapp


def test_unpack_cache_is_reused_replaced_and_optional(zipapp, bare_python, tmp_path):
    root = tmp_path / "unpack"
    old = root / "0.0.1-0123456789abcdef"
    old.mkdir(parents=True)
    (old / ".complete").write_text("")
    env = {
        "PATH": f"{bare_python}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "KUBECTL_SIDECAR_UNPACK_DIR": str(root),
    }
    _run([zipapp, "--version"], env=env)
    target = root / f"{VERSION}-{zipapp_build_id(zipapp)}"
    assert (target / ".complete").is_file() and (target / "kubectl_sidecar" / "cli" / "__init__.py").is_file()
    assert not old.exists(), "the build an upgrade replaced is left behind"
    assert not [p for p in root.iterdir() if p.name.startswith(".unpack-")]
    stamp = (target / ".complete").stat().st_mtime_ns
    _run([zipapp, "--version"], env=env)
    assert (target / ".complete").stat().st_mtime_ns == stamp  # reused, not unpacked again
    # An unwritable place: the plugin still runs, from the zip, and says why.
    blocked = dict(env, KUBECTL_SIDECAR_UNPACK_DIR=str(tmp_path / "a-file" / "sub"))
    (tmp_path / "a-file").write_text("")
    proc = _run([zipapp, "--version"], env=blocked)
    assert proc.stdout.strip() == f"kubectl-sidecar {VERSION}"
    assert "running from the zip" in proc.stderr


def _zipapp_env(bare_python: Path, tmp_path: Path, **extra: str) -> dict[str, str]:
    """No XDG_CACHE_HOME unless given; TMPDIR a folder of the test's (tempfile.gettempdir reads it)."""
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    env = {"PATH": f"{bare_python}:/usr/bin:/bin", "LANG": "C.UTF-8", "TMPDIR": str(tmp)}
    env.update(extra)
    return env


def test_a_missing_home_is_never_created_and_a_private_temporary_folder_is_used(
    zipapp, bare_python, tmp_path
):
    """HOME=/nonexistent/x: nothing is made above the cache base; the unpacked copy goes to <tmp>, 0700."""
    env = _zipapp_env(bare_python, tmp_path, HOME=str(tmp_path / "nonexistent" / "x"))
    proc = _run([zipapp, "--version"], env=env)
    assert (proc.stdout, proc.stderr) == (f"kubectl-sidecar {VERSION}\n", "")
    assert not (tmp_path / "nonexistent").exists()
    private = tmp_path / "tmp" / f"kubectl-sidecar-{os.getuid()}"
    assert (private.stat().st_mode & 0o777, private.stat().st_uid) == (0o700, os.getuid())
    assert (private / "zipapp" / f"{VERSION}-{zipapp_build_id(zipapp)}" / ".complete").is_file()


def test_xdg_cache_home_is_honoured(zipapp, bare_python, tmp_path):
    (tmp_path / "xdg").mkdir()
    (tmp_path / "home").mkdir()
    env = _zipapp_env(
        bare_python, tmp_path, HOME=str(tmp_path / "home"), XDG_CACHE_HOME=str(tmp_path / "xdg")
    )
    _run([zipapp, "--version"], env=env)
    target = tmp_path / "xdg" / "kubectl-sidecar" / "zipapp" / f"{VERSION}-{zipapp_build_id(zipapp)}"
    assert (target / ".complete").is_file()
    assert list((tmp_path / "home").iterdir()) == []


def test_a_missing_xdg_cache_home_is_not_created(zipapp, bare_python, tmp_path):
    (tmp_path / "home").mkdir()
    missing = tmp_path / "gone" / "cache"
    env = _zipapp_env(bare_python, tmp_path, HOME=str(tmp_path / "home"), XDG_CACHE_HOME=str(missing))
    _run([zipapp, "--version"], env=env)
    assert not (tmp_path / "gone").exists()
    assert (tmp_path / "tmp" / f"kubectl-sidecar-{os.getuid()}" / "zipapp").is_dir()


@pytest.mark.parametrize("planted", ["writable-by-all", "a-link", "someone-elses"])
def test_a_temporary_folder_planted_by_another_user_is_not_used(zipapp, bare_python, tmp_path, planted):
    """Another user could create <tmp>/kubectl-sidecar-<uid> first and put code in it: run from the zip."""
    env = _zipapp_env(bare_python, tmp_path, HOME=str(tmp_path / "nonexistent"))
    private = tmp_path / "tmp" / f"kubectl-sidecar-{os.getuid()}"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    if planted == "writable-by-all":
        private.mkdir()
        private.chmod(0o777)
    elif planted == "a-link":
        private.symlink_to(elsewhere)
    else:
        if os.getuid() != 0:
            pytest.skip("only root can give a folder to another user")
        private.mkdir(mode=0o700)
        os.chown(private, 65534, 65534)
    proc = _run([zipapp, "--version"], env=env)
    assert (proc.stdout, proc.stderr) == (f"kubectl-sidecar {VERSION}\n", "")
    assert list(elsewhere.iterdir()) == []
    if planted != "a-link":
        assert list(private.iterdir()) == []


def zipapp_build_id(zipapp: Path) -> str:
    with zipfile.ZipFile(zipapp) as zf:
        return re.search(r'BUILD_ID = "(\w+)"', zf.read("__main__.py").decode()).group(1)  # type: ignore


DATA_FILES_PROBE = r"""
import json, os, ssl, sys
sys.path.insert(0, sys.argv[1])
import certifi, click, requests.certs, yaml
from dateutil.zoneinfo import get_zonefile_instance
from kubernetes.client import ApiClient
where = certifi.where()
print(json.dumps({
    "where": where,
    "isfile": os.path.isfile(where),
    "requests": requests.certs.where(),
    "certs": len(ssl.create_default_context(cafile=where).get_ca_certs()),
    "kubernetes_ca": ApiClient().rest_client.pool_manager.connection_pool_kw.get("ca_certs"),
    "libyaml": yaml.__with_libyaml__,
    "csafeloader": hasattr(yaml, "CSafeLoader"),
    "click": click.__file__,
    "zone": str(get_zonefile_instance().get("Asia/Shanghai")),
}))
"""


@pytest.mark.parametrize("mode", ["zip", "unpacked"])
def test_bundled_data_files_work(zipapp, bare_python, tmp_path, mode):
    """certifi's cacert.pem, dateutil's zoneinfo tarball: read from the zip or from the unpacked copy."""
    env = {"PATH": f"{bare_python}:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    if mode == "zip":
        where = str(zipapp)
    else:
        _run([zipapp, "--version"], env=env)
        where = str(
            tmp_path / ".cache" / "kubectl-sidecar" / "zipapp" / f"{VERSION}-{zipapp_build_id(zipapp)}"
        )
    proc = _run([bare_python / "python3", "-S", "-c", DATA_FILES_PROBE, where], env=env)
    got = json.loads(proc.stdout)
    assert got["isfile"] and got["certs"] > 50
    assert got["requests"] == got["where"] == got["kubernetes_ca"]
    assert got["libyaml"] is False and got["csafeloader"] is False
    assert got["click"].startswith(where)
    assert got["zone"].startswith("tzfile(")
    if mode == "zip":
        # certifi copied cacert.pem out of the zip for the process and removed it at exit.
        assert not os.path.exists(got["where"])
    else:
        assert got["where"] == os.path.join(where, "certifi", "cacert.pem")


def test_plugin_code_does_not_need_libyaml():
    """PyYAML is bundled without its C extension: yaml.C* loaders may only be used with a fallback."""
    offenders = []
    for path in sorted((REPO / "kubectl_sidecar").rglob("*.py")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\byaml\.C(Safe)?(Loader|Dumper|Parser|Emitter)\b", line) or re.search(
                r"from yaml import .*\bC(Safe)?(Loader|Dumper)\b", line
            ):
                offenders.append(f"{path.relative_to(REPO)}:{lineno}: {line.strip()}")
    assert not offenders, "use getattr(yaml, 'CSafeLoader', yaml.SafeLoader):\n" + "\n".join(offenders)


def _interpreters() -> list[tuple[str, str]]:
    """(id, path) of the CPython 3.x interpreters on this machine, one per minor version."""
    found: dict[tuple[int, int], str] = {}
    candidates = [sys.executable, "/usr/bin/python3"]
    candidates += [shutil.which(f"python3.{m}") or "" for m in range(6, 16)]
    candidates += sorted(
        str(p) for p in Path(os.path.expanduser("~/.pyenv/versions")).glob("3.*/bin/python3")
    )
    for exe in candidates:
        if not exe or not os.access(exe, os.X_OK):
            continue
        try:
            out = subprocess.run(
                [exe, "-c", "import sys; print('%d %d' % sys.version_info[:2])"],
                check=False,
                capture_output=True,
                text=True,
                timeout=30,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.strip():
            major, minor = map(int, out.stdout.split())
            found.setdefault((major, minor), exe)
    return [(f"python{a}.{b}", found[(a, b)]) for a, b in sorted(found)]


INTERPRETERS = _interpreters()


@pytest.mark.parametrize("python", [p for _, p in INTERPRETERS], ids=[i for i, _ in INTERPRETERS])
def test_zipapp_on_each_python(zipapp, python, tmp_path):
    """Python 3.9+ runs the plugin with no site-packages at all (-S); older ones get a clear message."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    minor = subprocess.run(
        [python, "-c", "import sys; print(sys.version_info[1])"], check=True, capture_output=True, text=True
    ).stdout.strip()
    if int(minor) < 9:
        proc = _run([python, "-S", zipapp, "--version"], env=env, check=False)
        assert proc.returncode == 2
        assert "kubectl-sidecar needs Python 3.9 or later" in proc.stderr
        return
    proc = _run([python, "-S", "-I", zipapp, "--version"], env=env)
    assert proc.stdout.strip() == f"kubectl-sidecar {VERSION}"
    demo = _run([python, "-S", "-I", zipapp, "demo"], env=env)
    assert demo.stdout.strip()


# ------------------------------------------------------------------------------------------ launcher


def test_zipapp_starts_with_a_launcher_that_names_the_python_it_needs(zipapp, tmp_path):
    """No python3 on PATH: one sentence saying what is needed (not `/usr/bin/env: 'python3': ...`)."""
    data = zipapp.read_bytes()
    assert data.startswith(b"#!/bin/sh\n")
    assert data.startswith(build_krew.launcher())
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    proc = _run(
        [zipapp, "demo"], env={"PATH": str(empty), "HOME": str(tmp_path), "LANG": "C.UTF-8"}, check=False
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("error: kubectl-sidecar needs Python 3.9 or later as python3 on PATH")
    assert proc.stderr.count("\n") == 1 and proc.stderr.endswith("docs/install.md)\n")


def test_manifest_and_release_uris_use_the_one_project_url(built):
    """The krew manifest's homepage, its links and the release URIs all come from about.PROJECT_URL."""
    from kubectl_sidecar.about import PROJECT_URL

    assert build_krew.PROJECT_URL == PROJECT_URL
    doc = yaml.safe_load(Path(built["manifest"]).read_text(encoding="utf-8"))
    assert doc["spec"]["homepage"] == PROJECT_URL
    urls = re.findall(r"https?://[^\s\"']+", Path(built["manifest"]).read_text(encoding="utf-8"))
    foreign = [u for u in urls if not u.startswith(PROJECT_URL) and "kubernetes-sigs/krew" not in u]
    assert not foreign, foreign
    assert all(
        pl["uri"].startswith(f"{PROJECT_URL}/releases/download/v{VERSION}/")
        for pl in doc["spec"]["platforms"]
    )
    assert "~/.cache/kubectl-sidecar" in doc["spec"]["caveats"]


# ------------------------------------------------------------------------------------------ lifecycle


def _bumped(version: str) -> str:
    """The next patch version: 0.1.0 -> 0.1.1."""
    head, last = re.match(r"(.*?)(\d+)$", version.split("+")[0].split("-")[0]).groups()  # type: ignore
    return f"{head}{int(last) + 1}"


def _release_as(archive: Path, version: str, out: Path) -> Path:
    """The same archive as release ``version``: the zipapp's package version and build id changed.

    What a user gets from the next release, without building one: krew installs it, the plugin says the
    new version, and its unpacked copy goes in a new folder (the old one must be removed).
    """
    with tarfile.open(archive) as tf:
        members = {m.name: (tf.extractfile(m).read(), m.mode) for m in tf.getmembers()}  # type: ignore
    old = zipfile.ZipFile(io.BytesIO(members["kubectl-sidecar"][0]))
    buffer = io.BytesIO()
    buffer.write(build_krew.launcher())
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == "kubectl_sidecar/__init__.py":
                data = data.replace(f'"{VERSION}"'.encode(), f'"{version}"'.encode())
            elif info.filename == "__main__.py":
                data = re.sub(rb'VERSION = "[^"]+"', f'VERSION = "{version}"'.encode(), data)
                data = re.sub(rb'BUILD_ID = "[^"]+"', b'BUILD_ID = "0000000000000001"', data)
            new.writestr(info, data)
    members["kubectl-sidecar"] = (buffer.getvalue(), 0o755)
    path = out / build_krew.archive_name(version, "linux", "amd64")
    build_krew.build_tarball(
        sorted((n, d, m) for n, (d, m) in members.items()), path, build_krew.source_epoch()
    )
    return path


def _receipt_version(root: Path) -> str:
    return yaml.safe_load((root / "receipts" / "sidecar.yaml").read_text(encoding="utf-8"))["spec"]["version"]


class _Files:
    """A loopback HTTP server for a folder (the release downloads krew fetches)."""

    def __init__(self, folder: Path) -> None:
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
        handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _manifest_for(version: str, archives: dict[tuple[str, str], tuple[str, Path]]) -> str:
    artifacts = {key: (uri, _sha256(path)) for key, (uri, path) in archives.items()}
    return build_krew.render_manifest((REPO / "krew" / "sidecar.yaml").read_text(), version, artifacts)


def _git(repo: Path, *args: str) -> None:
    identity = ["-c", "user.name=test", "-c", "user.email=test@127.0.0.1", "-c", "init.defaultBranch=master"]
    _run(["git", *identity, "-C", repo, *args])


def _publish(index: Path, manifest: str, message: str) -> None:
    """Commit ``manifest`` as plugins/sidecar.yaml of a local krew index (a git repository)."""
    (index / "plugins").mkdir(parents=True, exist_ok=True)
    (index / "plugins" / "sidecar.yaml").write_text(manifest, encoding="utf-8")
    _git(index, "add", "plugins/sidecar.yaml")
    _git(index, "commit", "-q", "-m", message)


def _platform_archives(base: str, path: Path, version: str) -> dict[tuple[str, str], tuple[str, Path]]:
    """Every platform of the template pointed at one archive (the plugin is the same on all)."""
    return {p: (f"{base}/{path.name}", path) for p in build_krew.PLATFORMS}


@pytest.mark.kubectl
def test_krew_lifecycle_install_list_upgrade_uninstall(krew_tools, archive, bare_python, tmp_path):
    """As a user's krew does it, from an index (a local git repository) and loopback downloads."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed: krew reads its plugin index with git")
    releases = tmp_path / "releases"
    releases.mkdir()
    first = releases / archive.name
    shutil.copy(archive, first)
    newer_version = _bumped(VERSION)
    newer = _release_as(archive, newer_version, releases)
    index = tmp_path / "index"
    index.mkdir()
    _git(index, "init", "-q")
    root, home = tmp_path / "krew-root", tmp_path / "home"
    home.mkdir()
    env = _plugin_env(root, bare_python, home)
    env["PATH"] = os.pathsep.join([env["PATH"], str(krew_tools)])
    files = _Files(releases)
    try:
        _publish(index, _manifest_for(VERSION, _platform_archives(files.base, first, VERSION)), "v1")
        _run([KUBECTL, "krew", "index", "add", "local", index], env=env)
        installed = _run([KUBECTL, "krew", "install", "local/sidecar"], env=env, stdin=subprocess.DEVNULL)
        assert "Installed plugin: sidecar" in installed.stdout + installed.stderr
        # Not on a terminal, `krew list` prints the names alone; the receipt holds the version.
        assert _run([KUBECTL, "krew", "list"], env=env).stdout.splitlines() == ["local/sidecar"]
        assert _receipt_version(root) == f"v{VERSION}"
        assert _run([KUBECTL, "sidecar", "version", "--client"], env=env).stdout.startswith(
            f"Plugin Version: v{VERSION}\n"
        )
        cache = home / ".cache" / "kubectl-sidecar" / "zipapp"
        assert [p.name.split("-")[0] for p in cache.iterdir()] == [VERSION]

        _publish(
            index, _manifest_for(newer_version, _platform_archives(files.base, newer, newer_version)), "v2"
        )
        upgraded = _run([KUBECTL, "krew", "upgrade", "sidecar"], env=env, stdin=subprocess.DEVNULL)
        assert "Upgraded plugin: local/sidecar" in upgraded.stderr, upgraded.stderr
        assert _run([KUBECTL, "krew", "list"], env=env).stdout.splitlines() == ["local/sidecar"]
        assert _receipt_version(root) == f"v{newer_version}"
        assert _run([KUBECTL, "sidecar", "version", "--client"], env=env).stdout.startswith(
            f"Plugin Version: v{newer_version}\n"
        )
        # The unpacked copy of the version the upgrade replaced is gone: one version at a time.
        assert [p.name for p in cache.iterdir()] == [f"{newer_version}-0000000000000001"]
        demo = _run([KUBECTL, "sidecar", "demo", "acs-forced-exit"], env=env)
        assert "SC010" in demo.stdout

        removed = _run([KUBECTL, "krew", "uninstall", "sidecar"], env=env)
        assert "Uninstalled plugin: sidecar" in removed.stdout + removed.stderr
    finally:
        files.close()
    assert not (root / "bin" / "kubectl-sidecar").exists() and not (root / "store" / "sidecar").exists()
    assert not (root / "receipts" / "sidecar.yaml").exists()
    assert "sidecar" not in _run([KUBECTL, "krew", "list"], env=env).stdout
    gone = _run([KUBECTL, "sidecar", "version"], env=env, check=False)
    assert gone.returncode != 0 and "unknown command" in gone.stderr


@pytest.mark.kubectl
def test_krew_manifest_install_then_list_upgrade_and_uninstall(
    krew_tools, built, archive, bare_python, tmp_path
):
    """The index-free install (--manifest with --archive) of docs/install.md, then the rest of its life.

    krew's list, uninstall and info refuse to run until a plugin index exists ("krew local plugin index is
    not initialized"): `kubectl krew update` makes the default one (a clone of krew-index). Here a local
    index stands in for it, as the network is out of reach. Upgrading a plugin installed from a manifest is
    uninstall, then install of the newer manifest and archive (krew upgrade skips such plugins).
    """
    if shutil.which("git") is None:
        pytest.skip("git is not installed: krew reads its plugin index with git")
    root, home = tmp_path / "krew-root", tmp_path / "home"
    home.mkdir()
    env = _plugin_env(root, bare_python, home)
    env["PATH"] = os.pathsep.join([env["PATH"], str(krew_tools)])
    install = [KUBECTL, "krew", "install", f"--manifest={built['manifest']}", f"--archive={archive}"]
    _run(install, env=env, stdin=subprocess.DEVNULL)
    refused = _run([KUBECTL, "krew", "list"], env=env, check=False)
    assert refused.returncode != 0 and "index is not initialized" in refused.stderr
    index = tmp_path / "index"
    index.mkdir()
    _git(index, "init", "-q")
    _git(index, "commit", "-q", "--allow-empty", "-m", "empty index")
    _run([KUBECTL, "krew", "index", "add", "default", index], env=env)  # what `kubectl krew update` makes
    assert _run([KUBECTL, "krew", "list"], env=env).stdout.splitlines() == ["detached/sidecar"]

    newer_version = _bumped(VERSION)
    newer = _release_as(archive, newer_version, tmp_path)
    manifest = tmp_path / "sidecar.yaml"
    manifest.write_text(
        _manifest_for(newer_version, _platform_archives("https://127.0.0.1:9", newer, newer_version))
    )
    _run([KUBECTL, "krew", "uninstall", "sidecar"], env=env)
    _run(
        [KUBECTL, "krew", "install", f"--manifest={manifest}", f"--archive={newer}"],
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert _run([KUBECTL, "sidecar", "version", "--client"], env=env).stdout.startswith(
        f"Plugin Version: v{newer_version}\n"
    )
    _run([KUBECTL, "krew", "uninstall", "sidecar"], env=env)
    assert not (root / "bin" / "kubectl-sidecar").exists() and not (root / "store" / "sidecar").exists()
