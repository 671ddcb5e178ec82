"""Read ``-f`` files: JSON or YAML, one object, a ``List``, several documents, or stdin.

Accepts what ``kubectl get job,pod,events -o json|yaml`` prints and what the raw API returns (list
items without ``kind``). Every failure is an :class:`InputError` naming the file and the problem.
"""

from __future__ import annotations

import codecs
import json
import os
import sys
from collections.abc import Iterable, Iterator
from typing import IO, Any

import yaml

from kubectl_sidecar.errors import InputError
from kubectl_sidecar.model import ClusterVersion, EventsState
from kubectl_sidecar.raw import meta
from kubectl_sidecar.snapshot import Snapshot
from kubectl_sidecar.yamlsafe import LimitError, check_aliases

# A cap on what we read: larger input is refused rather than exhausting memory.
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 200
# PyYAML reads about 1 MB a second: past this, YAML would take minutes, so we ask for JSON instead.
MAX_YAML_BYTES = 32 * 1024 * 1024
# YAML aliases may repeat nodes, not multiply the document: yamlsafe.check_aliases (shared with the
# kubeconfig reader) refuses recursive aliases and alias bombs before anything is built.
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")  # what kubectl reads of a directory given with -f
_READ_CHUNK = 1024 * 1024
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

_LIST_ITEM_KIND = {"PodList": "Pod", "EventList": "Event", "JobList": "Job", "NodeList": "Node"}
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """A safe loader that refuses duplicate keys (YAML forbids them; PyYAML keeps the last)."""


