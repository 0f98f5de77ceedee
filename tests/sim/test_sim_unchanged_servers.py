"""Servers written for spawned.tasks run on the simulator unchanged.

The servers come from tests/servers.py and tests/sup_servers.py, as the backend tests use
them: calls, casts, deferred replies, Continue, links, monitors, trapped exits, timers,
async callbacks that await calls and anyio.sleep, supervisor restarts and the registry.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from spawned import (
    Caller,
    ChildSpec,
    Down,
    Exit,
    GenServer,
    InitFailed,
    NoProc,
    Registry,
    Reply,
    ServerExited,
    Supervisor,
    Via,
    sim,
    tasks,
)
from tests.servers import Continuer, Crash, Get, Hold, InitWith, Ping, Recorder, Release, StopWith, Watcher
from tests.sup_servers import Tracked


class Relay(GenServer):
    """An async server: sleeps, then calls another server, and answers with what it got."""

    def __init__(self, target: Any) -> None:
        self.target = target

    async def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        await anyio.sleep(0.5)
        return Reply(("relayed", await self.target.call(msg)))


class Delayed(GenServer):
    """send_after to itself and to another process; cancels one timer."""

    def __init__(self, other: Any) -> None:
        self.other = other
        self.seen: list[object] = []

    def init(self) -> None:
        self.send_after(2.0, "late")
        self.send_after(1.0, "to other", to=self.other)
        cancelled = self.send_after(5.0, "never")
        self.left = cancelled.cancel()

    def handle_info(self, msg: Any) -> None:
        self.seen.append(msg)

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        return Reply((self.seen, self.left))


def run_ok(scenario: Any, nodes: tuple[str, ...] = ("a",), **options: Any) -> sim.SimResult:
    result = sim.run(scenario, nodes=nodes, seed=1, **options)
    result.check_ok()
    return result


def test_calls_casts_infos_and_stops() -> None:
    async def scenario(s: sim.Sim) -> None:
        recorder = await s.node("a").start(Recorder())
        assert await recorder.call(Ping()) == "pong"
        recorder.cast("c")
        recorder.send("i")
        assert await recorder.call(Get()) == [("cast", "c"), ("info", "i")]
        with pytest.raises(ServerExited):
            await recorder.call(Crash())
        with pytest.raises(NoProc):
            await recorder.call(Ping())
        other = await s.node("a").start(Recorder())
        assert await other.call(StopWith("done", reply="bye")) == "bye"
        assert await tasks.Handle.of(other).join() == "done"

    run_ok(scenario)


def test_deferred_replies_and_continue() -> None:
    async def scenario(s: sim.Sim) -> None:
        recorder = await s.node("a").start(Recorder())
        got: list[object] = []

        async def hold() -> None:
            got.append(await recorder.call(Hold()))

        async with anyio.create_task_group() as group:
            group.start_soon(hold)
            group.start_soon(hold)
            await anyio.sleep(1)
            recorder.cast(Release("later"))
        assert got == ["later", "later"]
        continuer = await s.node("a").start(Continuer())
        continuer.cast("chain")
        assert await continuer.call(None) == [
            ("continue", "from init"),
            ("cast", "chain"),
            ("continue", "first"),
            ("continue", "second"),
        ]
        with pytest.raises(InitFailed):
            await s.node("a").start(InitWith(ValueError("no")))

    run_ok(scenario)


def test_async_callbacks_await_calls_and_sleep_across_nodes() -> None:
    async def scenario(s: sim.Sim) -> None:
        recorder = await s.node("a").start(Recorder())
        relay = await s.node("b").start(Relay(recorder))
        assert await relay.call(Ping()) == ("relayed", "pong")
        assert s.now() >= 0.5

    run_ok(scenario, nodes=("a", "b"), network=sim.Network(delay=(0.01, 0.02)))


def test_timers_deliver_and_cancel() -> None:
    async def scenario(s: sim.Sim) -> None:
        other = await s.node("a").start(Recorder())
        delayed = await s.node("a").start(Delayed(other))
        await anyio.sleep(3)
        assert await delayed.call(None) == (["late"], 5.0)
        assert await other.call(Get()) == [("info", "to other")]

    run_ok(scenario)


def test_links_monitors_and_trapped_exits_across_nodes() -> None:
    async def scenario(s: sim.Sim) -> None:
        target = await s.node("a").start(Recorder())
        watcher = await s.node("b").start(Watcher(trap=True))
        await watcher.call(("monitor", target))
        await watcher.call(("link", target))
        target.cast(Crash())
        assert await tasks.Handle.of(target).join() is not None
        await anyio.sleep(1)
        events = await watcher.call(Get())
        kinds = [type(event[1]).__name__ for event in events]
        assert sorted(kinds) == ["Down", "Exit"]
        down = next(event[1] for event in events if isinstance(event[1], Down))
        exit_ = next(event[1] for event in events if isinstance(event[1], Exit))
        assert isinstance(down.reason, ValueError)
        assert isinstance(exit_.reason, ValueError)
        assert watcher.is_alive

    run_ok(scenario, nodes=("a", "b"))


def test_a_supervisor_restarts_a_crashed_child() -> None:
    log: list[object] = []

    async def scenario(s: sim.Sim) -> None:
        sup = await s.node("a").start(
            Supervisor(
                [ChildSpec("one", lambda: Tracked(log, "one")), ChildSpec("two", lambda: Tracked(log, "two"))]
            )
        )
        first = (await sup.which_children())[0].handle
        assert first is not None
        first.cast("crash")
        await tasks.Handle.of(first).join()
        await anyio.sleep(0.1)
        again = (await sup.which_children())[0].handle
        assert again is not None
        assert again is not first
        assert await tasks.Handle.of(again).call("count") == 0

    run_ok(scenario)
    assert log == [
        ("start", "one"),
        ("start", "two"),
        ("stop", "one", "ValueError"),
        ("start", "one"),
        ("stop", "two", "shutdown"),
        ("stop", "one", "shutdown"),
    ]


def test_names_and_the_registry() -> None:
    registry: Registry[str, None] = Registry()

    async def scenario(s: sim.Sim) -> None:
        named = await s.node("a").start(Recorder(), name="rec")
        assert s.node("a").whereis("rec") is named
        via = await s.node("a").start(Recorder(), name=Via(registry, "r"))
        assert registry.whereis("r") is via
        await tasks.Handle.of(via).stop()
        assert registry.whereis("r") is None

    run_ok(scenario)
