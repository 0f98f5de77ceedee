"""JSON values compared as Maelstrom (Clojure) compares them: by type as well as by value."""

from __future__ import annotations

from typing import Any

Typed = tuple[type[Any], Any]
"""A JSON value's type and a hashable form of the value."""


def typed(value: Any) -> Typed:
    """A hashable form of a JSON value in which ``true``, ``1`` and ``1.0`` all differ.

    Python's ``True == 1 == 1.0``; Clojure's ``=`` tells them apart, and so does Maelstrom.
    Lists become tuples and objects sorted tuples of pairs, each tagged with its type.
    """
    if isinstance(value, list):
        return (list, tuple(typed(v) for v in value))  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, dict):
        return (dict, tuple(sorted((str(k), typed(v)) for k, v in value.items())))  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
    kind: type[Any] = type(value)  # pyright: ignore[reportUnknownVariableType]
    return (kind, value)
