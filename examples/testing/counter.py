"""The server under test in the testing guide: a counter with a call, a cast and a crash."""

from __future__ import annotations

from attrs import frozen

from spawned import Caller, GenServer, Reply


@frozen
class Get:
    pass


@frozen
class Add:
    n: int


class Counter(GenServer[Get, Add, int]):
    def __init__(self, start: int = 0) -> None:
        self.start = start

    def init(self) -> None:
        self.count = self.start

    def handle_call(self, msg: Get, caller: Caller[int]) -> Reply[int]:
        return Reply(self.count)

    def handle_cast(self, msg: Add) -> None:
        if msg.n < 0:
            raise ValueError(f"cannot add {msg.n}")
        self.count += msg.n
