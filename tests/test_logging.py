"""Every record spawned emits is bound with ``server=``: each one triggered, on every backend."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import LogCapture
from servers import Crash, Recorder
from sup_servers import StubbornTask, StubbornThread

from spawned import (
    Caller,
    ChildSpec,
    GenServer,
    InitFailed,
    NoReply,
    Reply,
    StreamEnded,
    Supervisor,
)
from spawned.testing import TestRuntime


def library_records(logs: LogCapture) -> list[dict[str, Any]]:
    return [r for r in logs.records if str(r["name"]).startswith("spawned")]


def assert_every_record_names_its_server(logs: LogCapture, expected: list[str]) -> None:
    records = library_records(logs)
    for record in records:
        assert "server" in record["extra"], record["message"]
        assert record["extra"]["server"] in record["message"], record["message"]
    messages = "\n".join(str(r["message"]) for r in records)
    for fragment in expected:
        assert fragment in messages, (fragment, messages)


class Quiet(GenServer):
    """Takes no info messages: the default handle_info warns and drops them."""

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Reply[Any]:
        return Reply(msg)


class BadCloseSync:
    """An empty iterator whose close raises (threads)."""

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        raise StopIteration

    def close(self) -> None:
        raise RuntimeError("close failed")


class BadCloseAsync:
    """An empty async iterator whose aclose raises (tasks)."""

    def __aiter__(self) -> BadCloseAsync:
        return self

    async def __anext__(self) -> Any:
        raise StopAsyncIteration

    async def aclose(self) -> None:
        raise RuntimeError("close failed")


class Listener(GenServer):
    """Listens to a stream from init; answers "ended" once the stream has ended."""

    def __init__(self, stream: object) -> None:
        self.stream = stream
        self.ended = False
        self.waiting: list[Caller[Any]] = []

    def init(self) -> None:
        self.listen(self.stream)

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        if self.ended:
            return Reply("ended")
        self.waiting.append(caller)
        return NoReply()

    def handle_info(self, msg: Any) -> None:
        if isinstance(msg, StreamEnded):
            self.ended = True
            for caller in self.waiting:
                caller.reply("ended")


def fail_to_start() -> GenServer:
    raise LookupError("no config")


async def test_every_record_is_bound_with_its_server(rt: TestRuntime, logs: LogCapture) -> None:
    quiet = await rt.start(Quiet(), name="quiet")
    quiet.send("unexpected")
    await quiet.call("sync")

    sup = await rt.start(Supervisor([ChildSpec("rec", Recorder)]), name="sup")
    [child] = await sup.which_children()
    assert child.handle is not None
    child.handle.cast(Crash())
    await sup.which_children()  # the restart is done
    with pytest.raises(InitFailed):
        await sup.start_child(ChildSpec("bad", fail_to_start))

    fragile = await rt.start(Supervisor([ChildSpec("rec", Recorder)], max_restarts=0), name="fragile")
    [child] = await fragile.which_children()
    assert child.handle is not None
    child.handle.cast(Crash())
    assert await fragile.join() == "shutdown"

    release = threading.Event()
    log: list[object] = []
    threaded = rt.backend == "threads"
    stubborn = (lambda: StubbornThread(log, "s", release)) if threaded else (lambda: StubbornTask(log, "s"))
    slow = await rt.start(Supervisor([ChildSpec("s", stubborn, shutdown=0.05)]), name="slow")
    try:
        await slow.stop()
    finally:
        release.set()

    listener = await rt.start(Listener(BadCloseSync() if threaded else BadCloseAsync()), name="listener")
    assert await listener.call("wait") == "ended"

    assert_every_record_names_its_server(
        logs,
        [
            "Quiet 'quiet' dropped an unexpected message: 'unexpected'",
            "terminating, reason: ValueError: crash on request",
            "Supervisor 'sup' restarting 'rec' after child 'rec'",
            "Supervisor 'sup' could not start child 'bad': its start factory raised LookupError",
            "Supervisor 'fragile' reached max restart intensity",
            "did not stop within its shutdown of 0.05 s; killing it",
            "Listener 'listener': closing a listened stream raised RuntimeError('close failed')",
        ],
    )
