"""Random faults drawn from the seed (timed mode) and offered as options (exhaustive mode)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import anyio

from spawned import GenServer, sim
from tests.servers import Recorder


class Chatty(GenServer):
    """Casts to its peer every 10 ms, forever (until killed)."""

    def __init__(self, peer: Any) -> None:
        self.peer = peer

    def init(self) -> None:
        self.send_interval(0.01, "tick")

    def handle_info(self, msg: Any) -> None:
        self.peer.cast(msg)


async def _boot_a(node: sim.Node) -> None:
    await node.start(Recorder(), name="rec")


async def _boot_b(node: sim.Node) -> None:
    del node


async def _chatter(s: sim.Sim) -> None:
    rec = s.node("a").whereis("rec")
    assert rec is not None
    await s.node("b").start(Chatty(rec))
    await anyio.sleep(5)


FAULTS = sim.Faults(kill=0.002, crash=0.01, restart=0.05, partition=0.01, heal=0.05, protect=("b",))


def _run(seed: int) -> sim.SimResult:
    return sim.run(
        _chatter,
        nodes=("a", "b"),
        seed=seed,
        faults=FAULTS,
        boot={"a": _boot_a, "b": _boot_b},
        max_time=5,
    )


def test_random_faults_of_every_kind_are_drawn_from_the_seed() -> None:
    kinds: Counter[str] = Counter()
    for seed in range(5):
        result = _run(seed)
        for event in result.trace:
            if event.kind == "fault":
                kinds[event.text.split()[0]] += 1
    assert set(kinds) == {"kill", "crash", "restart", "partition", "heal"}
    assert _run(3).trace_text() == _run(3).trace_text()


def test_protected_nodes_are_left_alone() -> None:
    for seed in range(5):
        result = _run(seed)
        faults = [event.text for event in result.trace if event.kind == "fault"]
        assert not any(text.startswith(("kill b/", "crash node b", "partition b")) for text in faults)


def test_max_faults_bounds_the_faults_of_a_run() -> None:
    faults = sim.Faults(kill=1.0, max_faults=2)

    async def scenario(s: sim.Sim) -> None:
        for _ in range(5):
            await s.node("a").start(Recorder())
        for _ in range(5):
            await anyio.sleep(1)

    result = sim.run(scenario, nodes=("a",), seed=1, faults=faults)
    assert sum(event.kind == "fault" for event in result.trace) == 2


def test_in_exhaustive_mode_each_fault_is_an_option() -> None:
    class Teller(GenServer):
        def __init__(self, target: Any) -> None:
            self.target = target

        def init(self) -> None:
            self.target.cast("x")

    async def scenario(s: sim.Sim) -> None:
        server = await s.node("a").start(Recorder())
        await s.node("b").start(Teller(server))

    faults = sim.Faults(kill=1.0, crash=1.0, max_faults=1)
    result = sim.run(
        scenario, nodes=("a", "b"), chooser=sim.ReplayChooser([], then="zero"), exhaustive=True, faults=faults
    )
    # deliver the cast; kill the Recorder or the Teller; crash node a or node b
    assert result.decisions == ((5, "next"),)
    last = sim.run(scenario, nodes=("a", "b"), chooser=sim.ReplayChooser([4]), exhaustive=True, faults=faults)
    assert [event.text for event in last.trace if event.kind == "fault"] == ["crash node b"]
