"""Attacks on ``handle.blocking``: many threads, races with timeouts, crashes and a closing runtime.

Written by an adversarial review; each case that exposes a bug is ``xfail(strict=True)``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import anyio
import anyio.to_thread
import pytest
from servers import Crash, Get, Hold, Recorder

from spawned import Caller, CallTimeout, GenServer, NoProc, Reply, ServerExited, tasks, threads
from spawned.testing import wait_until

LIMIT = 20


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return request.param


def outcome(fn: Callable[[], object]) -> object:
    """What ``fn()`` returned, or the exception it raised."""
    try:
        return fn()
    except Exception as error:
        return error


async def in_threads(fns: list[Callable[[], object]]) -> list[object]:
    """Run each of ``fns`` on a plain thread of its own, all at once; their outcomes in order."""
    results: list[object] = [None] * len(fns)

    def body(i: int) -> None:
        results[i] = outcome(fns[i])

    started = [threading.Thread(target=body, args=(i,)) for i in range(len(fns))]
    for thread in started:
        thread.start()
    for thread in started:
        await anyio.to_thread.run_sync(thread.join)
    return results


async def test_a_hundred_threads_call_at_once_and_each_gets_its_own_reply(anyio_backend: str) -> None:
    with anyio.fail_after(LIMIT):
        async with tasks.Runtime() as rt:
            h = await rt.start(Recorder())
            fns: list[Callable[[], object]] = [
                (lambda i=i: h.blocking.call(("echo", i), timeout=LIMIT)) for i in range(100)
            ]
            assert await in_threads(fns) == list(range(100))
            assert len(h._process.open_calls or ()) == 0


async def test_timeouts_racing_replies_give_the_reply_or_call_timeout_and_leave_no_open_calls(
    anyio_backend: str,
) -> None:
    with anyio.fail_after(LIMIT):
        async with tasks.Runtime() as rt:
            h = await rt.start(Recorder())
            fns: list[Callable[[], object]] = [
                (lambda i=i: h.blocking.call(("echo", i), timeout=1e-6 * (i % 5))) for i in range(100)
            ]
            results = await in_threads(fns)
            for i, result in enumerate(results):
                assert result == i or isinstance(result, CallTimeout), result
            assert await h.call(Get()) == []
            assert len(h._process.open_calls or ()) == 0
            assert h.is_alive


async def test_threads_blocked_when_the_runtime_closes_raise_and_never_hang(anyio_backend: str) -> None:
    results: list[object] = []
    waiting: list[threading.Thread] = []
    with anyio.fail_after(LIMIT):
        async with tasks.Runtime() as rt:
            h = await rt.start(Recorder())
            other = await rt.start(Recorder())
            fns: list[Callable[[], object]] = [
                lambda: h.blocking.call(Hold(), timeout=float("inf")),
                h.blocking.join,
                lambda: other.blocking.stop("normal"),
            ]

            def body(fn: Callable[[], object]) -> None:
                results.append(outcome(fn))

            for fn in fns[:2]:
                waiting.append(threading.Thread(target=body, args=(fn,)))
                waiting[-1].start()
            await wait_until(lambda: h._process.server.held)  # type: ignore[attr-defined]
            await anyio.to_thread.run_sync(body, fns[2])
        for thread in waiting:
            await anyio.to_thread.run_sync(thread.join)
    assert results[0] is None  # the stop of "other"
    [exited] = [r for r in results if isinstance(r, ServerExited)]
    assert exited.reason == "shutdown"
    assert sorted(results[1:], key=repr) == ["shutdown", exited]


async def test_after_the_runtime_closed_every_blocking_method_answers_at_once(anyio_backend: str) -> None:
    async with tasks.Runtime() as rt:
        h = await rt.start(Recorder())
    with anyio.fail_after(LIMIT):
        call, stop, join = await in_threads(
            [lambda: h.blocking.call(Get(), timeout=float("inf")), h.blocking.stop, h.blocking.join]
        )
    assert isinstance(call, NoProc)
    assert isinstance(stop, NoProc)
    assert join == "shutdown"


async def test_a_blocking_stop_queued_behind_a_crash_raises_server_exited_with_the_crash(
    anyio_backend: str,
) -> None:
    with anyio.fail_after(LIMIT):
        async with tasks.Runtime() as rt:
            h = await rt.start(Recorder())
            h.cast(Crash())
            [stopped] = await in_threads([lambda: h.blocking.stop("normal")])
            assert isinstance(stopped, ServerExited)
            assert isinstance(stopped.reason, ValueError)


async def test_many_blocking_stops_at_once_one_wins_and_the_rest_agree(anyio_backend: str) -> None:
    with anyio.fail_after(LIMIT):
        async with tasks.Runtime() as rt:
            h = await rt.start(Recorder())
            results = await in_threads([lambda: h.blocking.stop("normal") for _ in range(20)])
            assert all(r is None or isinstance(r, NoProc) for r in results), results
            assert None in results
            assert await anyio.to_thread.run_sync(h.blocking.join) == "normal"


async def test_a_threads_runtime_server_calls_a_tasks_server_through_blocking(anyio_backend: str) -> None:
    class Bridge(GenServer):
        def __init__(self, target: tasks.Handle[Any, Any, Any]) -> None:
            self.target = target

        def handle_call(self, msg: object, caller: Caller[Any]) -> Reply[object]:
            return Reply(self.target.blocking.call(("echo", msg), timeout=LIMIT))

    with anyio.fail_after(LIMIT):
        async with tasks.Runtime() as rt:
            h = await rt.start(Recorder())

            def across() -> object:
                with threads.Runtime() as trt:
                    return trt.start(Bridge(h)).call(7, timeout=LIMIT)

            assert await anyio.to_thread.run_sync(across) == 7
