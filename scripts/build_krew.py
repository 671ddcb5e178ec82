#!/usr/bin/env python3
"""Build the krew archives and the rendered krew manifest under dist/.

Each archive holds ``kubectl-sidecar``, a single-file zipapp with a ``#!/usr/bin/env python3`` shebang
that carries the package and its runtime dependencies (pure-Python wheels only), plus LICENSE and a
README. The manifest ``dist/sidecar.yaml`` is ``krew/sidecar.yaml`` with the version, each platform's
``uri`` and ``sha256`` filled in. Archives are reproducible: sorted entries, fixed times and owners,
so the same inputs give the same sha256.

Usage:
    python3 scripts/build_krew.py [--base-uri URI] [--dist DIR] [--constraint FILE | --unpinned]

``--base-uri`` is the folder the archives will be downloaded from; ``{version}`` in it is replaced by
the package version. Run from any directory; needs pip and access to the package index.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PLUGIN = "sidecar"
EXECUTABLE = "kubectl-sidecar"
PLATFORMS: tuple[tuple[str, str], ...] = (
    ("linux", "amd64"),
    ("linux", "arm64"),
    ("darwin", "amd64"),
    ("darwin", "arm64"),
)


def read_project_url(repo: Path = REPO) -> str:
    """``PROJECT_URL`` from kubectl_sidecar/about.py (its one home), without importing the package."""
    text = (repo / "kubectl_sidecar" / "about.py").read_text(encoding="utf-8")
    m = re.search(r"""^PROJECT_URL\s*=\s*["']([^"']+)["']""", text, re.MULTILINE)
    if not m:
        raise SystemExit("build_krew: no PROJECT_URL in kubectl_sidecar/about.py")
    return m.group(1)


PROJECT_URL = read_project_url()
DEFAULT_BASE_URI = PROJECT_URL + "/releases/download/v{version}"
# The oldest Python the zipapp supports: dependencies are resolved for it, so each one picked also
# declares support for it (click 8.2+ needs 3.10, so the zipapp carries click 8.1). Every pin of a direct
# dependency must lie inside setup.cfg's range (check_within_requirements refuses the build otherwise).
TARGET_PYTHON = "3.9"
# Distributions published only as platform wheels whose compiled part is optional: their pure-Python
# code is taken from a platform wheel with the compiled files removed, and retagged py3-none-any.
# PyYAML: yaml/__init__.py falls back to the pure-Python loaders when yaml._yaml is missing.
PURE_FALLBACKS: dict[str, tuple[str, ...]] = {"pyyaml": ("yaml/_yaml.", "_yaml/")}
# The bundled dependency set, resolved for TARGET_PYTHON and tested by tests/test_krew.py: pinned so
# a rebuild gives the same bytes. Refresh with `--unpinned` (it prints the resolved set in
# dist/krew-build.json), run the tests, then copy the versions here.
PINS: tuple[str, ...] = (
    "certifi==2026.10.19.post1",
    "charset-normalizer==3.5.3",
    "click==8.1.8",  # 8.2+ needs Python 3.10
    "durationpy==0.11",
    "idna==3.20",
    "kubernetes==35.0.0",  # 36+ needs aiohttp (compiled): see docs/install.md
    "oauthlib==4.0.1",
    "python-dateutil==2.9.0.post0",
    "PyYAML==6.0.3",
    "requests==2.32.5",
    "requests-oauthlib==2.0.0",
    "six==1.17.0",
    "tabulate==0.9.0",  # 0.10 needs Python 3.10
    "urllib3==2.6.3",
    "websocket-client==1.9.0",
)
# The zipapp's first lines: a /bin/sh launcher instead of `#!/usr/bin/env python3`, so that a machine
# without python3 gets one sentence instead of "/usr/bin/env: 'python3': No such file or directory".
# The shell stops at `exec`, before the zip that follows; Python finds the zip from its end.
LAUNCHER = (
    "#!/bin/sh\n"
    "# kubectl-sidecar: a Python zipapp (the zip follows these lines), run by python3 3.9 or later.\n"
    'command -v python3 >/dev/null 2>&1 || { echo "error: kubectl-sidecar needs Python 3.9 or later as'
    " python3 on PATH, and there is none (install python3, or see @PROJECT@/blob/main/docs/install.md)"
    '" >&2; exit 2; }\n'
    'exec python3 "$0" "$@"\n'
)


def launcher() -> bytes:
    """The zipapp's launcher lines, with the project's address in its message."""
    return LAUNCHER.replace("@PROJECT@", PROJECT_URL).encode("ascii")


NATIVE_SUFFIXES = (".so", ".pyd", ".dll", ".dylib", ".a", ".o", ".lib", ".exe")
# Zip cannot store times before 1980; tar and gzip get the same instant.
DEFAULT_EPOCH = 315532800  # 1980-01-01T00:00:00Z

ARCHIVE_README = """\
kubectl-sidecar {version}
{underline}

