"""``@record``: a dataclass whose methods cost nothing to define.

Before Python 3.13, ``@dataclass`` writes each class's ``__init__``, ``__repr__``, ``__eq__``, ``__hash__``
and, when frozen, ``__setattr__`` and ``__delattr__`` as source text and compiles each one with
``exec``: some 0.4-0.5 ms per frozen class, 26 ms for the 33 classes a live ``timeline`` loads, a fifth
of its CPU time (docs/performance.md). ``@record`` takes the same arguments the package uses
(``frozen``, ``eq``) and gives the same behaviour, at a fraction of the cost:

- the fields are dataclasses' own (``dataclasses.dataclass`` registers them, writing no method), so
  ``field()``, ``dataclasses.fields``, ``replace``, ``is_dataclass`` and ``__match_args__`` work;
- ``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__`` and ``__delattr__`` are shared
  functions over the class's fields, with dataclasses' rules: parameters in field order, defaults and
  per-instance factories, fields with ``repr=False`` or ``compare=False`` left out, ``FrozenInstanceError``,
  a frozen class hashable by its compared fields, a mutable one unhashable.

Nothing is compiled, so the package keeps its rule of no ``exec`` (tests/unit/test_security.py). The
price is at construction: about 0.6 µs more per instance than dataclasses' written ``__init__`` (1.6
against 0.95 µs for 8 fields; the many small values, the marks and the events, are tuples anyway), and
``check -A`` over 20,000 pods did not slow down (docs/performance.md, "Round three").

Methods a class defines itself are kept, as dataclasses keeps them. ``__dataclass_params__`` records
what dataclasses itself was asked for (no methods); ``inspect.signature`` of a record shows
``(*args, **kwargs)``. ``tests/unit/test_record.py`` runs the same classes through ``@dataclass`` and
``@record`` and compares what they do. Type checkers see ``@dataclass`` itself.
"""

from __future__ import annotations

import dataclasses
import reprlib
from typing import TYPE_CHECKING, Any, Callable

__all__ = ["record"]

_MISSING = dataclasses.MISSING


if TYPE_CHECKING:
    from dataclasses import dataclass as record
else:

    def record(cls: type | None = None, /, *, frozen: bool = False, eq: bool = True) -> Any:
        """``@record``, ``@record(frozen=True)``, ``@record(frozen=True, eq=False)``: see the module."""

        def wrap(cls: type) -> type:
            return _make(cls, frozen=frozen, eq=eq)

        return wrap if cls is None else wrap(cls)


def _make(cls: type, *, frozen: bool, eq: bool) -> type:
    own = cls.__dict__
    if frozen and ("__setattr__" in own or "__delattr__" in own):
        raise TypeError(f"Cannot overwrite attribute __setattr__ or __delattr__ in class {cls.__name__}")
    class_hash = own.get("__hash__", _MISSING)
    explicit_hash = not (class_hash is _MISSING or (class_hash is None and "__eq__" in own))
    if not cls.__doc__:  # dataclasses would make one with inspect.signature, which compiles tokenize's regex
        cls.__doc__ = f"{cls.__name__}({', '.join(own.get('__annotations__', {}))})"
    dataclasses.dataclass(cls, init=False, repr=False, eq=False)  # the fields, no method written
    fields = dataclasses.fields(cls)
    _check_order(cls, fields)
    names = frozenset(f.name for f in fields)
    _add(cls, "__init__", _init(cls, fields, frozen))
    _add(cls, "__repr__", _repr([f.name for f in fields if f.repr]))
    if eq:
        compared = [f.name for f in fields if f.compare]
        _add(cls, "__eq__", _eq(compared))
        if not explicit_hash:
            if frozen:
                hashed = [f.name for f in fields if (f.compare if f.hash is None else f.hash)]
                _put(cls, "__hash__", _hash(hashed))
            else:
                _put(cls, "__hash__", None)  # mutable and compared: unhashable
    if frozen:
        _put(cls, "__setattr__", _frozen_setattr(cls, names))
        _put(cls, "__delattr__", _frozen_delattr(cls, names))
    return cls


