"""Reading a sidecar catalogue: the built-in ``sidecars.yaml``, and the user's files (``--sidecar-catalogue
FILE``, ``$XDG_CONFIG_HOME/kubectl-sidecar/sidecars.yaml``) with the limits of ``-f`` files. A user's
file is input: anything wrong with it is an ``InputError`` (exit 2) in one sentence."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from kubectl_sidecar.errors import InputError
from kubectl_sidecar.knownsidecars.entries import CATEGORIES, Catalogue, KnownSidecar

KIND = "SidecarCatalogue"
API_VERSIONS = ("kubectl-sidecar/v1",)
MAX_BYTES = 1024 * 1024  # a catalogue is a page of text; anything larger is not one
CONFIG_NAME = os.path.join("kubectl-sidecar", "sidecars.yaml")
_NAME = re.compile(r"[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?")
_KEYS = {"name", "title", "category", "match", "exit", "native", "docs"}
_MATCH_KEYS = {"names", "images", "commands", "annotations", "env"}
_EXIT_KEYS = {"command", "setup", "note"}
_NATIVE_KEYS = {"annotations", "note"}


def _strings(value: Any, where: str, source: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InputError(source, f"{where} must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _text(value: Any, where: str, source: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InputError(source, f"{where} must be a non-empty string")
    return value.strip()


def _mapping(value: Any, keys: set[str], where: str, source: str) -> Mapping:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(source, f"{where} must be a mapping")
    unknown = sorted(str(k) for k in value if k not in keys)
    if unknown:
        raise InputError(
            source, f"{where} has an unknown field {unknown[0]!r} (known: {', '.join(sorted(keys))})"
        )
    return value


def parse_entry(raw: Any, index: int, source: str) -> KnownSidecar:
    """One entry of ``sidecars:``, checked field by field."""
    where = f"sidecars[{index}]"
    raw = _mapping(raw, _KEYS, where, source)
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InputError(source, f"{where}.name must be a lower-case name (letters, digits, '-', '.')")
    where = f"sidecar {name!r}"
    title = _text(raw.get("title"), f"{where}: title", source)
    if title is None:
        raise InputError(source, f"{where} has no title")
    category = raw.get("category", "other")
    if category not in CATEGORIES:
        raise InputError(source, f"{where}: category must be one of {', '.join(CATEGORIES)}")
    match = _mapping(raw.get("match"), _MATCH_KEYS, f"{where}: match", source)
    env: list[tuple[str, str | None]] = []
    for item in _strings(match.get("env"), f"{where}: match.env", source):
        env_name, sep, value = item.partition("=")
        env.append((env_name, value if sep else None))
    commands = tuple(
        tuple(c.split()) for c in _strings(match.get("commands"), f"{where}: match.commands", source)
    )
    entry = KnownSidecar(
        name=name,
        title=title,
        category=category,
        names=_strings(match.get("names"), f"{where}: match.names", source),
        images=_strings(match.get("images"), f"{where}: match.images", source),
        commands=commands,
        annotations=_strings(match.get("annotations"), f"{where}: match.annotations", source),
        env=tuple(env),
        docs=_strings(raw.get("docs"), f"{where}: docs", source),
        source=source,
        **_exit_fields(raw, where, source),
    )
    if not (entry.names or entry.images or entry.commands or entry.annotations or entry.env):
        raise InputError(
            source, f"{where} matches nothing: give match.images, commands, names or annotations"
        )
    return entry


def _exit_fields(raw: Mapping, where: str, source: str) -> dict[str, Any]:
    exit_ = _mapping(raw.get("exit"), _EXIT_KEYS, f"{where}: exit", source)
    native = _mapping(raw.get("native"), _NATIVE_KEYS, f"{where}: native", source)
    annotations = native.get("annotations") or {}
    if not isinstance(annotations, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in annotations.items()
    ):
        raise InputError(source, f"{where}: native.annotations must map annotation names to string values")
    return {
        "exit_command": _text(exit_.get("command"), f"{where}: exit.command", source),
        "exit_setup": _text(exit_.get("setup"), f"{where}: exit.setup", source),
        "exit_note": _text(exit_.get("note"), f"{where}: exit.note", source),
        "native_annotations": tuple(annotations.items()),
        "native_note": _text(native.get("note"), f"{where}: native.note", source),
    }


def parse_catalogue(data: Any, source: str) -> tuple[KnownSidecar, ...]:
    """The entries of a catalogue document (``kind: SidecarCatalogue``), in file order."""
    if not isinstance(data, dict):
        raise InputError(source, f"is not a sidecar catalogue: expected a mapping with kind: {KIND}")
    if data.get("kind") != KIND or data.get("apiVersion") not in API_VERSIONS:
        raise InputError(
            source, f"is not a sidecar catalogue: expected apiVersion: {API_VERSIONS[0]}, kind: {KIND}"
        )
    unknown = sorted(str(k) for k in data if k not in {"apiVersion", "kind", "sidecars"})
    if unknown:
        raise InputError(source, f"has an unknown top-level field {unknown[0]!r}")
    raw = data.get("sidecars")
    if not isinstance(raw, list):
        raise InputError(source, "has no list of sidecars (sidecars: [...])")
    entries = tuple(parse_entry(item, i, source) for i, item in enumerate(raw))
    seen: set[str] = set()
    for entry in entries:
        if entry.name in seen:
            raise InputError(source, f"names sidecar {entry.name!r} twice")
        seen.add(entry.name)
    return entries


@lru_cache(maxsize=1)
def builtin() -> Catalogue:
    """The catalogue shipped in the package (``sidecars.yaml``), parsed once, on first use."""
    return read_builtin()


def read_builtin() -> Catalogue:
    """The package's own catalogue (trusted data: the fast loader, no limits needed)."""
    from kubectl_sidecar import yamllite

    # the module's loader reads files beside it from a directory or a zipapp alike (importlib.resources
    # would too, at the cost of importing zipfile and pathlib on every live command)
    loader: Any = __spec__.loader if __spec__ is not None else None
    path = os.path.join(os.path.dirname(__file__), "sidecars.yaml")
    if loader is not None and hasattr(loader, "get_data"):
        text = loader.get_data(path).decode("utf-8")
    else:  # pragma: no cover - every importer Python ships has get_data
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    data = yamllite.parse(text)  # plain YAML, read without importing PyYAML (tests/unit/test_yamllite.py)
    if data is yamllite.UNSUPPORTED:
        import yaml

        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return Catalogue(entries=parse_catalogue(data, "built-in"), sources=("built-in",))


