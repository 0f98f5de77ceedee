"""The Counter under the simulator: casts from two nodes, checked over many runs.

Run: python -m pytest examples/testing/test_sim_counter.py
Replay one seed: python -m pytest examples/testing/test_sim_counter.py --sim-seed=7
"""

from __future__ import annotations

from typing import Any

from counter import Add, Counter

from spawned import GenServer, sim


class Adder(GenServer):
    """Casts ``Add(1)`` to the counter ``times`` times as it starts."""

    def __init__(self, counter: Any, times: int) -> None:
        self.counter = counter
        self.times = times

    def init(self) -> None:
        for _ in range(self.times):
            self.counter.cast(Add(1))


def count(s: sim.Sim) -> int:
    found = [s.server_of(handle) for handle in s.processes()]
    return next((server.count for server in found if isinstance(server, Counter)), 0)


async def two_adders(s: sim.Sim) -> None:
    counter = await s.node("db").start(Counter())
    await s.node("a").start(Adder(counter, 2))
    await s.node("b").start(Adder(counter, 2))


PROPERTIES = [
    sim.always("never more than was added", lambda s: count(s) <= 4),
    sim.sometimes("counting has begun", lambda s: 0 < count(s) < 4),
    sim.eventually("every cast counted", lambda s: count(s) == 4),
]


# --8<-- [start:seeds]
@sim.scenario_test(
    seeds=50,
    properties=PROPERTIES,
    nodes=("db", "a", "b"),
    network=sim.Network(delay=(0.0, 0.01), reorder=True),
)
async def test_casts_from_two_nodes_all_count(s: sim.Sim) -> None:
    await two_adders(s)


# --8<-- [end:seeds]


# --8<-- [start:exhaustive]
@sim.scenario_test(
    exhaustive=True,
    properties=PROPERTIES,
    nodes=("db", "a", "b"),
    network=sim.Network(reorder=True),
    fingerprint=count,
)
async def test_casts_from_two_nodes_all_count_in_every_order(s: sim.Sim) -> None:
    await two_adders(s)


# --8<-- [end:exhaustive]
