"""Kubeconfig files: which ones kubectl would read, each parsed within limits, merged as kubectl merges
them (the first file to set a key wins), and the typed fields of their entries.

A kubeconfig is YAML read by :mod:`kubectl_sidecar.yamlsafe` (aliases, nesting and integers capped, as
kubectl refuses "excessive aliasing" and "exceeded max depth"), capped at 16 MiB. Its fields are typed as
kubectl types them: a string where a string belongs, a YAML boolean where a boolean belongs
(``insecure-skip-tls-verify: "false"`` is refused, as kubectl refuses it, never read as true).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from kubectl_sidecar import yamllite
from kubectl_sidecar.errors import ConfigError
from kubectl_sidecar.kube.text import one_line
from kubectl_sidecar.options import KubeOptions

MAX_KUBECONFIG_CHARS = 16 * 1024 * 1024

SECTIONS = ("clusters", "users", "contexts")
_SECTION_KEY = {"clusters": "cluster", "users": "user", "contexts": "context"}


def kubeconfig_paths(opts: KubeOptions, environ: Mapping[str, str] | None = None) -> tuple[list[str], bool]:
    """The kubeconfig files to merge, in precedence order, and whether they were named explicitly.

    As client-go: ``--kubeconfig`` (must exist), else ``KUBECONFIG`` (a path list; missing files are
    skipped), else ``~/.kube/config`` when it exists.
    """
    environ = os.environ if environ is None else environ
    if opts.kubeconfig:
        path = os.path.expanduser(opts.kubeconfig)
        if not os.path.exists(path):
            raise ConfigError(f'kubeconfig "{opts.kubeconfig}" does not exist (--kubeconfig)')
        return [path], True
    listed = environ.get("KUBECONFIG", "")
    if listed:
        paths: list = []
        for entry in listed.split(os.pathsep):
            path = os.path.expanduser(entry)
            if entry and path not in paths and os.path.exists(path):
                paths.append(path)
        return paths, False
    home = environ.get("HOME") or os.path.expanduser("~")
    default = os.path.join(home, ".kube", "config")
    return ([default] if os.path.exists(default) else []), False


def read_kubeconfig(path: str) -> dict:
    """Parse one kubeconfig file; every problem is a :class:`ConfigError` naming the file."""
    data = load_yaml(path)
    if data is None:
        return {}  # an empty file is an empty config, as for kubectl
    if not isinstance(data, dict):
        raise ConfigError(f'kubeconfig "{path}" holds a {type(data).__name__}, not a kubeconfig mapping')
    _check_sections(path, data)
    return data


def kubeconfig_names(
    section: str, kubeconfig: str | None = None, environ: Mapping[str, str] | None = None
) -> list:
    """Names in one section (contexts, clusters, users) of the kubeconfigs kubectl would read, sorted.

    For shell completion: the files of :func:`kubeconfig_paths`; never contacts a server; a file that
    cannot be read lists nothing, a malformed entry is skipped.
    """
    try:
        paths, _explicit = kubeconfig_paths(KubeOptions(kubeconfig=kubeconfig), environ)
    except ConfigError:
        return []
    names: dict = {}
    for path in paths:
        try:
            doc = load_yaml(path)
        except ConfigError:
            continue
        entries = doc.get(section) if isinstance(doc, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                names.setdefault(entry["name"], None)
    return sorted(names)


def load_yaml(path: str) -> Any:
    """Read and parse one kubeconfig file (capped, within the YAML limits), without checking its shape.

    JSON is read as JSON (kubectl reads kubeconfigs through JSON too); the plain YAML kubectl and the
    cloud CLIs write is read by :mod:`kubectl_sidecar.yamllite` without importing PyYAML (about 12 ms);
    anything else by PyYAML within the limits of :mod:`kubectl_sidecar.yamlsafe`.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(MAX_KUBECONFIG_CHARS + 1)  # capped: `--kubeconfig /dev/zero` never ends
    except OSError as err:
        raise ConfigError(f'kubeconfig "{path}" cannot be read: {err.strerror or err}') from None
    except UnicodeDecodeError:
        raise ConfigError(f'kubeconfig "{path}" is not UTF-8 text') from None
    if len(text) > MAX_KUBECONFIG_CHARS:
        raise ConfigError(
            f'kubeconfig "{path}" is larger than {MAX_KUBECONFIG_CHARS // (1024 * 1024)} MiB: '
            "not a kubeconfig"
        )
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except RecursionError:
            raise ConfigError(f'kubeconfig "{path}" is nested too deeply to read; refused') from None
        except ValueError:
            pass  # not JSON after all (or a number too long): PyYAML says why below
    fast = yamllite.parse(text)
    if fast is not yamllite.UNSUPPORTED:
        return fast
    import yaml

    from kubectl_sidecar import yamlsafe

    try:
        return yamlsafe.load(text)
    except yamlsafe.LimitError as err:
        raise ConfigError(f'kubeconfig "{path}" {err}; refused') from None
    except RecursionError:
        raise ConfigError(f'kubeconfig "{path}" is nested too deeply to read') from None
    except yaml.reader.ReaderError as err:  # its str() spans two lines
        raise ConfigError(
            f'kubeconfig "{path}" holds a control character YAML does not allow (position {err.position})'
        ) from None
    except ValueError as err:  # an unquoted date that does not exist, an integer of over 4300 digits
        raise ConfigError(
            f'kubeconfig "{path}" holds a value that cannot be read ({one_line(str(err), 80)})'
        ) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(
            f'kubeconfig "{path}" is not valid YAML{where}: {one_line(str(err.problem or err.context), 120)}'
        ) from None
    except yaml.YAMLError as err:
        raise ConfigError(f'kubeconfig "{path}" is not valid YAML: {one_line(str(err), 120)}') from None


