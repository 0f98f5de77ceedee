"""Scenarios shared by the simulation tests (and run as a script by the determinism test).

``python tests/sim/scenarios.py SEED PATH`` runs :func:`chatter` with ``SEED`` and writes its
``trace_text()`` to ``PATH``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import anyio

from spawned import Caller, ChildSpec, GenServer, Reply, Supervisor, sim


class Echo(GenServer):
    """Answers every call with what it was sent; counts casts."""

    def init(self) -> None:
        self.casts = 0

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        return Reply(msg)

    def handle_cast(self, msg: Any) -> None:
        self.casts += 1


class Client(GenServer):
    """Calls its server ``rounds`` times from an async callback; records what came back."""

    def __init__(self, server: Any, rounds: int) -> None:
        self.server = server
        self.rounds = rounds
        self.got: list[object] = []

    def init(self) -> None:
        self.handle.cast("go")

    async def handle_cast(self, msg: Any) -> None:
        for n in range(self.rounds):
            self.server.cast(("note", n))
            try:
                self.got.append(await self.server.call(n, timeout=1.0))
            except Exception as exc:
                self.got.append(type(exc).__name__)
            await anyio.sleep(0.01)


NETWORK = sim.Network(loss=0.1, duplicate=0.1, delay=(0.001, 0.05), reorder=True)
FAULTS = sim.Faults(kill=0.01, max_faults=3, protect=("server",))


async def chatter(s: sim.Sim) -> None:
    """Two clients on two nodes call a supervised echo server on a third, over a lossy network."""
    sup = await s.node("server").start(Supervisor([ChildSpec("echo", Echo)]))
    (echo,) = [child.handle for child in await sup.which_children()]
    assert echo is not None
    for name in ("c1", "c2"):
        await s.node(name).start(Client(echo, 5))
    async with anyio.create_task_group() as group:  # cancelled together: in a fixed order
        for n in range(5):
            group.start_soon(_sleeper, echo, n)
        await anyio.sleep(0.1)
        group.cancel_scope.cancel()


async def _sleeper(echo: Any, n: int) -> None:
    try:
        await anyio.sleep_forever()
    finally:
        echo.cast(("cancelled", n))


def run_chatter(seed: int) -> sim.SimResult:
    """One run of :func:`chatter`."""
    return sim.run(chatter, nodes=("server", "c1", "c2"), seed=seed, network=NETWORK, faults=FAULTS)


if __name__ == "__main__":
    Path(sys.argv[2]).write_text(run_chatter(int(sys.argv[1])).trace_text())
