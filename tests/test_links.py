"""Links: both ways, abnormal exits cross them, trap_exits turns them into Exit messages."""

from __future__ import annotations

from typing import Any
from unittest.mock import ANY

import pytest
from servers import Crash, Get, InitWith, Ping, Recorder, StopWith, Watcher

from spawned import (
    Caller,
    Exit,
    GenServer,
    HandleBase,
    Ignore,
    InitFailed,
    Reply,
    ServerExited,
    SpawnedError,
    Stop,
)
from spawned.testing import TestHandle, TestRuntime


async def _linked(rt: TestRuntime, *, trap: bool = False) -> tuple[TestHandle, TestHandle, list[object]]:
    events: list[object] = []
    watcher = await rt.start(Watcher(events, trap=trap))
    other = await rt.start(Recorder())
    assert await watcher.call(("link", other.handle)) == "ok"
    return watcher, other, events


async def test_a_crash_takes_a_linked_process_down_with_the_same_reason(rt: TestRuntime) -> None:
    watcher, other, _ = await _linked(rt)
    other.cast(Crash())
    reason = await other.join()
    assert isinstance(reason, ValueError)
    assert await watcher.join() is reason


async def test_links_work_both_ways(rt: TestRuntime) -> None:
    watcher, other, _ = await _linked(rt)
    watcher.cast(Crash())
    reason = await watcher.join()
    assert await other.join() is reason


async def test_a_normal_exit_does_not_cross_a_link(rt: TestRuntime) -> None:
    watcher, other, events = await _linked(rt)
    await other.stop("normal")
    assert await watcher.call(Ping()) == "pong"
    assert events == []


@pytest.mark.parametrize("reason", ["shutdown", ("shutdown", "maintenance"), "custom"])
async def test_every_other_reason_crosses_a_link(rt: TestRuntime, reason: object) -> None:
    watcher, other, _ = await _linked(rt)
    await other.stop(reason)
    assert await watcher.join() == reason


async def test_a_trapping_process_gets_exit_messages_instead(rt: TestRuntime) -> None:
    watcher, other, _ = await _linked(rt, trap=True)
    other.cast(StopWith("custom"))
    await other.join()
    assert await watcher.call(Get()) == [("info", Exit(other.handle, "custom"))]
    assert watcher.is_alive


async def test_a_trapped_normal_exit_arrives_too(rt: TestRuntime) -> None:
    watcher, other, _ = await _linked(rt, trap=True)
    await other.stop()
    assert await watcher.call(Get()) == [("info", Exit(other.handle, "normal"))]


async def test_kill_cannot_be_trapped(rt: TestRuntime) -> None:
    events: list[object] = []
    trapper = await rt.start(Watcher(events, trap=True))
    trapper.kill()
    assert await trapper.join() == "killed"
    assert ("terminate", "killed") not in events


async def test_killed_crosses_links_like_any_abnormal_reason(rt: TestRuntime) -> None:
    trapping, victim, _ = await _linked(rt, trap=True)
    plain = await rt.start(Watcher())
    await plain.call(("link", victim.handle))
    victim.kill()
    assert await plain.join() == "killed"
    assert await trapping.call(Get()) == [("info", Exit(victim.handle, "killed"))]
    assert trapping.is_alive


async def test_unlink_stops_propagation_both_ways(rt: TestRuntime) -> None:
    watcher, other, _ = await _linked(rt)
    await watcher.call(("unlink", other.handle))
    other.cast(Crash())
    await other.join()
    assert await watcher.call(Ping()) == "pong"


async def test_linking_to_a_dead_process_is_a_noproc_exit(rt: TestRuntime) -> None:
    dead = await rt.start(Recorder())
    await dead.stop()
    trapping = await rt.start(Watcher(trap=True))
    await trapping.call(("link", dead.handle))
    assert await trapping.call(Get()) == [("info", Exit(dead.handle, "noproc"))]
    plain = await rt.start(Watcher())
    with pytest.raises(ServerExited) as info:
        await plain.call(("link", dead.handle))
    assert info.value.reason == "noproc"
    assert await plain.join() == "noproc"


