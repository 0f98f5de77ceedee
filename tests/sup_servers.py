"""Children for the supervision tests: they log their starts and stops in a shared list."""

from __future__ import annotations

import threading
from typing import Any

import anyio

from spawned import Caller, GenServer, Ignore, Reply, Stop
from spawned.testing import wait_until


class Tracked(GenServer):
    """Logs ("start", id) in init and ("stop", id, reason) in terminate (it traps exits).

    Answers "count" with how many casts it has seen since it started (fresh state).
    """

    trap_exits = True

    def __init__(self, log: list[object], child_id: str, init_result: object = None) -> None:
        self.log = log
        self.id = child_id
        self.init_result = init_result

    def init(self) -> Any:
        if isinstance(self.init_result, BaseException):
            self.log.append(("failed", self.id))
            raise self.init_result
        if isinstance(self.init_result, Ignore):
            self.log.append(("ignored", self.id))
            return self.init_result
        self.log.append(("start", self.id))
        self.seen = 0
        return None

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        if msg == "count":
            return Reply(self.seen)
        if msg == "crash":
            raise ValueError(f"{self.id} crashed on request")
        return Reply(msg)

    def handle_cast(self, msg: Any) -> Any:
        match msg:
            case "crash":
                raise ValueError(f"{self.id} crashed on request")
            case ("exit", reason):
                return Stop(reason)
            case _:
                self.seen += 1
        return None

    def terminate(self, reason: object) -> None:
        self.log.append(("stop", self.id, reason if isinstance(reason, str) else type(reason).__name__))


class Plain(Tracked):
    """A Tracked child that does not trap exits (so it never runs terminate on shutdown)."""

    trap_exits = False


class StubbornThread(Tracked):
    """terminate blocks until released (threads); a supervisor must kill it."""

    def __init__(self, log: list[object], child_id: str, release: threading.Event) -> None:
        super().__init__(log, child_id)
        self.release = release

    def terminate(self, reason: object) -> None:
        self.log.append(("stopping", self.id))
        self.release.wait(10)


class StubbornTask(Tracked):
    """terminate never returns by itself (tasks); a supervisor must kill it."""

    async def terminate(self, reason: object) -> None:  # type: ignore[override]
        self.log.append(("stopping", self.id))
        await anyio.sleep_forever()


class TogetherThread(Tracked):
    """terminate waits for all siblings to be terminating at once (threads)."""

    def __init__(self, log: list[object], child_id: str, barrier: threading.Barrier) -> None:
        super().__init__(log, child_id)
        self.barrier = barrier

    def terminate(self, reason: object) -> None:
        self.barrier.wait(5)
        super().terminate(reason)


class TogetherTask(Tracked):
    """terminate waits for all siblings to be terminating at once (tasks)."""

    def __init__(self, log: list[object], child_id: str, group: list[int], size: int) -> None:
        super().__init__(log, child_id)
        self.group = group
        self.size = size

    async def terminate(self, reason: object) -> None:  # type: ignore[override]
        self.group.append(1)
        await wait_until(lambda: len(self.group) >= self.size)
        super().terminate(reason)
