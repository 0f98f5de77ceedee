"""The spawned_cluster fixture: node processes, handles into them, SIGKILL, restart, cleanup."""

from __future__ import annotations

import os

import pytest

from spawned import InitFailed, NoProc, ServerExited
from spawned.testing import TestCluster
from tests.servers import Get, Ping


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_start_a_server_on_a_node_process_and_call_it(spawned_cluster: TestCluster) -> None:
    recorder = await spawned_cluster.start("node1", "tests.servers:Recorder")
    assert await recorder.call(Ping()) == "pong"
    recorder.cast("hello")
    assert await recorder.call(Get()) == [("cast", "hello")]


async def test_an_init_failure_on_the_node_is_raised_here(spawned_cluster: TestCluster) -> None:
    with pytest.raises(InitFailed):
        await spawned_cluster.start("node2", "tests.servers:InitWith", args=(ValueError("no"),))


async def test_a_bad_reference_is_refused_before_anything_is_sent(spawned_cluster: TestCluster) -> None:
    with pytest.raises(ValueError, match="bad remote start reference"):
        await spawned_cluster.start("node1", "os.system('true')")


@pytest.mark.spawned_cluster(nodes=1)
async def test_kill_a_node_then_restart_it(spawned_cluster: TestCluster) -> None:
    cluster = spawned_cluster
    recorder = await cluster.start("node1", "tests.servers:Recorder")
    pid = cluster.pid("node1")
    await cluster.kill("node1")
    assert not _alive(pid)
    with pytest.raises((NoProc, ServerExited)):
        await recorder.call(Ping())
    await cluster.restart("node1")
    again = await cluster.start("node1", "tests.servers:Recorder")
    assert await again.call(Ping()) == "pong"


@pytest.mark.spawned_backends("asyncio")
async def test_nothing_is_left_running_afterwards(spawned_backend: str) -> None:
    from spawned.testing import open_test_cluster

    async with open_test_cluster("asyncio", nodes=2) as cluster:
        pids = [cluster.pid(name) for name in cluster.names]
        server = cluster.server
    assert not any(_alive(pid) for pid in pids)
    assert not server.running
