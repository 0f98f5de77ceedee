"""Codecs: how messages, replies and exit reasons cross between nodes.

The default, :class:`MsgpackCodec`, is msgpack through msgspec: fast, and it never runs code
from the wire. It encodes builtins (``None``, ``bool``, ``int``, ``float``, ``str``, ``bytes``,
``list``, ``dict``; ``tuple``, ``set`` and ``frozenset`` stay what they are), attrs classes,
dataclasses, enums, exceptions, spawned's own messages (``Down``, ``Exit``, ...), and handles
(as their :class:`~spawned.cluster.Pid`; a handle arrives as a handle of the receiving
node). On decode, a class is rebuilt only if it was registered (:meth:`MsgpackCodec.register`)
or its module is already imported on the receiving node (``sys.modules``), and only if it is
an attrs class, a dataclass, an enum or an exception: a module named on the wire is never
imported. Anything else is refused with :class:`CodecError`.

:class:`PickleCodec` encodes anything pickle does, and runs whatever code a message names:
use it only inside a cluster whose every node you trust.
"""

from __future__ import annotations

import dataclasses
import enum
import io
import pickle
import sys
from collections.abc import Callable
from typing import Any, Final, Protocol, cast

import attrs
import msgspec

from .._handle import HandleBase
from .._messages import Caller, Ref
from .._reasons import safe_str
from ._wire import Pid, RemoteError

__all__ = ["BoundCodec", "Codec", "CodecError", "MsgpackCodec", "PickleCodec", "Pids"]

_TUPLE: Final = 1
_SET: Final = 2
_FROZENSET: Final = 3
_DICT: Final = 4
_PID: Final = 5
_OBJECT: Final = 6
_ENUM: Final = 7
_ERROR: Final = 8
_REF: Final = 9

_SCALARS: Final = frozenset({str, int, float, bool, bytes, type(None)})


class CodecError(ValueError):
    """A value cannot be encoded, or bytes from the wire cannot be decoded."""


class Pids(Protocol):
    """What a codec needs from its node: handles to pids and back."""

    def pid_of(self, handle: HandleBase[Any, Any, Any]) -> Pid:
        """The pid of ``handle`` (a local process's or a remote one's)."""
        ...

    def handle_for(self, pid: Pid) -> HandleBase[Any, Any, Any]:
        """A handle of this node for ``pid``."""
        ...


class BoundCodec(Protocol):
    """A codec bound to one node (so handles encode as pids and decode as handles there)."""

    def encode(self, value: object) -> bytes:
        """``value`` as bytes; raises ``CodecError`` for what the codec cannot encode."""
        ...

    def decode(self, data: bytes) -> object:
        """The value ``data`` holds; raises ``CodecError`` for what it refuses."""
        ...


class Codec(Protocol):
    """A codec: what a [`Cluster`][spawned.cluster.Cluster] takes as ``codec``."""

    def bind(self, pids: Pids) -> BoundCodec:
        """This codec for one node."""
        ...


Kind = str
"""How a class crosses: ``"object"`` (attrs or dataclass), ``"enum"`` or ``"error"``."""


class MsgpackCodec:
    """The default codec: msgpack (msgspec), no code from the wire (see the module doc).

    Classes of modules imported on the receiving node need no registration; register a class
    whose module is imported only later, or to be explicit, with :meth:`register`.
    """

    def __init__(self) -> None:
        self._registered: dict[str, type] = {}

    def register(self, *classes: type) -> None:
        """Allow ``classes`` (attrs classes, dataclasses, enums or exceptions) on decode,
        whether their module is imported or not.

        Raises:
            TypeError: a class is none of those.
        """
        for cls in classes:
            if _kind_of(cls) is None:
                msg = (
                    f"{cls!r} cannot be registered: the codec rebuilds only attrs classes, "
                    "dataclasses, enums and exceptions"
                )
                raise TypeError(msg)
            self._registered[_path(cls)] = cls

    def bind(self, pids: Pids) -> BoundCodec:
        """This codec for one node."""
        return _Msgpack(self._registered, pids)


def _path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _kind_of(cls: type[Any]) -> Kind | None:
    if issubclass(cls, enum.Enum):
        return "enum"
    if issubclass(cls, BaseException):
        return "error"
    if attrs.has(cls) or dataclasses.is_dataclass(cls):
        return "object"
    return None


