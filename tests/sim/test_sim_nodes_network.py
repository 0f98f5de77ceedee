"""Nodes and the network: FIFO within a node, loss, duplication and reordering between
nodes by seed, node crashes and restarts, partitions and heals.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from spawned import Caller, Down, GenServer, NoProc, NoReply, Reply, ServerExited, sim, tasks
from tests.servers import Get, Hold, Recorder, Watcher


class Sender(GenServer):
    """Casts ``0 .. count-1`` tagged with its tag to ``target`` when told to."""

    def __init__(self, target: Any, tag: str, count: int) -> None:
        self.target = target
        self.tag = tag
        self.count = count

    def handle_cast(self, msg: Any) -> None:
        for n in range(self.count):
            self.target.cast((self.tag, n))


def _received(events: list[Any], tag: str) -> list[int]:
    return [event[1][1] for event in events if event[0] == "cast" and event[1][0] == tag]


async def _two_senders(s: sim.Sim, sender_nodes: tuple[str, str], count: int) -> list[Any]:
    receiver = await s.node("a").start(Recorder())
    senders = [
        await s.node(node).start(Sender(receiver, tag, count))
        for node, tag in zip(sender_nodes, "xy", strict=True)
    ]
    for sender in senders:
        sender.cast("go")
    await anyio.sleep(10)
    return await receiver.call(Get())


LOSSY = sim.Network(loss=0.3, duplicate=0.3, delay=(0.0, 1.0), reorder=True)


@pytest.mark.parametrize("seed", range(10))
def test_delivery_within_a_node_is_reliable_and_fifo_per_pair(seed: int) -> None:
    got: list[Any] = []

    async def scenario(s: sim.Sim) -> None:
        got.extend(await _two_senders(s, ("a", "a"), 20))

    sim.run(scenario, nodes=("a", "b"), seed=seed, network=LOSSY).check_ok()
    assert _received(got, "x") == list(range(20))
    assert _received(got, "y") == list(range(20))


def test_the_two_senders_interleave_differently_by_seed() -> None:
    orders: set[tuple[str, ...]] = set()
    for seed in range(10):
        got: list[Any] = []

        async def scenario(s: sim.Sim, got: list[Any] = got) -> None:
            got.extend(await _two_senders(s, ("a", "a"), 5))

        sim.run(scenario, nodes=("a",), seed=seed).check_ok()
        orders.add(tuple(event[1][0] for event in got))
    assert len(orders) > 1


def test_between_nodes_messages_are_lost_duplicated_and_reordered_by_seed() -> None:
    outcomes: list[list[int]] = []
    for seed in range(10):
        got: list[Any] = []

        async def scenario(s: sim.Sim, got: list[Any] = got) -> None:
            got.extend(await _two_senders(s, ("b", "b"), 20))

        sim.run(scenario, nodes=("a", "b"), seed=seed, network=LOSSY).check_ok()
        outcomes.append(_received(got, "x"))
    assert any(len(set(received)) < 20 for received in outcomes)  # lost
    assert any(len(received) > len(set(received)) for received in outcomes)  # duplicated
    assert any(received != sorted(received) for received in outcomes)  # reordered
    assert len({tuple(received) for received in outcomes}) == 10


@pytest.mark.parametrize("seed", range(5))
def test_between_nodes_without_reorder_each_pair_stays_fifo(seed: int) -> None:
    got: list[Any] = []

    async def scenario(s: sim.Sim) -> None:
        got.extend(await _two_senders(s, ("b", "b"), 20))

    network = sim.Network(loss=0.2, delay=(0.0, 1.0))
    sim.run(scenario, nodes=("a", "b"), seed=seed, network=network).check_ok()
    received = _received(got, "x")
    assert received == sorted(received)
    assert len(received) < 20 or seed < 0  # something is lost with these seeds
    assert received == sorted(set(received))


def test_a_crashed_node_is_seen_as_noconnection() -> None:
    seen: list[object] = []

    async def scenario(s: sim.Sim) -> None:
        target = await s.node("b").start(Recorder())
        watcher = await s.node("a").start(Watcher())
        await watcher.call(("monitor", target))

        async def held_call() -> None:
            try:
                await target.call(Hold(), timeout=100)
            except ServerExited as exc:
                seen.append(("call", exc.reason, s.now()))

        async with anyio.create_task_group() as group:
            group.start_soon(held_call)
            await anyio.sleep(1)
            s.node("b").crash()
        assert not target.is_alive
        assert not s.node("b").alive
        await anyio.sleep(1)
        events = await watcher.call(Get())
        seen.extend(event[1] for event in events)

    sim.run(scenario, nodes=("a", "b"), seed=1).check_ok()
    assert seen[0] == ("call", "noconnection", 1.0)
    (down,) = seen[1:]
    assert isinstance(down, Down)
    assert down.reason == "noconnection"


def test_a_call_whose_request_is_still_in_flight_fails_when_the_node_crashes() -> None:
    seen: list[object] = []

    async def scenario(s: sim.Sim) -> None:
        target = await s.node("b").start(Recorder())
        caller = await s.node("a").start(Relay(target))

        async def call() -> None:
            seen.append(await caller.call("x"))

        async with anyio.create_task_group() as group:
            group.start_soon(call)
            await anyio.sleep(0.5)  # the relay's request to b is on the way (it takes 1 s)
            s.node("b").crash()

    sim.run(scenario, nodes=("a", "b"), seed=1, network=sim.Network(delay=(1.0, 1.0))).check_ok()
    assert seen == [("failed", "noconnection")]


class Relay(GenServer):
    """Answers a call by calling its target (from an async callback)."""

    def __init__(self, target: Any) -> None:
        self.target = target

    async def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        try:
            return Reply(await self.target.call(Hold(), timeout=100))
        except ServerExited as exc:
            return Reply(("failed", exc.reason))


def test_a_restarted_node_runs_its_boot_again() -> None:
    boots: list[float] = []

    async def boot(node: sim.Node) -> None:
        boots.append(anyio.current_time())
        await node.start(Recorder(), name="rec")

    async def scenario(s: sim.Sim) -> None:
        await anyio.sleep(1)
        first = s.node("b").whereis("rec")
        assert first is not None
        s.node("b").crash()
        assert s.node("b").whereis("rec") is None
        with pytest.raises(sim.SimulationError, match="node 'b' is down"):
            await s.node("b").start(Recorder())
        await anyio.sleep(1)
        s.node("b").restart()
        await anyio.sleep(1)
        second = s.node("b").whereis("rec")
        assert second is not None
        assert second is not first
        assert await second.call(Get()) == []

    sim.run(scenario, nodes=("a", "b"), seed=1, boot={"b": boot}).check_ok()
    assert boots == [0.0, 2.0]


def test_a_partition_cuts_messages_links_and_monitors_until_healed() -> None:
    async def scenario(s: sim.Sim) -> None:
        target = await s.node("b").start(Recorder())
        watcher = await s.node("a").start(Watcher())
        ref = await watcher.call(("monitor", target))
        s.partition(("a",), ("b",))
        target.cast("from the scenario")  # the scenario is never cut off
        await anyio.sleep(1)
        events = await watcher.call(Get())
        assert [type(event[1]) for event in events] == [Down]
        assert events[0][1].ref == ref
        assert events[0][1].reason == "noconnection"
        assert target.is_alive  # cut off, not dead
        relay = await s.node("a").start(Caster(target))
        relay.cast("lost")
        await anyio.sleep(1)
        s.heal()
        relay.cast("arrives")
        await anyio.sleep(1)
        assert await target.call(Get()) == [("cast", "from the scenario"), ("cast", "arrives")]

    result = sim.run(scenario, nodes=("a", "b"), seed=1)
    result.check_ok()
    assert any(event.kind == "cut" for event in result.trace)


class Caster(GenServer):
    """Forwards every cast to its target."""

    def __init__(self, target: Any) -> None:
        self.target = target

    def handle_cast(self, msg: Any) -> None:
        self.target.cast(msg)


def test_a_call_across_a_partition_fails_with_noconnection() -> None:
    async def scenario(s: sim.Sim) -> None:
        target = await s.node("b").start(Holder())
        relay = await s.node("a").start(Relay(target))
        async with anyio.create_task_group() as group:
            group.start_soon(_expect_noconnection, relay)
            await anyio.sleep(1)
            s.partition(["a"], ["b"])

    sim.run(scenario, nodes=("a", "b"), seed=1).check_ok()


async def _expect_noconnection(handle: tasks.Handle[Any, Any, Any]) -> None:
    assert await handle.call("x") == ("failed", "noconnection")


class Holder(GenServer):
    """Never answers."""

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        return NoReply()


def test_an_unknown_node_is_refused_with_the_known_ones() -> None:
    async def scenario(s: sim.Sim) -> None:
        s.node("c")

    result = sim.run(scenario, nodes=("a", "b"), seed=1)
    assert isinstance(result.error, ValueError)
    assert "unknown node 'c'" in str(result.error)
    assert "'a', 'b'" in str(result.error)
    with pytest.raises(ValueError, match="boot names the unknown node 'z'"):
        sim.run(scenario, nodes=("a",), boot={"z": _no_boot})
    with pytest.raises(ValueError, match="bad node name"):
        sim.run(scenario, nodes=("a b",))


async def _no_boot(node: sim.Node) -> None:
    del node


def test_kill_ends_a_process_at_once() -> None:
    async def scenario(s: sim.Sim) -> None:
        recorder = await s.node("a").start(Recorder())
        s.kill(recorder)
        assert not recorder.is_alive
        assert await tasks.Handle.of(recorder).join() == "killed"
        other = await s.node("a").start(Recorder())
        s.kill(other, ValueError("crash"))
        assert isinstance(await tasks.Handle.of(other).join(), ValueError)

    result = sim.run(scenario, nodes=("a",), seed=1)
    result.check_ok()
    assert [event.text for event in result.trace if event.kind == "kill"] == [
        "kill a/Recorder#2 'killed'",
        "kill a/Recorder#3 ValueError('crash')",
    ]


def test_a_new_call_to_a_crashed_or_cut_off_node_fails_with_noconnection_at_once() -> None:
    async def scenario(s: sim.Sim) -> None:
        target = await s.node("b").start(Recorder())
        s.node("b").crash()
        with pytest.raises(ServerExited) as caught:
            await target.call(Get())
        assert caught.value.reason == "noconnection"
        s.node("b").restart()
        with pytest.raises(NoProc):  # the node is back; that process is not
            await target.call(Get())
        other = await s.node("b").start(Recorder())
        relay = await s.node("a").start(Relay(other))
        s.partition(["a"], ["b"])
        assert await relay.call("x") == ("failed", "noconnection")
        assert s.now() == 0.0

    sim.run(scenario, nodes=("a", "b"), seed=1).check_ok()
