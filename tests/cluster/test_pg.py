"""Process groups across two nodes (stub nodes over one embedded NATS server), on every backend."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest

from spawned.cluster import EmbeddedServer
from spawned.cluster._pg import ProcessGroups
from spawned.testing import TestRuntime, open_test_runtime, wait_until
from tests.cluster.stub_node import StubNode
from tests.servers import Get, Recorder


@asynccontextmanager
async def two_nodes(
    rt: TestRuntime,
) -> AsyncGenerator[tuple[ProcessGroups, ProcessGroups, TestRuntime, StubNode]]:
    async with EmbeddedServer() as server, open_test_runtime(rt.backend) as rt_b:
        peers: dict[str, StubNode] = {}
        a = StubNode("a", rt, peers, server.connect_options())
        b = StubNode("b", rt_b, peers, server.connect_options())
        pg_a, pg_b = ProcessGroups(a), ProcessGroups(b)
        try:
            await io(rt, pg_a.ready)
            await io(rt_b, pg_b.ready)
            yield pg_a, pg_b, rt_b, b
        finally:
            await io(rt, pg_a.close)
            await io(rt_b, pg_b.close)
            await anyio.to_thread.run_sync(lambda: (a.close(), b.close()))


async def io(rt: TestRuntime, fn: Any, *args: Any) -> Any:
    """A cluster operation: awaited on tasks, run in a worker thread on threads."""
    if rt.backend == "threads":
        return await anyio.to_thread.run_sync(fn, *args)
    return await fn(*args)


class Member(Recorder):
    """Joins its groups in init."""

    def __init__(self, pg: ProcessGroups, *groups: str) -> None:
        super().__init__()
        self.pg, self.groups = pg, groups

    async def _join_all(self) -> None:
        for group in self.groups:
            await self.pg.join(group)

    def init(self) -> Any:
        if self.pg._node.backend == "threads":
            for group in self.groups:
                self.pg.join(group)
            return None
        return self._join_all()


async def test_members_are_listed_on_every_node_and_cast_to(spawned_runtime: TestRuntime) -> None:
    rt = spawned_runtime
    async with two_nodes(rt) as (pg_a, pg_b, rt_b, _b):
        one = await rt.start(Member(pg_a, "workers", "all"))
        two = await rt_b.start(Member(pg_b, "workers"))
        assert pg_a.local_members("workers") == [one.handle]
        await wait_until(
            lambda: sorted(map(repr, pg_a.members("workers"))) == sorted([repr(one.handle), repr(two.handle)])
        )
        await wait_until(lambda: len(pg_b.members("workers")) == 2)
        assert pg_b.which_groups() == ["all", "workers"]
        pg_b.cast("workers", "hello")
        assert await one.call(Get()) == [("cast", "hello")]
        assert await two.call(Get()) == [("cast", "hello")]


async def test_a_member_leaves_when_it_exits_or_leaves(spawned_runtime: TestRuntime) -> None:
    rt = spawned_runtime
    async with two_nodes(rt) as (pg_a, pg_b, _rt_b, _b):
        one = await rt.start(Member(pg_a, "g", "h"))
        await wait_until(lambda: len(pg_b.members("g")) == 1)
        await io(rt, pg_a.leave, "h", one.handle)
        assert pg_a.members("h") == []
        await wait_until(lambda: pg_b.members("h") == [])
        one.kill()
        await one.join()
        await wait_until(lambda: pg_a.members("g") == [] and pg_b.members("g") == [])
        assert pg_b.which_groups() == []


async def test_members_leave_when_their_node_goes_down(spawned_runtime: TestRuntime) -> None:
    rt = spawned_runtime
    async with two_nodes(rt) as (pg_a, pg_b, rt_b, b):
        await rt.start(Member(pg_a, "g"))
        mine = await rt_b.start(Member(pg_b, "g"))
        await wait_until(lambda: len(pg_b.members("g")) == 2)
        b.node_down("a")
        await wait_until(lambda: pg_b.members("g") == [mine.handle])


async def test_join_refuses_a_process_of_another_node_and_bad_groups(spawned_runtime: TestRuntime) -> None:
    rt = spawned_runtime
    async with two_nodes(rt) as (pg_a, _pg_b, rt_b, _b):
        theirs = await rt_b.start(Recorder())
        with pytest.raises(ValueError, match="a process joins groups from its own node"):
            pg_a.join("g", theirs.handle)
        with pytest.raises(TypeError, match="must be a str"):
            pg_a.members(3)  # type: ignore[arg-type]
        with pytest.raises(RuntimeError, match="acts for the calling process"):
            pg_a.join("g")
