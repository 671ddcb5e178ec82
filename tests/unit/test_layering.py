"""The package's architecture, enforced over its import graph (CONTRIBUTING.md, "Layering rules").

Every module of kubectl_sidecar is parsed with ``ast``; every import counts, at any depth: module level,
inside functions (lazy imports), under ``if TYPE_CHECKING:``, and ``importlib.import_module("...")`` with a
literal name. The rules are data (LAYERS, FORBIDDEN, ...): each rule is one parametrized test that reports
every violation at once, and ``test_each_rule_catches_its_violation`` feeds the checker a small synthetic
graph that breaks each rule, so none of them can pass vacuously.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

PACKAGE = "kubectl_sidecar"
ROOT = Path(__file__).resolve().parents[2] / PACKAGE

# Layers, low to high: a unit (the first name under the package) imports only its own layer or lower.
LAYERS: dict[str, int] = {
    "__init__": 0,  # __version__ only
    "errors": 0,
    "raw": 0,
    "options": 0,
    "timefmt": 0,
    "targets": 0,  # TYPE/NAME on the command line
    "textsafe": 0,
    "warmup": 0,  # imports by name in a thread (app.preload): nothing of the package directly  # the one terminal sanitiser
    "yamllite": 0,  # the PyYAML-free fast path for kubeconfigs and the catalogue
    "yamlsafe": 0,  # YAML within limits (aliases, nesting, integers): kubeconfigs, and -f files
    "knownsidecars": 0,  # the catalogue of well-known sidecars (data: sidecars.yaml) and its reader
    "record": 0,  # @record: dataclasses without writing their methods at import
    "about": 0,  # the project URL and the versions the plugin runs on
    "model": 1,
    "snapshot": 2,
    "select": 3,
    "files": 3,
    "timeline": 3,
    "findings": 4,
    "kube": 4,
    "checks": 5,
    "lint": 6,  # manifests before apply: reads -f files, recognises sidecars as checks does
    "migrate": 6,  # legacy sidecars to native ones: edits the text lint reads
    "render": 6,
    "app": 7,
    "early": 7,  # a live timeline's reads, started by __main__ before the command line loads
    "demo": 7,
    "info": 7,  # version and explain: what the plugin tells about itself
    "cli": 8,
    "shellcomp": 8,
    "__main__": 9,  # python -m kubectl_sidecar: runs the cli
}
# Pairs of units that must not meet even where the layers would allow it (importer, imported).
FORBIDDEN: tuple[tuple[str, str], ...] = (
    ("render", "checks"),
    ("render", "kube"),
    ("timeline", "checks"),
    ("timeline", "render"),
    ("timeline", "kube"),
    ("kube", "timeline"),
    ("kube", "checks"),
    ("kube", "render"),
    ("kube", "files"),
    ("kube", "app"),
    ("shellcomp", "cli"),  # the root click command is passed in by cli.main
)
# Nothing imports cli but the entry point.
CLI_IMPORTERS_ALLOWED = frozenset({"__main__", "cli"})
# The kubernetes client is imported (lazily) by kube/ alone.
KUBERNETES_HOME = "kube"
MAX_LINES = 500


@dataclass
class Module:
    name: str  # dotted, e.g. kubectl_sidecar.render.table
    lines: int = 0
    imports: dict[str, int] = field(default_factory=dict)  # imported dotted name -> first line number

    @property
    def unit(self) -> str:
        parts = self.name.split(".")
        return parts[1] if len(parts) > 1 else "__init__"


Graph = dict[str, Module]


# ------------------------------------------------------------------------------------------ reading


def _module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported_names(tree: ast.AST, name: str, is_package: bool) -> Iterator[tuple[str, str | None, int]]:
    """(module, attribute or None, line) for every import: ``from m import a`` gives (m, a, line)."""
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            for alias in node.names:
                yield prefix, alias.name, node.lineno
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield node.args[0].value, None, node.lineno


def read_graph(root: Path = ROOT) -> Graph:
    """Every module of the package with its line count and everything it imports.

    ``from pkg import sub`` is an edge to the module pkg.sub when it exists, else to pkg (an attribute
    of pkg): a package's ``__init__`` is not counted as imported by a sibling that names a submodule.
    """
    graph: Graph = {}
    found: dict[str, list[tuple[str, str | None, int]]] = {}
    for path in sorted(root.rglob("*.py")):
        name = _module_name(path, root)
        text = path.read_text(encoding="utf-8")
        found[name] = list(
            _imported_names(ast.parse(text, filename=str(path)), name, path.name == "__init__.py")
        )
        graph[name] = Module(name, lines=len(text.splitlines()))
    for name, imports in found.items():
        for prefix, attr, line in imports:
            target = f"{prefix}.{attr}" if attr and f"{prefix}.{attr}" in graph else prefix
            graph[name].imports.setdefault(target, line)
    return graph


def _internal(graph: Graph, module: Module) -> Iterator[tuple[Module, int]]:
    for imported, line in sorted(module.imports.items()):
        if imported in graph and imported != module.name:
            yield graph[imported], line


# ------------------------------------------------------------------------------------------ rules


def check_layers(graph: Graph) -> list[str]:
    out = []
    for module in graph.values():
        if module.unit not in LAYERS:
            out.append(f"{module.name}: unit {module.unit!r} has no layer (add it to LAYERS)")
            continue
        for target, line in _internal(graph, module):
            if LAYERS.get(target.unit, -1) > LAYERS[module.unit]:
                out.append(
                    f"{module.name}:{line} imports {target.name}: layer {LAYERS[module.unit]} "
                    f"({module.unit}) may not import layer {LAYERS.get(target.unit)} ({target.unit})"
                )
    return out


def check_forbidden_pairs(graph: Graph) -> list[str]:
    out = []
    for module in graph.values():
        for target, line in _internal(graph, module):
            if (module.unit, target.unit) in FORBIDDEN:
                out.append(
                    f"{module.name}:{line} imports {target.name}: {module.unit} may not import {target.unit}"
                )
    return out


def check_nothing_imports_cli(graph: Graph) -> list[str]:
    return [
        f"{module.name}:{line} imports {target.name}"
        for module in graph.values()
        if module.unit not in CLI_IMPORTERS_ALLOWED
        for target, line in _internal(graph, module)
        if target.unit == "cli"
    ]


def check_kubernetes_only_in_kube(graph: Graph) -> list[str]:
    return [
        f"{module.name}:{line} imports {imported}"
        for module in graph.values()
        if module.unit != KUBERNETES_HOME
        for imported, line in sorted(module.imports.items())
        if imported == "kubernetes" or imported.startswith("kubernetes.")
    ]


def check_no_cycles(graph: Graph) -> list[str]:
    """Strongly connected components of more than one module (Tarjan), each reported once."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[str] = []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        on_stack.add(name)
        for target, _ in _internal(graph, graph[name]):
            if target.name not in index:
                visit(target.name)
                low[name] = min(low[name], low[target.name])
            elif target.name in on_stack:
                low[name] = min(low[name], index[target.name])
        if low[name] == index[name]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == name:
                    break
            if len(component) > 1:
                cycles.append("cycle: " + " <-> ".join(sorted(component)))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return cycles


