"""Read objects the way ``kubectl get ... -o json|yaml`` prints them."""

import json
import os
from collections.abc import Iterable, Iterator
from typing import Union

__all__ = ["load_objects", "iter_objects"]

PathOrObject = Union[str, "os.PathLike[str]", dict]


def _documents_from_text(text: str, name: str) -> list[object]:
    stripped = text.lstrip()
    if stripped.startswith("{") or stripped.startswith("["):
        try:
            return [json.loads(text)]
        except ValueError:
            # several JSON documents in a row (kubectl get -o json per object in a loop)
            docs, dec, i = [], json.JSONDecoder(), 0
            while True:
                while i < len(text) and text[i].isspace():
                    i += 1
                if i >= len(text):
                    return docs
                doc, i = dec.raw_decode(text, i)
                docs.append(doc)
    try:
        import yaml  # PyYAML: a dependency of the plugin
    except ImportError:  # pragma: no cover
        raise RuntimeError("reading YAML (%s) needs PyYAML" % name) from None
    return [d for d in yaml.safe_load_all(text) if d is not None]


def iter_objects(doc: object) -> Iterator[dict]:
    """Flatten a document: a single object, a ``List``/``PodList``..., or a plain JSON array."""
    if isinstance(doc, list):
        for d in doc:
            for o in iter_objects(d):
                yield o
        return
    if not isinstance(doc, dict):
        raise ValueError("not a Kubernetes object: %r" % (doc,))
    kind = doc.get("kind", "")
    if "items" in doc and (kind == "List" or kind.endswith("List")):
        item_kind = kind[:-4] if kind != "List" else ""
        api_version = doc.get("apiVersion", "v1")
        for item in doc.get("items") or []:
            if not isinstance(item, dict):
                raise ValueError("list item is not an object: %r" % (item,))
            if item_kind and "kind" not in item:
                # raw API list responses leave kind/apiVersion out of the items
                item = dict(item, kind=item_kind, apiVersion=item.get("apiVersion", api_version))
            for o in iter_objects(item):
                yield o
        return
    yield doc


def load_objects(paths_or_dicts: Union[PathOrObject, Iterable[PathOrObject]]) -> list[dict]:
    """Objects from files (JSON, YAML, multi-document YAML, Lists) and/or dicts, in order."""
    if isinstance(paths_or_dicts, (str, dict)) or hasattr(paths_or_dicts, "__fspath__"):
        paths_or_dicts = [paths_or_dicts]  # type: ignore[list-item]
    out = []  # type: list[dict]
    for item in paths_or_dicts:  # type: ignore[union-attr]
        if isinstance(item, (dict, list)):
            out.extend(iter_objects(item))
            continue
        path = os.fspath(item)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for doc in _documents_from_text(text, path):
            out.extend(iter_objects(doc))
    return out
