"""start(..., on_thread=True): callbacks on one dedicated thread; the handle is a tasks handle."""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

import anyio
import anyio.to_thread
import pytest
from servers import Crash, Get, Hold, Ping, Recorder, Release

from spawned import (
    Caller,
    CallTimeout,
    Continue,
    Down,
    GenServer,
    Registry,
    Reply,
    ServerExited,
    Stop,
    tasks,
)
from spawned.tasks._on_thread import ThreadedProcess


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return request.param


class WhereAmI(GenServer):
    """Records the thread every callback runs on."""

    def __init__(self, seen: list[tuple[str, int]]) -> None:
        self.seen = seen

    def init(self) -> Any:
        self.seen.append(("init", threading.get_ident()))
        return Continue("warm up")

    def handle_continue(self, arg: Any) -> None:
        self.seen.append(("continue", threading.get_ident()))

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        self.seen.append(("call", threading.get_ident()))
        if msg == "later":
            self.send_after(0.0, "timer")
            return Reply("armed")
        return Reply(threading.get_ident())

    def handle_cast(self, msg: Any) -> None:
        self.seen.append(("cast", threading.get_ident()))

    def handle_info(self, msg: Any) -> Any:
        self.seen.append((f"info {msg}", threading.get_ident()))
        if msg == "timer":
            return Stop("normal")
        return None

    def terminate(self, reason: object) -> None:
        self.seen.append(("terminate", threading.get_ident()))


async def test_every_callback_runs_on_the_same_dedicated_thread(anyio_backend: str) -> None:
    seen: list[tuple[str, int]] = []
    async with tasks.Runtime() as rt:
        h = await rt.start(WhereAmI(seen), on_thread=True)
        assert isinstance(h, tasks.Handle)
        h.cast("c")
        h.send("i")
        assert await h.call("later") == "armed"
        assert await h.join() == "normal"
    kinds = [kind for kind, _ in seen]
    assert kinds == ["init", "continue", "cast", "info i", "call", "info timer", "terminate"]
    threads = {ident for _, ident in seen}
    assert len(threads) == 1
    assert threads != {threading.get_ident()}


class Database(GenServer):
    """sqlite3 connections refuse to be used from a thread other than their creator's."""

    def init(self) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.execute("create table kv (k text primary key, v text)")

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        match msg:
            case ("put", key, value):
                self.db.execute("insert or replace into kv values (?, ?)", (key, value))
                return Reply("ok")
            case ("get", key):
                row = self.db.execute("select v from kv where k = ?", (key,)).fetchone()
                return Reply(None if row is None else row[0])
            case _:
                return Reply(None)

    def terminate(self, reason: object) -> None:
        self.db.close()


async def test_a_thread_affine_library_works(anyio_backend: str) -> None:
    async with tasks.Runtime() as rt:
        h = await rt.start(Database(), on_thread=True)
        assert await h.call(("put", "a", "1")) == "ok"
        assert await h.call(("get", "a")) == "1"
        await h.stop()


class Gate(GenServer):
    """Its call blocks its thread until the gate opens."""

    def __init__(self, gate: threading.Event) -> None:
        self.gate = gate

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        self.gate.wait(10)
        return Reply("through")


async def test_a_blocked_on_thread_server_does_not_stall_the_loop(anyio_backend: str) -> None:
    gate = threading.Event()
    async with tasks.Runtime() as rt:
        blocked = await rt.start(Gate(gate), on_thread=True)
        other = await rt.start(Recorder())
        async with anyio.create_task_group() as tg:

            async def wait_for_gate() -> None:
                assert await blocked.call("go") == "through"

            tg.start_soon(wait_for_gate)
            for _ in range(10):
                assert await other.call(Ping()) == "pong"  # the loop keeps running
            gate.set()


async def test_the_handle_behaves_as_any_tasks_handle(anyio_backend: str) -> None:
    async with tasks.Runtime() as rt:
        h = await rt.start(Recorder(), on_thread=True)
        with pytest.raises(CallTimeout):
            await h.call(Hold(), timeout=0.05)
        h.cast(Release("late"))
        assert await h.call(Ping()) == "pong"
        h.cast("x")
        assert await h.call(Get()) == [("cast", "x")]
        with pytest.raises(ServerExited):
            await h.call(Crash())
        assert not h.is_alive


class Watcher(GenServer):
    def __init__(self, downs: list[Down]) -> None:
        self.downs = downs

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        self.monitor(msg)
        return Reply("watching")

    def handle_info(self, msg: Any) -> Any:
        self.downs.append(msg)
        return Stop("normal")


class Crasher(GenServer):
    def handle_cast(self, msg: Any) -> None:
        raise ValueError(msg)


async def test_monitors_and_links_work_across_the_thread(anyio_backend: str) -> None:
    downs: list[Down] = []
    async with tasks.Runtime() as rt:
        target = await rt.start(Crasher(), on_thread=True)
        watcher = await rt.start(Watcher(downs), on_thread=True)
        assert await watcher.call(target) == "watching"
        target.cast("boom")
        assert await watcher.join() == "normal"
    assert len(downs) == 1
    assert isinstance(downs[0].reason, ValueError)


class Member(GenServer):
    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def init(self) -> None:
        self.registry.register("on thread", threading.get_ident())


async def test_registry_and_kill_work_on_thread(anyio_backend: str) -> None:
    registry: Registry[str, int] = Registry(keys="duplicate")
    async with tasks.Runtime() as rt:
        h = await rt.start(Member(registry), on_thread=True)
        [(handle, ident)] = registry.lookup("on thread")
        assert handle == h
        assert ident != threading.get_ident()
        h.kill()
        assert await h.join() == "killed"
        assert registry.lookup("on thread") == []
        process = h._process
        assert isinstance(process, ThreadedProcess)
        await anyio.to_thread.run_sync(process.worker.join, 5)
        assert not process.worker.is_alive()


class AsyncServer(GenServer):
    async def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        return Reply(msg)


async def test_async_callbacks_are_refused_on_thread(anyio_backend: str) -> None:
    async with tasks.Runtime() as rt:
        with pytest.raises(TypeError, match="async callbacks"):
            await rt.start(AsyncServer(), on_thread=True)
