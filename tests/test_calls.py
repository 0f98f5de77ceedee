"""Calls: replies, FIFO, timeouts, dead servers, death mid-call, calling yourself."""

from __future__ import annotations

import math
import sys
import threading

import anyio
import pytest
from servers import Crash, Get, Hold, Ping, Recorder, Release, StopWith

from spawned import (
    Caller,
    CallingSelf,
    CallTimeout,
    GenServer,
    NoProc,
    Reply,
    ServerExited,
    Stop,
    tasks,
    threads,
)
from spawned.testing import TestHandle, TestRuntime, wait_until


async def test_call_returns_the_reply(rt: TestRuntime) -> None:
    h = await rt.start(Recorder())
    assert await h.call(Ping()) == "pong"
    assert await h.call(("echo", None)) is None


async def test_messages_from_one_sender_arrive_in_order(rt: TestRuntime) -> None:
    h = await rt.start(Recorder())
    for i in range(200):
        h.cast(i)
    h.send("last")
    assert await h.call(Get()) == [("cast", i) for i in range(200)] + [("info", "last")]


async def test_timeout_leaves_the_server_running(rt: TestRuntime) -> None:
    h = await rt.start(Recorder())
    with pytest.raises(CallTimeout):
        await h.call(Hold(), timeout=0.05)
    assert await h.call(Ping()) == "pong"
    assert h.is_alive


async def test_a_late_reply_never_leaks_into_a_later_call(rt: TestRuntime) -> None:
    h = await rt.start(Recorder())
    with pytest.raises(CallTimeout):
        await h.call(Hold(), timeout=0.05)
    h.cast(Release("late"))  # answers the abandoned call
    assert await h.call(("echo", "fresh")) == "fresh"
    assert await h.call(Ping()) == "pong"


def _open_calls(h: TestHandle) -> int:
    return len(h.handle._process.open_calls or ())


async def test_a_timed_out_call_leaves_no_open_call_on_the_server(rt: TestRuntime) -> None:
    h = await rt.start(Recorder())
    for _ in range(3):
        with pytest.raises(CallTimeout):
            await h.call(Hold(), timeout=0.05)
    assert await h.call(Ping()) == "pong"  # every Hold was handled before this
    assert _open_calls(h) == 0


async def test_a_late_reply_leaves_no_open_call_on_the_server(rt: TestRuntime) -> None:
    h = await rt.start(Recorder())
    with pytest.raises(CallTimeout):
        await h.call(Hold(), timeout=0.05)
    h.cast(Release("late"))
    assert await h.call(Ping()) == "pong"
    assert _held(h) == 0
    assert _open_calls(h) == 0


async def test_call_to_a_dead_server_raises_noproc(rt: TestRuntime) -> None:
    h = await rt.start(Recorder())
    await h.stop()
    with anyio.fail_after(2):
        with pytest.raises(NoProc):
            await h.call(Ping())


async def test_crash_in_handle_call_fails_the_caller_at_once(rt: TestRuntime) -> None:
    h = await rt.start(Recorder())
    with anyio.fail_after(2):  # long before the 30 s timeout
        with pytest.raises(ServerExited) as info:
            await h.call(Crash(), timeout=30)
    assert isinstance(info.value.reason, ValueError)


async def test_calls_waiting_behind_a_crash_fail_at_once(rt: TestRuntime) -> None:
    h = await rt.start(Recorder())
    failures: list[BaseException] = []

    async def caller() -> None:
        try:
            await h.call(Hold(), timeout=30)
        except ServerExited as exc:
            failures.append(exc)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(caller)
            await wait_until(lambda: _held(h) == 3)
            h.cast(Crash())
    assert len(failures) == 3
    assert all(isinstance(f.reason, ValueError) for f in failures)  # type: ignore[attr-defined]


async def test_deferred_reply_through_caller(rt: TestRuntime) -> None:
    h = await rt.start(Recorder())
    result: list[object] = []

    async def caller() -> None:
        result.append(await h.call(Hold()))

    async with anyio.create_task_group() as tg:
        tg.start_soon(caller)
        await wait_until(lambda: _held(h) == 1)
        h.cast(Release("later"))
    assert result == ["later"]


