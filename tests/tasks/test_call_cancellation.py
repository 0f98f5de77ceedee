"""On tasks a call is an await: cancelling it abandons the call like a timeout does."""

from __future__ import annotations

import anyio
import pytest
from servers import Hold, Ping, Recorder, Release

from spawned import tasks
from spawned.testing import wait_until


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return request.param


async def test_a_cancelled_call_leaves_the_server_running_and_drops_the_late_reply(
    anyio_backend: str,
) -> None:
    async with tasks.Runtime() as rt:
        h = await rt.start(Recorder())
        with anyio.CancelScope() as scope:
            async with anyio.create_task_group() as tg:
                tg.start_soon(h.call, Hold())
                await wait_until(lambda: h._process.server.held)  # type: ignore[attr-defined]
                scope.cancel()
        assert scope.cancelled_caught
        h.cast(Release("late"))  # answers the abandoned call: dropped
        assert await h.call(("echo", "fresh")) == "fresh"
        assert await h.call(Ping()) == "pong"
        assert h.is_alive


async def test_a_cancelled_call_leaves_no_open_call_on_the_server(anyio_backend: str) -> None:
    async with tasks.Runtime() as rt:
        h = await rt.start(Recorder())
        with anyio.CancelScope() as scope:
            async with anyio.create_task_group() as tg:
                tg.start_soon(h.call, Hold())
                await wait_until(lambda: h._process.open_calls)
                scope.cancel()
        assert scope.cancelled_caught
        assert not h._process.open_calls
