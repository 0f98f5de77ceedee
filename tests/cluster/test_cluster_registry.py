"""The cluster registry on two nodes (stub nodes over one embedded NATS server), on every
backend: unique names across nodes, Via, release on exit and on node down.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest

from spawned import AlreadyRegistered, AlreadyStarted, GenServer, InitFailed, Via
from spawned.cluster import EmbeddedServer
from spawned.cluster._registry import ClusterRegistry
from spawned.testing import TestRuntime, open_test_runtime, wait_until
from tests.cluster.stub_node import StubNode
from tests.servers import Ping, Recorder


@asynccontextmanager
async def two_nodes(rt: TestRuntime) -> AsyncGenerator[tuple[ClusterRegistry, ClusterRegistry, TestRuntime]]:
    """Registries of nodes a (on ``rt``) and b (on a second runtime of the same backend)."""
    async with EmbeddedServer() as server, open_test_runtime(rt.backend) as rt_b:
        peers: dict[str, StubNode] = {}
        a = StubNode("a", rt, peers, server.connect_options())
        b = StubNode("b", rt_b, peers, server.connect_options())
        names_a, names_b = ClusterRegistry(a), ClusterRegistry(b)
        try:
            await ready(rt, names_a)
            await ready(rt_b, names_b)
            yield names_a, names_b, rt_b
        finally:
            for rt_of, names in ((rt, names_a), (rt_b, names_b)):
                if rt_of.backend == "threads":
                    await anyio.to_thread.run_sync(names.close)
                else:
                    await names.close()
            await anyio.to_thread.run_sync(lambda: (a.close(), b.close()))


async def ready(rt: TestRuntime, names: ClusterRegistry) -> None:
    await io(rt, names.ready)


class Registers(GenServer):
    """Registers itself under a key in init, through a cluster registry."""

    def __init__(self, names: ClusterRegistry, key: str, value: Any = None) -> None:
        self.names, self.key, self.value = names, key, value

    def init(self) -> Any:
        return self.names.register(self.key, self.value)  # awaitable on tasks: init awaits it


async def test_a_name_is_unique_across_nodes(spawned_runtime: TestRuntime) -> None:
    rt = spawned_runtime
    async with two_nodes(rt) as (names_a, names_b, rt_b):
        first = await rt.start(Recorder(), name=Via(names_a, "svc"))
        with pytest.raises(AlreadyStarted) as taken:
            await rt_b.start(Recorder(), name=Via(names_b, "svc"))
        assert taken.value.handle == first
        with pytest.raises(AlreadyStarted):
            await rt.start(Recorder(), name=Via(names_a, "svc"))
        assert names_a.whereis("svc") == first
        await wait_until(lambda: names_b.whereis("svc") == first.handle)
        assert await rt_b.call(Via(names_b, "svc"), Ping()) == "pong"


async def test_a_name_is_released_when_its_process_exits(spawned_runtime: TestRuntime) -> None:
    rt = spawned_runtime
    async with two_nodes(rt) as (names_a, names_b, rt_b):
        first = await rt.start(Recorder(), name=Via(names_a, "svc"))
        await wait_until(lambda: names_b.whereis("svc") is not None)
        first.kill()
        await first.join()
        assert names_a.whereis("svc") is None
        await wait_until(lambda: names_b.whereis("svc") is None)
        second = await rt_b.start(Recorder(), name=Via(names_b, "svc"))
        await wait_until(lambda: names_a.whereis("svc") == second.handle)


async def test_a_name_is_released_when_its_node_goes_down(spawned_runtime: TestRuntime) -> None:
    rt = spawned_runtime
    async with two_nodes(rt) as (names_a, names_b, rt_b):
        await rt.start(Recorder(), name=Via(names_a, "svc"))
        await wait_until(lambda: names_b.whereis("svc") is not None)
        peers = names_b._node.peers  # type: ignore[attr-defined]
        peers["b"].node_down("a")
        await wait_until(lambda: names_b.whereis("svc") is None)
        second = await rt_b.start(Recorder(), name=Via(names_b, "svc"))
        assert names_b.whereis("svc") == second


async def test_a_failed_init_releases_the_name(spawned_runtime: TestRuntime) -> None:
    rt = spawned_runtime
    async with two_nodes(rt) as (names_a, names_b, rt_b):
        with pytest.raises(InitFailed):
            await rt.start(Registers(names_a, ["not", "a", "str"]), name=Via(names_a, "svc"))  # type: ignore[arg-type]
        assert names_a.whereis("svc") is None
        started = await rt_b.start(Recorder(), name=Via(names_b, "svc"))
        assert names_b.whereis("svc") == started


async def test_register_and_lookup_across_nodes(spawned_runtime: TestRuntime) -> None:
    rt = spawned_runtime
    async with two_nodes(rt) as (names_a, names_b, rt_b):
        holder = await rt.start(Registers(names_a, "k", {"port": 1}))
        assert names_a.lookup("k") == [(holder, {"port": 1})]
        await wait_until(lambda: names_b.lookup("k") == [(holder, {"port": 1})])
        assert names_b.keys(holder.handle) == ["k"]
        with pytest.raises(InitFailed) as failed:
            await rt_b.start(Registers(names_b, "k"))
        assert isinstance(failed.value.reason, AlreadyRegistered)
        assert names_b.count() == 1


async def test_wait_for_returns_the_holder_once_another_node_starts_it(spawned_runtime: TestRuntime) -> None:
    rt = spawned_runtime
    async with two_nodes(rt) as (names_a, names_b, rt_b):
        found: list[object] = []

        async def wait() -> None:
            found.append(await io(rt_b, names_b.wait_for, "late", 10))

        started: list[object] = []
        async with anyio.create_task_group() as group:
            group.start_soon(wait)
            started.append((await rt.start(Recorder(), name=Via(names_a, "late"))).handle)
        assert found == started
        with pytest.raises(TimeoutError, match="no process took the name 'nobody'"):
            await io(rt_b, names_b.wait_for, "nobody", 0.05)


async def io(rt: TestRuntime, fn: Any, *args: Any) -> Any:
    """A cluster operation: awaited on tasks, run in a worker thread on threads."""
    if rt.backend == "threads":
        return await anyio.to_thread.run_sync(fn, *args)
    return await fn(*args)


async def test_a_reservation_left_by_a_cancelled_start_is_deleted(spawned_runtime: TestRuntime) -> None:
    from spawned.cluster._port import on_loop
    from spawned.cluster._registry import _kv_key

    rt = spawned_runtime
    async with two_nodes(rt) as (names_a, names_b, rt_b):
        table_b = names_b._kv
        assert table_b is not None
        await on_loop(names_a._node.loop, names_a._take("k", None))  # reserved; no process claims it
        await wait_until(lambda: table_b.get(_kv_key("k")) is not None)
        names_a._abandon(_kv_key("k"))
        await wait_until(lambda: table_b.get(_kv_key("k")) is None)
        started = await rt_b.start(Recorder(), name=Via(names_b, "k"))
        assert names_b.whereis("k") == started.handle
