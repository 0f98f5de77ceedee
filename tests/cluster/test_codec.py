from __future__ import annotations

import enum
import sys
import types
from dataclasses import dataclass
from typing import Any

import attrs
import msgspec
import pytest

from spawned import Down, Exit, HandleBase
from spawned.cluster import CodecError, MsgpackCodec, PickleCodec, Pid, RemoteError


@attrs.frozen
class Point:
    x: int
    y: tuple[int, ...]


@attrs.define
class Private:
    _secret: str
    tags: set[str] = attrs.field(factory=set)


@dataclass(frozen=True)
class Box:
    items: list[Any]
    label: str = "box"


class Color(enum.Enum):
    RED = "red"
    BLUE = 2


class Refusal(Exception):
    def __init__(self, who: str) -> None:
        super().__init__(f"{who} is refused")
        self.who = who


class FakeHandle:
    """A class the msgpack codec cannot rebuild."""


class FakeProcess:
    def __init__(self, pid: Pid) -> None:
        self.label = str(pid)
        self.alive = True


class Pids:
    def __init__(self) -> None:
        self.handles: dict[Pid, Any] = {}

    def pid_of(self, handle: HandleBase[Any, Any, Any]) -> Pid:
        for pid, known in self.handles.items():
            if known is handle:
                return pid
        raise AssertionError(handle)

    def handle_for(self, pid: Pid) -> Any:
        return self.handles.setdefault(pid, HandleBase._create(FakeProcess(pid)))


def roundtrip(value: object, codec: Any = None) -> object:
    bound = (codec or MsgpackCodec()).bind(Pids())
    return bound.decode(bound.encode(value))


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        -3,
        2**63 - 1,
        1.5,
        "text",
        b"\x00bytes",
        [1, "a", None],
        {"a": 1, "b": [2]},
        (1, (2, 3), "x"),
        {1, 2},
        frozenset({"a"}),
        {(1, 2): "tuple key", 3: "int key"},
        Point(1, (2, 3)),
        Private("s", {"t"}),
        Box([Point(0, ()), {"k": (1,)}]),
        Color.RED,
        Color.BLUE,
        [Color.BLUE, (Point(1, ()),)],
    ],
)
def test_msgpack_codec_round_trips_builtins_and_data_classes(value: object) -> None:
    back = roundtrip(value)
    assert back == value
    assert type(back) is type(value)


def test_msgpack_codec_keeps_nested_container_types() -> None:
    back = roundtrip({"t": (1, [2, (3,)]), "s": {frozenset({1})}})
    assert back == {"t": (1, [2, (3,)]), "s": {frozenset({1})}}
    assert type(back["t"]) is tuple  # type: ignore[index]
    assert type(back["t"][1][1]) is tuple  # type: ignore[index]


def test_msgpack_codec_rebuilds_exceptions_without_running_their_init() -> None:
    back = roundtrip(Refusal("Joe"))
    assert type(back) is Refusal
    assert str(back) == "Joe is refused"
    assert back.who == "Joe"
    error = roundtrip(ValueError("bad", 3))
    assert type(error) is ValueError
    assert error.args == ("bad", 3)


def test_msgpack_codec_sends_handles_as_pids_and_gets_handles_back() -> None:
    sender, receiver = Pids(), Pids()
    handle = sender.handle_for(Pid("a", 7, 1))
    data = MsgpackCodec().bind(sender).encode(("reply-to", handle))
    back = MsgpackCodec().bind(receiver).decode(data)
    assert back == ("reply-to", receiver.handles[Pid("a", 7, 1)])


def test_msgpack_codec_encodes_spawneds_own_messages() -> None:
    pids = Pids()
    handle = pids.handle_for(Pid("a", 1, 1))
    bound = MsgpackCodec().bind(pids)
    exit_message = bound.decode(bound.encode(Exit(handle, ("shutdown", "why"))))
    assert exit_message == Exit(handle, ("shutdown", "why"))
    down = bound.decode(bound.encode(Down(None, handle, "normal")))  # type: ignore[arg-type]
    assert isinstance(down, Down)
    assert down.reason == "normal"


