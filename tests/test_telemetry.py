"""Telemetry events: each fires once with the right metadata, on every backend; detach works;
a raising handler is detached and logged; the OpenTelemetry adapter makes spans and metrics.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any

import anyio.lowlevel
import pytest
from servers import Crash, Get, Hold, InitWith, Ping, Recorder
from sup_servers import Tracked

from spawned import (
    Caller,
    CallTimeout,
    ChildSpec,
    GenServer,
    InitFailed,
    Reply,
    ServerExited,
    Stop,
    Supervisor,
    telemetry,
)
from spawned.testing import TestHandle, TestRuntime


class Napper(GenServer[str, None, str]):
    """Its call awaits (tasks only)."""

    async def handle_call(self, msg: str, caller: Caller[str]) -> Reply[str]:
        await anyio.lowlevel.checkpoint()
        return Reply("rested")


Event = tuple[str, Mapping[str, float], Mapping[str, Any]]
_ids = itertools.count()


class Events:
    """Every event received by one attached handler (appends are atomic across threads)."""

    def __init__(self) -> None:
        self.seen: list[Event] = []

    def __call__(self, event: str, measurements: Mapping[str, float], metadata: Mapping[str, Any]) -> None:
        self.seen.append((event, measurements, metadata))

    def of(self, event: str, server: TestHandle[Any, Any, Any] | None = None) -> list[Event]:
        """The events named ``event`` (about the process ``server``, a handle, if given)."""
        return [e for e in self.seen if e[0] == event and (server is None or e[2]["handle"] == server.handle)]


@pytest.fixture
def events() -> Iterator[Events]:
    handler_id = ("test", next(_ids))
    received = Events()
    telemetry.attach(handler_id, telemetry.EVENTS, received)
    try:
        yield received
    finally:
        telemetry.detach(handler_id)


async def test_a_server_s_life_emits_start_messages_calls_and_stop(rt: TestRuntime, events: Events) -> None:
    server = await rt.start(Recorder(), name="rec")
    assert await server.call(Ping()) == "pong"
    server.cast("x")
    server.send("hello")
    assert await server.call(Get()) == [("cast", "x"), ("info", "hello")]
    await server.stop()

    [(_, _, start)] = events.of(telemetry.PROCESS_START, server)
    assert start["server"] == "Recorder 'rec'"
    assert start["server_kind"] == "Recorder"
    assert start["name"] == "rec"
    assert start["backend"] == rt.backend
    kinds = [m["message_kind"] for _, _, m in events.of(telemetry.MESSAGE, server)]
    assert kinds == ["call", "cast", "info", "call", "stop"]
    for _, measurements, _ in events.of(telemetry.MESSAGE, server):
        assert measurements["duration"] >= 0
        assert measurements["queue_length"] >= 0
    calls = events.of(telemetry.CALL, server)
    assert [m["outcome"] for _, _, m in calls] == ["reply", "reply"]
    assert all(m["error"] is None and ms["duration"] >= 0 for _, ms, m in calls)
    [(_, _, stop)] = events.of(telemetry.PROCESS_STOP, server)
    assert (stop["reason"], stop["clean"]) == ("normal", True)
    assert events.of(telemetry.PROCESS_CRASH, server) == []


async def test_a_crash_emits_a_stop_and_a_crash_and_the_call_an_error(
    rt: TestRuntime, events: Events
) -> None:
    server = await rt.start(Recorder())
    with pytest.raises(ServerExited):
        await server.call(Crash())
    reason = await server.join()
    [(_, _, stop)] = events.of(telemetry.PROCESS_STOP, server)
    assert stop["reason"] is reason
    assert stop["clean"] is False
    [(_, _, crash)] = events.of(telemetry.PROCESS_CRASH, server)
    assert isinstance(crash["reason"], ValueError)
    [(_, _, call)] = events.of(telemetry.CALL, server)
    assert call["outcome"] == "error"
    assert isinstance(call["error"], ServerExited)


async def test_a_call_that_times_out_is_one_call_event(rt: TestRuntime, events: Events) -> None:
    server = await rt.start(Recorder())
    with pytest.raises(CallTimeout):
        await server.call(Hold(), timeout=0)
    [(_, _, call)] = events.of(telemetry.CALL, server)
    assert call["outcome"] == "timeout"
    assert isinstance(call["error"], CallTimeout)
    await server.stop()


async def test_a_killed_server_crashes(rt: TestRuntime, events: Events) -> None:
    server = await rt.start(InitWith(None))
    server.kill()
    assert await server.join() == "killed"
    [(_, _, crash)] = events.of(telemetry.PROCESS_CRASH, server)
    assert crash["reason"] == "killed"


async def test_a_failed_init_emits_a_stop_but_no_start(rt: TestRuntime, events: Events) -> None:
    with pytest.raises(InitFailed):
        await rt.start(InitWith(Stop("no")), name="bad")
    assert [m["server"] for _, _, m in events.seen if m.get("name") == "bad"] == ["InitWith 'bad'"] * 2
    assert [e for e, _, m in events.seen if m.get("name") == "bad"] == [
        telemetry.PROCESS_STOP,
        telemetry.PROCESS_CRASH,
    ]


async def test_supervisor_restarts_and_max_intensity(rt: TestRuntime, events: Events) -> None:
    log: list[object] = []
    sup = await rt.start(
        Supervisor([ChildSpec("w", lambda: Tracked(log, "w"))], max_restarts=1, max_seconds=3600), name="sup"
    )
    for _ in range(2):
        [child] = await sup.which_children()
        assert child.handle is not None
        worker = TestHandle(child.handle, sup.backend)
        worker.cast("crash")
        await worker.join()
    assert await sup.join() == "shutdown"
    [(_, _, restart)] = events.of(telemetry.SUPERVISOR_RESTART)
    assert restart["server"] == "Supervisor 'sup'"
    assert restart["child"] == "w"
    assert restart["restarts"] == ("w",)
    assert isinstance(restart["reason"], ValueError)
    [(_, _, give_up)] = events.of(telemetry.SUPERVISOR_MAX_INTENSITY)
    assert give_up["server"] == "Supervisor 'sup'"
    assert give_up["child"] == "w"


async def test_a_detached_handler_gets_nothing_more(rt: TestRuntime) -> None:
    received = Events()
    telemetry.attach("detach-test", telemetry.EVENTS, received)
    first = await rt.start(Recorder())
    await first.call(Ping())
    await first.stop()
    assert len(received.of(telemetry.MESSAGE, first)) == 2
    assert telemetry.detach("detach-test") is True
    assert telemetry.detach("detach-test") is False
    second = await rt.start(Recorder())
    await second.call(Ping())
    await second.stop()
    assert received.of(telemetry.MESSAGE, second) == []
    assert received.of(telemetry.PROCESS_START, second) == []


async def test_a_raising_handler_is_detached_and_logged_once_and_the_server_runs_on(
    rt: TestRuntime, logs: Any
) -> None:
    def broken(event: str, measurements: Mapping[str, float], metadata: Mapping[str, Any]) -> None:
        raise RuntimeError("handler bug")

    telemetry.attach("broken", telemetry.MESSAGE, broken)
    try:
        server = await rt.start(Recorder())
        assert await server.call(Ping()) == "pong"
        assert await server.call(Ping()) == "pong"
        assert "broken" not in [handler_id for handler_id, _ in telemetry.attached()]
    finally:
        telemetry.detach("broken")
    errors = [m for m in logs.messages("ERROR") if "telemetry handler" in m]
    assert errors == ["telemetry handler 'broken' raised on event spawned.message; it is detached"]
    await server.stop()


async def test_an_async_callback_is_timed_until_it_finishes(rt: TestRuntime, events: Events) -> None:
    if rt.backend == "threads":
        pytest.skip("async def callbacks run on spawned.tasks only")
    server = await rt.start(Napper())
    assert await server.call("nap") == "rested"
    [(_, measurements, metadata)] = events.of(telemetry.MESSAGE, server)
    assert metadata["message_kind"] == "call"
    assert measurements["duration"] >= 0
    await server.stop()


async def test_a_cancelled_call_is_a_cancelled_call_event(rt: TestRuntime, events: Events) -> None:
    if rt.backend == "threads":
        pytest.skip("a blocking call on threads cannot be cancelled")
    server = await rt.start(Recorder())
    with anyio.CancelScope() as scope:
        scope.cancel()
        tasks_handle: Any = server.handle
        await tasks_handle.call(Hold())
    [(_, _, call)] = events.of(telemetry.CALL, server)
    assert call["outcome"] == "cancelled"
    await server.stop()
