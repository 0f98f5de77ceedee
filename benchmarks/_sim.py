"""Figures for ``spawned.sim``: simulated messages per second of wall time.

``sim_ping_pong``: the scenario calls a ``Counter`` on a simulated node ``calls`` times (each
call is two simulated messages: the request and the reply, each a step the simulator
chooses), set beside the asyncio backend's own sequential call rate measured in the same
process just before. The issue's aim: at least a third of that rate, ``ratio <= 3``.
"""

from __future__ import annotations

import gc
from time import perf_counter

from spawned import sim, tasks

from ._report import Sizes, emit, expect, progress
from ._servers import Counter


def asyncio_call_rate(calls: int) -> float:
    """Sequential calls per second on spawned.tasks (asyncio)."""

    async def main() -> float:
        counter = await tasks.start(Counter())
        await counter.call(None)
        started = perf_counter()
        for _ in range(calls):
            await counter.call(None)
        elapsed = perf_counter() - started
        await counter.stop()
        return calls / elapsed

    return tasks.run(main, handle_signals=False)


def sim_message_rate(calls: int) -> float:
    """Simulated messages delivered per second of wall time, in a ping-pong of calls."""

    async def scenario(s: sim.Sim) -> None:
        counter = await s.node("a").start(Counter())
        for _ in range(calls):
            await counter.call(None)

    started = perf_counter()
    result = sim.run(scenario, nodes=("a",), seed=1, max_steps=4 * calls + 100)
    elapsed = perf_counter() - started
    result.check_ok()
    delivered = sum(event.kind == "deliver" for event in result.trace)
    expect(delivered, 2 * calls + 1)  # the calls, their replies, and the shutdown's stop
    return delivered / elapsed


def main(sizes: Sizes) -> None:
    calls = sizes.calls
    rates: list[tuple[float, float]] = []
    for _ in range(sizes.rounds):
        progress(f"sim: ping-pong of {calls} calls, beside asyncio's call rate")
        gc.collect()
        floor = asyncio_call_rate(calls)
        gc.collect()
        rates.append((sim_message_rate(calls), floor))
    value, floor = sorted(rates)[len(rates) // 2]
    emit(
        "sim_ping_pong",
        "sim",
        value,
        "msgs/s",
        floor=floor,
        floor_name="asyncio calls/s",
        higher_is_better=True,
        rounds=len(rates),
    )
