"""A first simulated run: a server started on a node answers calls on virtual time."""

from __future__ import annotations

import anyio

from spawned import sim
from tests.servers import Get, Ping, Recorder


def test_a_call_and_a_cast_on_one_node() -> None:
    seen: list[object] = []

    async def scenario(s: sim.Sim) -> None:
        recorder = await s.node("a").start(Recorder())
        recorder.cast("hello")
        seen.append(await recorder.call(Ping()))
        seen.append(await recorder.call(Get()))
        await anyio.sleep(10)
        seen.append(s.now())

    result = sim.run(scenario, nodes=("a",), seed=1)
    assert result.error is None
    assert seen == ["pong", [("cast", "hello")], 10.0]
    assert result.complete
    assert result.virtual_time == 10.0