def _check_order(cls: type, fields: tuple) -> None:
    """What dataclasses refuses when it writes ``__init__``: a field without a default after one with."""
    seen_default = False
    for f in fields:
        if getattr(f, "kw_only", False) is True:
            raise TypeError(f"{cls.__name__}.{f.name}: @record does not take kw_only fields")
        if not f.init:
            continue
        has_default = f.default is not _MISSING or f.default_factory is not _MISSING
        if seen_default and not has_default:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")
        seen_default = seen_default or has_default


def _put(cls: type, name: str, value: Any) -> None:
    """Set a method the class may define already (a hash, the frozen guards), named as its own."""
    if value is not None:
        value.__qualname__ = f"{cls.__qualname__}.{name}"
    setattr(cls, name, value)


def _add(cls: type, name: str, method: Callable[..., Any]) -> None:
    """Set ``method`` unless the class defines ``name`` itself (dataclasses keeps the class's own)."""
    if name not in cls.__dict__:
        method.__qualname__ = f"{cls.__qualname__}.{name}"
        setattr(cls, name, method)


def _init(cls: type, fields: tuple, frozen: bool) -> Callable[..., None]:
    """The ``__init__`` dataclasses would write, as one shared function: parameters in field order,
    defaults, a factory called per instance, ``object.__setattr__`` when frozen, ``__post_init__``
    last; Python's own ``TypeError`` for a missing, repeated or unknown argument."""
    names = tuple(f.name for f in fields if f.init)
    defaults = {f.name: f.default for f in fields if f.default is not _MISSING}
    factories = {f.name: f.default_factory for f in fields if f.default_factory is not _MISSING}
    later = tuple(f.name for f in fields if not f.init and (f.name in defaults or f.name in factories))
    setter = object.__setattr__ if frozen else setattr
    post_init = hasattr(cls, "__post_init__")
    what = f"{cls.__qualname__}.__init__()"

    def default(name: str) -> Any:
        if name in defaults:
            return defaults[name]
        if name in factories:
            return factories[name]()
        raise TypeError(f"{what} missing 1 required positional argument: {name!r}")

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        given = len(args)
        if given > len(names):
            raise TypeError(f"{what} takes {len(names) + 1} positional arguments but {given + 1} were given")
        for name, value in zip(names, args):
            setter(self, name, value)
        for name in names[given:]:
            setter(self, name, kwargs.pop(name) if name in kwargs else default(name))
        if kwargs:
            name = next(iter(kwargs))
            if name in names:
                raise TypeError(f"{what} got multiple values for argument {name!r}")
            raise TypeError(f"{what} got an unexpected keyword argument {name!r}")
        for name in later:
            setter(self, name, default(name))
        if post_init:
            self.__post_init__()

    return __init__


def _repr(names: list[str]) -> Callable[[Any], str]:
    @reprlib.recursive_repr()
    def __repr__(self: Any) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{self.__class__.__qualname__}({shown})"

    return __repr__


def _values(names: list[str]) -> Callable[[Any], tuple]:
    def values(obj: Any) -> tuple:
        return tuple([getattr(obj, name) for name in names])

    return values


def _eq(names: list[str]) -> Callable[[Any, Any], Any]:
    values = _values(names)

    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    return __eq__


def _hash(names: list[str]) -> Callable[[Any], int]:
    values = _values(names)

    def __hash__(self: Any) -> int:
        return hash(values(self))

    return __hash__


def _frozen_setattr(cls: type[Any], names: frozenset) -> Callable[[Any, str, Any], None]:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    return __setattr__


def _frozen_delattr(cls: type[Any], names: frozenset) -> Callable[[Any, str], None]:
    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __delattr__
