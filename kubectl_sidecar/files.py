"""Read ``-f`` files: JSON or YAML, one object, a ``List``, several documents, or stdin.

Accepts what ``kubectl get job,pod,events -o json|yaml`` prints and what the raw API returns (list
items without ``kind``). Every failure is an :class:`InputError` naming the file and the problem.
"""
from __future__ import annotations

import json
import sys
from typing import IO, Iterable, Iterator

import yaml

from kubectl_sidecar.errors import InputError
from kubectl_sidecar.model import ClusterVersion
from kubectl_sidecar.snapshot import EVENTS_ABSENT, EVENTS_LISTED, Snapshot

# A cap on what we read: larger input is refused rather than exhausting memory.
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 200

_LIST_ITEM_KIND = {"PodList": "Pod", "EventList": "Event", "JobList": "Job", "NodeList": "Node"}
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """A safe loader that refuses duplicate keys (YAML forbids them; PyYAML keeps the last)."""


def _construct_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, f"found duplicate key {key!r}",
                    key_node.start_mark)
            seen.add(key)
        except TypeError:  # unhashable key: let the base constructor report it
            pass
    return loader.construct_mapping_base(node, deep=deep)


_StrictLoader.construct_mapping_base = _BaseLoader.construct_mapping  # type: ignore[attr-defined]
_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_source(path: str, stdin: IO[bytes] | None = None) -> bytes:
    """Read a file (or stdin for ``-``) with a size cap."""
    try:
        if path == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            data = stream.read(MAX_FILE_BYTES + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory, not a file") from None
    except PermissionError:
        raise InputError(path, "permission denied") from None
    except OSError as err:
        raise InputError(path, f"cannot be read ({err.strerror or err})") from None
    if len(data) > MAX_FILE_BYTES:
        raise InputError(path, f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; split it")
    return data


def parse_documents(data: bytes, name: str) -> list:
    """Parse JSON (one value or several concatenated) or YAML (one or more documents)."""
    if b"\x00" in data[:8192]:
        raise InputError(name, "is binary, not JSON or YAML")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(name, "is not UTF-8 text (binary?)") from None
    if not text.strip():
        raise InputError(name, "is empty")
    stripped = text.lstrip()
    if stripped[:1] in "{[":
        return _parse_json_stream(stripped, name)
    try:
        docs = [d for d in yaml.load_all(text, Loader=_StrictLoader) if d is not None]
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(name, f"is not valid YAML{where}: {err.problem or err.context}") from None
    except yaml.YAMLError as err:
        raise InputError(name, f"is not valid YAML: {err}") from None
    except RecursionError:
        raise InputError(name, "is nested too deeply to read") from None
    return docs


def _parse_json_stream(text: str, name: str) -> list:
    decoder = json.JSONDecoder()
    docs = []
    pos = 0
    try:
        while pos < len(text):
            value, pos = decoder.raw_decode(text, pos)
            docs.append(value)
            while pos < len(text) and text[pos] in " \t\r\n":
                pos += 1
    except json.JSONDecodeError as err:
        problem = "ends too early (truncated?)" if err.pos >= len(text.rstrip()) else \
            f"is not valid JSON at line {err.lineno} column {err.colno}: {err.msg}"
        raise InputError(name, problem) from None
    except RecursionError:
        raise InputError(name, "is nested too deeply to read") from None
    return docs


def iter_objects(docs: Iterable, name: str) -> Iterator[dict]:
    """Flatten Lists and yield API objects; items of typed lists get their kind back."""
    for doc in docs:
        yield from _flatten(doc, name, None, 0)


def _flatten(doc, name: str, item_kind: str | None, depth: int) -> Iterator[dict]:
    if depth > MAX_DEPTH:
        raise InputError(name, "nests Lists too deeply to read")
    if isinstance(doc, list):
        for item in doc:
            yield from _flatten(item, name, item_kind, depth + 1)
        return
    if not isinstance(doc, dict):
        raise InputError(name, f"holds a {type(doc).__name__} where a Kubernetes object was expected")
    kind = doc.get("kind")
    items = doc.get("items")
    if isinstance(items, list) and (not isinstance(kind, str) or kind.endswith("List")):
        inner = _LIST_ITEM_KIND.get(kind) if isinstance(kind, str) else None
        for item in items:
            yield from _flatten(item, name, inner, depth + 1)
        return
    if kind is None and item_kind is not None:
        doc = dict(doc, kind=item_kind)
    yield doc


def load_snapshot(paths: Iterable[str], *, cluster_version: ClusterVersion | None = None,
                  stdin: IO[bytes] | None = None) -> Snapshot:
    """Load ``-f`` files (``-`` for stdin) into a snapshot. Raises :class:`InputError` for unusable input."""
    sources = [("stdin" if p == "-" else p, read_source(p, stdin)) for p in paths]
    return snapshot_from_sources(sources, cluster_version=cluster_version)


def snapshot_from_sources(sources: Iterable[tuple], *, cluster_version: ClusterVersion | None = None) -> Snapshot:
    """Parse ``(label, bytes)`` pairs into one snapshot: the path both ``-f`` and the demo take."""
    sources = list(sources)
    snapshot = Snapshot(server_version=cluster_version, source=", ".join(label for label, _ in sources))
    saw_events = False
    for label, data in sources:
        docs = parse_documents(data, label)
        objects = list(iter_objects(docs, label))
        # An EventList, even an empty one, says events were listed (they may all have expired).
        listed_events = any(isinstance(d, dict) and d.get("kind") == "EventList" for d in docs)
        if not objects and not listed_events:
            raise InputError(label, "holds no Kubernetes objects")
        ignored = snapshot.add_objects(objects)
        saw_events = saw_events or listed_events or any(o.get("kind") == "Event" for o in objects)
        if ignored:
            kinds = ", ".join(sorted({str(k) for k in ignored}))
            if len(ignored) == len(objects):
                raise InputError(label, f"holds no Pod, Job, Event or Node (found: {kinds})")
            snapshot.notes.append(f"{label}: ignored {len(ignored)} object(s) of kind {kinds}")
    snapshot.events_state = EVENTS_LISTED if saw_events else EVENTS_ABSENT
    return snapshot