`kubectl sidecar` rebuilds the start/exit timeline of a pod's app and sidecar containers and flags
what is wrong.

This archive holds:

- kubectl-sidecar  the plugin: a Python zipapp carrying its dependencies ({deps}).
                   It needs python3 3.9 or later on PATH, nothing else.
- LICENSE          Apache License 2.0 (the licenses of the bundled dependencies are inside the
                   zipapp, in each *.dist-info folder).
- README.md        this file.

Install with krew (`kubectl krew install sidecar`), or put kubectl-sidecar anywhere on your PATH.
Then run `kubectl sidecar --help`, or `kubectl sidecar demo` for a tour without a cluster.

The first run unpacks the plugin into ${{XDG_CACHE_HOME:-~/.cache}}/kubectl-sidecar/zipapp/ (25-45 MB,
only the newest version is kept) so that later runs start fast. Uninstalling does not remove it:
`rm -rf "${{XDG_CACHE_HOME:-$HOME/.cache}}/kubectl-sidecar"`.

Argument completion (`kubectl sidecar <TAB>`, kubectl 1.26 or later) needs kubectl_complete-sidecar
on PATH, which krew cannot install: link it to the plugin once, next to it, e.g.

    ln -s kubectl-sidecar "${{KREW_ROOT:-$HOME/.krew}}/bin/kubectl_complete-sidecar"
