"""Adversarial review of spawned.sim against OTP semantics: what a process on another node
learns when that node crashes or is cut off, and whether a call always ends.
"""

from __future__ import annotations

import math
from typing import Any

import anyio
import pytest

from spawned import Caller, Down, Exit, GenServer, NoProc, Reply, SpawnedError, sim
from tests.servers import Get, Recorder, Watcher


def _infos(events: list[Any]) -> list[tuple[str, object]]:
    return [
        (type(event[1]).__name__, event[1].reason)
        for event in events
        if event[0] == "info" and isinstance(event[1], Down | Exit)
    ]


def test_a_monitor_of_a_process_on_a_crashed_node_gets_down_noconnection() -> None:
    # erlang:monitor(process, Pid) with Pid's node down: 'DOWN' with noconnection at once.
    got: list[Any] = []

    async def scenario(s: sim.Sim) -> None:
        watcher = await s.node("a").start(Watcher())
        target = await s.node("b").start(Recorder())
        s.node("b").crash()
        await watcher.call(("monitor", target))
        await anyio.sleep(1)
        got.extend(await watcher.call(Get()))

    sim.run(scenario, nodes=("a", "b"), seed=1).check_ok()
    assert _infos(got) == [("Down", "noconnection")]


def test_a_link_to_a_process_on_a_crashed_node_gets_exit_noconnection() -> None:
    got: list[Any] = []

    async def scenario(s: sim.Sim) -> None:
        watcher = await s.node("a").start(Watcher(trap=True))
        target = await s.node("b").start(Recorder())
        s.node("b").crash()
        await watcher.call(("link", target))
        await anyio.sleep(1)
        got.extend(await watcher.call(Get()))

    sim.run(scenario, nodes=("a", "b"), seed=1).check_ok()
    assert _infos(got) == [("Exit", "noconnection")]


def test_a_monitor_made_across_a_partition_gets_down_noconnection() -> None:
    # Erlang: a monitor of a process on a node it cannot reach ends with noconnection;
    # here it was kept, and the target's later Down was cut: the watcher never learned.
    got: list[Any] = []

    async def scenario(s: sim.Sim) -> None:
        watcher = await s.node("a").start(Watcher())
        target = await s.node("b").start(Recorder())
        s.partition(["a"], ["b"])
        await watcher.call(("monitor", target))
        await anyio.sleep(1)
        s.kill(target, "boom")
        s.heal()
        await anyio.sleep(1)
        got.extend(await watcher.call(Get()))

    sim.run(scenario, nodes=("a", "b"), seed=1).check_ok()
    assert _infos(got) == [("Down", "noconnection")]


def test_a_link_made_across_a_partition_gets_exit_noconnection() -> None:
    got: list[Any] = []

    async def scenario(s: sim.Sim) -> None:
        watcher = await s.node("a").start(Watcher(trap=True))
        target = await s.node("b").start(Recorder())
        s.partition(["a"], ["b"])
        await watcher.call(("link", target))
        await anyio.sleep(1)
        s.kill(target, "boom")
        s.heal()
        await anyio.sleep(1)
        got.extend(await watcher.call(Get()))

    sim.run(scenario, nodes=("a", "b"), seed=1).check_ok()
    assert _infos(got) == [("Exit", "noconnection")]


def test_a_monitor_of_an_old_incarnation_after_a_restart_gets_down_noproc() -> None:
    got: list[Any] = []

    async def scenario(s: sim.Sim) -> None:
        watcher = await s.node("a").start(Watcher())
        target = await s.node("b").start(Recorder())
        s.node("b").crash()
        s.node("b").restart()
        await watcher.call(("monitor", target))
        await anyio.sleep(1)
        got.extend(await watcher.call(Get()))
        try:
            await target.call(Get())
        except NoProc:
            got.append("noproc")

    sim.run(scenario, nodes=("a", "b"), seed=1).check_ok()
    assert [*_infos(got), got[-1]] == [("Down", "noproc"), "noproc"]


class Relay(GenServer):
    """Calls ``target`` from an async callback and answers with how that call ended."""

    async def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        return Reply(await _outcome(msg))


async def _outcome(target: Any) -> str:
    try:
        await target.call(("echo", 1), timeout=math.inf)
    except SpawnedError as exc:
        return f"{type(exc).__name__}: {getattr(exc, 'reason', None)}"
    return "replied"


def _replied_then_cut(fault: str, *, via_process: bool) -> str:
    """A call to a process on node b, which replies; while the reply is on its way, node b
    crashes (or is cut off). The call must end, with ``ServerExited("noconnection")``.
    """
    outcome: list[str] = []

    async def scenario(s: sim.Sim) -> None:
        target = await s.node("b").start(Recorder())
        if via_process:
            relay = await s.node("a").start(Relay())
            outcome.append(await relay.call(target, timeout=math.inf))
        else:
            outcome.append(await _outcome(target))

    def on_state(s: sim.Sim) -> None:
        replied = any(e.kind == "handle_call" and e.text.startswith("b/") for e in s.trace)
        if replied and not any(e.kind in {"crash", "partition"} for e in s.trace):
            if fault == "crash":
                s.node("b").crash()
            else:
                s.partition(["a"], ["b"])

    result = sim.run(scenario, nodes=("a", "b"), seed=1, on_state=on_state)
    result.check_ok()
    return outcome[0] if outcome else "hung"


@pytest.mark.parametrize(
    ("fault", "via_process"),
    [("crash", False), ("crash", True), ("partition", True)],
    ids=["crash-scenario", "crash-process", "partition-process"],
)
def test_a_call_whose_reply_is_cut_off_ends_with_noconnection(fault: str, *, via_process: bool) -> None:
    assert _replied_then_cut(fault, via_process=via_process) == "ServerExited: noconnection"
