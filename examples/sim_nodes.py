"""A first simulated run: a store on one node, a client on another, a lossy network between.

The client retries a call that times out. The seed decides which messages the network loses,
so the same seed gives the same run, trace and all; another seed, another run.

Run: python examples/sim_nodes.py
"""

from __future__ import annotations

from typing import Any

import anyio
from attrs import frozen

from spawned import Caller, CallTimeout, GenServer, Reply, ServerExited, sim


# --8<-- [start:servers]
@frozen
class Put:
    key: str
    value: int


class Store(GenServer):
    """Keeps values by key."""

    def init(self) -> None:
        self.values: dict[str, int] = {}

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        match msg:
            case Put(key, value):
                self.values[key] = value
                return Reply("ok")
            case key:
                return Reply(self.values.get(key))


notes: list[str] = []


class Client(GenServer):
    """Asks the store, retrying a call that times out (up to three tries)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    async def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        for attempt in range(1, 4):
            try:
                return Reply((await self.store.call(msg, timeout=0.5), attempt))
            except CallTimeout:
                continue
        return Reply(("gave up", 3))


# --8<-- [end:servers]


# --8<-- [start:scenario]
async def scenario(s: sim.Sim) -> None:
    store = await s.node("server").start(Store())
    client = await s.node("client").start(Client(store))
    notes.append(f"put: {await client.call(Put('x', 1))}")
    notes.append(f"get: {await client.call('x')}")
    await anyio.sleep(60)  # a minute of virtual time passes at once
    s.node("server").crash()
    try:
        await store.call("x")
    except ServerExited as exc:
        notes.append(f"after the crash: {exc.reason}")
    notes.append(f"virtual time: {s.now():.3f}")


def simulate(seed: int) -> sim.SimResult:
    notes.clear()
    return sim.run(
        scenario,
        nodes=("server", "client"),
        seed=seed,
        network=sim.Network(loss=0.3, delay=(0.01, 0.1)),
    )


# --8<-- [end:scenario]


def main() -> None:
    # --8<-- [start:run]
    result = simulate(seed=5)
    result.check_ok()  # raises what the scenario raised, naming the seed
    print("\n".join(notes))
    print(f"{result.steps} steps, {sum(event.kind == 'lost' for event in result.trace)} messages lost:")
    print("".join(f"{event}\n" for event in result.trace if event.kind in ("lost", "crash")), end="")
    assert simulate(seed=5).trace_text() == result.trace_text()  # noqa: S101 - the same seed, the same run
    # --8<-- [end:run]


# --8<-- [start:expected]
EXPECTED = """\
put: ('ok', 3)
get: (1, 2)
after the crash: noconnection
virtual time: 61.685
14 steps, 3 messages lost:
      0.061429  lost            server/Store#2 -> client/Client#2 reply 'ok'
      0.510000  lost            server/Store#2 -> client/Client#2 reply 'ok'
      1.058571  lost            client/Client#2 -> server/Store#2 call 'x'
     61.685357  crash           crash node server
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
