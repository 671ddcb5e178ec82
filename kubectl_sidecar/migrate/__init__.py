"""``kubectl sidecar migrate``: move legacy sidecars (``__IS_SIDECAR__``, or containers named with
``--sidecar``) into ``initContainers`` with ``restartPolicy: Always``, and nothing else.

The rewrite is an edit of the user's text, line by line, guided by the positions PyYAML composes: every
line it does not move keeps its bytes (comments, quoting, key order, indentation, line endings), and so
does every document without a legacy sidecar. The result is parsed again and compared with the same
change made to the data; a difference is a bug and nothing is written.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterable, Sequence
from typing import IO, Any

import yaml

from kubectl_sidecar.errors import InputError, UsageError
from kubectl_sidecar.lint.sources import Source, looks_templated, parse_source, read_sources
from kubectl_sidecar.lint.templates import PodTemplate, find_node, find_templates
from kubectl_sidecar.migrate import edit
from kubectl_sidecar.model import ENV_ACS
from kubectl_sidecar.raw import as_dict, as_list
from kubectl_sidecar.record import record

POSITIONS = ("last", "first")
NATIVE_SINCE = (1, 29)


@record(frozen=True)
class Moved:
    """One container moved: where it was, and in which object."""

    source: str
    object: str
    container: str
    line: int  # 1-based, in the original text


@record(frozen=True)
class FileResult:
    source: Source
    text: str  # the new text (the old one when nothing moved)
    moved: tuple[Moved, ...]

    @property
    def changed(self) -> bool:
        return self.text != self.source.text

    def diff(self) -> str:
        name = self.source.name
        lines = difflib.unified_diff(
            self.source.text.splitlines(keepends=True),
            self.text.splitlines(keepends=True),
            fromfile=f"a/{name}",
            tofile=f"b/{name}",
        )
        return "".join(
            line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
        )


@record(frozen=True)
class MigrateResult:
    files: tuple[FileResult, ...]
    position: str

    @property
    def moved(self) -> list[Moved]:
        return [m for f in self.files for m in f.moved]

    def diff(self) -> str:
        return "".join(f.diff() for f in self.files if f.changed)

    def yaml(self) -> str:
        texts = [f.text if f.text.endswith("\n") else f.text + "\n" for f in self.files]
        return "---\n".join(texts) if len(texts) > 1 else "".join(texts)


def _is_marked(container: dict) -> bool:
    return any(as_dict(e).get("name") == ENV_ACS for e in as_list(container.get("env")))


def _value_node(mapping: yaml.Node, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    if not isinstance(mapping, yaml.MappingNode):
        return None
    for key_node, value_node in mapping.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return key_node, value_node
    return None


def _migrated_data(spec: dict, names: Sequence[str], position: str) -> None:
    """The change, made to the data (what the edited text must parse to)."""
    regular = as_list(spec.get("containers"))
    moving = [copy.deepcopy(c) for c in regular if as_dict(c).get("name") in names]
    for container in moving:
        env = [e for e in as_list(container.get("env")) if as_dict(e).get("name") != ENV_ACS]
        if env:
            container["env"] = env
        else:
            container.pop("env", None)
        container["restartPolicy"] = "Always"
    spec["containers"] = [c for c in regular if as_dict(c).get("name") not in names]
    init = list(as_list(spec.get("initContainers")))
    spec["initContainers"] = moving + init if position == "first" else init + moving


class _Planner:
    """The edits of one source: (first line, end line exclusive, new lines), never overlapping."""

    def __init__(self, source: Source, declared: frozenset[str], position: str) -> None:
        self.source = source
        self.lines = source.text.splitlines(keepends=True)
        self.nl = edit.newline_of(source.text)
        self.declared = declared
        self.position = position
        self.edits: list[tuple[int, int, list[str]]] = []
        self.moved: list[Moved] = []
        self.found_declared: set[str] = set()

    def refuse(self, template: PodTemplate, problem: str) -> InputError:
        return InputError(self.source.name, f"{template.label}: {problem}")

    def plan(self, root: yaml.Node, template: PodTemplate) -> list[str]:
        spec = template.spec
        regular = [as_dict(c) for c in as_list(spec.get("containers"))]
        names: list[str] = [
            name
            for c in regular
            if isinstance(name := c.get("name"), str) and (_is_marked(c) or name in self.declared)
        ]
        self.found_declared.update(n for n in names if n in self.declared)
        if not names:
            return []
        init_names = {as_dict(c).get("name") for c in as_list(spec.get("initContainers"))}
        for name in names:
            if name in init_names:
                raise self.refuse(
                    template,
                    f"cannot move {name} to initContainers: an init container is named {name} already",
                )
            policy = next(c.get("restartPolicy") for c in regular if c.get("name") == name)
            if policy not in (None, "Always"):
                raise self.refuse(
                    template, f"{name} has restartPolicy {policy}; a native sidecar needs Always"
                )
        if len(names) == len(regular):
            raise self.refuse(template, f"moving {', '.join(names)} would leave the pod no app container")
        spec_node = find_node(root, template.path)
        try:
            self._edit(template, spec_node, names)
        except edit.EditError as err:
            raise self.refuse(template, str(err)) from None
        return names

    def _edit(self, template: PodTemplate, spec_node: yaml.Node, names: list[str]) -> None:
        lines = self.lines
        edit.check_block(spec_node, "pod spec")
        containers = _value_node(spec_node, "containers")
        if containers is None or not isinstance(containers[1], yaml.SequenceNode):
            raise edit.EditError("its containers are not a list")
        key_node, seq = containers
        edit.check_block(seq, "containers")
        source_dash = edit.dash_column(lines, seq.value[0])
        blocks: list[str] = []
        for item in seq.value:
            data = self._item_name(item)
            if data not in names:
                continue
            edit.check_block(item, "containers")
            span = edit.item_span(lines, item)
            self.edits.append((span.first, span.last + 1, []))
            blocks.extend(self._moved_block(item, span))
            self.moved.append(Moved(self.source.name, template.label, data, item.start_mark.line + 1))
        init = _value_node(spec_node, "initContainers")
        if init is not None and isinstance(init[1], yaml.SequenceNode) and init[1].value:
            init_seq = init[1]
            edit.check_block(init_seq, "initContainers")
            target_dash = edit.dash_column(lines, init_seq.value[0])
            new = edit.shift(blocks, target_dash - source_dash)
            if self.position == "first":
                at = edit.item_span(lines, init_seq.value[0]).first
            else:
                at = edit.content_end_line(init_seq) + 1
            self.edits.append((at, at, new))
            return
        if init is not None:  # initContainers: [] or null: write the list in its place
            init_key, init_value = init
            first, last = init_key.start_mark.line, edit.content_end_line(init_value)
            column = init_key.start_mark.column
            self.edits.append((first, last + 1, [" " * column + "initContainers:" + self.nl, *blocks]))
            return
        column = key_node.start_mark.column
        at = edit.comments_above(lines, key_node.start_mark.line, column)
        self.edits.append((at, at, [" " * column + "initContainers:" + self.nl, *blocks]))

    @staticmethod
    def _item_name(item: yaml.Node) -> str | None:
        found = _value_node(item, "name")
        return found[1].value if found is not None and isinstance(found[1], yaml.ScalarNode) else None

    def _moved_block(self, item: yaml.Node, span: edit.Span) -> list[str]:
        block = self.lines[span.first : span.last + 1]
        if block and not block[-1].endswith(("\n", "\r")):
            block[-1] += self.nl
        removals: list[tuple[int, int]] = []
        env = _value_node(item, "env")
        if env is not None and isinstance(env[1], yaml.SequenceNode):
            env_key, env_seq = env
            markers = [e for e in env_seq.value if self._item_name(e) == ENV_ACS]
            if markers and len(markers) == len(env_seq.value):
                first, last = env_key.start_mark.line, edit.content_end_line(env_seq)
                if getattr(env_seq, "flow_style", False) and first != last:
                    raise edit.EditError("its env is written in flow style over several lines")
                removals.append((first, last))
            elif markers:
                edit.check_block(env_seq, "env entries")
                for marker in markers:
                    entry = edit.item_span(self.lines, marker, with_comments=False)
                    removals.append((entry.first, entry.last))
        for first, last in sorted(removals, reverse=True):
            del block[first - span.first : last - span.first + 1]
        if _value_node(item, "restartPolicy") is None:
            block.append(" " * item.start_mark.column + "restartPolicy: Always" + self.nl)
        return block

    def apply(self) -> str:
        lines = list(self.lines)
        for first, end, new in sorted(self.edits, key=lambda e: (e[0], e[1]), reverse=True):
            lines[first:end] = new
        return "".join(lines)


def migrate_source(
    source: Source, declared: Iterable[str] = (), position: str = "last"
) -> tuple[FileResult, set[str]]:
    """Migrate one source; returns the result and the ``--sidecar`` names it found."""
    planner = _Planner(source, frozenset(declared), position)
    expected: list[Any] = []
    for document in source.documents:
        data = copy.deepcopy(document.data)
        for template, copied in zip(find_templates(document.data), find_templates(data)):
            names = planner.plan(document.node, template)
            if names:
                _migrated_data(copied.spec, names, position)
        expected.append(data)
    if not planner.edits:
        return FileResult(source, source.text, ()), planner.found_declared
    if looks_templated(source.text):
        raise InputError(
            source.name,
            "is written in a templating language ('{{ ... }}'), not YAML: migrate edits YAML only; "
            "render it (helm template ...) and migrate the output, or move the container in the template by hand",
        )
    text = planner.apply()
    again = parse_source(source.name, text)
    if [d.data for d in again.documents] != expected:
        raise RuntimeError(
            f"migrate made {source.name} into something else than intended; nothing was written"
        )
    return FileResult(source, text, tuple(planner.moved)), planner.found_declared


def migrate_sources(
    sources: Sequence[Source],
    *,
    declared: Iterable[str] = (),
    position: str = "last",
    version: tuple[int, int] | None = None,
) -> MigrateResult:
    """Migrate every source (all or nothing: a refusal raises before anything is returned)."""
    if version is not None and version < NATIVE_SINCE:
        raise UsageError(
            f"cannot migrate for Kubernetes {version[0]}.{version[1]}: native sidecars need 1.29 or later "
            "(on ACS before 1.29, keep __IS_SIDECAR__)"
        )
    if position not in POSITIONS:
        raise UsageError(f'invalid --position "{position}": use first or last')
    declared = tuple(declared)
    found: set[str] = set()
    files = []
    for source in sources:
        result, names = migrate_source(source, declared, position)
        files.append(result)
        found |= names
    missing = [n for n in declared if n not in found]
    if missing:
        raise UsageError(f"--sidecar {missing[0]}: no regular container of that name in the manifests")
    return MigrateResult(files=tuple(files), position=position)


def run_migrate(
    paths: Iterable[str],
    *,
    recursive: bool = False,
    declared: Iterable[str] = (),
    position: str = "last",
    version: tuple[int, int] | None = None,
    stdin: IO[bytes] | None = None,
) -> MigrateResult:
    """Read ``-f`` paths and migrate them (in memory: the caller writes files)."""
    if version is not None and version < NATIVE_SINCE:
        migrate_sources([], version=version)  # refuse before reading anything
    return migrate_sources(
        read_sources(paths, recursive, stdin), declared=declared, position=position, version=version
    )
