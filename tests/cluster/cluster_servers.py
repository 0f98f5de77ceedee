"""Servers for the multi-node tests: imported by the test process and by node subprocesses
(``cluster_servers:app``), so their messages' classes are known on both sides.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from spawned import Caller, Down, Exit, GenServer, HandleBase, NoReply, Reply, Stop


@frozen
class Get:
    pass


@frozen
class Hold:
    """Never answered: the caller waits until the server exits."""


@frozen
class StopWith:
    reason: object


@frozen
class Crash:
    pass


@frozen
class Forward:
    to: HandleBase[Any, Any, Any]
    msg: object


@frozen
class Watch:
    target: HandleBase[Any, Any, Any]


@frozen
class LinkTo:
    target: HandleBase[Any, Any, Any]


@frozen
class Unlink:
    target: HandleBase[Any, Any, Any]


@frozen
class Demonitor:
    ref: Any


@frozen
class NextEvent:
    """Answered with the next event (a Down, an Exit, a cast or a message) once there is one."""


@frozen
class Me:
    pass


@frozen
class Spawn:
    """Start a fresh server of ``kind`` (a key of ``KINDS``) on this node; reply its handle."""

    kind: str
    trap_exits: bool = False


class BoomError(Exception):
    pass


class Recorder(GenServer[Any, Any, Any]):
    """Records casts, messages, Downs and Exits in order; answers a few requests."""

    def __init__(self, trap_exits: bool = False) -> None:
        self.trap_exits = trap_exits
        self.events: list[object] = []
        self.waiting: list[Caller[Any]] = []
        self.seen = 0

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:  # noqa: C901, PLR0911 - one case per request
        match msg:
            case Get():
                return Reply(list(self.events))
            case Hold():
                self._record("held")
                return NoReply()
            case StopWith(reason):
                return Stop(reason)
            case Crash():
                raise BoomError("boom")
            case Forward(to, inner):
                to.cast(inner)
                return Reply("forwarded")
            case Watch(target):
                return Reply(self.monitor(target))
            case Demonitor(ref):
                self.demonitor(ref)
                return Reply("demonitored")
            case LinkTo(target):
                self.link(target)
                return Reply("linked")
            case Unlink(target):
                self.unlink(target)
                return Reply("unlinked")
            case NextEvent():
                self.waiting.append(caller)
                self._deliver()
                return NoReply()
            case Me():
                return Reply(self.handle)
            case _:
                return Reply(("echo", msg))

    def handle_cast(self, msg: Any) -> None:
        self._record(msg)

    def handle_info(self, msg: Any) -> None:
        match msg:
            case Down(_, handle, reason):
                self._record(("down", handle, reason))
            case Exit(handle, reason):
                self._record(("exit", handle, reason))
            case _:
                self._record(("info", msg))

    def _record(self, event: object) -> None:
        self.events.append(event)
        self._deliver()

    def _deliver(self) -> None:
        while self.waiting and self.seen < len(self.events):
            self.waiting.pop(0).reply(self.events[self.seen])
            self.seen += 1


class AsyncFactory(GenServer[Any, Any, Any]):
    """Starts fresh Recorders on its node (a tasks runtime)."""

    async def handle_call(self, msg: Spawn, caller: Caller[Any]) -> Any:
        from spawned import tasks

        return Reply(await tasks.start(Recorder(trap_exits=msg.trap_exits)))


class ThreadFactory(GenServer[Any, Any, Any]):
    """Starts fresh Recorders on its node (a threads runtime)."""

    def handle_call(self, msg: Spawn, caller: Caller[Any]) -> Any:
        from spawned import threads

        return Reply(threads.start(Recorder(trap_exits=msg.trap_exits)))


def app(backend: str) -> Mapping[str, GenServer[Any, Any, Any]]:
    """What a test node runs: a factory, and one recorder."""
    factory = ThreadFactory() if backend == "threads" else AsyncFactory()
    return {"factory": factory, "recorder": Recorder()}