def _construct_mapping(loader: Any, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *base`: its keys may be overridden here
            continue
        key = loader.construct_object(key_node, deep=deep)
        try:
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        except TypeError:  # unhashable key: let the base constructor report it
            pass
    return loader.construct_mapping_base(node, deep=deep)


_StrictLoader.construct_mapping_base = _BaseLoader.construct_mapping
_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _construct_document(loader: Any, node: yaml.Node) -> Any:
    check_aliases(node)  # the kubeconfig reader's limits (yamlsafe): one implementation
    return _BaseLoader.construct_document(loader, node)


_StrictLoader.construct_document = _construct_document


def read_source(path: str, stdin: IO[bytes] | None = None) -> bytes:
    """Read a file (or stdin for ``-``) with a size cap."""
    label = "stdin" if path == "-" else path
    too_large = InputError(label, f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; split it")
    try:
        if path == "-":
            data = _read_capped(stdin if stdin is not None else _stdin())
        else:
            with open(path, "rb") as handle:
                # A huge regular file is refused unread; devices and pipes are capped as they are read.
                if os.fstat(handle.fileno()).st_size > MAX_FILE_BYTES:
                    raise too_large
                data = _read_capped(handle)
    except FileNotFoundError:
        raise InputError(label, "no such file") from None
    except IsADirectoryError:
        raise InputError(label, "is a directory, not a file") from None
    except PermissionError:
        raise InputError(label, "permission denied") from None
    except OSError as err:
        raise InputError(label, f"cannot be read ({err.strerror or err})") from None
    if len(data) > MAX_FILE_BYTES:
        raise too_large
    return data


def _stdin() -> IO[bytes]:
    """The process's stdin as bytes; an :class:`InputError` when it is closed (``<&-``: no ``sys.stdin``)."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None or stream.closed:
        raise InputError("stdin", "is closed: there is nothing to read (pipe the objects in)")
    return stream


def _read_capped(stream: IO[bytes]) -> bytes:
    """Read up to the cap plus one byte; stop after the first chunk when it is binary (``/dev/zero``)."""
    chunks: list = []
    total = 0
    while total <= MAX_FILE_BYTES:
        chunk = stream.read(min(_READ_CHUNK, MAX_FILE_BYTES + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if len(chunks) == 1 and b"\x00" in chunk[:8192] and not chunk.startswith(_UTF16_BOMS):
            break
    return b"".join(chunks)


def parse_documents(data: bytes, name: str) -> list:
    """Parse JSON (one value or several concatenated) or YAML (one or more documents)."""
    if _is_utf16(data):  # Windows PowerShell 5 writes `kubectl get -o yaml > f` as UTF-16
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(name, "is not valid UTF-16 text, though it starts like UTF-16") from None
    elif b"\x00" in data[:8192]:
        raise InputError(name, "is binary, not JSON or YAML")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(name, "is not UTF-8 text (binary?)") from None
    if not text.strip():
        raise InputError(name, "is empty")
    stripped = text.lstrip()
    if stripped[:1] in "{[":
        return _parse_json_stream(stripped, name)
    if len(data) > MAX_YAML_BYTES:
        raise InputError(
            name,
            f"is YAML larger than {MAX_YAML_BYTES // (1024 * 1024)} MiB, which would take "
            "minutes to read: save it as JSON (kubectl get ... -o json) or split it",
        )
    try:
        docs = [d for d in yaml.load_all(text, Loader=_StrictLoader) if d is not None]
    except YAML_FAILURES as err:
        raise yaml_error(name, text, err) from None
    return docs


# What reading YAML within the limits may raise; yaml_error says each in one sentence
YAML_FAILURES = (LimitError, yaml.YAMLError, RecursionError, ValueError)


def yaml_error(name: str, text: str, err: BaseException) -> InputError:
    """One of ``YAML_FAILURES`` raised reading ``text`` (from ``name``) as an :class:`InputError`."""
    if isinstance(err, LimitError):
        return InputError(name, f"{err}; refused")
    if isinstance(err, yaml.reader.ReaderError):  # its str() spans two lines
        return InputError(name, _reader_problem(text, err))
    if isinstance(err, yaml.MarkedYAMLError):
        if "nesting depth" in str(err.problem or ""):  # PyYAML 6.0.4+ has its own depth limit
            return InputError(name, "is nested too deeply to read")
        mark = err.problem_mark or err.context_mark
        where = f" at line {mark.line + 1}" if mark is not None else ""
        return InputError(name, f"is not valid YAML{where}: {err.problem or err.context}")
    if isinstance(err, yaml.YAMLError):
        return InputError(name, f"is not valid YAML: {err}")
    if isinstance(err, RecursionError):
        return InputError(name, "is nested too deeply to read")
    return InputError(name, _value_problem(err))  # a date that does not exist, a number too long for int()


def _is_utf16(data: bytes) -> bool:
    """A UTF-16 byte order mark followed by an ASCII character (kubectl output starts with one)."""
    if data.startswith(codecs.BOM_UTF16_LE):
        return len(data) >= 4 and data[3] == 0 and data[2] != 0
    if data.startswith(codecs.BOM_UTF16_BE):
        return len(data) >= 4 and data[2] == 0 and data[3] != 0
    return False


def _reader_problem(text: str, err: yaml.reader.ReaderError) -> str:
    char = err.character if isinstance(err.character, str) else chr(err.character or 0)
    line = text.count("\n", 0, err.position) + 1 if isinstance(err.position, int) else None
    where = f" at line {line}" if line else ""
    hint = ": terminal colour codes? save the output without colour" if char == "\x1b" else ""
    return f"holds a control character YAML does not allow (#x{ord(char):04x}){where}{hint}"


def _value_problem(err: BaseException) -> str:
    if "digits" in str(err):
        return "holds a number too long to read (over 4300 digits)"
    return f"holds a value that cannot be read ({err})"


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
        problem = (
            "ends too early (truncated?)"
            if err.pos >= len(text.rstrip())
            else f"is not valid JSON at line {err.lineno} column {err.colno}: {err.msg}"
        )
        raise InputError(name, problem) from None
    except RecursionError:
        raise InputError(name, "is nested too deeply to read") from None
    except ValueError as err:  # Python 3.11+ refuses to read integers of over 4300 digits
        raise InputError(name, _value_problem(err)) from None
    return docs


def iter_objects(docs: Iterable, name: str) -> Iterator[dict]:
    """Flatten Lists and yield API objects; items of typed lists get their kind back."""
    for doc in docs:
        yield from _flatten(doc, name, None, 0)


def _describe_value(value: object) -> str:
    """Name a YAML/JSON value's type in words: ``a number``, ``a string``, ``an empty value``."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return f"a value of type {type(value).__name__}"


def _flatten(doc: object, name: str, item_kind: str | None, depth: int) -> Iterator[dict]:
    if depth > MAX_DEPTH:
        raise InputError(name, "nests Lists too deeply to read")
    if isinstance(doc, list):
        for item in doc:
            yield from _flatten(item, name, item_kind, depth + 1)
        return
    if not isinstance(doc, dict):
        raise InputError(name, f"holds {_describe_value(doc)} where a Kubernetes object was expected")
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


def expand_paths(paths: Iterable[str], recursive: bool = False) -> list[str]:
    """``-f`` arguments -> files, as kubectl reads them: a directory gives its .yaml, .yml and .json
    files (sorted; with ``-R`` those of every folder below too); ``-`` stays stdin."""
    result: list[str] = []
    for path in paths:
        if path == "-" or not os.path.isdir(path):
            result.append(path)
            continue
        found: list[str] = []
        if recursive:
            for folder, subfolders, names in os.walk(path):
                subfolders.sort()
                found.extend(os.path.join(folder, n) for n in names if n.endswith(MANIFEST_SUFFIXES))
        else:
            with os.scandir(path) as entries:
                found.extend(e.path for e in entries if e.is_file() and e.name.endswith(MANIFEST_SUFFIXES))
        if not found:
            raise InputError(
                path,
                "is a directory with no .yaml, .yml or .json file"
                + ("" if recursive else " (-R reads the folders below)"),
            )
        result.extend(sorted(found))
    return result


def load_snapshot(
    paths: Iterable[str], *, cluster_version: ClusterVersion | None = None, stdin: IO[bytes] | None = None
) -> Snapshot:
    """Load ``-f`` files (``-`` for stdin) into a snapshot. Raises :class:`InputError` for unusable input."""
    sources = [("stdin" if p == "-" else p, read_source(p, stdin)) for p in paths]
    return snapshot_from_sources(sources, cluster_version=cluster_version)


def snapshot_from_sources(
    sources: Iterable[tuple], *, cluster_version: ClusterVersion | None = None
) -> Snapshot:
    """Parse ``(label, bytes)`` pairs into one snapshot: the path both ``-f`` and the demo take."""
    sources = list(sources)
    snapshot = Snapshot(server_version=cluster_version, source=", ".join(label for label, _ in sources))
    saw_events = False
    seen = _SeenObjects()
    for label, data in sources:
        docs = parse_documents(data, label)
        objects = list(iter_objects(docs, label))
        # An EventList, even an empty one, says events were listed (they may all have expired).
        listed_events = any(isinstance(d, dict) and d.get("kind") == "EventList" for d in docs)
        if not objects and not listed_events:
            raise InputError(label, "holds no Kubernetes objects")
        ignored = snapshot.add_objects([obj for obj in objects if seen.is_new(obj, label)])
        saw_events = saw_events or listed_events or any(o.get("kind") == "Event" for o in objects)
        if ignored:
            kinds = ", ".join(sorted({str(k) for k in ignored}))
            if len(ignored) == len(objects):
                raise InputError(label, f"holds no Pod, Job, Event or Node (found: {kinds})")
            snapshot.notes.append(f"{label}: ignored {len(ignored)} object(s) of kind {kinds}")
    snapshot.events_state = EventsState.LISTED if saw_events else EventsState.ABSENT
    snapshot.notes.extend(seen.notes)
    return snapshot


class _SeenObjects:
    """The pods, Jobs, events and nodes read so far, by kind, namespace and name: one object each.

    The same object read twice (``-f a.json -f a.json``, or a pod kept in two snapshots) is one object:
    the same uid, or, for objects written without a uid, the same content. The first reading is kept.
    Two different objects under one name cannot both be meant: an :class:`InputError` naming both files.
    """

    def __init__(self) -> None:
        self._first: dict[tuple, tuple[str, dict]] = {}
        self.notes: list[str] = []

    def is_new(self, obj: dict, label: str) -> bool:
        """Whether ``obj`` (read from ``label``) is not already held; raise when it clashes with one that is."""
        kind, name = obj.get("kind"), meta(obj, "name")
        if kind not in _KINDS or name is None:
            return True  # ignored kinds are counted by the snapshot; an object without a name has no identity
        key = (kind, meta(obj, "namespace"), name)
        held = self._first.get(key)
        if held is None:
            self._first[key] = (label, obj)
            return True
        first_label, first = held
        if first == obj:
            return False
        uid, first_uid = meta(obj, "uid"), meta(first, "uid")
        if uid and uid == first_uid:
            where = "earlier in this file" if label == first_label else f"in {first_label}"
            self.notes.append(
                f"{label}: {_describe(key)} was read {where} too (the same uid) with other content; "
                "the first reading is used"
            )
            return False
        desc = _describe(key)
        why = f"uid {uid}, not {first_uid}" if uid and first_uid else "different content, and no uid to tell"
        if label == first_label:
            raise InputError(label, f"holds two different objects as {desc} ({why}); keep only one")
        raise InputError(
            label,
            f"{desc} is not the same object as the one in {first_label} ({why}): give only one of them",
        )


_KINDS = frozenset(("Pod", "Job", "Event", "Node"))


def _describe(key: tuple) -> str:
    """``pod "x" in namespace "default"``, ``node "y"``."""
    kind, namespace, name = key
    where = f' in namespace "{namespace}"' if namespace else ""
    return f'{kind.lower()} "{name}"{where}'