def _check_sections(path: str, data: dict) -> None:
    for section in SECTIONS:
        entries = data.get(section)
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise ConfigError(f'kubeconfig "{path}": "{section}" must be a list')
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise ConfigError(f'kubeconfig "{path}": every entry of "{section}" needs a name')
            body = entry.get(_SECTION_KEY[section])
            if body is not None and not isinstance(body, dict):
                raise ConfigError(f'kubeconfig "{path}": {section[:-1]} "{entry["name"]}" must be a mapping')
    current = data.get("current-context")
    if current is not None and not isinstance(current, str):
        raise ConfigError(f'kubeconfig "{path}": current-context must be a string')


def merge_kubeconfigs(docs: list) -> dict:
    """Merge ``(path, kubeconfig)`` pairs as kubectl does: the first file to set a key wins.

    That holds for each named cluster, user and context, and for ``current-context`` (the Python
    client lets later files win there). Returns ``{"clusters": {name: (path, entry)}, "users": ...,
    "contexts": ..., "current-context": str | None}``.
    """
    merged: dict = {section: {} for section in SECTIONS}
    merged["current-context"] = None
    for path, doc in docs:
        for section in SECTIONS:
            for entry in doc.get(section) or []:
                merged[section].setdefault(entry["name"], (path, entry))
        current = doc.get("current-context")
        if not merged["current-context"] and current:
            merged["current-context"] = current
    return merged


# ------------------------------------------------------------------------------------------ typed fields


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def text_field(entry: Mapping, key: str, what: str) -> str | None:
    """A string field (absent or empty: None); any other type is refused, its value never shown."""
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f'"{key}" of {what} must be a string, not {_kind(value)}')
    return value or None


def flag_field(entry: Mapping, key: str, what: str) -> bool:
    """A boolean field: only a YAML boolean (``true``/``false``) is one, as kubectl reads it."""
    value = entry.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ConfigError(
            f'"{key}" of {what} must be true or false (a YAML boolean), not {_kind(value)}; '
            "kubectl refuses it too"
        )
    return value


def mapping_field(entry: Mapping, key: str, what: str) -> dict:
    value = entry.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f'"{key}" of {what} must be a mapping, not {_kind(value)}')
    return value


def strings_field(entry: Mapping, key: str, what: str) -> tuple:
    value = entry.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f'"{key}" of {what} must be a list of strings')
    return tuple(value)
