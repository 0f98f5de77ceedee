"""A plain def callback that holds the event loop past blocking_threshold logs one warning.

These tests block the loop on purpose (that is the behaviour under test), for several
times the threshold so that a loaded machine still sees it.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from attrs import evolve
from conftest import LogCapture
from servers import Ping, Recorder

from spawned import Caller, Continue, GenServer, Reply, Status, tasks

THRESHOLD = 0.05
BLOCK = 0.25


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return request.param


class Sleeper(GenServer):
    """Blocks its thread (the loop, unless on_thread) for ``BLOCK`` seconds per call."""

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        time.sleep(BLOCK)
        return Reply("slept")


class ChainSleeper(GenServer):
    """A cast starts a Continue chain whose every step blocks the loop briefly (a tenth of
    the threshold), for ``BLOCK`` seconds in all.
    """

    def handle_cast(self, msg: object) -> Continue:
        return Continue(round(BLOCK / (THRESHOLD / 10)))

    def handle_continue(self, arg: int) -> Continue | None:
        time.sleep(THRESHOLD / 10)
        return Continue(arg - 1) if arg > 1 else None

    def handle_call(self, msg: object, caller: Caller[Any]) -> Reply[str]:
        return Reply("done")


def blocking_warnings(logs: LogCapture) -> list[str]:
    return [m for m in logs.messages("WARNING") if "blocked the event loop" in m]


async def test_a_blocking_callback_logs_one_warning_naming_the_server(
    anyio_backend: str, logs: LogCapture
) -> None:
    async with tasks.Runtime(blocking_threshold=THRESHOLD) as rt:
        h = await rt.start(Sleeper(), name="sleepy")
        assert await h.call("nap") == "slept"
        assert await h.call("nap again") == "slept"
    [warning] = blocking_warnings(logs)
    assert "Sleeper 'sleepy'" in warning
    assert "on_thread=True" in warning
    assert "'nap'" in warning


async def test_a_continue_chain_holding_the_loop_is_warned_as_one_callback(
    anyio_backend: str, logs: LogCapture
) -> None:
    async with tasks.Runtime(blocking_threshold=THRESHOLD) as rt:
        h = await rt.start(ChainSleeper(), name="chain")
        h.cast("go")
        assert await h.call("after") == "done"  # answered after the chain
    [warning] = blocking_warnings(logs)
    assert "ChainSleeper 'chain'" in warning
    assert "handle_continue chain" in warning


async def test_each_blocking_server_is_named_once(anyio_backend: str, logs: LogCapture) -> None:
    async with tasks.Runtime(blocking_threshold=THRESHOLD) as rt:
        first = await rt.start(Sleeper(), name="first")
        second = await rt.start(Sleeper(), name="second")
        await first.call("nap")
        await second.call("nap")
    warnings = blocking_warnings(logs)
    assert len(warnings) == 2
    assert "'first'" in warnings[0]
    assert "'second'" in warnings[1]


async def test_on_thread_servers_and_quick_callbacks_are_not_warned(
    anyio_backend: str, logs: LogCapture
) -> None:
    async with tasks.Runtime(blocking_threshold=THRESHOLD) as rt:
        h = await rt.start(Sleeper(), on_thread=True)
        quick = await rt.start(Recorder())
        assert await h.call("nap") == "slept"
        for _ in range(100):
            assert await quick.call(Ping()) == "pong"
    assert blocking_warnings(logs) == []


async def test_the_check_can_be_turned_off(anyio_backend: str, logs: LogCapture) -> None:
    async with tasks.Runtime(blocking_threshold=None) as rt:
        h = await rt.start(Sleeper())
        await h.call("nap")
    assert blocking_warnings(logs) == []


def test_run_passes_the_threshold_on(logs: LogCapture) -> None:
    async def main() -> None:
        h = await tasks.start(Sleeper(), name="in run")
        await h.call("nap")

    tasks.run(main, blocking_threshold=THRESHOLD)
    [warning] = blocking_warnings(logs)
    assert "'in run'" in warning


@pytest.mark.parametrize("bad", [0, -1.0, float("nan")])
def test_a_bad_threshold_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="blocking_threshold must be"):
        tasks.Runtime(blocking_threshold=bad)


def test_an_infinite_threshold_turns_the_check_off() -> None:
    assert tasks.Runtime(blocking_threshold=float("inf")).blocking_threshold is None


class SecretSleeper(Sleeper):
    def format_status(self, status: Status) -> Status:
        return evolve(status, message="<redacted>")


async def test_the_warning_is_bound_to_the_server_and_redacted(anyio_backend: str, logs: LogCapture) -> None:
    async with tasks.Runtime(blocking_threshold=THRESHOLD) as rt:
        h = await rt.start(SecretSleeper(), name="sleepy")
        assert await h.call("password=hunter2") == "slept"
    [record] = [r for r in logs.records if "blocked the event loop" in str(r["message"])]
    assert record["extra"]["server"] == "SecretSleeper 'sleepy'"  # type: ignore[index]
    assert "hunter2" not in str(record["message"])
    assert "'<redacted>'" in str(record["message"])
