"""Adversarial tests of the cluster-wide registry, process groups and remote starts, across
real node processes (the spawned_cluster fixture).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import anyio
import pytest

from spawned import AlreadyRegistered, AlreadyStarted, GenServer, InitFailed, Supervisor, Via
from spawned.cluster import ClusterRegistry, CodecError, ProcessGroups, remote_child, start_on
from spawned.cluster._kvtable import bucket_name
from spawned.testing import TestCluster, TestRuntime, wait_until
from tests.servers import InitWith, Ping, Recorder


async def io(rt: TestRuntime, fn: Any, *args: Any) -> Any:
    """A cluster operation: awaited on tasks, run in a worker thread on threads."""
    if rt.backend == "threads":
        return await anyio.to_thread.run_sync(fn, *args)
    return await fn(*args)


async def test_two_nodes_racing_for_a_name_one_wins_and_the_other_names_it(
    spawned_cluster: TestCluster,
) -> None:
    cluster = spawned_cluster
    names = ClusterRegistry.of(cluster.node)
    await io(cluster.rt, names.ready)
    outcomes: dict[str, Any] = {}

    async def start(node: str) -> None:
        try:
            outcomes[node] = await cluster.start(node, "tests.cluster.apps:Named", args=("race",))
        except InitFailed as failed:
            outcomes[node] = failed

    with anyio.fail_after(20):
        async with anyio.create_task_group() as group:
            group.start_soon(start, "node1")
            group.start_soon(start, "node2")
    losers = [o for o in outcomes.values() if isinstance(o, InitFailed)]
    winners = [o for o in outcomes.values() if not isinstance(o, InitFailed)]
    assert len(losers) == 1
    assert len(winners) == 1
    assert isinstance(losers[0].reason, AlreadyRegistered)
    assert losers[0].reason.handle == winners[0].handle
    assert await io(cluster.rt, names.wait_for, "race") == winners[0].handle


async def test_a_killed_holders_name_is_taken_at_once_from_another_node(spawned_cluster: TestCluster) -> None:
    cluster = spawned_cluster
    names = ClusterRegistry.of(cluster.node)
    await io(cluster.rt, names.ready)
    first = await cluster.start("node1", "tests.cluster.apps:Named", args=("k",))
    assert await io(cluster.rt, names.wait_for, "k") == first.handle
    first.kill()
    assert await first.join() == "killed"
    with anyio.fail_after(10):
        second = await cluster.start("node2", "tests.cluster.apps:Named", args=("k",))
    await wait_until(lambda: names.whereis("k") == second.handle)
    assert await cluster.rt.call(Via(names, "k"), Ping()) == "pong"


async def test_a_name_of_a_killed_node_is_taken_from_another_node_and_never_resolves_to_the_dead(
    spawned_cluster: TestCluster,
) -> None:
    cluster = spawned_cluster
    names = ClusterRegistry.of(cluster.node)
    await io(cluster.rt, names.ready)
    mine = await cluster.rt.start(Recorder(), name=Via(names, "svc"))
    await mine.stop()
    first = await cluster.start("node1", "tests.cluster.apps:Named", args=("svc",))
    assert await io(cluster.rt, names.wait_for, "svc") == first.handle
    await cluster.kill("node1")
    with anyio.fail_after(10):  # the node-down detection frees it: no wait for the lease
        again = await cluster.rt.start(Recorder(), name=Via(names, "svc"))
    assert names.whereis("svc") == again.handle


async def test_via_with_a_key_that_is_not_a_str_is_a_clear_type_error(spawned_cluster: TestCluster) -> None:
    cluster = spawned_cluster
    names = ClusterRegistry.of(cluster.node)
    with pytest.raises(TypeError, match="must be a str"):
        await cluster.rt.start(Recorder(), name=Via(names, 1))
    with pytest.raises(TypeError, match="must be a str"):
        names.whereis(("a", 1))  # type: ignore[arg-type] - the wrong type is the point
    ok = await cluster.rt.start(Recorder(), name=Via(names, "1"))  # the failure held nothing
    assert names.whereis("1") == ok.handle


async def test_pg_refuses_a_remote_handle_and_lists_a_double_join_once(spawned_cluster: TestCluster) -> None:
    cluster = spawned_cluster
    pg = ProcessGroups.of(cluster.node)
    await io(cluster.rt, pg.ready)
    remote = await cluster.start("node1", "tests.cluster.apps:Member", args=("g", "g"))
    with pytest.raises(ValueError, match="runs on node node1"):
        await io(cluster.rt, pg.join, "g", remote.handle)
    await wait_until(lambda: pg.members("g") == [remote.handle])
    local = await cluster.rt.start(Recorder())
    await io(cluster.rt, pg.join, "g", local.handle)
    await io(cluster.rt, pg.join, "g", local.handle)
    assert sorted(map(repr, pg.members("g"))) == sorted(map(repr, [remote.handle, local.handle]))
    await io(cluster.rt, pg.leave, "other", local.handle)  # not a member: nothing
    await cluster.kill("node1")
    await wait_until(lambda: pg.members("g") == [local.handle])
    await local.stop()
    assert pg.members("g") == []


async def test_start_on_with_arguments_the_codec_cannot_encode_is_a_clear_error(
    spawned_cluster: TestCluster,
) -> None:
    cluster = spawned_cluster
    with anyio.fail_after(10), pytest.raises(CodecError, match="cannot encode <object object"):
        await cluster.start("node1", "tests.servers:Recorder", args=(object(),))
    assert await (await cluster.start("node1", "tests.servers:Recorder")).call(Ping()) == "pong"


async def test_start_on_a_class_that_is_not_a_server_never_makes_one(
    spawned_cluster: TestCluster, tmp_path: Path
) -> None:
    cluster = spawned_cluster
    made = tmp_path / "made"
    with pytest.raises(TypeError, match="not a GenServer"):
        await cluster.start("node1", "tests.cluster.apps:Touch", args=(str(made),))
    assert not made.exists()


async def test_start_on_with_constructor_arguments_that_do_not_fit_raises_at_the_starter(
    spawned_cluster: TestCluster,
) -> None:
    cluster = spawned_cluster
    with anyio.fail_after(10), pytest.raises(TypeError):
        await cluster.start("node1", "tests.servers:Recorder", args=(1, 2, 3))


@pytest.mark.spawned_cluster(nodes=1)
async def test_a_supervisor_whose_remote_childs_node_dies_gives_up_without_hanging(
    spawned_cluster: TestCluster,
) -> None:
    cluster = spawned_cluster
    spec = remote_child("remote", cluster.node, "node1", "tests.servers:Recorder")
    sup = await cluster.rt.start(Supervisor([spec], max_restarts=1))
    await cluster.kill("node1")
    with anyio.fail_after(20):
        reason = await sup.join()
    assert reason == "shutdown"


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (("c", "names", "a.b"), ("c", "names", "a-2e-b")),
        (("x_names_y", "names", "z"), ("x", "names", "y_names_z")),
        (("c", "pg", "a b"), ("c", "pg", "a-20-b")),
    ],
)
def test_distinct_scopes_never_share_a_bucket(one: tuple[str, str, str], other: tuple[str, str, str]) -> None:
    assert bucket_name(*one) != bucket_name(*other)


@pytest.mark.parametrize("scope", ["café", "名前", "a.b", "-x_", "names"])
def test_a_bucket_name_is_what_jetstream_accepts(scope: str) -> None:
    assert re.fullmatch(r"[A-Za-z0-9_-]+", bucket_name("c-1", "names", scope))


async def test_a_via_start_whose_init_fails_frees_the_name_for_other_nodes(
    spawned_cluster: TestCluster,
) -> None:
    cluster = spawned_cluster
    names = ClusterRegistry.of(cluster.node)
    with pytest.raises(InitFailed):
        await cluster.rt.start(InitWith(ValueError("no")), name=Via(names, "f"))
    with anyio.fail_after(10):
        there = await cluster.start("node1", "tests.cluster.apps:Named", args=("f",))
    assert await io(cluster.rt, names.wait_for, "f") == there.handle


async def test_a_restarted_node_takes_its_old_name_again_and_the_old_pid_never_resolves(
    spawned_cluster: TestCluster,
) -> None:
    cluster = spawned_cluster
    names = ClusterRegistry.of(cluster.node)
    await io(cluster.rt, names.ready)
    old = await cluster.start("node1", "tests.cluster.apps:Named", args=("r",))
    assert await io(cluster.rt, names.wait_for, "r") == old.handle
    await cluster.restart("node1")
    assert names.whereis("r") != old.handle
    with anyio.fail_after(10):
        new = await cluster.start("node1", "tests.cluster.apps:Named", args=("r",))
    await wait_until(lambda: names.whereis("r") == new.handle)


async def test_unregister_racing_exit_frees_the_name_for_another_node(spawned_cluster: TestCluster) -> None:
    cluster = spawned_cluster
    names = ClusterRegistry.of(cluster.node)
    await io(cluster.rt, names.ready)
    for round_ in range(3):
        key = f"u{round_}"
        first = await cluster.start("node1", "tests.cluster.apps:Dropper", args=(key,))
        assert await io(cluster.rt, names.wait_for, key) == first.handle
        first.cast("drop")
        assert await first.join() == "normal"
        await wait_until(lambda key=key: names.whereis(key) is None)  # the bucket has freed it
        with anyio.fail_after(10):
            second = await cluster.start("node2", "tests.cluster.apps:Named", args=(key,))
        await wait_until(lambda key=key, second=second: names.whereis(key) == second.handle)


class RegistersValue(GenServer[Any, Any, Any]):
    """Registers itself cluster-wide under ``key`` with ``value`` in init."""

    def __init__(self, key: Any, value: object) -> None:
        self.key = key
        self.value = value

    def init(self) -> Any:
        return ClusterRegistry.of().register(self.key, self.value)


async def test_register_with_a_bad_key_or_value_fails_init_clearly(spawned_cluster: TestCluster) -> None:
    cluster = spawned_cluster
    names = ClusterRegistry.of(cluster.node)
    with pytest.raises(InitFailed) as failed:
        await cluster.rt.start(RegistersValue("v", object()))
    assert isinstance(failed.value.reason, TypeError)
    assert "msgpack-encodable" in str(failed.value.reason)
    with pytest.raises(InitFailed) as failed:
        await cluster.rt.start(RegistersValue(b"k", 1))
    assert isinstance(failed.value.reason, TypeError)
    assert names.whereis("v") is None


@pytest.mark.spawned_cluster(nodes=0)
async def test_a_remote_child_on_a_node_that_refuses_remote_starts_fails_the_supervisor_start(
    spawned_cluster: TestCluster,
) -> None:
    cluster = spawned_cluster
    spec = remote_child("remote", cluster.node, "test", "tests.servers:Recorder")
    with anyio.fail_after(10), pytest.raises(InitFailed):
        await cluster.rt.start(Supervisor([spec]))


@pytest.mark.spawned_cluster(nodes=1)
async def test_the_fixture_refuses_unknown_nodes_and_restarts_a_running_one(
    spawned_cluster: TestCluster,
) -> None:
    cluster = spawned_cluster
    with pytest.raises(LookupError, match="no node process 'nobody'"):
        await cluster.kill("nobody")
    with pytest.raises(RuntimeError, match="already running"):
        await cluster.spawn("node1")
    old_pid = cluster.pid("node1")
    before = await cluster.start("node1", "tests.servers:Recorder")
    await cluster.restart("node1")
    assert cluster.pid("node1") != old_pid
    assert await before.join() == "noconnection"
    after = await cluster.start("node1", "tests.servers:Recorder")
    assert await after.call(Ping()) == "pong"


@pytest.mark.spawned_cluster(nodes=1)
async def test_odd_and_long_keys_are_held_or_refused_without_harming_the_node(
    spawned_cluster: TestCluster,
) -> None:
    cluster = spawned_cluster
    names = ClusterRegistry.of(cluster.node)
    for key in ["", "*", ">", "a.b", " ", "ünï"]:
        held = await cluster.rt.start(Recorder(), name=Via(names, key))
        assert names.whereis(key) == held.handle
    with anyio.fail_after(10), pytest.raises(ValueError, match="at most 1024 bytes"):
        await cluster.rt.start(Recorder(), name=Via(names, "x" * 5000))
    pg = ProcessGroups.of(cluster.node)
    member = await cluster.rt.start(Recorder())
    with anyio.fail_after(10), pytest.raises(ValueError, match="process group name is at most 1024"):
        await io(cluster.rt, pg.join, "g" * 5000, member.handle)
    there = await cluster.start("node1", "tests.servers:Recorder")  # the node still works
    assert await there.call(Ping()) == "pong"
    ok = await cluster.rt.start(Recorder(), name=Via(names, "after"))
    assert names.whereis("after") == ok.handle


@pytest.mark.spawned_cluster(nodes=1)
async def test_a_start_on_that_times_out_leaves_no_server_behind(spawned_cluster: TestCluster) -> None:
    cluster = spawned_cluster
    names = ClusterRegistry.of(cluster.node)
    await io(cluster.rt, names.ready)

    def start() -> Any:
        return start_on(
            cluster.node, "node1", "tests.cluster.apps:SlowNamed", args=("late", 1.0), timeout=0.2
        )

    with pytest.raises(TimeoutError, match="did not finish starting on node node1"):
        await io(cluster.rt, start)
    late = cluster.rt.wrap(await io(cluster.rt, names.wait_for, "late", 10.0))
    with anyio.fail_after(10):
        assert await late.join() == "killed"  # the target gave it up when its starter did


@pytest.mark.spawned_cluster(nodes=0)
async def test_local_starts_racing_for_one_via_name_one_wins_and_the_others_name_it(
    spawned_cluster: TestCluster,
) -> None:
    cluster = spawned_cluster
    names = ClusterRegistry.of(cluster.node)
    outcomes: list[Any] = []

    async def start() -> None:
        try:
            outcomes.append(await cluster.rt.start(Recorder(), name=Via(names, "one")))
        except AlreadyStarted as taken:
            outcomes.append(taken)

    with anyio.fail_after(20):
        async with anyio.create_task_group() as group:
            for _ in range(4):
                group.start_soon(start)
    [winner] = [o for o in outcomes if not isinstance(o, AlreadyStarted)]
    assert [o.handle for o in outcomes if isinstance(o, AlreadyStarted)] == [winner.handle] * 3
    assert names.whereis("one") == winner.handle
