"""GenStateMachine on spawned.threads only: ``async def`` state callbacks are refused at start."""

from __future__ import annotations

from typing import Any

import pytest

from spawned import EventType, GenStateMachine, NextState, Transition, threads


class AsyncEvents(GenStateMachine[Any, Any, Any, str, None]):
    def init(self) -> NextState[str, None]:
        return NextState("s", None)

    async def handle_event(
        self, event_type: EventType, content: Any, state: str, data: None
    ) -> Transition[str, None]:
        return None


class AsyncStates(GenStateMachine[Any, Any, Any, str, None]):
    callback_mode = "state_functions"

    def init(self) -> NextState[str, None]:
        return NextState("idle", None)

    async def idle(self, event_type: EventType, content: Any, data: None) -> Transition[str, None]:
        return None

    def busy(self, event_type: EventType, content: Any, data: None) -> Transition[str, None]:
        return None


@pytest.mark.parametrize(("machine", "names"), [(AsyncEvents, "(handle_event)"), (AsyncStates, "(idle)")])
def test_async_state_callbacks_are_refused_at_start_naming_them(
    machine: type[GenStateMachine[Any, Any, Any, str, None]], names: str
) -> None:
    with threads.Runtime() as rt, pytest.raises(TypeError) as info:
        rt.start(machine())
    assert f"{machine.__name__} has async callbacks {names}" in str(info.value)