class _Msgpack:
    __slots__ = ("_classes", "_decoder", "_encode", "_fields", "_pids", "_registered")

    def __init__(self, registered: dict[str, type], pids: Pids) -> None:
        self._registered = registered
        self._pids = pids
        self._encode: Callable[[Any], bytes] = msgspec.msgpack.Encoder().encode
        self._decoder = msgspec.msgpack.Decoder(ext_hook=self._ext)
        self._fields: dict[type, tuple[str, list[tuple[str, str]]]] = {}
        self._classes: dict[str, tuple[type, Kind]] = {}

    # -- encoding -----------------------------------------------------------------------------

    def encode(self, value: object) -> bytes:
        try:
            return self._encode(self._wire(value))
        except (TypeError, OverflowError, msgspec.EncodeError) as error:
            raise CodecError(f"cannot encode {_short(value)} for another node: {error}") from None

    def _wire(self, value: Any) -> Any:  # noqa: C901, PLR0911 - one branch per kind of value
        cls: type[Any] = cast("type[Any]", type(value))
        if cls in _SCALARS:
            return value
        wire = self._wire
        if cls is list:
            return [wire(item) for item in cast("list[Any]", value)]
        if cls is dict:
            mapping = cast("dict[Any, Any]", value)
            if all(type(key) is str for key in mapping):
                return {key: wire(item) for key, item in mapping.items()}
            return self._ext_of(_DICT, [[wire(k), wire(v)] for k, v in mapping.items()])
        if cls is tuple:
            return self._ext_of(_TUPLE, [wire(item) for item in cast("tuple[Any, ...]", value)])
        if isinstance(value, HandleBase):
            pid = self._pids.pid_of(cast("HandleBase[Any, Any, Any]", value))
            return self._ext_of(_PID, [pid.node, pid.id, pid.creation])
        if cls is set or cls is frozenset:
            code = _SET if cls is set else _FROZENSET
            return self._ext_of(code, [wire(item) for item in cast("set[Any]", value)])
        if isinstance(value, enum.Enum):
            return self._ext_of(_ENUM, [_path(cls), wire(value.value)])
        if isinstance(value, BaseException):
            return self._error(value)
        if cls is Ref:
            return self._ext_of(_REF, [cast("Ref", value)._id])
        fields = self._fields.get(cls)
        if fields is None:
            fields = self._fields_of(cls, value)
        path, names = fields
        return self._ext_of(_OBJECT, [path, {key: wire(getattr(value, name)) for name, key in names}])

    def _fields_of(self, cls: type, value: object) -> tuple[str, list[tuple[str, str]]]:
        if attrs.has(cls):
            names = [(f.name, f.alias or f.name) for f in attrs.fields(cls) if f.init]
        elif dataclasses.is_dataclass(cls):
            names = [(f.name, f.name) for f in dataclasses.fields(cls) if f.init]
        else:
            if cls is Caller:
                msg = "a Caller cannot cross nodes (reply from the process that got the call)"
            else:
                msg = (
                    f"cannot encode {_short(value)}: the cluster codec encodes None, bool, int, float, "
                    "str, bytes, list, dict, tuple, set, frozenset, attrs classes, dataclasses, enums, "
                    "exceptions and handles (use PickleCodec, in a trusted cluster, for anything else)"
                )
            raise TypeError(msg)
        self._fields[cls] = fields = (_path(cls), names)
        return fields

    def _error(self, error: BaseException) -> msgspec.msgpack.Ext:
        try:
            args = self._wire(list(error.args))
        except TypeError:
            args = [safe_str(arg) for arg in error.args]
        try:
            state = self._wire(dict(vars(error))) if vars(error) else None
        except TypeError:
            state = None
        return self._ext_of(_ERROR, [_path(type(error)), args, state, safe_str(error)])

    def _ext_of(self, code: int, payload: object) -> msgspec.msgpack.Ext:
        return msgspec.msgpack.Ext(code, self._encode(payload))

    # -- decoding -----------------------------------------------------------------------------

    def decode(self, data: bytes) -> object:
        try:
            return self._decoder.decode(data)
        except CodecError:
            raise
        except (msgspec.DecodeError, TypeError, ValueError) as error:
            raise CodecError(f"undecodable message from another node: {error}") from None
        except RecursionError:
            msg = "refused a message from another node: its values nest too deeply"
            raise CodecError(msg) from None

    def _ext(self, code: int, data: memoryview) -> object:  # noqa: PLR0911 - one return per code
        payload: Any = self._decoder.decode(data)
        if code == _TUPLE:
            return tuple(payload)
        if code == _SET:
            return set(payload)
        if code == _FROZENSET:
            return frozenset(payload)
        if code == _DICT:
            return dict(payload)
        if code == _PID:
            node, number, creation = payload
            return self._pids.handle_for(Pid(node, number, creation))
        if code == _OBJECT:
            path, values = payload
            cls = self._class(path, "object")
            return cls(**values)
        if code == _ENUM:
            path, value = payload
            return self._class(path, "enum")(value)
        if code == _ERROR:
            return self._rebuild_error(*payload)
        if code == _REF:
            return Ref._create()
        raise CodecError(f"undecodable message from another node: unknown extension type {code}")

    def _rebuild_error(self, path: str, args: list[Any], state: dict[str, Any] | None, text: str) -> object:
        try:
            cls = self._class(path, "error")
        except CodecError:
            return RemoteError(path, text)
        error: BaseException = cls.__new__(cls, *args)
        error.args = tuple(args)
        if state:
            vars(error).update(state)
        return error

    def _class(self, path: str, kind: Kind) -> Any:
        found = self._classes.get(path)
        if found is None:
            cls = self._registered.get(path) or _imported(path)
            if cls is None:
                msg = (
                    f"refused a message of unknown type {path!r}: import its module on this node "
                    "or register the class with the codec (MsgpackCodec.register); the codec never "
                    "imports a module named on the wire"
                )
                raise CodecError(msg)
            found_kind = _kind_of(cls)
            if found_kind is None:
                msg = (
                    f"refused a message of type {path!r}: the codec rebuilds only attrs classes, "
                    "dataclasses, enums and exceptions"
                )
                raise CodecError(msg)
            found = self._classes[path] = (cls, found_kind)
        if found[1] != kind:
            msg = f"refused a message: {path!r} is not an {kind} class"
            raise CodecError(msg)
        return found[0]


