"""A message as part of a model checker's state key: its content, never its address.

Two runs re-executed from the start make new objects for the same messages, so a key built
from ``repr`` either holds addresses (a default repr: no state ever matches another run's)
or hides content (a repr like ``<sealed>``: different messages look like one state). The key
is built from the value instead: handles by their process's label in the run, attrs classes
and dataclasses by their fields, other objects by their attributes, containers item by item.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable
from enum import Enum
from typing import Any, cast

import attrs

from .._handle import HandleBase

MAX_DEPTH = 16
"""How deep a message is followed (deeper parts, or a cycle, key by their type)."""

_ATOMS = (type(None), bool, int, float, complex, str, bytes, Enum)


Labeler = Callable[[HandleBase[Any, Any, Any]], str]
"""How the run names a handle's process."""


def state_key(value: object, label: Labeler, depth: int = 0) -> Hashable:
    """``value``'s content as a hashable key, equal for equal content in any run."""
    if isinstance(value, _ATOMS):
        return value
    if depth >= MAX_DEPTH:
        return (type(value).__qualname__, "...")
    if isinstance(value, HandleBase):
        return ("handle", label(cast("HandleBase[Any, Any, Any]", value)))
    if isinstance(value, (tuple, list, dict, set, frozenset)):
        return _container_key(cast("Any", value), label, depth + 1)
    return (type(value).__qualname__, tuple(state_key(item, label, depth + 1) for item in _content(value)))


def _container_key(value: Any, label: Labeler, depth: int) -> Hashable:
    name = type(value).__qualname__
    if isinstance(value, dict):
        items = cast("dict[object, object]", value).items()
        return (name, tuple((state_key(k, label, depth), state_key(v, label, depth)) for k, v in items))
    keys = (state_key(item, label, depth) for item in cast("tuple[object, ...]", value))
    return (name, frozenset(keys) if isinstance(value, (set, frozenset)) else tuple(keys))


def _content(value: object) -> list[object]:
    """What makes ``value`` what it is: an exception's args, an attrs class's or a
    dataclass's fields, or else its own attributes (``__dict__`` and every ``__slots__``).
    """
    kind = type(value)
    if isinstance(value, BaseException):
        return [value.args]
    if attrs.has(kind):
        return [getattr(value, f.name) for f in attrs.fields(kind)]
    if dataclasses.is_dataclass(value):
        return [getattr(value, f.name) for f in dataclasses.fields(value)]
    found: list[object] = list(getattr(value, "__dict__", {}).items())
    for cls in kind.__mro__:
        slots = cls.__dict__.get("__slots__", ())
        names = (slots,) if isinstance(slots, str) else slots
        found.extend(
            (name, getattr(value, name))
            for name in names
            if name not in {"__dict__", "__weakref__"} and hasattr(value, name)
        )
    return found
