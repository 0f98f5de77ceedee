"""What differs on tasks by design: async callbacks, trio-native use, casts from threads."""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Any

import anyio
import anyio.to_thread
import pytest
import trio
import trio.testing
from servers import Get, Ping, Recorder

from spawned import Caller, Continue, GenServer, Reply, SignalShutdown, tasks, threads
from spawned.tasks._process import BATCH
from spawned.testing import wait_until


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return request.param


class Relay(GenServer):
    """Async callbacks: calls another server from inside handle_call."""

    def __init__(self, target: tasks.Handle) -> None:
        self.target = target

    async def init(self) -> None:
        self.greeting = await self.target.call(Ping())

    async def handle_call(self, msg: object, caller: Caller[object]) -> Reply[object]:
        return Reply((self.greeting, await self.target.call(("echo", msg))))


async def test_async_callbacks_may_call_other_servers(anyio_backend: str) -> None:
    async with tasks.Runtime() as rt:
        target = await rt.start(Recorder())
        relay = await rt.start(Relay(target))
        assert await relay.call("hi") == ("pong", "hi")


async def test_a_thread_may_cast_and_send_into_a_tasks_server(anyio_backend: str) -> None:
    async with tasks.Runtime() as rt:
        h = await rt.start(Recorder())

        def from_a_thread() -> None:
            for i in range(100):
                h.cast(i)
            h.send("done")

        await anyio.to_thread.run_sync(from_a_thread)

        async def done_arrived() -> bool:
            return ("info", "done") in await h.call(Get())

        await wait_until(done_arrived)
        assert await h.call(Get()) == [("cast", i) for i in range(100)] + [("info", "done")]


async def test_a_thread_may_kill_a_tasks_server(anyio_backend: str) -> None:
    async with tasks.Runtime() as rt:
        h = await rt.start(Recorder())
        await anyio.to_thread.run_sync(h.kill)
        with anyio.fail_after(5):
            assert await h.join() == "killed"


async def test_a_busy_server_does_not_starve_the_loop(anyio_backend: str) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await anyio.sleep(0)

    async with tasks.Runtime() as rt, anyio.create_task_group() as tg:
        h = await rt.start(Recorder())
        tg.start_soon(ticker)
        for i in range(5000):
            h.cast(i)
        before = ticks
        await h.call(Ping())  # returns after all 5000 casts were handled
        assert ticks - before > 5  # the ticker ran between batches, not once at the end
        tg.cancel_scope.cancel()


def test_module_functions_outside_a_runtime_say_what_to_do(anyio_backend: str) -> None:
    async def main() -> None:
        with pytest.raises(RuntimeError, match=r"tasks\.run\(main\)"):
            await tasks.start(Recorder())

    anyio.run(main, backend=anyio_backend)


def test_run_returns_what_main_returned(anyio_backend: str) -> None:
    async def main(x: int) -> int:
        h = await tasks.start(Recorder(), name="rec")
        assert tasks.whereis("rec") == h
        return x + 1

    assert tasks.run(main, 41, backend=anyio_backend) == 42


@pytest.mark.trio
async def test_runtime_inside_a_users_own_trio_nursery() -> None:
    results: list[object] = []
    async with trio.open_nursery() as nursery, tasks.Runtime() as rt:
        h = await rt.start(Recorder())

        async def client() -> None:
            results.append(await h.call(Ping()))

        nursery.start_soon(client)
        await trio.testing.wait_all_tasks_blocked()
        results.append(await h.call(("echo", "direct")))
    assert sorted(map(str, results)) == ["direct", "pong"]


class Watcher(GenServer):
    """Monitors and links to whatever handle it is given; records what arrives."""

    trap_exits = True

    def init(self) -> None:
        self.seen: list[object] = []

    def handle_call(self, msg: object, caller: Caller[object]) -> Reply[object]:
        if msg == "seen":
            return Reply([type(m).__name__ for m in self.seen])
        self.monitor(msg)  # type: ignore[arg-type]
        self.link(msg)  # type: ignore[arg-type]
        return Reply("watching")

    def handle_info(self, msg: object) -> None:
        self.seen.append(msg)


async def test_monitors_and_links_work_across_a_tasks_and_a_threads_runtime(anyio_backend: str) -> None:
    with threads.Runtime() as threads_rt:
        watcher = await anyio.to_thread.run_sync(threads_rt.start, Watcher())
        async with tasks.Runtime() as rt:
            target = await rt.start(Recorder())
            assert await anyio.to_thread.run_sync(watcher.call, target) == "watching"
            target.kill()

            async def both_seen() -> list[str] | None:
                seen = await anyio.to_thread.run_sync(watcher.call, "seen")
                return seen if len(seen) >= 2 else None

            seen = await wait_until(both_seen)
            assert seen is not None
            assert sorted(seen) == ["Down", "Exit"]
        await anyio.to_thread.run_sync(threads_rt.shutdown)


