"""Calls and casts by name (a name, a Via or a handle), without a separate whereis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from servers import Get, Ping, Recorder

from spawned import Caller, GenServer, NoProc, Registry, Reply, Via, tasks, threads
from spawned.testing import TestRuntime


async def test_call_by_name_via_and_handle(rt: TestRuntime) -> None:
    names: Registry[str, None] = Registry()
    h = await rt.start(Recorder(), name="recorder")
    v = await rt.start(Recorder(), name=Via(names, "v"))
    assert await rt.call("recorder", Ping()) == "pong"
    assert await rt.call(Via(names, "v"), ("echo", 1)) == 1
    assert await rt.call(h, ("echo", 2)) == 2
    assert await rt.call(v.handle, ("echo", 3)) == 3


async def test_call_to_an_unknown_name_raises_noproc_naming_it(rt: TestRuntime) -> None:
    with pytest.raises(NoProc, match="nothing is registered under 'nobody'") as info:
        await rt.call("nobody", Ping())
    assert info.value.server == "'nobody'"
    h = await rt.start(Recorder(), name="gone")
    await h.stop()
    with pytest.raises(NoProc):
        await rt.call("gone", Ping())
    with pytest.raises(NoProc, match="is not alive"):
        await rt.call(h, Ping())


async def test_cast_by_name_arrives_and_to_an_unknown_name_is_dropped(rt: TestRuntime) -> None:
    names: Registry[str, None] = Registry()
    h = await rt.start(Recorder(), name=Via(names, "r"))
    rt.cast(Via(names, "r"), "by via")
    rt.cast("nobody", "dropped")
    rt.cast(h, "by handle")
    assert await h.call(Get()) == [("cast", "by via"), ("cast", "by handle")]


class Forwarder(GenServer):
    """Casts what it is called with to a name, through a backend's module-level ``cast``."""

    def __init__(self, cast: Callable[[object, object], None]) -> None:
        self.cast_to = cast

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        target, payload = msg
        self.cast_to(target, payload)
        return Reply("sent")


async def test_module_level_cast_by_name_from_a_process_uses_its_runtime(rt: TestRuntime) -> None:
    module = threads if rt.backend == "threads" else tasks
    h = await rt.start(Recorder(), name="target")
    forwarder = await rt.start(Forwarder(module.cast))
    assert await forwarder.call(("target", "hello")) == "sent"
    assert await forwarder.call(("nobody", "dropped")) == "sent"
    assert await h.call(Get()) == [("cast", "hello")]