async def test_a_link_ends_with_the_exit_it_carried(rt: TestRuntime) -> None:
    watcher, other, events = await _linked(rt, trap=True)
    await other.stop("custom")
    again = await rt.start(Recorder())
    await watcher.call(("link", again.handle))
    await watcher.call(("unlink", again.handle))
    again.cast(Crash())
    await again.join()
    assert await watcher.call(Get()) == [("info", Exit(other.handle, "custom"))]
    assert events == [("info", Exit(other.handle, "custom"))]


class StartLinked(GenServer):
    """Starts the server it is called with, linked (a `def` callback: threads)."""

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        from spawned import threads

        try:
            return Reply(threads.start(msg, link=True))
        except InitFailed as exc:
            return Reply(exc)


class AsyncStartLinked(GenServer):
    """Starts the server it is called with, linked (an `async def` callback: tasks)."""

    async def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        from spawned import tasks

        try:
            return Reply(await tasks.start(msg, link=True))
        except InitFailed as exc:
            return Reply(exc)


async def _starter(rt: TestRuntime) -> TestHandle:
    return await rt.start(StartLinked() if rt.backend == "threads" else AsyncStartLinked())


async def test_start_with_link_links_the_new_process_to_its_starter(rt: TestRuntime) -> None:
    starter = await _starter(rt)
    child = rt.wrap(await starter.call(Recorder()))
    child.cast(Crash())
    reason = await child.join()
    assert isinstance(reason, ValueError)
    assert await starter.join() is reason


async def test_a_failed_linked_init_raises_init_failed_and_spares_the_starter(rt: TestRuntime) -> None:
    starter = await _starter(rt)
    error = await starter.call(InitWith(ValueError("bad config")))
    assert isinstance(error, InitFailed)
    assert isinstance(error.reason, ValueError)
    assert starter.is_alive
    assert isinstance(await starter.call(Recorder()), type(starter.handle))


class LinksInInit(GenServer):
    """Its ``init`` links to ``partner``, then fails as ``result`` says (returned or raised)."""

    def __init__(self, partner: HandleBase[Any, Any, Any], result: object) -> None:
        self.partner = partner
        self.result = result

    def init(self) -> Any:
        self.link(self.partner)
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result


@pytest.mark.parametrize(
    ("result", "reason"), [(Stop("no database"), "no database"), (Ignore(), "normal")], ids=["stop", "ignore"]
)
async def test_a_failed_init_sends_its_exit_to_the_partners_it_linked(
    rt: TestRuntime, result: object, reason: object
) -> None:
    events: list[object] = []
    trapping = await rt.start(Watcher(events, trap=True))
    with pytest.raises(SpawnedError):
        await rt.start(LinksInInit(trapping.handle, result))
    assert await trapping.call(Ping()) == "pong"
    assert events == [("info", Exit(ANY, reason))]


async def test_a_crash_in_init_takes_down_a_non_trapping_partner_it_linked(rt: TestRuntime) -> None:
    partner = await rt.start(Recorder())
    crash = ValueError("bad config")
    with pytest.raises(InitFailed):
        await rt.start(LinksInInit(partner.handle, crash))
    assert await partner.join() is crash


async def test_a_failed_linked_init_spares_its_starter_but_not_other_partners(rt: TestRuntime) -> None:
    starter = await _starter(rt)
    partner = await rt.start(Recorder())
    error = await starter.call(LinksInInit(partner.handle, Stop("no database")))
    assert isinstance(error, InitFailed)
    assert await partner.join() == "no database"
    assert starter.is_alive
    assert isinstance(await starter.call(Recorder()), type(starter.handle))


async def test_start_with_link_outside_a_process_is_refused(rt: TestRuntime) -> None:
    with pytest.raises(RuntimeError, match="inside a server"):
        await rt.start(Recorder(), link=True)


async def test_join_from_outside_any_process_returns_the_reason_every_time(rt: TestRuntime) -> None:
    h = await rt.start(Recorder())
    h.cast(StopWith("done"))
    assert await h.join() == "done"
    assert await h.join() == "done"


async def test_a_trapping_child_stops_with_its_parents_exit_running_terminate(rt: TestRuntime) -> None:
    starter = await _starter(rt)
    events: list[object] = []
    child = rt.wrap(await starter.call(Watcher(events, trap=True)))
    starter.kill()
    assert await child.join() == "killed"
    assert events == [("terminate", "killed")]
