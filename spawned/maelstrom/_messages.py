"""Messages and bodies: the JSON envelope, typed bodies, and how bodies are encoded."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Generic, TypeVar

import attrs
from attrs import frozen

from ._errors import MalformedRequest

B = TypeVar("B")
C = TypeVar("C", bound=type)

TYPE_ATTRIBUTE = "__maelstrom_type__"
ENVELOPE_FIELDS = frozenset({"type", "msg_id", "in_reply_to"})


def body(type_name: str) -> Callable[[C], C]:
    """Declare the Maelstrom ``type`` of an attrs class, so it can be sent and received.

    ```python
    @maelstrom.body("echo")
    @frozen
    class Echo:
        echo: Any
    ```

    Fields map to the body's keys by name; a trailing underscore is dropped, so a field
    ``from_`` reads and writes the key ``from``. ``type``, ``msg_id`` and ``in_reply_to``
    belong to the envelope and are not fields.
    """

    def declare(cls: C) -> C:
        if not attrs.has(cls):
            msg = f"maelstrom.body({type_name!r}) decorates attrs classes; {cls!r} is not one"
            raise TypeError(msg)
        setattr(cls, TYPE_ATTRIBUTE, type_name)
        return cls

    return declare


def type_of(body_class: type) -> str | None:
    """The Maelstrom type declared with [`body`][spawned.maelstrom.body], if any."""
    return getattr(body_class, TYPE_ATTRIBUTE, None)


class _MissingField(MalformedRequest, KeyError, AttributeError):  # pyright: ignore[reportIncompatibleVariableOverride] - MaelstromError.name (a class constant) wins over AttributeError.name
    """A body lacks a field a handler reads: ``malformed-request`` (code 12) to the sender.

    Also a ``KeyError`` and an ``AttributeError``, so ``get``, ``in``, ``hasattr`` and
    ``getattr`` with a default work as on any mapping or object.
    """

    def __str__(self) -> str:
        return self.text


def _missing(key: object, present: Iterable[str]) -> _MissingField:
    return _MissingField(f"the body has no field {key!r}; it has {sorted(present)}")


class Fields(Mapping[str, Any]):
    """A body read without a declared class: keys by item or by attribute.

    ``msg.body["topology"]`` and ``msg.body.topology`` read the same key. A missing key
    raises [`MalformedRequest`][spawned.maelstrom.MalformedRequest] (which is also a
    ``KeyError`` and an ``AttributeError``): raised from a handler, it answers the request
    with ``malformed-request`` (code 12), as a request that lacks a field deserves.
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = dict(data)

    def __getitem__(self, key: str) -> Any:
        try:
            return self._data[key]
        except KeyError:
            raise _missing(key, self._data) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __getattr__(self, key: str) -> Any:
        try:
            return self._data[key]
        except KeyError:
            if key.startswith("__"):  # Python's own protocols probing, not a handler reading
                raise AttributeError(key) from None
            raise _missing(key, self._data) from None

    def __repr__(self) -> str:
        return f"Fields({self._data!r})"


@frozen
class Message(Generic[B]):
    """One Maelstrom message: ``src``, ``dest`` and a body.

    ``body`` is an instance of the class the handler declared (or [`Fields`][spawned.maelstrom.Fields]);
    ``raw`` is the body exactly as received, so fields the class does not declare stay
    readable: ``msg["extra"]`` or ``msg.raw["extra"]``.
    """

    src: str
    """The sender's node or client id."""
    dest: str
    """This node's id."""
    body: B
    """The parsed body."""
    raw: Mapping[str, Any]
    """The body as received, every field included."""

    @property
    def type(self) -> str:
        """The body's ``type``."""
        return self.raw["type"]

    @property
    def msg_id(self) -> int | None:
        """The body's ``msg_id``, or ``None`` when the sender expects no reply."""
        return self.raw.get("msg_id")

    @property
    def in_reply_to(self) -> int | None:
        """The body's ``in_reply_to``, or ``None`` when this is not a reply."""
        return self.raw.get("in_reply_to")

    def __getitem__(self, key: str) -> Any:
        """A field of the raw body.

        Raises:
            MalformedRequest: the body has no such field (answered with code 12 when
                raised from a handler; also a ``KeyError``).
        """
        try:
            return self.raw[key]
        except KeyError:
            raise _missing(key, self.raw) from None

    def get(self, key: str, default: Any = None) -> Any:
        """A field of the raw body, or ``default``."""
        return self.raw.get(key, default)


def _key(field_name: str) -> str:
    return field_name.removesuffix("_") if field_name.endswith("_") else field_name


def parse_body(body_class: type | None, raw: Mapping[str, Any]) -> Any:
    """Build ``body_class`` from ``raw`` (or a ``Fields`` when there is no class).

    Raises:
        MalformedRequest: a field the class requires is missing or a value is refused.
    """
    if body_class is None:
        return Fields(raw)
    kwargs = {
        field.alias: raw[_key(field.name)]
        for field in attrs.fields(body_class)
        if field.init and _key(field.name) in raw
    }
    try:
        return body_class(**kwargs)
    except (TypeError, ValueError) as error:
        msg = f"a {raw.get('type')!r} body does not fit {body_class.__name__}: {error}"
        raise MalformedRequest(msg) from None


def encode_body(value: object, default_type: str | None = None) -> dict[str, Any]:
    """The JSON body for ``value``: a mapping, an attrs instance, or ``None`` (empty).

    The type comes from the value (a ``"type"`` key, or the class's [`body`][spawned.maelstrom.body]
    declaration), else ``default_type``.

    Raises:
        TypeError: the value is no body, or no type can be found for it.
    """
    if value is None:
        out: dict[str, Any] = {}
    elif isinstance(value, Mapping):
        out = dict(value)  # pyright: ignore[reportUnknownArgumentType] - any JSON mapping
    elif attrs.has(type(value)):
        out = {_key(k): v for k, v in attrs.asdict(value, recurse=True).items()}
        declared = type_of(type(value))
        if declared is not None:
            out["type"] = declared
    else:
        msg = f"a Maelstrom body is a mapping, an attrs instance or None; got {value!r}"
        raise TypeError(msg)
    if "type" not in out:
        if default_type is None:
            msg = f"the body {value!r} has no type: declare its class with maelstrom.body(...) or add 'type'"
            raise TypeError(msg)
        out["type"] = default_type
    return out
