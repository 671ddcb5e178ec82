"""Manifests for ``lint`` and ``migrate``: ``-f FILE|DIR|-`` (``-R`` for directories) read into documents
that keep both the data and the composed YAML nodes, so every finding and every edit has its line and
column in the user's own text.

JSON is read as YAML (it is YAML's flow style), so positions come from the same place. The limits of
:mod:`kubectl_sidecar.yamlsafe` (aliases, nesting, integers) apply, as they do to ``-f`` elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, Any

import yaml

from kubectl_sidecar.errors import InputError
from kubectl_sidecar.files import MAX_YAML_BYTES, YAML_FAILURES, expand_paths, read_source, yaml_error
from kubectl_sidecar.record import record
from kubectl_sidecar.yamlsafe import LimitedLoader

# kubectl reads these from a directory (``-f DIR``), and only these.
STDIN = "stdin"
TEMPLATE_HINT = (
    "is a template written in a templating language (Helm or Go templates, '{{ ... }}'), not YAML: "
    "render it first, e.g. helm template RELEASE CHART | kubectl sidecar lint -f -"
)


@record(frozen=True)
class Document:
    """One YAML document of a source: its composed node (positions) and the data built from it."""

    index: int  # 0-based, in the source
    node: yaml.Node
    data: Any


@record(frozen=True)
class Source:
    """One file (or stdin) as read: its name as given, its text and its documents."""

    name: str
    text: str
    documents: tuple[Document, ...]

    @property
    def is_stdin(self) -> bool:
        return self.name == STDIN


def decode(data: bytes, name: str) -> str:
    """The text of a manifest: UTF-8 (with or without a byte order mark); anything else is refused."""
    if b"\x00" in data[:8192]:
        raise InputError(name, "is binary, not JSON or YAML")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(name, "is not UTF-8 text") from None


def looks_templated(text: str) -> bool:
    """Whether text outside comments holds template actions (``{{ ... }}``, Jinja's ``{% ... %}``)."""
    for line in text.splitlines():
        body = line.split("#", 1)[0] if line.lstrip().startswith("#") else line
        if ("{{" in body and "}}" in body) or ("{%" in body and "%}" in body):
            return True
    return False


def parse_source(name: str, text: str) -> Source:
    """Compose and build every document of ``text``; an :class:`InputError` naming ``name`` when it
    is not YAML (a template gets its own sentence)."""
    if len(text) > MAX_YAML_BYTES:
        raise InputError(name, f"is larger than {MAX_YAML_BYTES // (1024 * 1024)} MiB; split it")
    try:
        loader = LimitedLoader(text)  # the reader checks every character here, before any parsing
    except YAML_FAILURES as err:
        raise yaml_error(name, text, err) from None
    documents: list[Document] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            data = loader.construct_document(node)
            documents.append(Document(index=len(documents), node=node, data=data))
    except YAML_FAILURES as err:
        if isinstance(err, yaml.MarkedYAMLError) and looks_templated(text):
            raise InputError(name, TEMPLATE_HINT) from None
        raise yaml_error(name, text, err) from None
    finally:
        loader.dispose()
    return Source(name=name, text=text, documents=tuple(documents))


def read_sources(
    paths: Iterable[str], recursive: bool = False, stdin: IO[bytes] | None = None
) -> list[Source]:
    """Read every ``-f`` argument (files, directories, ``-``) into sources, in the order given."""
    sources = []
    for path in expand_paths(paths, recursive):
        name = STDIN if path == "-" else path
        sources.append(parse_source(name, decode(read_source(path, stdin), name)))
    return sources


def iter_documents(sources: Iterable[Source]) -> Iterator[tuple[Source, Document]]:
    for source in sources:
        for document in source.documents:
            yield source, document
