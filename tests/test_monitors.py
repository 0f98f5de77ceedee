"""Monitors: exactly one Down per monitor; noproc for the dead; demonitor means silence."""

from __future__ import annotations

from servers import Crash, Get, Recorder, Watcher

from spawned import Down
from spawned.testing import TestRuntime


def _downs(events: list[object]) -> list[Down]:
    return [e[1] for e in events if isinstance(e, tuple) and isinstance(e[1], Down)]


async def test_one_down_with_the_exit_reason(rt: TestRuntime) -> None:
    watcher = await rt.start(Watcher())
    target = await rt.start(Recorder())
    ref = await watcher.call(("monitor", target.handle))
    target.cast(Crash())
    reason = await target.join()
    events = await watcher.call(Get())
    assert _downs(events) == [Down(ref, target.handle, reason)]
    assert isinstance(reason, ValueError)


async def test_kill_and_stop_reasons_reach_the_monitor(rt: TestRuntime) -> None:
    watcher = await rt.start(Watcher())
    killed = await rt.start(Recorder())
    stopped = await rt.start(Recorder())
    kill_ref = await watcher.call(("monitor", killed.handle))
    stop_ref = await watcher.call(("monitor", stopped.handle))
    killed.kill()
    await killed.join()
    await stopped.stop("normal")
    assert _downs(await watcher.call(Get())) == [
        Down(kill_ref, killed.handle, "killed"),
        Down(stop_ref, stopped.handle, "normal"),
    ]


async def test_each_monitor_gets_its_own_down_exactly_once(rt: TestRuntime) -> None:
    watcher = await rt.start(Watcher())
    target = await rt.start(Recorder())
    first = await watcher.call(("monitor", target.handle))
    second = await watcher.call(("monitor", target.handle))
    assert first != second
    await target.stop("bye")
    assert _downs(await watcher.call(Get())) == [
        Down(first, target.handle, "bye"),
        Down(second, target.handle, "bye"),
    ]
    assert len(_downs(await watcher.call(Get()))) == 2


async def test_monitoring_a_dead_process_gives_noproc_at_once(rt: TestRuntime) -> None:
    watcher = await rt.start(Watcher())
    target = await rt.start(Recorder())
    await target.stop()
    ref = await watcher.call(("monitor", target.handle))
    assert _downs(await watcher.call(Get())) == [Down(ref, target.handle, "noproc")]


async def test_no_down_arrives_after_demonitor(rt: TestRuntime) -> None:
    watcher = await rt.start(Watcher())
    target = await rt.start(Recorder())
    ref = await watcher.call(("monitor", target.handle))
    await watcher.call(("demonitor", ref))
    target.cast(Crash())
    await target.join()
    assert _downs(await watcher.call(Get())) == []


async def test_demonitor_drops_a_down_already_in_the_mailbox(rt: TestRuntime) -> None:
    watcher = await rt.start(Watcher())
    target = await rt.start(Recorder())
    await watcher.call(("kill then demonitor", target.handle))
    assert await target.join() == "killed"
    assert _downs(await watcher.call(Get())) == []


async def test_a_monitor_is_one_way(rt: TestRuntime) -> None:
    watcher = await rt.start(Watcher())
    target = await rt.start(Recorder())
    await watcher.call(("monitor", target.handle))
    watcher.cast(Crash())
    await watcher.join()
    assert target.is_alive
    assert await target.call(Get()) == []


async def test_a_dead_monitor_owner_leaves_the_target_clean(rt: TestRuntime) -> None:
    watcher = await rt.start(Watcher())
    target = await rt.start(Recorder())
    await watcher.call(("monitor", target.handle))
    await watcher.stop()
    assert target.handle._process.monitors == {}