def _imported(path: str) -> type | None:
    module_name, _, qualname = path.partition(":")
    target: object = sys.modules.get(module_name)
    if target is None or not qualname or "<" in qualname:
        return None
    for part in qualname.split("."):
        # the namespace itself, never getattr: a module's __getattr__ (PEP 562) may import
        # modules, and a class's metaclass may run code
        namespace = cast("dict[str, object]", getattr(target, "__dict__", {}))
        target = namespace.get(part)
        if target is None:
            return None
    return target if isinstance(target, type) else None


def _short(value: object) -> str:
    text = safe_str(repr(value)) if not isinstance(value, BaseException) else safe_str(value)
    text = text if len(text) <= 80 else text[:77] + "..."
    return f"{text} ({type(value).__name__})"


class PickleCodec:
    """Pickle, with handles crossing as pids. Encodes nearly anything, and decoding runs
    whatever code the bytes name: safe only inside a cluster whose every node you trust
    (NATS credentials keep others out). Opt in with ``Cluster(..., codec=PickleCodec())``.
    """

    def bind(self, pids: Pids) -> BoundCodec:
        """This codec for one node."""
        return _Pickle(pids)


class _Pickle:
    __slots__ = ("_pids",)

    def __init__(self, pids: Pids) -> None:
        self._pids = pids

    def encode(self, value: object) -> bytes:
        out = io.BytesIO()
        pickler = pickle.Pickler(out, pickle.HIGHEST_PROTOCOL)
        pids = self._pids

        def persistent_id(obj: object) -> object:
            if isinstance(obj, HandleBase):
                pid = pids.pid_of(cast("HandleBase[Any, Any, Any]", obj))
                return (pid.node, pid.id, pid.creation)
            return None

        pickler.persistent_id = persistent_id
        try:
            pickler.dump(value)
        except (pickle.PicklingError, TypeError, AttributeError) as error:
            raise CodecError(f"cannot encode {_short(value)} for another node: {error}") from None
        return out.getvalue()

    def decode(self, data: bytes) -> object:
        unpickler = pickle.Unpickler(io.BytesIO(data))  # noqa: S301 - opt-in, trusted clusters only
        pids = self._pids

        def persistent_load(key: Any) -> object:
            node, number, creation = key
            return pids.handle_for(Pid(node, number, creation))

        unpickler.persistent_load = persistent_load
        try:
            return unpickler.load()
        except Exception as error:  # noqa: BLE001 - whatever a bad pickle raises is a refusal
            raise CodecError(f"undecodable message from another node: {error!r}") from None
