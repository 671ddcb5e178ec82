"""YAML read within limits: aliases may repeat nodes but not multiply a document, nesting is capped, and
no integer is longer than Python will print.

A few hundred bytes of nested aliases (a "billion laughs" file, CVE-2019-11253 for the API server) expand
to 10^9 nodes and hang any reader that walks them (``json.dumps``, a deep copy); kubectl refuses them with
"excessive aliasing". A deeply nested document exhausts Python's recursion (kubectl: "exceeded max
depth"). :class:`LimitedLoader` is a safe loader that refuses both while composing, before anything is
built; :func:`check_aliases` is the alias check alone, for a loader of another base (libyaml's).
"""

from __future__ import annotations

from typing import Any

import yaml

# A document may expand through its aliases to this many nodes, or to ten times its own size when larger.
MAX_ALIAS_EXPANSION = 100_000
MAX_DEPTH = 200
# Python refuses to print integers of more than 4300 digits (3.11+); hex, octal and base-60 integers are
# read without that limit, so their size is checked by bits: 4300 decimal digits hold 14,284 bits.
MAX_INT_BITS = 14_284


class LimitError(yaml.YAMLError):
    """A document over one of the limits; ``str()`` says which, in words, without the document."""


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def check_aliases(root: yaml.Node, max_expansion: int = MAX_ALIAS_EXPANSION) -> None:
    """Refuse recursive aliases and alias bombs in a composed node graph (walked once, iteratively)."""
    sizes: dict = {}  # id(node) -> nodes under it once aliases are copied out
    on_path: set = set()
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise LimitError("holds a YAML alias that refers to itself (a recursive document)")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))
    limit = max(max_expansion, 10 * len(sizes))
    if sizes[id(root)] > limit:
        raise LimitError(
            f"uses YAML aliases that expand it to {sizes[id(root)]:,} nodes, more than the "
            f"{limit:,} allowed (excessive aliasing: an alias bomb)"
        )


class LimitedLoader(yaml.SafeLoader):
    """PyYAML's pure-Python safe loader with the limits of this module (nesting, aliases, integers)."""

    max_depth = MAX_DEPTH

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                raise LimitError(f"is nested too deeply to read (more than {self.max_depth} levels)")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_document(self, node: yaml.Node) -> Any:
        check_aliases(node)
        return super().construct_document(node)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        value = super().construct_yaml_int(node)
        if abs(value).bit_length() > MAX_INT_BITS:
            raise LimitError("holds a number too long to read (over 4300 digits)")
        return value


LimitedLoader.add_constructor("tag:yaml.org,2002:int", LimitedLoader.construct_yaml_int)


def load(text: str) -> Any:
    """Parse one YAML (or JSON) document within the limits; raises :class:`LimitError` or PyYAML's
    errors (and ``ValueError`` for a decimal integer too long or a date that does not exist)."""
    loader = LimitedLoader(text)  # what yaml.load does, with this safe loader
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
