"""Adversarial review of spawned.sim: clocks a simulated server may read."""

from __future__ import annotations

from typing import Any

import anyio

from spawned import EventType, GenStateMachine, NextState, StateTimeout, Stop, Transition, sim


class Deadline(GenStateMachine[Any, Any, Any, str, None]):
    """Stops when an absolute state time-out, five seconds after ``init``, fires."""

    def init(self) -> NextState[str, None]:
        return NextState("waiting", None, [StateTimeout(anyio.current_time() + 5.0, "late", absolute=True)])

    def handle_event(
        self, event_type: EventType, content: Any, state: str, data: None
    ) -> Transition[str, None]:
        if isinstance(event_type, StateTimeout):
            return Stop(content)
        return None


def test_an_absolute_state_timeout_fires_on_the_virtual_clock() -> None:
    exited_at: list[float] = []

    async def scenario(s: sim.Sim) -> None:
        machine = await s.node("main").start(Deadline())
        await machine.join()
        exited_at.append(s.now())

    sim.run(scenario, seed=1).check_ok()
    assert exited_at == [5.0]