def check_module_size(graph: Graph) -> list[str]:
    return [
        f"{module.name}: {module.lines} lines (over {MAX_LINES}: split it by noun)"
        for module in graph.values()
        if module.lines > MAX_LINES
    ]


RULES: dict[str, Callable[[Graph], list[str]]] = {
    "layer-order": check_layers,
    "forbidden-pairs": check_forbidden_pairs,
    "nothing-imports-cli": check_nothing_imports_cli,
    "kubernetes-only-in-kube": check_kubernetes_only_in_kube,
    "no-cycles": check_no_cycles,
    "module-size": check_module_size,
}


# ------------------------------------------------------------------------------------------ the package


@pytest.fixture(scope="module")
def graph() -> Graph:
    return read_graph()


@pytest.mark.parametrize("rule", list(RULES), ids=list(RULES))
def test_package_follows_rule(graph: Graph, rule: str) -> None:
    violations = RULES[rule](graph)
    assert not violations, f"{rule}: {len(violations)} violation(s)\n" + "\n".join(violations)


def test_the_graph_is_read() -> None:
    """The reader sees the package: a checker over an empty graph would pass every rule."""
    graph = read_graph()
    assert f"{PACKAGE}.errors" in graph and f"{PACKAGE}.__main__" in graph
    assert sum(len(m.imports) for m in graph.values()) > 50


