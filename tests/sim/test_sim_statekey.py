"""The content key of a message in flight (what sim.check's states are made of)."""

from __future__ import annotations

import dataclasses
from typing import Any

from attrs import frozen

from spawned.sim._statekey import state_key


def no_handles(handle: Any) -> str:
    raise AssertionError(handle)


class Plain:
    def __init__(self, value: object) -> None:
        self.value = value


class Slotted:
    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value


@frozen
class Put:
    key: str
    value: object


@dataclasses.dataclass
class Get:
    key: str


def test_equal_content_gives_equal_keys_whatever_the_object() -> None:
    def put(value: object) -> Put:
        return Put("k", value)

    def get(value: object) -> Get:
        return Get(str(value))

    for make in (Plain, Slotted, put, get, ValueError):
        assert state_key(make(1), no_handles) == state_key(make(1), no_handles)
        assert state_key(make(1), no_handles) != state_key(make(2), no_handles)


def test_containers_key_item_by_item_and_keep_their_kind() -> None:
    assert state_key([Plain(1)], no_handles) == state_key([Plain(1)], no_handles)
    assert state_key([1], no_handles) != state_key((1,), no_handles)
    assert state_key({"a": Plain(1)}, no_handles) != state_key({"a": Plain(2)}, no_handles)
    assert state_key({Put("k", 1)}, no_handles) == state_key({Put("k", 1)}, no_handles)
    assert state_key({Put("k", 1)}, no_handles) != state_key({Put("k", 2)}, no_handles)


def test_a_cycle_ends_at_the_depth_bound() -> None:
    loop = Plain(None)
    loop.value = loop
    key = state_key(loop, no_handles)
    assert "('Plain', '...')" in repr(key)
    assert hash(key) == hash(state_key(loop, no_handles))
