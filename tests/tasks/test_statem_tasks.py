"""GenStateMachine on spawned.tasks only: ``async def`` callbacks, and time under trio's MockClock."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import trio
import trio.testing

from spawned import (
    Call,
    Cast,
    Enter,
    EventType,
    GenericTimeout,
    GenStateMachine,
    KeepState,
    NextState,
    Postpone,
    ReplyTo,
    StateTimeout,
    Transition,
    tasks,
)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return request.param


class Asker(GenStateMachine[str, str, list[str], str, list[str]]):
    """``async def`` everywhere: init, a state enter call, events that call another server."""

    callback_mode = "state_functions"
    state_enter = True

    def __init__(self, other: tasks.Handle[str, Any, str], ended: list[object]) -> None:
        self.other = other
        self.ended = ended

    async def init(self) -> NextState[str, list[str]]:
        return NextState("asking", [await self.other.call("first")])

    async def asking(
        self, event_type: EventType, content: Any, data: list[str]
    ) -> Transition[str, list[str]]:
        match event_type:
            case Enter():
                return KeepState([*data, await self.other.call("entered")])
            case Cast():
                answer = await self.other.call(content)
                return NextState("answered", [*data, answer])
            case Call():
                return KeepState(actions=[Postpone()])
            case _:
                return None

    def answered(self, event_type: EventType, content: Any, data: list[str]) -> Transition[str, list[str]]:
        match event_type:
            case Call(caller):
                return KeepState(actions=[ReplyTo(caller, data)])
            case _:
                return None

    async def terminate(self, reason: object, state: str, data: list[str]) -> None:
        self.ended.append((reason, state, await self.other.call("bye")))


class Echo(GenStateMachine[str, Any, str, str, None]):
    def init(self) -> NextState[str, None]:
        return NextState("on", None)

    def handle_event(
        self, event_type: EventType, content: Any, state: str, data: None
    ) -> Transition[str, None]:
        if isinstance(event_type, Call):
            return KeepState(actions=[ReplyTo(event_type.caller, f"echo {content}")])
        return None


async def test_async_state_callbacks_await_other_servers(anyio_backend: str) -> None:
    ended: list[object] = []
    async with tasks.Runtime() as rt:
        echo = await rt.start(Echo())
        asker = await rt.start(Asker(echo, ended))
        asker.cast("question")
        assert await asker.call("log") == ["echo first", "echo entered", "echo question"]
        await asker.stop()
    assert ended == [("normal", "answered", "echo bye")]


MOCK_CLOCK = pytest.mark.parametrize(
    "anyio_backend",
    [pytest.param(("trio", {"clock": trio.testing.MockClock(autojump_threshold=0)}), id="trio-mockclock")],
)


class Sleeper(GenStateMachine[str, Any, str, str, None]):
    """Answers ``"wait"`` once a one-hour state time-out has fired."""

    def init(self) -> NextState[str, None]:
        return NextState("sleeping", None, [StateTimeout(3600, "wake"), GenericTimeout("zero", 0, "now")])

    def handle_event(
        self, event_type: EventType, content: Any, state: str, data: None
    ) -> Transition[str, None]:
        match event_type, state:
            case StateTimeout(), _:
                return NextState("awake", None)
            case Call(caller), "awake":
                return KeepState(actions=[ReplyTo(caller, state)])
            case Call(), _:
                return KeepState(actions=[Postpone()])
            case _:
                return None


@MOCK_CLOCK
async def test_state_timeouts_fire_in_virtual_time_under_mockclock(anyio_backend: object) -> None:
    with trio.fail_after(7200):  # virtual seconds: instant under the MockClock
        async with tasks.Runtime() as rt:
            sleeper = await rt.start(Sleeper())
            assert await sleeper.call("wait", timeout=7200) == "awake"
            await sleeper.stop()


@MOCK_CLOCK
async def test_zero_timeouts_and_transitions_need_no_clock_under_mockclock(anyio_backend: object) -> None:
    async with tasks.Runtime() as rt:
        echo = await rt.start(Echo())
        assert await echo.call("x") == "echo x"
        await echo.stop()


class Threaded(GenStateMachine[str, Any, list[int], str, list[int]]):
    """Records the thread of every callback; a zero state time-out and a real one."""

    state_enter = True

    def init(self) -> NextState[str, list[int]]:
        return NextState("a", [threading.get_ident()], [StateTimeout(0.01, "to b")])

    def handle_event(
        self, event_type: EventType, content: Any, state: str, data: list[int]
    ) -> Transition[str, list[int]]:
        data = [*data, threading.get_ident()]
        match event_type, state:
            case StateTimeout(), "a":
                return NextState("b", data)
            case Call(caller), "b":
                return KeepState(data, [ReplyTo(caller, data)])
            case Call(), _:
                return KeepState(data, [Postpone()])
            case _:
                return KeepState(data)


async def test_on_thread_runs_every_state_callback_on_its_thread(anyio_backend: str) -> None:
    async with tasks.Runtime() as rt:
        machine = await rt.start(Threaded(), on_thread=True)
        threads_seen = set(await machine.call("threads"))
        await machine.stop()
    assert len(threads_seen) == 1
    assert threading.get_ident() not in threads_seen
