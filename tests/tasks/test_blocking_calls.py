"""handle.blocking: call, stop and join a tasks process from threads that are not its loop."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

import anyio
import anyio.to_thread
import pytest
from servers import Crash, Get, Hold, Ping, Recorder, Release

from spawned import Caller, CallingSelf, CallTimeout, GenServer, NoProc, Reply, ServerExited, tasks, threads

T = TypeVar("T")


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return request.param


async def in_plain_thread(fn: Callable[[], T]) -> T:
    """Run ``fn`` on a new ``threading.Thread`` (not a worker anyio knows) and return its result."""
    outcome: list[tuple[T | None, BaseException | None]] = []

    def body() -> None:
        try:
            outcome.append((fn(), None))
        except BaseException as error:
            outcome.append((None, error))

    thread = threading.Thread(target=body)
    thread.start()
    await anyio.to_thread.run_sync(thread.join)
    value, error = outcome[0]
    if error is not None:
        raise error
    return cast("T", value)


async def test_call_from_a_plain_thread(anyio_backend: str) -> None:
    async with tasks.Runtime() as rt:
        h = await rt.start(Recorder())
        assert await in_plain_thread(lambda: h.blocking.call(Ping())) == "pong"
        assert await in_plain_thread(lambda: h.blocking.call(("echo", 7), timeout=1.0)) == 7


async def test_call_from_anyio_worker_threads(anyio_backend: str) -> None:
    async with tasks.Runtime() as rt:
        h = await rt.start(Recorder())
        replies: list[int] = []
        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:

                async def one(i: int) -> None:
                    replies.append(await anyio.to_thread.run_sync(h.blocking.call, ("echo", i)))

                for i in range(8):
                    tg.start_soon(one, i)
        assert sorted(replies) == list(range(8))


async def test_call_from_a_thread_pool_executor(anyio_backend: str) -> None:
    async with tasks.Runtime() as rt:
        h = await rt.start(Recorder())
        with ThreadPoolExecutor(max_workers=4) as pool:
            futures = [pool.submit(h.blocking.call, ("echo", i)) for i in range(8)]
            replies = [await anyio.to_thread.run_sync(f.result, 10) for f in futures]
        assert replies == list(range(8))


class Relay(GenServer):
    """An on_thread server whose plain ``def`` callbacks call, stop and join another server."""

    def __init__(self, target: tasks.Handle) -> None:
        self.target = target

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        match msg:
            case "stop target":
                self.target.blocking.stop("shutdown")
                return Reply(self.target.blocking.join())
            case "call self":
                return Reply(tasks.Handle.of(self.handle).blocking.call(Ping()))
            case _:
                return Reply(("relayed", self.target.blocking.call(msg)))


async def test_an_on_thread_servers_def_callback_calls_another_server(anyio_backend: str) -> None:
    async with tasks.Runtime() as rt:
        events: list[object] = []
        target = await rt.start(Recorder(events))
        relay = await rt.start(Relay(target), on_thread=True)
        assert await relay.call(Ping()) == ("relayed", "pong")
        assert await relay.call("stop target") == "shutdown"
        assert not target.is_alive
        assert events == [("terminate", "shutdown")]


async def test_an_on_thread_server_calling_itself_gets_calling_self(anyio_backend: str) -> None:
    async with tasks.Runtime() as rt:
        relay = await rt.start(Relay(await rt.start(Recorder())), on_thread=True)
        with pytest.raises(ServerExited) as raised:
            await relay.call("call self")
        assert isinstance(raised.value.reason, CallingSelf)


async def test_blocking_on_the_loop_thread_is_refused(anyio_backend: str) -> None:
    async with tasks.Runtime() as rt:
        h = await rt.start(Recorder())
        with pytest.raises(RuntimeError, match=r"handle\.blocking\.call\(\) on the event loop thread"):
            h.blocking.call(Ping())
        with pytest.raises(RuntimeError, match=r"await handle\.stop"):
            h.blocking.stop()
        with pytest.raises(RuntimeError, match=r"await handle\.join"):
            h.blocking.join()
        assert await h.call(Get()) == []  # nothing was sent
        assert h.is_alive


async def test_timeout_leaves_the_server_running_and_drops_the_late_reply(anyio_backend: str) -> None:
    async with tasks.Runtime() as rt:
        h = await rt.start(Recorder())
        with pytest.raises(CallTimeout):
            await in_plain_thread(lambda: h.blocking.call(Hold(), timeout=0.05))
        with pytest.raises(CallTimeout):
            await in_plain_thread(lambda: h.blocking.call(Ping(), timeout=0))
        h.cast(Release("late"))
        assert await in_plain_thread(lambda: h.blocking.call(Ping())) == "pong"
        with pytest.raises(ValueError, match="timeout must be"):
            await in_plain_thread(lambda: h.blocking.call(Ping(), timeout=-1))


async def test_dead_and_dying_servers(anyio_backend: str) -> None:
    async with tasks.Runtime() as rt:
        h = await rt.start(Recorder())
        with pytest.raises(ServerExited) as raised:
            await in_plain_thread(lambda: h.blocking.call(Crash()))
        assert isinstance(raised.value.reason, ValueError)
        assert isinstance(await in_plain_thread(h.blocking.join), ValueError)
        with pytest.raises(NoProc):
            await in_plain_thread(lambda: h.blocking.call(Ping()))
        with pytest.raises(NoProc):
            await in_plain_thread(h.blocking.stop)


async def test_stop_from_a_thread_runs_terminate_and_waits(anyio_backend: str) -> None:
    async with tasks.Runtime() as rt:
        events: list[object] = []
        h = await rt.start(Recorder(events))
        await in_plain_thread(lambda: h.blocking.stop("shutdown"))
        assert events == [("terminate", "shutdown")]
        assert not h.is_alive


async def test_stop_timeout_kills_a_stuck_server(anyio_backend: str) -> None:
    gate = threading.Event()

    class Stuck(GenServer):
        def handle_cast(self, msg: Any) -> None:
            gate.wait(10)

    async with tasks.Runtime() as rt:
        h = await rt.start(Stuck(), on_thread=True)
        h.cast("block")
        try:
            with pytest.raises(CallTimeout):
                await in_plain_thread(lambda: h.blocking.stop(timeout=0.05))
            assert not h.is_alive
        finally:
            gate.set()


def test_a_threads_handle_is_its_own_blocking_view() -> None:
    with threads.Runtime() as rt:
        h = rt.start(Recorder())
        assert h.blocking is h
        assert h.blocking.call(Ping()) == "pong"


class AsyncCallbacks(GenServer):
    async def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        return Reply(msg)


async def test_on_thread_refuses_async_callbacks_with_advice_for_tasks(anyio_backend: str) -> None:
    async with tasks.Runtime() as rt:
        with pytest.raises(TypeError) as raised:
            await rt.start(AsyncCallbacks(), on_thread=True)
    message = str(raised.value)
    assert "on_thread=True" in message
    assert "handle.blocking.call" in message
    assert "use spawned.tasks" not in message
