"""Handles typed all the way: ``whereis`` given the server class checks it, ``Handle.of``
turns the backend-neutral handle of an event, a child record or a registry entry into the
backend's callable handle (and refuses anything else).
"""

from __future__ import annotations

from typing import Any

import pytest
from servers import InitWith, Ping, Recorder

from spawned import (
    Caller,
    ChildSpec,
    Down,
    GenServer,
    HandleBase,
    NoReply,
    Registry,
    Reply,
    Supervisor,
    Via,
    tasks,
    threads,
)
from spawned.testing import TestRuntime


def backend_handle(rt: TestRuntime) -> type[tasks.Handle[Any, Any, Any] | threads.Handle[Any, Any, Any]]:
    return threads.Handle if rt.backend == "threads" else tasks.Handle


def other_handle(rt: TestRuntime) -> type[tasks.Handle[Any, Any, Any] | threads.Handle[Any, Any, Any]]:
    return tasks.Handle if rt.backend == "threads" else threads.Handle


async def test_whereis_given_the_server_class_returns_its_handle(rt: TestRuntime) -> None:
    names: Registry[str, None] = Registry()
    h = await rt.start(Recorder(), name="r")
    v = await rt.start(Recorder(), name=Via(names, "v"))
    found = rt.whereis("r", Recorder)
    assert found is not None
    assert found.handle == h.handle
    assert await found.call(Ping()) == "pong"
    by_via = rt.whereis(Via(names, "v"), Recorder)
    assert by_via is not None
    assert by_via.handle == v.handle
    assert rt.whereis("nobody", Recorder) is None
    assert rt.whereis("r", GenServer) is not None  # a base class matches


async def test_whereis_refuses_a_process_of_another_server_class(rt: TestRuntime) -> None:
    await rt.start(Recorder(), name="r")
    with pytest.raises(TypeError, match=r"<Handle .*> runs a Recorder, not a InitWith"):
        rt.whereis("r", InitWith)
    with pytest.raises(
        TypeError, match="whereis expects a GenServer class as its server argument, got 'Recorder'"
    ):
        rt.whereis("r", "Recorder")  # pyright: ignore[reportArgumentType] - the mistake under test


async def test_handle_of_gives_the_backends_handle_and_keeps_none(rt: TestRuntime) -> None:
    h = await rt.start(Recorder())
    raw: HandleBase[Any, Any, Any] = h.handle
    assert backend_handle(rt).of(raw) is raw
    assert backend_handle(rt).of(None) is None


async def test_handle_of_refuses_another_backends_handle_and_non_handles(rt: TestRuntime) -> None:
    h = await rt.start(Recorder())
    other = other_handle(rt)
    name = "threads" if other is threads.Handle else "tasks"
    with pytest.raises(
        TypeError,
        match=rf"spawned\.{name}\.Handle\.of expects a handle of spawned\.{name} or None, got a handle of another runtime \(<Handle",
    ):
        other.of(h.handle)
    with pytest.raises(
        TypeError, match=rf"spawned\.{name}\.Handle\.of expects a handle of spawned\.{name} or None, got 'r'"
    ):
        other.of("r")  # pyright: ignore[reportArgumentType, reportCallIssue] - the mistake under test


class JoinsTheDown(GenServer):
    """Monitors the handle it is called with; joins it on ``Down`` (through ``Handle.of``) and
    answers a ``"reason"`` call with what the join returned, once it has it.
    """

    def init(self) -> None:
        self.waiting: Caller[object] | None = None
        self.joined: list[object] = []

    def handle_call(self, msg: object, caller: Caller[object]) -> Reply[object] | NoReply:
        if isinstance(msg, HandleBase):
            self.monitor(msg)
            return Reply("watching")
        if self.joined:
            return Reply(self.joined[0])
        self.waiting = caller
        return NoReply()

    def got(self, reason: object) -> None:
        self.joined.append(reason)
        if self.waiting is not None:
            self.waiting.reply(reason)

    async def handle_info(self, msg: object) -> None:
        if isinstance(msg, Down):
            self.got(await tasks.Handle.of(msg.handle).join())


class ThreadJoinsTheDown(JoinsTheDown):
    def handle_info(self, msg: object) -> None:  # pyright: ignore[reportIncompatibleMethodOverride]
        if isinstance(msg, Down):
            self.got(threads.Handle.of(msg.handle).join())


async def test_a_down_handle_is_joined_through_handle_of(rt: TestRuntime) -> None:
    watcher = await rt.start(ThreadJoinsTheDown() if rt.backend == "threads" else JoinsTheDown())
    target = await rt.start(Recorder())
    assert await watcher.call(target.handle) == "watching"
    await target.stop("done")
    assert await watcher.call("reason") == "done"


async def test_start_child_and_which_children_handles_call_through_handle_of(rt: TestRuntime) -> None:
    sup = await rt.start(Supervisor([ChildSpec("a", Recorder)]))
    [child] = await sup.which_children()
    handle = backend_handle(rt).of(child.handle)
    assert handle is not None
    assert await rt.call(handle, Ping()) == "pong"