"""

MAIN_PY = '''\
# Entry point of the kubectl-sidecar zipapp, written by scripts/build_krew.py.
# Plain syntax on purpose: an old python3 must reach the version check, not a SyntaxError.
import sys

if sys.version_info < (3, 9):
    sys.stderr.write(
        "kubectl-sidecar needs Python 3.9 or later, but %s is Python %d.%d.\\n"
        "Put a newer python3 first on PATH, or install the plugin with pip (see docs/install.md).\\n"
        % (sys.executable or "python3", sys.version_info[0], sys.version_info[1])
    )
    sys.exit(2)

import os

VERSION = "@VERSION@"
BUILD_ID = "@BUILD_ID@"
UNPACK_ENV = "KUBECTL_SIDECAR_UNPACK_DIR"


def _default_root():
    """Where to unpack when not told: a cache folder that exists, else a private temporary one, else None.

    Never creates a home folder or anything above the cache base (HOME=/nonexistent/x must leave no
    /nonexistent): $XDG_CACHE_HOME when set, absolute and existing; else ~/.cache when ~ exists; else
    <tmp>/kubectl-sidecar-<uid>, made 0700, used only when it is a real folder of ours that no one else
    can write (not a link or a folder planted in /tmp); else None: run from the zip.
    """
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):  # the XDG spec: a relative path is invalid and is ignored
        if os.path.isdir(xdg):
            return os.path.join(xdg, "kubectl-sidecar", "zipapp")
    else:
        home = os.path.expanduser("~")
        if os.path.isabs(home) and os.path.isdir(home):
            return os.path.join(home, ".cache", "kubectl-sidecar", "zipapp")
    return _private_temp()


def _private_temp():
    import stat
    import tempfile

    getuid = getattr(os, "getuid", None)
    if getuid is None:  # Windows: the temporary folder is the user's own
        return os.path.join(tempfile.gettempdir(), "kubectl-sidecar", "zipapp")
    base = os.path.join(tempfile.gettempdir(), "kubectl-sidecar-%d" % getuid())
    try:
        os.mkdir(base, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    try:
        info = os.lstat(base)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != getuid() or info.st_mode & 0o077:
        return None  # a link, someone else's, or writable by others: not a place to run code from
    return os.path.join(base, "zipapp")


def _unpack(archive):
    """Unpack this zipapp once into a cache folder; return the folder, or None to run from the zip.

    Python keeps no compiled bytecode for modules imported from a zip, so every run would compile
    the kubernetes client again (about 1.5 s); unpacked, later runs use __pycache__ as an installed
    package does. KUBECTL_SIDECAR_UNPACK_DIR chooses the folder; "none" runs from the zip.
    """
    root = os.environ.get(UNPACK_ENV)
    explicit = root is not None
    if explicit and root.strip().lower() in ("", "0", "no", "none", "off"):
        return None
    if not explicit:
        root = _default_root()
        if root is None:
            return None
    root = os.path.abspath(root)
    target = os.path.join(root, VERSION + "-" + BUILD_ID)
    done = os.path.join(target, ".complete")
    if os.path.isfile(done):
        return target
    import shutil
    import tempfile
    import zipfile

    tmp = None
    try:
        os.makedirs(root, mode=0o700, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=".unpack-", dir=root)
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(tmp)
        open(os.path.join(tmp, ".complete"), "w").close()
        if os.path.isdir(target) and not os.path.isfile(done):
            shutil.rmtree(target)  # half made, by hand or by a crash: replace it
        try:
            os.rename(tmp, target)
            tmp = None
        except OSError:
            if not os.path.isfile(done):  # not a run in parallel that finished first
                raise
    except (OSError, zipfile.BadZipFile) as e:
        if explicit and not os.path.basename(sys.argv[0]).startswith("kubectl_complete-"):  # quiet
            sys.stderr.write("kubectl-sidecar: cannot unpack into %s (%s): running from the zip\\n" % (root, e))
        return None
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    _forget_other_builds(root, os.path.basename(target))
    return target


def _forget_other_builds(root, keep):
    """Remove the unpacked builds that an upgrade replaced: one is enough."""
    import shutil

    for name in os.listdir(root):
        path = os.path.join(root, name)
        if name != keep and os.path.isfile(os.path.join(path, ".complete")):
            shutil.rmtree(path, ignore_errors=True)


def _use_unpacked():
    archive = getattr(globals().get("__loader__"), "archive", None) or sys.path[0]
    if not (archive and os.path.isfile(archive)):
        return
    target = _unpack(archive)
    if target:
        # Import everything from the unpacked copy, nothing from the zip.
        sys.path[:] = [target if p == archive else p for p in sys.path]
        if target not in sys.path:
            sys.path.insert(0, target)


_use_unpacked()
# A zipapp runs __main__ with __package__ == "", which click reads as `python -m ...`: make click
# name the program after the executable, as it does for the pip-installed console script.
__package__ = None

from kubectl_sidecar.__main__ import main  # noqa: E402  (Ctrl-C while loading: exit 130, quietly)

main()
'''


class BuildError(Exception):
    """A step of the build failed; the message says which and why."""


def log(msg: str) -> None:
    print(f"build_krew: {msg}", file=sys.stderr, flush=True)


def read_version(repo: Path = REPO) -> str:
    """Return ``__version__`` from kubectl_sidecar/__init__.py without importing the package."""
    text = (repo / "kubectl_sidecar" / "__init__.py").read_text(encoding="utf-8")
    m = re.search(r"""^__version__\s*=\s*["']([^"']+)["']""", text, re.MULTILINE)
    if not m:
        raise BuildError("no __version__ in kubectl_sidecar/__init__.py")
    return m.group(1)


def read_requirements(repo: Path = REPO) -> dict[str, str]:
    """Return ``{name: specifier}`` of setup.cfg's install_requires (names lower-case, ``_`` as ``-``)."""
    import configparser

    cfg = configparser.ConfigParser()
    cfg.read(repo / "setup.cfg", encoding="utf-8")
    out = {}
    for line in cfg.get("options", "install_requires").splitlines():
        line = line.split("#", 1)[0].strip()
        m = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)", line)
        if m:
            out[m.group(1).lower().replace("_", "-")] = m.group(2).strip()
    return out


def _specifier_set(spec: str):  # -> packaging.specifiers.SpecifierSet
    try:
        from packaging.specifiers import SpecifierSet
    except ImportError:  # pip always carries a copy
        from pip._vendor.packaging.specifiers import SpecifierSet  # type: ignore[no-redef]
    return SpecifierSet(spec)