# ------------------------------------------------------------------------------------------ self-tests


def _graph(edges: dict[str, list[str]], lines: dict[str, int] | None = None) -> Graph:
    names = set(edges) | {t for targets in edges.values() for t in targets if t.startswith(PACKAGE)}
    graph = {n: Module(n, lines=(lines or {}).get(n, 10)) for n in names}
    for name, targets in edges.items():
        graph[name].imports = {t: i + 1 for i, t in enumerate(targets)}
    return graph


P = PACKAGE + "."
CLEAN = {
    P + "cli": [P + "app", P + "shellcomp"],
    P + "app": [P + "render.table", P + "kube", P + "files"],
    P + "render.table": [P + "timeline", P + "findings"],
    P + "kube": [P + "snapshot", "kubernetes.client"],
    P + "files": [P + "snapshot"],
    P + "timeline": [P + "model"],
    P + "snapshot": [P + "model", P + "errors"],
    P + "__main__": [P + "cli"],
}
BROKEN = {
    "layer-order": {**CLEAN, P + "model": [P + "snapshot"]},
    "forbidden-pairs": {**CLEAN, P + "render.table": [P + "checks"]},
    "nothing-imports-cli": {**CLEAN, P + "app": [P + "cli"]},
    "kubernetes-only-in-kube": {**CLEAN, P + "files": ["kubernetes.config"]},
    "no-cycles": {**CLEAN, P + "timeline": [P + "timeline.runs"], P + "timeline.runs": [P + "timeline"]},
    "module-size": CLEAN,
}


def test_a_clean_graph_passes_every_rule() -> None:
    graph = _graph(CLEAN)
    assert {rule: check(graph) for rule, check in RULES.items()} == {rule: [] for rule in RULES}


@pytest.mark.parametrize("rule", list(RULES), ids=list(RULES))
def test_each_rule_catches_its_violation(rule: str) -> None:
    lines = {P + "app": MAX_LINES + 1} if rule == "module-size" else None
    assert RULES[rule](_graph(BROKEN[rule], lines)), f"{rule} missed its violation"


def test_a_unit_without_a_layer_is_reported() -> None:
    assert check_layers(_graph({P + "newthing": [P + "errors"]})) == [
        f"{P}newthing: unit 'newthing' has no layer (add it to LAYERS)"
    ]


def test_lazy_type_checking_relative_and_importlib_imports_are_seen(tmp_path: Path) -> None:
    pkg = tmp_path / PACKAGE
    (pkg / "render").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "checks.py").write_text("")
    (pkg / "kube.py").write_text("")
    (pkg / "render" / "__init__.py").write_text("")
    (pkg / "render" / "table.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .. import checks\n"
        "def f():\n    import importlib\n    return importlib.import_module('kubectl_sidecar.kube')\n"
        "def g():\n    from ..checks import something\n"
    )
    graph = read_graph(pkg)
    table = graph[P + "render.table"]
    assert {P + "checks", P + "kube"} <= set(table.imports)
    assert len(check_forbidden_pairs(graph)) == 2
