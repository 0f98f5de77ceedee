"""The runtime's one clock is the event loop's: trio's ``MockClock`` drives every timer.

Each test runs inside ``trio.fail_after`` on the virtual clock: were a timer on another
clock, the autojumping clock would leap past the limit and the test would fail at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import trio
import trio.testing

from spawned import Caller, CallTimeout, ChildSpec, GenServer, NoReply, Reply, Supervisor, tasks
from spawned.testing import wait_until

MOCK_CLOCK = pytest.mark.parametrize(
    "anyio_backend",
    [pytest.param(("trio", {"clock": trio.testing.MockClock(autojump_threshold=0)}), id="trio-mockclock")],
)
HOUR = 3600.0


class Ticker(GenServer):
    """Counts ``send_interval`` ticks; answers ``"ticks"`` once ``want`` have arrived."""

    def __init__(self, period: float, want: int) -> None:
        self.period = period
        self.want = want
        self.ticks = 0
        self.waiting: Caller[Any] | None = None

    def init(self) -> None:
        self.interval = self.send_interval(self.period, "tick")

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        if self.ticks >= self.want:
            return Reply(self.ticks)
        self.waiting = caller
        return NoReply()

    def handle_info(self, msg: Any) -> None:
        self.ticks += 1
        if self.ticks == self.want:
            self.interval.cancel()
            if self.waiting is not None:
                self.waiting.reply(self.ticks)


@MOCK_CLOCK
async def test_an_hour_of_one_minute_ticks_passes_in_virtual_time(anyio_backend: object) -> None:
    with trio.fail_after(HOUR + 60):  # virtual seconds
        async with tasks.Runtime() as rt:
            began = trio.current_time()
            ticker = await rt.start(Ticker(60.0, 60))
            assert await ticker.call("ticks", timeout=2 * HOUR) == 60
            assert trio.current_time() - began == pytest.approx(HOUR)
            await ticker.stop()


@MOCK_CLOCK
async def test_a_call_times_out_in_virtual_time(anyio_backend: object) -> None:
    class Silent(GenServer):
        def handle_call(self, msg: Any, caller: Caller[Any]) -> NoReply:
            return NoReply()

    with trio.fail_after(HOUR + 60):
        async with tasks.Runtime() as rt:
            silent = await rt.start(Silent())
            began = trio.current_time()
            with pytest.raises(CallTimeout):
                await silent.call("x", timeout=HOUR)
            assert trio.current_time() - began >= HOUR
            await silent.stop()


class Crasher(GenServer):
    """Crashes on any cast."""

    def __init__(self, starts: list[float]) -> None:
        self.starts = starts

    def init(self) -> None:
        self.starts.append(trio.current_time())

    def handle_cast(self, msg: Any) -> None:
        raise ValueError(msg)


@MOCK_CLOCK
async def test_restart_intensity_counts_restarts_on_the_virtual_clock(anyio_backend: object) -> None:
    """One restart allowed per 5 s: two crashes an hour apart of virtual time are both
    restarted (on a real clock they are microseconds apart, and the second is one too many).
    """
    starts: list[float] = []
    with trio.fail_after(3 * HOUR):
        async with tasks.Runtime() as rt:
            sup = await rt.start(
                Supervisor([ChildSpec("crasher", lambda: Crasher(starts))], max_restarts=1, max_seconds=5.0)
            )
            for crash in range(2):
                (child,) = await sup.which_children()
                assert child.handle is not None
                child.handle.cast(f"crash {crash}")
                await wait_until(lambda n=crash: len(starts) == n + 2)
                await trio.sleep(HOUR)
            assert sup.is_alive
            await sup.stop()


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_asyncio_runtime_clock_is_the_loop_clock(anyio_backend: str) -> None:
    async with tasks.Runtime() as rt:
        before = asyncio.get_running_loop().time()
        now = rt.timers().now()
        assert before <= now <= asyncio.get_running_loop().time()


class ArmsAndCancels(GenServer):
    """On its own thread: arms an hour-long timer and cancels it at once."""

    def handle_call(
        self, msg: Any, caller: Caller[Any]
    ) -> Reply[tuple[bool, float | None, float | None, bool]]:
        timer = self.send_after(HOUR, "never")
        armed = timer.is_active
        left = timer.cancel()
        return Reply((armed, left, timer.cancel(), timer.is_active))


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_a_timer_armed_from_another_thread_cancels_at_once(anyio_backend: str) -> None:
    async with tasks.Runtime() as rt:
        server = await rt.start(ArmsAndCancels(), on_thread=True)
        armed, left, again, active = await server.call("go")
        assert armed
        assert left is not None
        assert HOUR - 60 < left <= HOUR
        assert again is None
        assert not active
        assert await server.call("go") == (armed, pytest.approx(left, abs=60), None, False)
        await server.stop()
