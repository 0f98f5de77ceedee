"""A first simulated run: a server started on a node answers calls on virtual time."""

from __future__ import annotations

import anyio
import pytest

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


def test_check_ok_raises_the_scenario_error_naming_the_seed() -> None:
    async def scenario(s: sim.Sim) -> None:
        await s.node("a").start(Recorder())
        raise KeyError("oops")

    result = sim.run(scenario, nodes=("a",), seed=42)
    assert isinstance(result.error, KeyError)
    assert not result.complete
    assert not result.scenario_finished
    for _ in range(2):
        with pytest.raises(KeyError) as caught:
            result.check_ok()
        assert caught.value.__notes__ == [
            "in a simulated run (0 steps, seed 42); replay it with spawned.sim.run(..., seed=42)"
        ]


def test_a_run_without_a_seed_picks_one_and_records_it() -> None:
    async def scenario(s: sim.Sim) -> None:
        await s.node("a").start(Recorder())

    result = sim.run(scenario, nodes=("a",))
    assert isinstance(result.seed, int)
    again = sim.run(scenario, nodes=("a",), seed=result.seed)
    assert again.trace_text() == result.trace_text()
