"""Servers shared by the end-to-end tests: written once, plain `def`, run on every backend."""

from __future__ import annotations

import threading
from typing import Any

from attrs import frozen

from spawned import Caller, Continue, GenServer, NoReply, Reply, Stop


@frozen
class Ping:
    pass


@frozen
class Hold:
    """Never answered directly: the caller is kept for a later Release."""


@frozen
class Release:
    value: object


@frozen
class Crash:
    pass


@frozen
class StopWith:
    reason: object
    reply: object = None


@frozen
class Get:
    pass


class Recorder(GenServer):
    """Answers Ping with "pong", Get with everything it saw; records casts and infos."""

    def __init__(self, events: list[object] | None = None) -> None:
        self.events: list[object] = [] if events is None else events
        self.held: list[Caller[Any]] = []

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        match msg:
            case Ping():
                return Reply("pong")
            case Get():
                return Reply(list(self.events))
            case Hold():
                self.held.append(caller)
                return NoReply()
            case Crash():
                raise ValueError("crash on request")
            case StopWith(reason, reply):
                return Stop(reason, reply=reply)
            case ("echo", value):
                return Reply(value)
            case _:
                return Reply(msg)

    def handle_cast(self, msg: Any) -> Any:
        match msg:
            case Release(value):
                for caller in self.held:
                    caller.reply(value)
                self.held.clear()
            case Crash():
                raise ValueError("crash on request")
            case StopWith(reason):
                return Stop(reason)
            case _:
                self.events.append(("cast", msg))
        return None

    def handle_info(self, msg: Any) -> Any:
        self.events.append(("info", msg))

    def terminate(self, reason: object) -> None:
        self.events.append(("terminate", reason))


class InitWith(GenServer):
    """`init` returns (or raises) what it was given; records that it ran."""

    def __init__(self, result: object, ran: list[str] | None = None) -> None:
        self.result = result
        self.ran = [] if ran is None else ran

    def init(self) -> Any:
        self.ran.append("init")
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result

    def handle_continue(self, arg: Any) -> None:
        self.ran.append(f"continue {arg}")

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        return Reply(list(self.ran))

    def terminate(self, reason: object) -> None:
        self.ran.append("terminate")


class Blocker(GenServer):
    """Its call blocks its thread on an event (threads backend only)."""

    def __init__(self, entered: threading.Event, gate: threading.Event) -> None:
        self.entered = entered
        self.gate = gate

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        self.entered.set()
        self.gate.wait(10)
        return Reply("done")


class Continuer(GenServer):
    """Casts return Continue chains; records the order of everything."""

    def init(self) -> Any:
        self.order: list[object] = []
        return Continue("from init")

    def handle_continue(self, arg: Any) -> Any:
        self.order.append(("continue", arg))
        if arg == "first":
            return Continue("second")
        return None

    def handle_cast(self, msg: Any) -> Any:
        self.order.append(("cast", msg))
        if msg == "chain":
            return Continue("first")
        return None

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        return Reply(list(self.order))


class Watcher(Recorder):
    """A Recorder that links, unlinks, monitors and demonitors on request.

    Handles travel in calls as raw backend handles (``test_handle.handle``).
    """

    def __init__(self, events: list[object] | None = None, *, trap: bool = False) -> None:
        super().__init__(events)
        self.trap_exits = trap

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        match msg:
            case ("link", handle):
                self.link(handle)
            case ("unlink", handle):
                self.unlink(handle)
            case ("monitor", handle):
                return Reply(self.monitor(handle))
            case ("demonitor", ref):
                self.demonitor(ref)
            case ("kill then demonitor", handle):
                ref = self.monitor(handle)
                handle.kill()
                self.demonitor(ref)
                return Reply(ref)
            case _:
                return super().handle_call(msg, caller)
        return Reply("ok")
