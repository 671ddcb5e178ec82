"""Security: no secrets in any output, safe YAML, no shell, capped reads, nothing written anywhere.

* Container env values are read only to recognise sidecar markers: values planted in every container
  of every demo pod (plain, from secrets, and on the marker names themselves) never reach stdout or
  stderr, in any output format of any command that reads files.
* YAML is only ever loaded with a safe loader: checked on the source (every ``yaml.load*`` call) and
  on the loader itself (no python/* tags).
* The package never starts a process or a shell (the kubernetes library runs exec credential plugins,
  as kubectl does, without a shell).
* Reads of ``-f`` files are capped (tests/test_corpus.py proves the cap from the outside).
* Live commands send only GET requests, never write the kubeconfig, and never print tokens or client
  keys (tests/test_faults.py asserts the server's request log and every output of the fault cases).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
import yaml
from clirunner import cli_runner

from kubectl_sidecar import files
from kubectl_sidecar.cli import cli
from kubectl_sidecar.options import KubeOptions

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "kubectl_sidecar"
DEMO = PACKAGE / "demo"
SCENARIOS = yaml.safe_load((DEMO / "index.yaml").read_text())
SECRET = "s3cr3t-VALUE-"  # every planted value starts with this


def run(*args):
    env = {"COLUMNS": "100", "NO_COLOR": "", "TZ": "UTC", "KUBECTL_SIDECAR_DEBUG": ""}
    return cli_runner().invoke(cli, list(args), env=env, catch_exceptions=False)


def source_files() -> list:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


# ------------------------------------------------------------------------------------------ env values


def _plant(container: dict, counter: list) -> None:
    """Add env entries whose values must never be printed; keep the container's markers working."""

    def value():
        counter[0] += 1
        return f"{SECRET}{counter[0]}"

    env = container.setdefault("env", [])
    env.extend(
        [
            {"name": "DB_PASSWORD", "value": value()},
            {"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": value(), "key": value()}}},
            {"name": "EMPTY", "value": ""},
            {"name": "LIST_VALUE", "value": [value()]},
            # Marker names with values that are not markers: recognised or not, the value stays unsaid.
            {"name": "ECI_CONTAINER_IGNORE_EXIT_CODE", "value": value()},
            {"name": "ECI_CONTAINER_LAUNCH_PRIORITY", "value": value()},
        ]
    )
    if not any(e.get("name") == "__IS_SIDECAR__" for e in env):
        env.append({"name": "KRUISE_TERMINATE_SIDECAR_WHEN_JOB_EXIT", "value": value()})
    container.setdefault("envFrom", []).append({"secretRef": {"name": "creds"}, "prefix": value()})


def _with_planted_env(path: Path) -> tuple:
    """The demo file with secrets planted in every container of every pod and pod template."""
    doc = yaml.safe_load(path.read_text())
    doc = json.loads(json.dumps(doc))  # anchors shared containers between the Job and its pod: unshare
    counter = [0]
    for item in doc["items"]:
        specs = [item.get("spec", {})]
        specs.append(item.get("spec", {}).get("template", {}).get("spec", {}))
        for spec in specs:
            for section in ("initContainers", "containers", "ephemeralContainers"):
                for container in spec.get(section) or []:
                    _plant(container, counter)
    # A marker with a value ACS does not honour: the role may say so, the value may not.
    pod = next(i for i in doc["items"] if i["kind"] == "Pod")
    pod["spec"]["containers"][0]["env"].append({"name": "__IS_SIDECAR__", "value": f"{SECRET}marker"})
    return doc, counter[0], pod["spec"]["containers"][0]["name"]


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    out = tmp_path_factory.mktemp("planted")
    result = {}
    for scenario in SCENARIOS:
        doc, count, marked = _with_planted_env(DEMO / scenario["file"])
        assert count > 4
        path = out / scenario["file"]
        path.write_text(yaml.safe_dump(doc))
        result[scenario["name"]] = (scenario, str(path), marked)
    return result


def _commands(scenario: dict, path: str) -> list:
    version = ["--cluster-version", scenario["clusterVersion"]]
    commands = [
        ["timeline", scenario["pod"], "-f", path, *version, "-o", output, *extra]
        for output in ("table", "wide", "json", "yaml")
        for extra in ([], ["--absolute-time"])
    ]
    if "check" in cli.commands:
        commands += [["check", "-f", path, *version, "-o", output] for output in ("table", "json", "yaml")]
        commands += [["check", f"pod/{scenario['pod']}", "-f", path, *version, "--fail-on", "info"]]
    return commands


