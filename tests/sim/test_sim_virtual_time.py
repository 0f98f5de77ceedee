"""Virtual time: the clock moves only when nothing can run, jumping to the next event."""

from __future__ import annotations

from typing import Any

import anyio

from spawned import Caller, GenServer, NoReply, Reply, sim


class Hourly(GenServer):
    """Counts the ticks of a one-hour interval."""

    def init(self) -> None:
        self.ticks: list[float] = []
        self.timer = self.send_interval(3600, "tick")

    def handle_info(self, msg: Any) -> None:
        self.ticks.append(msg)

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        return Reply(len(self.ticks))


def test_an_hourly_interval_runs_a_day_in_virtual_time() -> None:
    seen: list[object] = []

    async def scenario(s: sim.Sim) -> None:
        hourly = await s.node("a").start(Hourly())
        await anyio.sleep(24 * 3600 + 1)
        seen.append(await hourly.call("count"))
        seen.append(s.now())
        await hourly.stop()

    result = sim.run(scenario, nodes=("a",), seed=1)
    assert result.error is None
    assert seen == [24, 24 * 3600 + 1]
    assert result.virtual_time == 24 * 3600 + 1
    assert result.complete
    assert [event.time for event in result.trace if event.kind == "handle_info"] == [
        3600.0 * n for n in range(1, 25)
    ]


def test_a_call_timeout_is_virtual_too() -> None:
    class Silent(GenServer):
        def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
            return NoReply()

    seen: list[object] = []

    async def scenario(s: sim.Sim) -> None:
        silent = await s.node("a").start(Silent())
        try:
            await silent.call("anyone?", timeout=600)
        except Exception as exc:
            seen.append(type(exc).__name__)
        seen.append(s.now())

    result = sim.run(scenario, nodes=("a",), seed=1)
    assert seen[0] == "CallTimeout"
    assert 600 <= seen[1] < 601  # type: ignore[operator]
    assert result.error is None


def test_max_time_ends_a_run_that_never_goes_quiet() -> None:
    async def scenario(s: sim.Sim) -> None:
        await s.node("a").start(Hourly())

    result = sim.run(scenario, nodes=("a",), seed=1, max_time=10 * 3600 + 1)
    assert not result.complete
    assert result.scenario_finished
    assert result.virtual_time == 10 * 3600
    assert sum(event.kind == "handle_info" for event in result.trace) == 10


def test_max_steps_ends_a_run() -> None:
    async def scenario(s: sim.Sim) -> None:
        await s.node("a").start(Hourly())

    result = sim.run(scenario, nodes=("a",), seed=1, max_steps=7)
    assert not result.complete
    assert result.steps == 7


def test_sleeping_forever_is_not_a_timer() -> None:
    async def scenario(s: sim.Sim) -> None:
        await s.node("a").start(Hourly())
        await anyio.sleep_forever()

    result = sim.run(scenario, nodes=("a",), seed=1, max_time=2 * 3600)
    assert not result.complete
    assert result.virtual_time == 2 * 3600

    async def idle(s: sim.Sim) -> None:
        del s
        await anyio.sleep_forever()

    result = sim.run(idle, nodes=("a",), seed=1)
    assert result.complete
    assert not result.scenario_finished
    assert result.virtual_time == 0.0