class Trapper(GenServer):
    """Traps exits; its async terminate awaits the loop, then records its number and reason."""

    trap_exits = True

    def __init__(self, number: int, stopped: list[tuple[int, object]]) -> None:
        self.number = number
        self.stopped = stopped

    async def terminate(self, reason: object) -> None:
        await anyio.lowlevel.checkpoint()
        self.stopped.append((self.number, reason))


async def test_cancelling_the_host_still_runs_every_terminate(anyio_backend: str) -> None:
    stopped: list[tuple[int, object]] = []
    with anyio.CancelScope() as host:
        async with tasks.Runtime() as rt:
            for number in range(3):
                await rt.start(Trapper(number, stopped))
            host.cancel()
            await anyio.sleep_forever()
    assert host.cancelled_caught
    assert stopped == [(2, "shutdown"), (1, "shutdown"), (0, "shutdown")]


class Oops(Exception):
    pass


async def test_leaving_a_runtime_raises_the_exception_of_its_block_itself(anyio_backend: str) -> None:
    async def block() -> None:
        async with tasks.Runtime() as rt:
            await rt.start(Recorder())
            raise Oops

    with pytest.raises(Oops):
        await block()


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_ctrl_c_runs_every_terminate_then_raises_keyboard_interrupt_itself(backend: str) -> None:
    stopped: list[tuple[int, object]] = []

    async def main() -> None:
        for number in range(2):
            await tasks.start(Trapper(number, stopped))
        signal.raise_signal(signal.SIGINT)
        await anyio.sleep_forever()

    with pytest.raises(KeyboardInterrupt):
        tasks.run(main, backend=backend, handle_signals=False)
    assert stopped == [(1, "shutdown"), (0, "shutdown")]


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_ctrl_c_handled_by_run_runs_every_terminate_then_raises_signal_shutdown(backend: str) -> None:
    stopped: list[tuple[int, object]] = []

    async def main() -> None:
        for number in range(2):
            await tasks.start(Trapper(number, stopped))
        signal.raise_signal(signal.SIGINT)
        await anyio.sleep_forever()

    with pytest.raises(SignalShutdown) as raised:
        tasks.run(main, backend=backend)
    assert (raised.value.signal, raised.value.code) == (signal.SIGINT, 130)
    assert stopped == [(1, "shutdown"), (0, "shutdown")]


class Chain(GenServer):
    """A cast of ``n`` starts a Continue chain of ``n`` steps; each step calls ``on_step``
    with the number of steps left.
    """

    def __init__(self, on_step: Callable[[int], None]) -> None:
        self.on_step = on_step

    def handle_cast(self, msg: int) -> Continue:
        return Continue(msg)

    def handle_continue(self, arg: int) -> Continue | None:
        self.on_step(arg)
        return Continue(arg - 1) if arg > 1 else None

    def handle_call(self, msg: object, caller: Caller[Any]) -> Reply[str]:
        return Reply("done")


async def test_a_continue_chain_yields_to_the_loop_between_steps(anyio_backend: str) -> None:
    ticks = 0
    seen: list[int] = []

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await anyio.sleep(0)

    async with tasks.Runtime() as rt, anyio.create_task_group() as tg:
        h = await rt.start(Chain(lambda _: seen.append(ticks)))
        tg.start_soon(ticker)
        h.cast(5 * BATCH)
        await h.call(Ping())  # answered after the whole chain
        assert len(seen) == 5 * BATCH
        assert seen[-1] - seen[0] > 2  # the ticker ran during the chain, not only after it
        tg.cancel_scope.cancel()


async def test_kill_ends_a_continue_chain(anyio_backend: str) -> None:
    steps = 50 * BATCH
    left: list[int] = []
    started = anyio.Event()

    def on_step(n: int) -> None:
        left.append(n)
        started.set()

    async with tasks.Runtime() as rt:
        h = await rt.start(Chain(on_step))
        h.cast(steps)
        await started.wait()  # resumes when the chain first yields
        h.kill()
        assert await h.join() == "killed"
        ran = len(left)
        assert ran < steps
        await rt.start(Recorder())  # the loop went on; the dead chain ran no further step
        assert len(left) == ran