@pytest.mark.parametrize("name", [s["name"] for s in SCENARIOS])
def test_env_values_are_never_printed(planted, name):
    scenario, path, _ = planted[name]
    for args in _commands(scenario, path):
        result = run(*args)
        assert result.exit_code in (0, 1), (args, result.stderr)
        assert result.stdout, args
        assert SECRET not in result.stdout + result.stderr, args


def test_planted_files_still_show_the_same_roles(planted):
    """The planted entries must not change what the demo shows: the test would prove nothing."""
    for scenario in SCENARIOS:
        original = json.loads(run("demo", scenario["name"], "-o", "json").stdout)
        _, path, marked = planted[scenario["name"]]
        doc = json.loads(
            run(
                "timeline",
                scenario["pod"],
                "-f",
                path,
                "--cluster-version",
                scenario["clusterVersion"],
                "-o",
                "json",
            ).stdout
        )
        roles = {c["name"]: c["role"] for c in doc["containers"] if c["name"] != marked}
        assert roles == {c["name"]: c["role"] for c in original["containers"] if c["name"] != marked}
        # The marker planted with a value ACS does not honour is still seen as the ACS marker.
        assert next(c for c in doc["containers"] if c["name"] == marked)["sidecarKind"] == "acs"


@pytest.mark.parametrize("name", [s["name"] for s in SCENARIOS])
def test_demo_env_values_are_never_printed(name):
    values = set()
    path = DEMO / next(s["file"] for s in SCENARIOS if s["name"] == name)
    for item in yaml.safe_load(path.read_text())["items"]:
        for spec in (item.get("spec", {}), item.get("spec", {}).get("template", {}).get("spec", {})):
            for section in ("initContainers", "containers"):
                for container in spec.get(section) or []:
                    values.update(
                        e["value"]
                        for e in container.get("env") or []
                        if isinstance(e.get("value"), str) and len(e["value"]) > 5
                    )
    for output in ("table", "wide", "json", "yaml"):
        result = run("demo", name, "-o", output)
        assert result.exit_code == 0
        for value in values:
            assert value not in result.stdout + result.stderr, (output, value)


def test_the_model_keeps_no_env_values():
    from kubectl_sidecar.model import parse_containers

    doc, _, _ = _with_planted_env(DEMO / "acs-legacy-forced-exit.yaml")
    pod = next(i for i in doc["items"] if i["kind"] == "Pod")
    for container in parse_containers(pod):
        assert SECRET not in repr(container)


def test_kube_options_never_show_the_token():
    opts = KubeOptions(token=f"{SECRET}token", server="https://example.invalid")
    assert SECRET not in repr(opts) and "<redacted>" in repr(opts)
    assert SECRET not in str(opts)


# ------------------------------------------------------------------------------------------ YAML

SAFE_LOADERS = {"SafeLoader", "CSafeLoader", "_StrictLoader", "LimitedLoader"}


def _yaml_calls():
    for path in source_files():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "yaml"
            ):
                yield path, node


def test_yaml_is_only_loaded_safely():
    calls = list(_yaml_calls())
    assert any(node.func.attr == "load_all" for _, node in calls)  # the scan sees files.py
    for path, node in calls:
        name = node.func.attr
        where = f"{path.relative_to(ROOT)}:{node.lineno}"
        assert name not in ("unsafe_load", "unsafe_load_all", "full_load", "full_load_all"), where
        if name in ("load", "load_all"):
            loader = next(
                (kw.value for kw in node.keywords if kw.arg == "Loader"),
                node.args[1] if len(node.args) > 1 else None,
            )
            assert loader is not None, f"{where}: yaml.{name} without a Loader"
            used = set(
                re.findall(
                    r"\w*Loader\b", ast.unparse(loader) if hasattr(ast, "unparse") else ast.dump(loader)
                )
            )
            assert used and used <= SAFE_LOADERS, f"{where}: yaml.{name} with {used}"


NOT_YAML_LOADERS = {"KubeConfigLoader"}  # the kubernetes package's kubeconfig reader (exec plugins)


def test_yaml_loaders_are_only_made_safe():
    """A loader constructed directly (yamlsafe.LimitedLoader(text)) is one of the safe loaders too."""
    made = []
    for path in source_files():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Call):
                func = node.func
                name = (
                    func.id
                    if isinstance(func, ast.Name)
                    else func.attr
                    if isinstance(func, ast.Attribute)
                    else ""
                )
                if name.endswith("Loader") and name not in NOT_YAML_LOADERS:
                    made.append((f"{path.relative_to(ROOT)}:{node.lineno}", name))
    assert any(name == "LimitedLoader" for _, name in made)  # the scan sees yamlsafe.py
    assert all(name in SAFE_LOADERS for _, name in made), made


