"""The cluster registry and process groups across real node processes (the spawned_cluster
fixture): unique names, release when a node dies, groups that lose a dead node's members.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from spawned import AlreadyRegistered, AlreadyStarted, InitFailed, Via
from spawned.cluster import ClusterRegistry, ProcessGroups
from spawned.testing import TestCluster, TestRuntime, wait_until
from tests.servers import Get, Ping, Recorder


async def io(rt: TestRuntime, fn: Any, *args: Any) -> Any:
    """A cluster operation: awaited on tasks, run in a worker thread on threads."""
    if rt.backend == "threads":
        return await anyio.to_thread.run_sync(fn, *args)
    return await fn(*args)


async def test_a_name_is_unique_across_node_processes_and_freed_when_its_node_dies(
    spawned_cluster: TestCluster,
) -> None:
    cluster = spawned_cluster
    names = ClusterRegistry.of(cluster.node)
    await io(cluster.rt, names.ready)
    first = await cluster.start("node1", "tests.cluster.apps:Named", args=("svc",))
    found = await io(cluster.rt, names.wait_for, "svc")
    assert found == first.handle
    assert await cluster.rt.call(Via(names, "svc"), Ping()) == "pong"
    with pytest.raises(InitFailed) as failed:
        await cluster.start("node2", "tests.cluster.apps:Named", args=("svc",))
    assert isinstance(failed.value.reason, AlreadyRegistered)
    with pytest.raises(AlreadyStarted) as taken:
        await cluster.rt.start(Recorder(), name=Via(names, "svc"))
    assert taken.value.handle == first.handle
    await cluster.kill("node1")
    await wait_until(lambda: names.whereis("svc") is None)
    second = await cluster.start("node2", "tests.cluster.apps:Named", args=("svc",))
    assert await io(cluster.rt, names.wait_for, "svc") == second.handle


async def test_a_name_taken_here_is_refused_on_a_node_process(spawned_cluster: TestCluster) -> None:
    cluster = spawned_cluster
    names = ClusterRegistry.of(cluster.node)
    mine = await cluster.rt.start(Recorder(), name=Via(names, "here"))
    with pytest.raises(InitFailed) as failed:
        await cluster.start("node1", "tests.cluster.apps:Named", args=("here",))
    assert isinstance(failed.value.reason, AlreadyRegistered)
    await mine.stop()
    again = await cluster.start("node1", "tests.cluster.apps:Named", args=("here",))
    assert await io(cluster.rt, names.wait_for, "here") == again.handle


async def test_groups_span_node_processes_and_lose_a_dead_nodes_members(spawned_cluster: TestCluster) -> None:
    cluster = spawned_cluster
    pg = ProcessGroups.of(cluster.node)
    await io(cluster.rt, pg.ready)
    one = await cluster.start("node1", "tests.cluster.apps:Member", args=("workers",))
    two = await cluster.start("node2", "tests.cluster.apps:Member", args=("workers",))
    await wait_until(lambda: len(pg.members("workers")) == 2)
    pg.cast("workers", "hello")
    assert await one.call(Get()) == [("cast", "hello")]
    assert await two.call(Get()) == [("cast", "hello")]
    await cluster.kill("node1")
    await wait_until(lambda: pg.members("workers") == [two.handle])
