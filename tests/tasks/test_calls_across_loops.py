"""A tasks handle called from another runtime's event loop, on another thread: the reply
crosses loops thread-safely; a loop with no spawned runtime gets a clear error.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import anyio
import anyio.to_thread
import pytest
from servers import Crash, Hold, Ping, Recorder, Release

from spawned import Caller, CallTimeout, GenServer, Reply, ServerExited, tasks
from spawned.testing import wait_until


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(params=["asyncio", "trio"])
def host_backend(request: pytest.FixtureRequest) -> str:
    return request.param


@asynccontextmanager
async def hosted(backend: str) -> AsyncGenerator[Any]:
    """A ``Recorder`` in a runtime of its own, on its own loop in a thread of its own."""
    handles: queue.SimpleQueue[Any] = queue.SimpleQueue()
    done = threading.Event()

    async def host() -> None:
        async with tasks.Runtime() as rt:
            handles.put(await rt.start(Recorder()))
            await anyio.to_thread.run_sync(done.wait)

    thread = threading.Thread(target=anyio.run, args=(host,), kwargs={"backend": backend})
    thread.start()
    try:
        yield await anyio.to_thread.run_sync(partial(handles.get, timeout=5))
    finally:
        done.set()
        await anyio.to_thread.run_sync(thread.join, 5)
        assert not thread.is_alive()


class Relay(GenServer):
    """Calls the handle it is given and answers with the reply (an `async def` callback)."""

    async def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        target, request = msg
        return Reply(await target.call(request))


async def test_a_call_from_another_runtimes_loop_gets_its_reply(
    anyio_backend: str, host_backend: str
) -> None:
    with anyio.fail_after(10):
        async with tasks.Runtime() as rt, hosted(host_backend) as remote:
            assert await remote.call(Ping()) == "pong"
            relay = await rt.start(Relay())
            assert await relay.call((remote, ("echo", "via a process"))) == "via a process"


async def test_deferred_replies_timeouts_and_exits_cross_loops(anyio_backend: str, host_backend: str) -> None:
    with anyio.fail_after(10):
        async with tasks.Runtime(), hosted(host_backend) as remote:
            replies: list[object] = []
            async with anyio.create_task_group() as tg:

                async def held() -> None:
                    replies.append(await remote.call(Hold()))

                tg.start_soon(held)
                await wait_until(lambda: remote._process.open_calls)
                remote.cast(Release("later"))
            assert replies == ["later"]
            with pytest.raises(CallTimeout):
                await remote.call(Hold(), timeout=0.05)
            with pytest.raises(ServerExited):
                await remote.call(Crash())
            assert await remote.join() is not None


async def test_stop_from_another_runtimes_loop_waits_for_the_exit(
    anyio_backend: str, host_backend: str
) -> None:
    with anyio.fail_after(10):
        async with tasks.Runtime(), hosted(host_backend) as remote:
            await remote.stop()
            assert not remote.is_alive


async def test_a_call_from_a_loop_without_a_runtime_raises_a_clear_error(
    anyio_backend: str, host_backend: str
) -> None:
    with anyio.fail_after(10):
        async with hosted(host_backend) as remote:
            with pytest.raises(RuntimeError, match=r"another event loop.*no spawned\.tasks runtime") as info:
                await remote.call(Ping())
            assert f"{host_backend} loop" in str(info.value)
            assert f"this {anyio_backend} loop" in str(info.value)
            await anyio.sleep(0)  # the caller's loop goes on
            assert remote.is_alive


async def test_start_on_a_runtime_of_another_loop_is_refused(anyio_backend: str, host_backend: str) -> None:
    with anyio.fail_after(10):
        async with tasks.Runtime(), hosted(host_backend) as remote:
            remote_runtime = remote._process.runtime
            with pytest.raises(
                RuntimeError,
                match=r"loop runs in another thread; start processes from the runtime's own loop",
            ):
                await remote_runtime.start(Recorder())
            assert await remote.call(Ping()) == "pong"