def test_the_limited_loader_is_a_safe_loader():
    from yaml.constructor import SafeConstructor

    from kubectl_sidecar import yamlsafe

    assert issubclass(yamlsafe.LimitedLoader, SafeConstructor)
    tags = set(yamlsafe.LimitedLoader.yaml_constructors) | set(yamlsafe.LimitedLoader.yaml_multi_constructors)
    assert not [t for t in tags if t and "python" in t]


def test_the_strict_loader_is_a_safe_loader():
    from yaml.constructor import SafeConstructor

    assert issubclass(files._StrictLoader, SafeConstructor)
    tags = set(files._StrictLoader.yaml_constructors) | set(files._StrictLoader.yaml_multi_constructors)
    assert not [t for t in tags if t and "python" in t]
    with pytest.raises(Exception, match="python/object/apply"):
        files.parse_documents(b"!!python/object/apply:os.getcwd []\n", "x")


# ------------------------------------------------------------------------------------------ no shell

_FORBIDDEN_MODULES = {"subprocess", "pty", "pexpect", "pickle", "marshal", "shelve"}
_FORBIDDEN_OS = {
    "system",
    "popen",
    "execl",
    "execle",
    "execlp",
    "execlpe",
    "execv",
    "execve",
    "execvp",
    "execvpe",
    "spawnl",
    "spawnle",
    "spawnlp",
    "spawnlpe",
    "spawnv",
    "spawnve",
    "spawnvp",
    "spawnvpe",
    "posix_spawn",
    "posix_spawnp",
    "fork",
    "forkpty",
    "startfile",
}


@pytest.mark.parametrize("path", source_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_process_no_shell_no_eval(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            assert not {a.name.split(".")[0] for a in node.names} & _FORBIDDEN_MODULES, where
        elif isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] not in _FORBIDDEN_MODULES, where
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os":
            assert node.attr not in _FORBIDDEN_OS, where
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in ("eval", "exec", "compile", "__import__"), where
        elif isinstance(node, ast.keyword) and node.arg == "shell":
            raise AssertionError(f"{where}: shell=")


# ------------------------------------------------------------------------------------------ size cap


def test_the_size_cap_refuses_a_regular_file_before_reading_it(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * 1001)

    def no_read(*_args, **_kwargs):
        raise AssertionError("read a file over the cap")

    monkeypatch.setattr(files, "_read_capped", no_read)
    with pytest.raises(files.InputError, match="is larger than 0 MiB"):
        files.read_source(str(path))


def test_the_size_cap_bounds_what_is_read_from_a_stream(monkeypatch):
    import io

    monkeypatch.setattr(files, "MAX_FILE_BYTES", 5000)

    class Endless(io.RawIOBase):
        served = 0

        def readable(self):
            return True

        def read(self, size=-1):
            size = 4096 if size is None or size < 0 else size
            Endless.served += size
            return b"#" * size

    with pytest.raises(files.InputError, match="stdin: is larger than"):
        files.read_source("-", stdin=Endless())
    assert Endless.served <= 5001


def test_the_cap_is_documented_where_users_look():
    text = (ROOT / "docs" / "reliability.md").read_text()
    assert f"{files.MAX_FILE_BYTES // (1024 * 1024)} MiB" in text
    assert f"{files.MAX_YAML_BYTES // (1024 * 1024)} MiB" in text


# ------------------------------------------------------------------------------------------ writes


def test_only_the_kube_package_imports_kubernetes():
    """Every request goes through kube/ (tests/unit/test_kube_session.py proves each one is a GET)."""
    for path in source_files():
        if "kube" not in path.relative_to(PACKAGE).parts[:1]:
            text = path.read_text()
            assert "import kubernetes" not in text and "from kubernetes" not in text, path


def test_the_kubeconfig_is_never_written():
    for module in (PACKAGE / "kube").glob("*.py"):
        assert "persist_config=True" not in module.read_text(), module
    for path in source_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open":
                mode = (
                    node.args[1]
                    if len(node.args) > 1
                    else next((k.value for k in node.keywords if k.arg == "mode"), None)
                )
                if isinstance(mode, ast.Constant):
                    assert not set(str(mode.value)) & set("wax+"), f"{path}:{node.lineno} opens for writing"