def read_user_file(path: str) -> tuple[KnownSidecar, ...]:
    """A user's catalogue file, read within the limits of ``-f`` files; every problem an ``InputError``."""
    import yaml

    from kubectl_sidecar import yamlsafe

    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as error:
        raise InputError(path, f"cannot read the sidecar catalogue: {error.strerror or error}") from None
    if len(data) > MAX_BYTES:
        raise InputError(path, f"is larger than {MAX_BYTES // 1024} KiB: not a sidecar catalogue")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(path, "is not UTF-8 text") from None
    try:
        document = yamlsafe.load(text)
    except (yaml.YAMLError, ValueError) as error:
        problem = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(path, f"is not valid YAML or JSON ({problem})") from None
    return parse_catalogue(document, path)


def config_path(environ: Mapping[str, str] | None = None) -> str | None:
    """Where the user's catalogue lives: ``$XDG_CONFIG_HOME/kubectl-sidecar/sidecars.yaml``, else
    ``~/.config/kubectl-sidecar/sidecars.yaml``; ``None`` when there is no home to look in."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CONFIG_HOME", "")
    if not base or not os.path.isabs(base):
        home = environ.get("HOME", "")
        if not home or not os.path.isabs(home):
            return None
        base = os.path.join(home, ".config")
    return os.path.join(base, CONFIG_NAME)


def load(files: Sequence[str] = (), *, environ: Mapping[str, str] | None = None) -> Catalogue:
    """The catalogue a command works with: the files given (first wins), then the config file when it
    exists, then the built-in entries."""
    catalogue = builtin()
    paths = list(files)
    config = config_path(environ)
    if config is not None and os.path.isfile(config):
        paths.append(config)
    for path in reversed(paths):  # the first file given ends up first
        catalogue = catalogue.merged(read_user_file(path), path)
    return catalogue