async def test_stop_with_reply_answers_after_terminate(rt: TestRuntime) -> None:
    events: list[object] = []
    h = await rt.start(Recorder(events))
    assert await h.call(StopWith("normal", "bye")) == "bye"
    assert events == [("terminate", "normal")]
    assert not h.is_alive


class SelfCaller(GenServer):
    """Calls itself from handle_call (a server that calls uses `def` on threads)."""

    def handle_call(self, msg: object, caller: Caller[object]) -> Reply[object]:
        try:
            threads.Handle.of(self.handle).call("again")
        except CallingSelf as exc:
            return Reply(type(exc).__name__)
        return Reply("no error")


class AsyncSelfCaller(GenServer):
    """Calls itself from handle_call (a server that calls uses `async def` on tasks)."""

    async def handle_call(self, msg: object, caller: Caller[object]) -> Reply[object]:
        try:
            await tasks.Handle.of(self.handle).call("again")
        except CallingSelf as exc:
            return Reply(type(exc).__name__)
        return Reply("no error")


async def test_calling_yourself_raises_calling_self(rt: TestRuntime) -> None:
    server = SelfCaller() if rt.backend == "threads" else AsyncSelfCaller()
    h = await rt.start(server)
    assert await h.call("go") == "CallingSelf"


def _held(h: object) -> int:
    server = h.handle._process.server  # type: ignore[attr-defined]
    return len(server.held)


@pytest.mark.parametrize("timeout", [1e10, float(sys.maxsize)])
async def test_a_huge_finite_timeout_waits_as_long_as_needed(rt: TestRuntime, timeout: float) -> None:
    h = await rt.start(Recorder())
    assert await h.call(Ping(), timeout=timeout) == "pong"
    await h.stop(timeout=timeout)
    assert await h.join() == "normal"


@pytest.mark.parametrize("timeout", [-1, -0.001, math.nan, -math.inf])
async def test_a_negative_or_nan_timeout_is_refused_before_anything_is_sent(
    rt: TestRuntime, timeout: float
) -> None:
    h = await rt.start(Recorder())
    with pytest.raises(ValueError, match=r"timeout must be a number of seconds >= 0 or math\.inf") as info:
        await h.call(Hold(), timeout=timeout)
    assert repr(timeout) in str(info.value)
    with pytest.raises(ValueError, match=r"timeout must be a number of seconds >= 0 or math\.inf"):
        await h.stop(timeout=timeout)
    assert await h.call(Ping()) == "pong"
    assert _held(h) == 0  # the call was never sent
    assert h.is_alive  # nor the stop


async def test_a_zero_timeout_sends_the_call_and_times_out_without_waiting(rt: TestRuntime) -> None:
    h = await rt.start(Recorder())
    for _ in range(3):
        with pytest.raises(CallTimeout):
            await h.call(Ping(), timeout=0)
    with pytest.raises(CallTimeout):
        await h.call(Hold(), timeout=0)
    assert await h.call(Ping()) == "pong"
    assert _held(h) == 1  # the call was delivered all the same; its reply is dropped
    h.cast(Release("late"))
    assert await h.call(("echo", "fresh")) == "fresh"


class Gated(GenServer):
    """Its cast waits for ``gate`` (on threads it blocks the server's thread; on tasks it is
    never reached in the test below).
    """

    def __init__(self, gate: threading.Event) -> None:
        self.gate = gate

    def handle_cast(self, msg: object) -> None:
        self.gate.wait(10)


async def test_stop_with_a_zero_timeout_kills_a_server_that_is_not_gone_at_once(rt: TestRuntime) -> None:
    gate = threading.Event()
    h = await rt.start(Gated(gate))
    h.cast("wait")  # the stop request queues behind it
    try:
        with pytest.raises(CallTimeout) as info:
            await h.stop(timeout=0)
    finally:
        gate.set()
    assert info.value.stopping
    assert await h.join() == "killed"


class StopsWithoutReply(GenServer):
    def handle_call(self, msg: object, caller: Caller[object]) -> Stop:
        return Stop("boom")


async def test_stop_without_reply_fails_the_caller_with_server_exited(rt: TestRuntime) -> None:
    h = await rt.start(StopsWithoutReply())
    with pytest.raises(ServerExited) as info:
        await h.call("go")
    assert info.value.reason == "boom"
