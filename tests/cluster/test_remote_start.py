"""Starting servers on other nodes by reference, and supervisors with children there."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from spawned import AlreadyStarted, InitFailed, NoProc, Supervisor
from spawned.cluster import check_reference, remote_child, start_on
from spawned.testing import TestCluster, wait_until
from tests.servers import Crash, Ping


async def test_a_name_on_the_target_node_is_taken_once(spawned_cluster: TestCluster) -> None:
    cluster = spawned_cluster
    first = await cluster.start("node1", "tests.servers:Recorder", server_name="echo")
    with pytest.raises(AlreadyStarted) as taken:
        await cluster.start("node1", "tests.servers:Recorder", server_name="echo")
    assert taken.value.handle == first.handle
    assert await cluster.start("node2", "tests.servers:Recorder", server_name="echo") != first


async def test_what_the_target_cannot_do_is_raised_at_the_starter(spawned_cluster: TestCluster) -> None:
    cluster = spawned_cluster
    with pytest.raises(ModuleNotFoundError):
        await cluster.start("node1", "tests.no_such_module:Server")
    with pytest.raises(AttributeError):
        await cluster.start("node1", "tests.servers:NoSuchServer")
    with pytest.raises(TypeError, match="not a GenServer"):
        await cluster.start("node1", "builtins:dict")
    with pytest.raises(InitFailed):
        await cluster.start("node1", "tests.servers:InitWith", args=(ValueError("no"),))


@pytest.mark.spawned_cluster(nodes=1)
async def test_unknown_nodes_and_nodes_that_refuse_remote_starts(spawned_cluster: TestCluster) -> None:
    cluster = spawned_cluster
    with pytest.raises(NoProc):
        await cluster.start("nobody", "tests.servers:Recorder")
    with pytest.raises(LookupError, match="no control verb 'start'"):
        await cluster.start("test", "tests.servers:Recorder")  # the test node did not allow it


@pytest.mark.parametrize(
    "reference", ["Recorder", "tests/servers.py:Recorder", "a:b:c", "x:1y", "m:__import__('os')"]
)
def test_only_module_colon_name_references_are_accepted(reference: str) -> None:
    with pytest.raises(ValueError, match="bad remote start reference"):
        check_reference(reference)
    with pytest.raises(ValueError, match="bad remote start reference"):
        start_on(None, "node1", reference)  # type: ignore[arg-type] - refused before the node is used


async def test_a_supervisor_restarts_and_stops_its_child_on_another_node(
    spawned_cluster: TestCluster,
) -> None:
    cluster = spawned_cluster
    spec = remote_child("remote", cluster.node, "node1", "tests.servers:Recorder")
    sup = await cluster.rt.start(Supervisor([spec]))
    [child] = await sup.which_children()
    assert child.handle is not None
    stand_in: Any = cluster.rt.wrap(child.handle)
    assert await stand_in.call(Ping()) == "pong"
    remote = cluster.rt.wrap((await stand_in.get_state())["remote"])
    remote.cast(Crash())  # the remote crashes: the stand-in exits with it, the supervisor restarts
    await remote.join()
    await wait_until(lambda: _restarted(sup, child.handle))
    [again] = await sup.which_children()
    assert again.handle is not None
    new_remote = cluster.rt.wrap((await cluster.rt.wrap(again.handle).get_state())["remote"])
    assert new_remote != remote
    assert await new_remote.call(Ping()) == "pong"
    await sup.stop()
    assert await new_remote.join() == "shutdown"


async def _restarted(sup: Any, old: object) -> bool:
    children = await sup.which_children()
    return bool(children) and children[0].handle is not None and children[0].handle != old


async def test_the_remote_child_of_a_node_that_dies_exits_noconnection(spawned_cluster: TestCluster) -> None:
    cluster = spawned_cluster
    spec = remote_child("remote", cluster.node, "node2", "tests.servers:Recorder", restart="temporary")
    sup = await cluster.rt.start(Supervisor([spec]))
    [child] = await sup.which_children()
    assert child.handle is not None
    stand_in = cluster.rt.wrap(child.handle)
    await cluster.kill("node2")
    with anyio.fail_after(10):
        assert await stand_in.join() == "noconnection"
    await sup.stop()