def check_within_requirements(dists: Iterable[tuple[str, str]], requirements: dict[str, str]) -> None:
    """Refuse a bundle whose version of a direct dependency is outside setup.cfg's range.

    The tests run the plugin with what pip installs from that range (click>=8.1,<9 ...): a zipapp that
    carried another click would behave differently by install method.
    """
    for name, version in dists:
        spec = requirements.get(name.lower().replace("_", "-"))
        if spec and version not in _specifier_set(spec):
            raise BuildError(f"bundled {name} {version} is outside setup.cfg's {name}{spec}: fix PINS")


def archive_name(version: str, os_name: str, arch: str) -> str:
    return f"{EXECUTABLE}-v{version}-{os_name}-{arch}.tar.gz"


def source_epoch() -> int:
    return int(os.environ.get("SOURCE_DATE_EPOCH") or DEFAULT_EPOCH)


def run(cmd: Sequence[str], **kwargs) -> subprocess.CompletedProcess:
    log("$ " + " ".join(str(c) for c in cmd))
    env = dict(os.environ, PIP_ROOT_USER_ACTION="ignore")  # pip's "running as root" warning is noise here
    proc = subprocess.run([str(c) for c in cmd], env=env, check=False, **kwargs)
    if proc.returncode != 0:
        raise BuildError(f"command failed with exit code {proc.returncode}: {' '.join(map(str, cmd))}")
    return proc


def pip_cmd(python: str) -> list[str]:
    return [python, "-m", "pip", "--disable-pip-version-check", "--no-input"]


# --- vendoring ---------------------------------------------------------------------------------


def build_project_wheel(repo: Path, wheelhouse: Path, workdir: Path, python: str) -> Path:
    """Build the project's wheel from a copy of the tree, so the build leaves nothing in the repo."""
    src = workdir / "src"
    ignore = shutil.ignore_patterns(
        ".git",
        ".cache",
        ".venv",
        "dist",
        "build",
        "*.egg-info",
        "__pycache__",
        "*.pyc",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".hypothesis",
        "tests",
        "bench",
    )
    shutil.copytree(repo, src, ignore=ignore)
    run(pip_cmd(python) + ["wheel", "--quiet", "--no-deps", "--wheel-dir", wheelhouse, src])
    wheels = sorted(wheelhouse.glob("kubectl_sidecar-*.whl"))
    if len(wheels) != 1:
        raise BuildError(f"expected one kubectl_sidecar wheel in {wheelhouse}, found {wheels}")
    return wheels[0]


