"""listen: stream items arrive in handle_info, then StreamEnded/StreamFailed; listeners die with
their owner. Streams are async iterables on tasks and plain iterables on threads.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import pytest

from spawned import Caller, GenServer, Reply, ServerExited, Stop, StreamEnded, StreamFailed
from spawned.testing import TestRuntime, wait_until


class Listener(GenServer):
    """Listens to its streams in init; logs infos; stops when every stream is over."""

    def __init__(self, log: list[object], *streams: object) -> None:
        self.log = log
        self.streams = streams
        self.open = len(streams)

    def init(self) -> None:
        for stream in self.streams:
            self.listen(stream)

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        match msg:
            case ("listen", stream):
                self.listen(stream)
                return Reply("ok")
            case _:
                return Reply(list(self.log))

    def handle_info(self, msg: Any) -> Any:
        self.log.append(msg)
        if isinstance(msg, StreamEnded | StreamFailed):
            self.open -= 1
            if self.open == 0:
                return Stop("normal")
        return None


async def _agen(
    items: list[object], error: Exception | None, closed: threading.Event
) -> AsyncIterator[object]:
    try:
        for item in items:
            yield item
        if error is not None:
            raise error
        while not items:  # an endless stream, a little slow
            await anyio.sleep(0.001)
            yield "more"
    finally:
        closed.set()


def _gen(items: list[object], error: Exception | None, closed: threading.Event) -> Iterator[object]:
    try:
        yield from items
        if error is not None:
            raise error
        while not items:
            time.sleep(0.001)
            yield "more"
    finally:
        closed.set()


def stream(
    rt: TestRuntime,
    items: list[object],
    error: Exception | None = None,
    closed: threading.Event | None = None,
) -> Any:
    """A finite stream of ``items`` (then ``error``, if given), or an endless one if empty."""
    closed = closed or threading.Event()
    if rt.backend == "threads":
        return _gen(items, error, closed)
    return _agen(items, error, closed)


async def test_items_arrive_in_order_then_stream_ended(rt: TestRuntime) -> None:
    log: list[object] = []
    feed = stream(rt, [1, 2, 3])
    h = await rt.start(Listener(log, feed))
    assert await h.join() == "normal"
    assert log == [1, 2, 3, StreamEnded(feed)]


async def test_a_failing_stream_arrives_as_stream_failed(rt: TestRuntime) -> None:
    log: list[object] = []
    error = ValueError("broken feed")
    feed = stream(rt, ["a"], error)
    h = await rt.start(Listener(log, feed))
    assert await h.join() == "normal"
    assert log == ["a", StreamFailed(feed, error)]


async def _awaits_a_cancelled_future() -> AsyncIterator[object]:
    yield "first"
    future = asyncio.get_running_loop().create_future()
    future.cancel()
    await future  # raises CancelledError in the listener, which nobody cancelled


@pytest.mark.spawned_backends("asyncio")
async def test_a_cancellation_raised_by_a_stream_arrives_as_stream_failed(rt: TestRuntime) -> None:
    log: list[object] = []
    feed = _awaits_a_cancelled_future()
    h = await rt.start(Listener(log, feed))
    assert await h.join() == "normal"
    first, failed = log
    assert first == "first"
    assert isinstance(failed, StreamFailed)
    assert failed.stream is feed
    assert isinstance(failed.error, asyncio.CancelledError)


async def test_two_streams_each_end_separately(rt: TestRuntime) -> None:
    log: list[object] = []
    first, second = stream(rt, ["x"]), stream(rt, ["y"])
    h = await rt.start(Listener(log, first, second))
    assert await h.join() == "normal"
    assert log.index("x") < log.index(StreamEnded(first))
    assert log.index("y") < log.index(StreamEnded(second))
    assert len(log) == 4


@pytest.mark.parametrize("ending", ["stop", "kill"])
async def test_the_listener_stops_with_its_owner(rt: TestRuntime, ending: str) -> None:
    log: list[object] = []
    closed = threading.Event()
    h = await rt.start(Listener(log))
    await h.call(("listen", stream(rt, [], closed=closed)))
    if ending == "stop":
        await h.stop()
    else:
        h.kill()
        await h.join()
    assert await anyio.to_thread.run_sync(closed.wait, 5.0)  # the iterator was closed


async def test_the_wrong_kind_of_stream_is_refused(rt: TestRuntime) -> None:
    log: list[object] = []
    h = await rt.start(Listener(log))
    wrong: object = [1, 2] if rt.backend != "threads" else _agen([1], None, threading.Event())
    with pytest.raises(ServerExited) as info:
        await h.call(("listen", wrong))
    assert isinstance(info.value.reason, TypeError)
    assert "iterables" in str(info.value.reason)
    if rt.backend == "threads":
        await wrong.aclose()  # type: ignore[attr-defined]


class UsableOnce:
    """A stream that can be iterated once, sync or async: a second listen fails at once."""

    def __init__(self) -> None:
        self.used = False

    def _claim(self) -> None:
        if self.used:
            raise RuntimeError("stream already consumed")
        self.used = True

    def __iter__(self) -> Iterator[int]:
        self._claim()
        return iter([1])

    def __aiter__(self) -> AsyncIterator[int]:
        self._claim()
        return self._items()

    async def _items(self) -> AsyncIterator[int]:
        yield 1


class Listens(GenServer):
    def init(self) -> None:
        self.seen: list[object] = []

    def handle_call(self, msg: Any, caller: Caller[object]) -> Reply[object]:
        if msg == "seen":
            return Reply(list(self.seen))
        self.listen(msg)
        return Reply("listening")

    def handle_info(self, msg: object) -> None:
        self.seen.append(msg)


async def test_a_stream_that_cannot_be_iterated_fails_only_its_listener(rt: TestRuntime) -> None:
    stream = UsableOnce()
    h = await rt.start(Listens())
    await h.call(stream)
    await h.call(stream)  # the second listen fails to iterate

    async def three_seen() -> list[object] | None:
        seen = await h.call("seen")
        return seen if len(seen) >= 3 else None

    seen = await wait_until(three_seen)
    assert seen is not None
    failures = [m for m in seen if isinstance(m, StreamFailed)]
    assert [str(f.error) for f in failures] == ["stream already consumed"]
    assert StreamEnded(stream) in seen
    assert 1 in seen
    assert await h.call("seen")  # the server (and the runtime) are still up
