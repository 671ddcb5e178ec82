"""``@record`` against ``@dataclass``: the same class through each, the same behaviour.

Each case builds one class body twice, once decorated with ``dataclasses.dataclass`` and once with
``kubectl_sidecar.record.record`` and the same arguments, then compares what people and the package
rely on: construction (positional, keyword, defaults, factories, the errors), repr, equality, hashing,
frozenness, ``dataclasses.fields``, ``replace`` and ``__match_args__``.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from dataclasses import FrozenInstanceError, field

import pytest

from kubectl_sidecar.record import record

DECORATORS = {"dataclass": dataclasses.dataclass, "record": record}
SETTINGS = [{}, {"frozen": True}, {"frozen": True, "eq": False}, {"eq": False}]


def make(decorator, settings, *, own_repr=False, own_hash=False):
    """The same class body each time (a list default made by a factory, a field left out of repr and
    comparison, an Optional default), decorated as asked."""

    class Point:
        """A point."""

        x: int
        y: int = 0
        tags: list = field(default_factory=list)
        note: str | None = field(default=None, repr=False, compare=False)
        label: str = "p"

        def norm(self) -> int:
            return abs(self.x) + abs(self.y)

        if own_repr:

            def __repr__(self) -> str:
                return f"<point {self.x},{self.y}>"

        if own_hash:

            def __hash__(self) -> int:
                return 7

    Point.__qualname__ = "Point"
    return DECORATORS[decorator](**settings)(Point)


def both(settings, **kwargs):
    return make("dataclass", settings, **kwargs), make("record", settings, **kwargs)


def outcome(call):
    """What a call does: its value, or the type of what it raised."""
    try:
        return ("value", call())
    except Exception as err:  # noqa: BLE001 - the comparison is the point
        return ("raised", type(err))


CONSTRUCTIONS = [
    ((1,), {}),
    ((1, 2), {}),
    ((1, 2, ["a"]), {"note": "n", "label": "q"}),
    ((), {"x": 3, "label": "k"}),
    ((), {}),  # x missing
    ((1, 2, [], None, "l", "extra"), {}),  # one too many
    ((1,), {"x": 2}),  # x twice
    ((1,), {"z": 2}),  # no such field
]


@pytest.mark.parametrize("settings", SETTINGS, ids=str)
@pytest.mark.parametrize("args, kwargs", CONSTRUCTIONS)
def test_construction_and_repr_match_dataclasses(settings, args, kwargs):
    dc, rc = both(settings)
    expected = outcome(lambda: repr(dc(*args, **kwargs)))
    assert outcome(lambda: repr(rc(*args, **kwargs))) == expected
    if expected[0] == "value":  # twice: the second instance goes through the compiled __init__
        assert outcome(lambda: repr(rc(*args, **kwargs))) == expected


@pytest.mark.parametrize("settings", SETTINGS, ids=str)
def test_equality_and_hashing_match_dataclasses(settings):
    dc, rc = both(settings)
    for cls in (dc, rc):
        a, b, c, d = cls(1, 2, note="one"), cls(1, 2, note="other"), cls(1, 3), cls(1, 2, label="z")
        assert (a == b) == (dc(1, 2, note="one") == dc(1, 2, note="other"))
        assert a != c and a != d and a == a
        assert (a == (1, 2)) is False  # another class: NotImplemented, then identity
    hashable = outcome(lambda: hash(dc(1)))[0]
    assert outcome(lambda: hash(rc(1)))[0] == hashable
    if hashable == "value" and settings.get("eq", True):
        assert hash(rc(1, 2, note="a")) == hash(rc(1, 2, note="b"))  # note is not compared


@pytest.mark.parametrize("settings", SETTINGS, ids=str)
def test_frozen_instances_refuse_changes_as_dataclasses_do(settings):
    dc, rc = both(settings)
    for attempt in (
        lambda obj: setattr(obj, "x", 5),
        lambda obj: delattr(obj, "label"),
        lambda obj: setattr(obj, "other", 1),
    ):
        assert outcome(lambda a=attempt: a(rc(1)))[1:] == outcome(lambda a=attempt: a(dc(1)))[1:]
    if settings.get("frozen"):
        with pytest.raises(FrozenInstanceError, match="cannot assign to field 'x'"):
            rc(1).x = 2


@pytest.mark.parametrize("settings", SETTINGS, ids=str)
def test_fields_replace_and_match_args_work(settings):
    dc, rc = both(settings)
    assert [f.name for f in dataclasses.fields(rc)] == [f.name for f in dataclasses.fields(dc)]
    assert rc.__match_args__ == dc.__match_args__
    assert dataclasses.is_dataclass(rc)
    changed = dataclasses.replace(rc(1, 2, ["t"]), y=9)
    assert type(changed) is rc and (changed.x, changed.y, changed.tags) == (1, 9, ["t"])
    assert repr(changed) == repr(dataclasses.replace(dc(1, 2, ["t"]), y=9))
    assert copy.copy(rc(4)).x == 4 and copy.deepcopy(rc(4, tags=[1])).tags == [1]
    assert rc(1).norm() == 1  # the class's own methods stay


def test_each_instance_gets_a_new_default_from_the_factory():
    rc = make("record", {"frozen": True})
    first, second = rc(1), rc(1)
    first.tags.append("a")
    assert second.tags == [] and first.tags is not second.tags


@pytest.mark.parametrize("settings", SETTINGS, ids=str)
def test_methods_the_class_defines_are_kept(settings):
    dc, rc = both(settings, own_repr=True, own_hash=True)
    assert repr(rc(1, 2)) == repr(dc(1, 2)) == "<point 1,2>"
    assert outcome(lambda: hash(rc(1))) == outcome(lambda: hash(dc(1)))


def test_a_field_without_default_after_one_with_is_refused_as_by_dataclasses():
    class Bad:
        a: int = 0
        b: int

    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):
        dataclasses.dataclass(type("Bad", (), {"__annotations__": {"a": "int", "b": "int"}, "a": 0}))
    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):
        record(Bad)


def test_a_frozen_record_may_not_define_setattr():
    class Own:
        x: int

        def __setattr__(self, name, value):
            object.__setattr__(self, name, value)

    with pytest.raises(TypeError, match="__setattr__"):
        record(frozen=True)(Own)


def test_first_instances_made_in_several_threads_at_once_are_all_whole():
    rc = make("record", {"frozen": True})
    made: list = []
    start = threading.Barrier(8)

    def build(i):
        start.wait()
        made.append(rc(i, i))

    threads = [threading.Thread(target=build, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted((p.x, p.y, p.tags, p.label) for p in made) == [(i, i, [], "p") for i in range(8)]