def _record_line(arcname: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def make_pure_wheel(platform_wheel: Path, drop_prefixes: Iterable[str], wheelhouse: Path) -> Path:
    """Rewrite a platform wheel whose compiled part is optional as a py3-none-any wheel.

    Removes the files starting with one of ``drop_prefixes``, sets ``Root-Is-Purelib: true`` and the
    tag ``py3-none-any`` and rewrites RECORD. Fails if any compiled file would remain.
    """
    drop = tuple(drop_prefixes)
    files: dict[str, bytes] = {}
    with zipfile.ZipFile(platform_wheel) as zf:
        for info in zf.infolist():
            if info.is_dir() or info.filename.startswith(drop):
                continue
            files[info.filename] = zf.read(info)
    dist_info = sorted({n.split("/", 1)[0] for n in files if n.split("/", 1)[0].endswith(".dist-info")})
    if len(dist_info) != 1:
        raise BuildError(f"{platform_wheel.name}: expected one .dist-info folder, found {dist_info}")
    dist_info_dir = dist_info[0]
    wheel_meta = files[f"{dist_info_dir}/WHEEL"].decode("utf-8").splitlines()
    kept = [ln for ln in wheel_meta if ln and not ln.startswith(("Tag:", "Root-Is-Purelib:"))]
    files[f"{dist_info_dir}/WHEEL"] = (
        "\n".join(kept + ["Root-Is-Purelib: true", "Tag: py3-none-any"]) + "\n"
    ).encode("utf-8")
    native = [n for n in files if n.endswith(NATIVE_SUFFIXES) or ".libs/" in n]
    if native:
        raise BuildError(f"{platform_wheel.name}: compiled files left after stripping: {native}")
    record_name = f"{dist_info_dir}/RECORD"
    files.pop(record_name, None)
    record = [_record_line(n, files[n]) for n in sorted(files)] + [f"{record_name},,"]
    files[record_name] = ("\n".join(record) + "\n").encode("utf-8")
    name, version = dist_info_dir[: -len(".dist-info")].rsplit("-", 1)
    out = wheelhouse / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for n in sorted(files):
            zf.writestr(n, files[n])
    return out


def prepare_pure_fallbacks(
    wheelhouse: Path, workdir: Path, python: str, constraints: Path | None
) -> list[Path]:
    """Put a py3-none-any wheel of each PURE_FALLBACKS distribution into ``wheelhouse``."""
    made = []
    for dist, drop in sorted(PURE_FALLBACKS.items()):
        download = workdir / f"download-{dist}"
        cmd = pip_cmd(python) + [
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--dest",
            download,
            # Any CPython platform wheel holds the same pure-Python code; linux x86_64 always exists.
            "--platform",
            "manylinux2014_x86_64",
            "--implementation",
            "cp",
            "--python-version",
            TARGET_PYTHON,
            "--abi",
            "cp" + TARGET_PYTHON.replace(".", ""),
        ]
        if constraints:
            cmd += ["--constraint", constraints]
        run(cmd + [dist])
        wheels = sorted(download.glob("*.whl"))
        if len(wheels) != 1:
            raise BuildError(f"expected one {dist} wheel in {download}, found {wheels}")
        made.append(make_pure_wheel(wheels[0], drop, wheelhouse))
        log(f"made pure wheel {made[-1].name} from {wheels[0].name}")
    return made


def vendor(project_wheel: Path, wheelhouse: Path, stage: Path, python: str, constraints: Path | None) -> None:
    """pip install the project wheel and its dependencies, pure-Python wheels only, into ``stage``."""
    cmd = pip_cmd(python) + [
        "install",
        "--quiet",
        "--target",
        stage,
        "--no-compile",
        "--ignore-installed",
        "--no-warn-conflicts",
        "--only-binary=:all:",
        "--platform",
        "any",
        "--implementation",
        "py",
        "--abi",
        "none",
        "--python-version",
        TARGET_PYTHON,
        "--find-links",
        wheelhouse,
    ]
    if constraints:
        cmd += ["--constraint", constraints]
    run(cmd + [project_wheel])


def tidy_stage(stage: Path) -> None:
    """Drop what a zipapp does not need and what would make it differ between builds."""
    shutil.rmtree(stage / "bin", ignore_errors=True)  # console scripts pip generated
    for p in sorted(stage.rglob("__pycache__"), reverse=True):
        shutil.rmtree(p)
    for p in stage.rglob("*.pyc"):
        p.unlink()
    for dist_info in stage.glob("*.dist-info"):
        # INSTALLER/REQUESTED/direct_url.json describe this pip run (direct_url.json holds a temp path,
        # and RECORD hashes it); METADATA, WHEEL, entry_points.txt and licenses are kept.
        for name in ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json"):
            (dist_info / name).unlink(missing_ok=True)


def check_pure(stage: Path) -> list[tuple[str, str]]:
    """Fail if anything compiled is in ``stage``; return the vendored (name, version) pairs."""
    native = sorted(
        str(p.relative_to(stage))
        for p in stage.rglob("*")
        if p.is_file() and (p.name.endswith(NATIVE_SUFFIXES) or ".libs" in p.parts)
    )
    if native:
        raise BuildError(f"compiled files would be bundled: {native}")
    dists = []
    for dist_info in sorted(stage.glob("*.dist-info")):
        wheel_meta = (dist_info / "WHEEL").read_text(encoding="utf-8")
        tags = re.findall(r"^Tag:\s*(\S+)", wheel_meta, re.MULTILINE)
        if (
            "Root-Is-Purelib: true" not in wheel_meta
            or not tags
            or any(not t.endswith("-none-any") for t in tags)
        ):
            raise BuildError(f"{dist_info.name} is not a pure-Python wheel (tags {tags})")
        meta = (dist_info / "METADATA").read_text(encoding="utf-8")
        name = re.search(r"^Name:\s*(\S+)", meta, re.MULTILINE).group(1)  # type: ignore[union-attr]
        version = re.search(r"^Version:\s*(\S+)", meta, re.MULTILINE).group(1)  # type: ignore[union-attr]
        dists.append((name, version))
    return dists


# --- archives ----------------------------------------------------------------------------------


def build_zipapp(stage: Path, out: Path, epoch: int) -> None:
    """Write ``stage`` as an executable zipapp: shebang, then a zip with sorted, dated entries."""
    import time

    date_time = time.gmtime(max(epoch, DEFAULT_EPOCH))[:6]
    paths = sorted(
        (p for p in stage.rglob("*") if p.is_file()), key=lambda p: p.relative_to(stage).as_posix()
    )
    with open(out, "wb") as fh:
        fh.write(launcher())
        with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for p in paths:
                info = zipfile.ZipInfo(p.relative_to(stage).as_posix(), date_time=date_time)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # unix, so the mode below is honoured
                info.external_attr = (stat.S_IFREG | 0o644) << 16
                zf.writestr(info, p.read_bytes(), compresslevel=9)
    out.chmod(0o755)


def build_tarball(members: Sequence[tuple[str, bytes, int]], out: Path, epoch: int) -> None:
    """Write a .tar.gz of (name, data, mode) in the given order with fixed owners and times."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for name, data, mode in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = mode
            info.mtime = epoch
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tf.addfile(info, io.BytesIO(data))
    # No file name and a fixed time in the gzip header.
    with (
        open(out, "wb") as fh,
        gzip.GzipFile(filename="", mode="wb", fileobj=fh, compresslevel=9, mtime=epoch) as gz,
    ):
        gz.write(raw.getvalue())


def tree_digest(root: Path) -> str:
    """sha256 over the sorted relative paths and contents of the files under ``root``."""
    h = hashlib.sha256()
    files = sorted((p for p in root.rglob("*") if p.is_file()), key=lambda p: p.relative_to(root).as_posix())
    for p in files:
        data = p.read_bytes()
        h.update(f"{p.relative_to(root).as_posix()}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --- manifest ----------------------------------------------------------------------------------


def render_manifest(template: str, version: str, artifacts: dict[tuple[str, str], tuple[str, str]]) -> str:
    """Fill ``{{ version }}`` and each platform's ``{{ uri }}``/``{{ sha256 }}`` in the template.

    ``artifacts`` maps (os, arch) to (uri, sha256). Each platform of the template must select exactly
    one os/arch with matchLabels. The template's leading comment block is dropped.
    """
    import yaml

    doc = yaml.safe_load(template)
    platforms = doc["spec"]["platforms"]
    keys = []
    for i, pl in enumerate(platforms):
        labels = (pl.get("selector") or {}).get("matchLabels") or {}
        key = (labels.get("os"), labels.get("arch"))
        if key not in artifacts:
            raise BuildError(f"template platform {i} selects {key}: no archive is built for it")
        keys.append(key)
    text = template
    lines = text.splitlines(keepends=True)
    while lines and (lines[0].startswith("#") or not lines[0].strip()):
        lines.pop(0)
    text = "".join(lines).replace("{{ version }}", version)
    for field, idx in (("uri", 0), ("sha256", 1)):
        parts = text.split(f"{{{{ {field} }}}}")
        if len(parts) != len(keys) + 1:
            raise BuildError(f"template has {len(parts) - 1} '{{{{ {field} }}}}' for {len(keys)} platforms")
        out = parts[0]
        for key, rest in zip(keys, parts[1:]):
            out += artifacts[key][idx] + rest
        text = out
    if "{{" in text:
        raise BuildError("template has placeholders left after rendering")
    rendered = yaml.safe_load(text)
    for pl, key in zip(rendered["spec"]["platforms"], keys):  # what was written is what was meant
        if (pl["uri"], pl["sha256"]) != artifacts[key]:
            raise BuildError(f"rendered platform {key} does not match its archive")
    if rendered["spec"]["version"] != f"v{version}":
        raise BuildError(f"rendered spec.version is {rendered['spec']['version']!r}")
    return text


# --- main --------------------------------------------------------------------------------------


def build(
    dist: Path,
    base_uri: str,
    constraints: Path | None,
    python: str,
    unpinned: bool = False,
    keep_stage: Path | None = None,
) -> dict[str, object]:
    """Build everything into ``dist``; return a summary (also written to dist/krew-build.json)."""
    version = read_version()
    epoch = source_epoch()
    base_uri = base_uri.format(version=version).rstrip("/")
    dist.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kubectl-sidecar-krew-") as tmp:
        work = Path(tmp)
        if constraints is None and not unpinned:
            constraints = work / "pins.txt"
            constraints.write_text("\n".join(PINS) + "\n", encoding="utf-8")
        wheelhouse = work / "wheelhouse"
        wheelhouse.mkdir()
        stage = work / "stage"
        project_wheel = build_project_wheel(REPO, wheelhouse, work, python)
        prepare_pure_fallbacks(wheelhouse, work, python, constraints)
        vendor(project_wheel, wheelhouse, stage, python, constraints)
        tidy_stage(stage)
        dists = check_pure(stage)
        check_within_requirements(dists, read_requirements())
        log("bundled: " + ", ".join(f"{n} {v}" for n, v in dists))
        # Names the folder the zipapp unpacks itself into: a new build never reuses an old one.
        build_id = tree_digest(stage)[:16]
        main_py = MAIN_PY.replace("@VERSION@", version).replace("@BUILD_ID@", build_id)
        (stage / "__main__.py").write_text(main_py, encoding="utf-8")
        zipapp_path = work / EXECUTABLE
        build_zipapp(stage, zipapp_path, epoch)
        if keep_stage:
            shutil.rmtree(keep_stage, ignore_errors=True)
            shutil.copytree(stage, keep_stage)
        zipapp_bytes = zipapp_path.read_bytes()

    deps = ", ".join(f"{n} {v}" for n, v in dists if n.lower().replace("_", "-") != "kubectl-sidecar")
    readme = ARCHIVE_README.format(
        version=f"v{version}", underline="=" * len(f"kubectl-sidecar v{version}"), deps=deps
    )
    members = [
        (EXECUTABLE, zipapp_bytes, 0o755),
        ("LICENSE", (REPO / "LICENSE").read_bytes(), 0o644),
        ("README.md", readme.encode("utf-8"), 0o644),
    ]
    members.sort(key=lambda m: m[0])
    artifacts: dict[tuple[str, str], tuple[str, str]] = {}
    archives = {}
    for os_name, arch in PLATFORMS:
        name = archive_name(version, os_name, arch)
        path = dist / name
        build_tarball(members, path, epoch)
        digest = sha256_file(path)
        artifacts[(os_name, arch)] = (f"{base_uri}/{name}", digest)
        archives[f"{os_name}/{arch}"] = {"path": str(path), "sha256": digest, "size": path.stat().st_size}
        log(f"{name}: {path.stat().st_size} bytes, sha256 {digest}")
    (dist / "sha256sums.txt").write_text(
        "".join(f"{a['sha256']}  {Path(a['path']).name}\n" for a in archives.values()), encoding="utf-8"
    )
    template = (REPO / "krew" / f"{PLUGIN}.yaml").read_text(encoding="utf-8")
    manifest = dist / f"{PLUGIN}.yaml"
    manifest.write_text(render_manifest(template, version, artifacts), encoding="utf-8")
    log(f"manifest: {manifest}")
    summary: dict[str, object] = {
        "version": version,
        "manifest": str(manifest),
        "build_id": build_id,
        "zipapp_size": len(zipapp_bytes),
        "archives": archives,
        "bundled": [{"name": n, "version": v} for n, v in dists],
        "requirements": read_requirements(),
    }
    (dist / "krew-build.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--base-uri",
        default=DEFAULT_BASE_URI,
        help="folder URL the archives are published under; {version} is replaced (default: %(default)s)",
    )
    parser.add_argument("--dist", type=Path, default=REPO / "dist", help="output folder (default: dist/)")
    parser.add_argument(
        "--constraint", type=Path, help="pip constraints file pinning the bundled dependencies (for releases)"
    )
    parser.add_argument(
        "--unpinned",
        action="store_true",
        help="bundle the newest dependencies instead of PINS (to refresh the pins)",
    )
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter whose pip does the vendoring (default: this one)",
    )
    parser.add_argument("--keep-stage", type=Path, help="also copy the unpacked zipapp tree here")
    args = parser.parse_args(argv)
    try:
        build(
            args.dist.resolve(), args.base_uri, args.constraint, args.python, args.unpinned, args.keep_stage
        )
    except BuildError as e:
        print(f"build_krew: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