def test_msgpack_codec_refuses_to_encode_an_unknown_type_naming_it() -> None:
    class Opaque:
        pass

    with pytest.raises(CodecError, match=r"cannot encode .*Opaque.*PickleCodec"):
        MsgpackCodec().bind(Pids()).encode([Opaque()])


def _module_with_a_class(name: str) -> tuple[types.ModuleType, type]:
    module = types.ModuleType(name)
    cls = attrs.frozen(type("Secret", (), {"__annotations__": {"x": "int"}, "__module__": name}))
    cls.__qualname__ = "Secret"
    module.Secret = cls  # type: ignore[attr-defined]
    return module, cls


def test_msgpack_codec_never_imports_a_module_named_on_the_wire(monkeypatch: pytest.MonkeyPatch) -> None:
    module, cls = _module_with_a_class("spawned_wire_test_module")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    data = MsgpackCodec().bind(Pids()).encode(cls(1))
    monkeypatch.delitem(sys.modules, module.__name__)
    imported: list[str] = []

    def no_import(name: str, *args: object, **kwargs: object) -> None:
        imported.append(name)

    monkeypatch.setattr("builtins.__import__", no_import)
    with pytest.raises(CodecError, match=r"unknown type 'spawned_wire_test_module:Secret'.*register"):
        MsgpackCodec().bind(Pids()).decode(data)
    assert imported == []


def test_msgpack_codec_decodes_a_registered_class_whose_module_is_not_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module, cls = _module_with_a_class("spawned_wire_test_module2")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    data = MsgpackCodec().bind(Pids()).encode(cls(1))
    monkeypatch.delitem(sys.modules, module.__name__)
    codec = MsgpackCodec()
    codec.register(cls)
    assert codec.bind(Pids()).decode(data) == cls(1)


def test_msgpack_codec_refuses_an_imported_class_that_is_not_data() -> None:
    forged = msgspec.msgpack.encode(
        msgspec.msgpack.Ext(6, msgspec.msgpack.encode(["subprocess:Popen", {"args": "true"}]))
    )
    with pytest.raises(CodecError, match="rebuilds only attrs classes, dataclasses, enums and exceptions"):
        MsgpackCodec().bind(Pids()).decode(forged)


def test_msgpack_codec_refuses_a_class_sent_as_another_kind() -> None:
    forged = msgspec.msgpack.encode(msgspec.msgpack.Ext(7, msgspec.msgpack.encode([f"{__name__}:Point", 1])))
    with pytest.raises(CodecError, match="is not an enum class"):
        MsgpackCodec().bind(Pids()).decode(forged)


@pytest.mark.parametrize(
    "data", [b"\xc1", b"\x92\x01", msgspec.msgpack.encode(msgspec.msgpack.Ext(99, b"\x01"))]
)
def test_msgpack_codec_refuses_malformed_bytes(data: bytes) -> None:
    with pytest.raises(CodecError, match="undecodable"):
        MsgpackCodec().bind(Pids()).decode(data)


def test_msgpack_codec_gives_a_remote_error_for_an_exception_class_it_cannot_rebuild() -> None:
    forged = msgspec.msgpack.encode(
        msgspec.msgpack.Ext(8, msgspec.msgpack.encode(["elsewhere:Boom", ["x"], None, "it went boom"]))
    )
    error = MsgpackCodec().bind(Pids()).decode(forged)
    assert isinstance(error, RemoteError)
    assert str(error) == "elsewhere:Boom: it went boom"


def test_register_refuses_a_class_the_codec_cannot_rebuild() -> None:
    with pytest.raises(TypeError, match="cannot be registered"):
        MsgpackCodec().register(FakeHandle)


def test_pickle_codec_round_trips_anything_pickle_does_and_handles() -> None:
    pids = Pids()
    handle = pids.handle_for(Pid("b", 2, 5))
    bound = PickleCodec().bind(pids)
    value = {"f": FakeHandle, "h": handle, "t": (1,)}
    back = bound.decode(bound.encode(value))
    assert back == value


def test_pickle_codec_refuses_garbage() -> None:
    with pytest.raises(CodecError, match="undecodable"):
        PickleCodec().bind(Pids()).decode(b"not a pickle")
