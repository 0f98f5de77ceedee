"""Remote handles across real node processes: the OTP guarantees of issue 16, item 2.

The test process is node "a" (on each backend); node "b" is a subprocess shared by the
module (on asyncio), and tests that kill a node start one of their own.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import attrs
import nats
import pytest
from cluster_servers import (
    BoomError,
    Crash,
    Demonitor,
    Forward,
    Get,
    Hold,
    LinkTo,
    Me,
    NextEvent,
    Recorder,
    Spawn,
    StopWith,
    Unlink,
    Watch,
)

from spawned import NoProc, ServerExited
from spawned.cluster import Cluster, CodecError, EmbeddedServer, Pid
from spawned.cluster._nodeproc import NodeProcess
from spawned.testing import TestHandle, TestRuntime

HERE = str(Path(__file__).parent)
APP = "cluster_servers:app"


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(jetstream=False) as server:
        yield server


@pytest.fixture(scope="module")
def node_b(server: EmbeddedServer) -> Iterator[NodeProcess]:
    with NodeProcess(server.cluster("b"), "b", APP, path=(HERE,)) as node:
        yield node


@asynccontextmanager
async def node_runtime(backend: str, cluster: Cluster) -> AsyncGenerator[TestRuntime]:
    """A runtime of ``backend`` joined to ``cluster`` (the test process's node)."""
    if backend == "threads":
        from spawned import threads

        runtime = threads.Runtime(cluster=cluster).__enter__()  # blocks shortly: joining
        try:
            yield TestRuntime(runtime, "threads")
        finally:
            await anyio.to_thread.run_sync(runtime.shutdown)  # blocks: off the loop
            runtime.__exit__(None, None, None)
    else:
        from spawned import tasks

        async with tasks.Runtime(cluster=cluster) as runtime:
            yield TestRuntime(runtime, backend)  # type: ignore[arg-type]


@pytest.fixture
async def a(spawned_backend: str, server: EmbeddedServer, node_b: NodeProcess) -> AsyncIterator[TestRuntime]:
    async with node_runtime(spawned_backend, server.cluster("a")) as runtime:
        yield runtime


async def whereis(rt: TestRuntime, name: str, node: str) -> TestHandle[Any, Any, Any]:
    """The handle of ``name`` on ``node``, looked up from ``rt``'s node."""
    lookup = rt.runtime.node.whereis
    handle = await (
        anyio.to_thread.run_sync(lookup, name, node) if rt.backend == "threads" else lookup(name, node)
    )
    assert handle is not None
    return rt.wrap(handle)


async def spawn(rt: TestRuntime, node: str = "b", *, trap_exits: bool = False) -> TestHandle[Any, Any, Any]:
    """A fresh Recorder on ``node``."""
    factory = await whereis(rt, "factory", node)
    return rt.wrap(await factory.call(Spawn("recorder", trap_exits)))


# -- calls, casts and messages ----------------------------------------------------------------------


async def test_a_remote_call_is_answered_and_values_keep_their_types(a: TestRuntime) -> None:
    remote = await spawn(a)
    value = {"t": (1, 2), "s": {3}, "f": frozenset({"x"}), "b": b"\x00", "n": None}
    assert await remote.call(value) == ("echo", value)


async def test_messages_from_one_sender_arrive_in_the_order_sent(a: TestRuntime) -> None:
    remote = await spawn(a)
    for i in range(300):
        if i % 3:
            remote.cast(i)
        else:
            remote.send(i)
    assert await remote.call(Get()) == [i if i % 3 else ("info", i) for i in range(300)]


async def test_a_process_sends_to_a_remote_one_in_order(a: TestRuntime) -> None:
    local = await a.start(Recorder())
    remote = await spawn(a)
    for i in range(100):
        await local.call(Forward(remote.handle, i))
    assert await remote.call(Get()) == list(range(100))


async def test_a_call_to_an_unknown_process_is_noproc_at_once(a: TestRuntime) -> None:
    remote = await spawn(a)
    pid = a.runtime.node.pid_of(remote.handle)
    nobody = a.wrap(a.runtime.node.handle_for(Pid("b", 10**9, pid.creation)))
    with pytest.raises(NoProc):
        await nobody.call("hello", timeout=30)


async def test_a_call_to_an_unknown_node_is_noproc_at_once(a: TestRuntime) -> None:
    nowhere = a.wrap(a.runtime.node.handle_for(Pid("nowhere", 1, 1)))
    with pytest.raises(NoProc):
        await nowhere.call("hello", timeout=30)


async def test_looking_a_name_up_on_an_unknown_node_is_noproc(a: TestRuntime) -> None:
    with pytest.raises(NoProc, match="node 'nowhere'"):
        await whereis(a, "factory", "nowhere")


async def test_a_call_to_a_process_that_stops_without_replying_raises_server_exited(a: TestRuntime) -> None:
    remote = await spawn(a)
    with pytest.raises(ServerExited) as caught:
        await remote.call(StopWith(("custom", 1)), timeout=30)
    assert caught.value.reason == ("custom", 1)


async def test_a_call_to_a_process_that_crashes_raises_server_exited_with_its_exception(
    a: TestRuntime,
) -> None:
    remote = await spawn(a)
    with pytest.raises(ServerExited) as caught:
        await remote.call(Crash(), timeout=30)
    assert isinstance(caught.value.reason, BoomError)
    assert str(caught.value.reason) == "boom"


async def test_a_call_in_flight_when_the_callee_exits_raises_server_exited_at_once(a: TestRuntime) -> None:
    remote = await spawn(a)
    failures: list[BaseException] = []

    async def hold() -> None:
        try:
            await remote.call(Hold(), timeout=30)
        except ServerExited as error:
            failures.append(error)

    async with anyio.create_task_group() as tg:
        tg.start_soon(hold)
        assert await remote.call(NextEvent()) == "held"  # the call has reached the server
        remote.exit("bye")
    assert [getattr(f, "reason", None) for f in failures] == ["bye"]


async def test_a_cast_to_a_dead_remote_process_is_dropped_silently(a: TestRuntime) -> None:
    remote = await spawn(a)
    await remote.stop("normal")
    remote.cast("lost")
    remote.send("lost")
    with pytest.raises(NoProc):
        await remote.call(Get())


async def test_stop_and_join_a_remote_process(a: TestRuntime) -> None:
    remote = await spawn(a)
    await remote.stop(("shutdown", "done"))
    assert await remote.join() == ("shutdown", "done")
    assert not remote.is_alive
    with pytest.raises(NoProc):
        await remote.stop()


async def test_kill_a_remote_process(a: TestRuntime) -> None:
    remote = await spawn(a, trap_exits=True)
    remote.kill()
    assert await remote.join() == "killed"


async def test_a_handle_sent_in_a_message_works_on_the_receiving_node(a: TestRuntime) -> None:
    local = await a.start(Recorder())
    remote = await spawn(a)
    assert await remote.call(Forward(local.handle, "hello")) == "forwarded"
    assert await local.call(NextEvent()) == "hello"
    assert await remote.call(Me()) is remote.handle


async def test_a_message_the_codec_cannot_encode_raises_at_the_sender(a: TestRuntime) -> None:
    remote = await spawn(a)
    with pytest.raises(CodecError, match="cannot encode"):
        remote.cast(object())
    with pytest.raises(CodecError, match="cannot encode"):
        await remote.call(object())


# -- monitors and links -------------------------------------------------------------------------------


async def test_a_remote_monitor_delivers_down_with_the_real_reason(a: TestRuntime) -> None:
    watcher = await a.start(Recorder())
    remote = await spawn(a)
    await watcher.call(Watch(remote.handle))
    await remote.stop(("bye", 1))
    assert await watcher.call(NextEvent()) == ("down", remote.handle, ("bye", 1))


async def test_a_remote_process_monitors_a_local_one(a: TestRuntime) -> None:
    local = await a.start(Recorder())
    remote = await spawn(a)
    await remote.call(Watch(local.handle))
    await local.stop("gone")
    assert await remote.call(NextEvent()) == ("down", local.handle, "gone")


async def test_monitoring_a_dead_remote_process_delivers_noproc(a: TestRuntime) -> None:
    watcher = await a.start(Recorder())
    remote = await spawn(a)
    nobody = a.wrap(a.runtime.node.handle_for(Pid("b", 10**9, a.runtime.node.pid_of(remote.handle).creation)))
    await watcher.call(Watch(nobody.handle))
    assert await watcher.call(NextEvent()) == ("down", nobody.handle, "noproc")


async def test_a_link_carries_a_remote_exit_to_a_trapping_process(a: TestRuntime) -> None:
    local = await a.start(Recorder(trap_exits=True))
    remote = await spawn(a)
    await local.call(LinkTo(remote.handle))
    await remote.stop("custom")
    assert await local.call(NextEvent()) == ("exit", remote.handle, "custom")


async def test_a_link_takes_a_local_process_down_with_a_crashing_remote_one(a: TestRuntime) -> None:
    local = await a.start(Recorder())
    remote = await spawn(a)
    await local.call(LinkTo(remote.handle))
    with pytest.raises(ServerExited):
        await remote.call(Crash())
    reason = await local.join()
    assert isinstance(reason, BoomError)


async def test_a_link_carries_a_local_exit_to_a_remote_process(a: TestRuntime) -> None:
    local = await a.start(Recorder())
    remote = await spawn(a, trap_exits=True)
    await remote.call(LinkTo(local.handle))
    await local.stop("bye")
    assert await remote.call(NextEvent()) == ("exit", local.handle, "bye")


async def test_a_normal_exit_does_not_cross_a_link(a: TestRuntime) -> None:
    local = await a.start(Recorder())
    remote = await spawn(a)
    await local.call(LinkTo(remote.handle))
    await remote.stop("normal")
    assert await local.call(Get()) == []
    assert local.is_alive


async def test_after_unlink_a_remote_exit_no_longer_arrives(a: TestRuntime) -> None:
    local = await a.start(Recorder(trap_exits=True))
    remote = await spawn(a)
    other = await spawn(a)
    await local.call(LinkTo(remote.handle))
    await local.call(Unlink(remote.handle))
    await local.call(LinkTo(other.handle))
    await remote.stop("first")
    await other.stop("second")
    assert await local.call(NextEvent()) == ("exit", other.handle, "second")


async def test_linking_to_a_dead_remote_process_is_an_exit_signal_noproc(a: TestRuntime) -> None:
    local = await a.start(Recorder(trap_exits=True))
    remote = await spawn(a)
    await remote.stop()
    nobody = a.wrap(a.runtime.node.handle_for(Pid("b", 10**9, a.runtime.node.pid_of(remote.handle).creation)))
    await local.call(LinkTo(nobody.handle))
    assert await local.call(NextEvent()) == ("exit", nobody.handle, "noproc")


async def test_an_exit_signal_reaches_a_remote_process(a: TestRuntime) -> None:
    remote = await spawn(a, trap_exits=True)
    remote.exit("please")
    assert await remote.call(NextEvent()) == ("exit", None, "please")


# -- node-down -----------------------------------------------------------------------------------------


async def _node_down(a: TestRuntime, node: NodeProcess, name: str) -> None:
    """Kill ``node`` with SIGKILL while a call is in flight to a process there that a local
    process monitors and links to: all three learn ``noconnection``.
    """
    remote = await spawn(a, name)
    local = await a.start(Recorder(trap_exits=True))
    await local.call(Watch(remote.handle))
    await local.call(LinkTo(remote.handle))
    failures: list[BaseException] = []

    async def hold() -> None:
        try:
            await remote.call(Hold(), timeout=30)
        except ServerExited as error:
            failures.append(error)

    async with anyio.create_task_group() as tg:
        tg.start_soon(hold)
        assert await remote.call(NextEvent()) == "held"  # the call has reached the server
        await anyio.to_thread.run_sync(node.kill)
    assert [getattr(f, "reason", None) for f in failures] == ["noconnection"]
    events = {await local.call(NextEvent()), await local.call(NextEvent())}
    assert events == {("down", remote.handle, "noconnection"), ("exit", remote.handle, "noconnection")}
    with pytest.raises(NoProc):  # its node is gone
        await remote.call(Get())


async def test_a_killed_node_fails_calls_monitors_and_links_with_noconnection(
    a: TestRuntime, server: EmbeddedServer
) -> None:
    with NodeProcess(server.cluster("c"), "c", APP, path=(HERE,)) as node:
        await _node_down(a, node, "c")


@pytest.mark.spawned_backends("asyncio")
async def test_without_the_system_account_heartbeats_find_a_killed_node(
    spawned_backend: str, server: EmbeddedServer
) -> None:
    cluster = attrs.evolve(server.cluster("h1"), system_user=None, system_password=None, heartbeat=0.5)
    async with node_runtime(spawned_backend, cluster) as rt:
        with NodeProcess(attrs.evolve(cluster, node="h2"), "h2", APP, path=(HERE,)) as node:
            await _node_down(rt, node, "h2")


# -- other backends on the remote side, malformed messages, no cluster -----------------------------


@pytest.mark.spawned_backends("asyncio")
@pytest.mark.parametrize("remote_backend", ["trio", "threads"])
async def test_a_node_on_trio_or_threads_answers_calls_and_signals(
    spawned_backend: str, remote_backend: str, server: EmbeddedServer
) -> None:
    async with node_runtime(spawned_backend, server.cluster("x")) as rt:
        cluster = server.cluster(f"r-{remote_backend}")
        with NodeProcess(cluster, cluster.node, APP, remote_backend, path=(HERE,)):
            remote = await spawn(rt, cluster.node)
            assert await remote.call((1, 2)) == ("echo", (1, 2))
            watcher = await rt.start(Recorder())
            await watcher.call(Watch(remote.handle))
            with pytest.raises(ServerExited):
                await remote.call(Crash())
            event = await watcher.call(NextEvent())
            assert event[:2] == ("down", remote.handle)
            assert isinstance(event[2], BoomError)


@pytest.mark.spawned_backends("asyncio", "threads")  # the raw nats client needs asyncio
async def test_a_malformed_message_is_logged_and_dropped(
    a: TestRuntime, server: EmbeddedServer, logs: Any
) -> None:
    remote = await spawn(a)
    raw = await nats.connect(**server.connect_options())
    try:
        for subject in ("spawned.a.in", "spawned.b.in"):
            await raw.publish(subject, b"\xc1 not msgpack")
            await raw.publish(subject, b"\x93\x02\x01")  # a frame too short
        await raw.flush()
    finally:
        await raw.close()
    local = await a.start(Recorder())
    await remote.call(Forward(local.handle, "still here"))
    assert await local.call(NextEvent()) == "still here"
    dropped = [r for r in logs.records if "dropped a message" in str(r["message"])]
    assert len(dropped) == 2
    assert {r["extra"]["node"] for r in dropped} == {"a"}


@pytest.mark.spawned_backends("asyncio", "threads")
async def test_a_node_without_url_starts_and_stops_its_own_server(spawned_backend: str) -> None:
    async with node_runtime(spawned_backend, Cluster(node="solo")) as rt:
        node = rt.runtime.node
        assert node.server is not None
        assert node.server.running
        embedded = node.server
        local = await rt.start(Recorder())
        assert await local.call("hi") == ("echo", "hi")
    assert not embedded.running


def test_a_runtime_without_a_cluster_imports_no_nats() -> None:
    code = (
        "import sys, spawned, spawned.tasks, spawned.threads\n"
        "from spawned import tasks, threads\n"
        "async def main(): pass\n"
        "tasks.run(main)\n"
        "threads.run(lambda: None)\n"
        "assert 'nats' not in sys.modules, 'nats'\n"
        "assert 'spawned.cluster' not in sys.modules, 'spawned.cluster'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)  # noqa: S603 - this Python


def test_a_node_name_with_a_dot_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'\.' separates NATS subject tokens"):
        Cluster(node="a.b")


@pytest.mark.spawned_backends("asyncio", "trio")
async def test_nats_runs_on_the_runtimes_own_loop_on_asyncio_and_on_a_bridge_thread_on_trio(
    spawned_backend: str, server: EmbeddedServer
) -> None:
    import threading

    async with node_runtime(spawned_backend, server.cluster("loop")) as rt:
        node = rt.runtime.node
        bridge = [t for t in threading.enumerate() if t.name == "spawned-cluster-bridge"]
        if spawned_backend == "asyncio":
            import asyncio

            assert node.adapter.loop is asyncio.get_running_loop()
            assert bridge == []
        else:
            assert len(bridge) == 1


@pytest.mark.spawned_backends("asyncio", "threads")
async def test_losing_the_connection_fails_calls_in_flight_with_noconnection(spawned_backend: str) -> None:
    with EmbeddedServer(jetstream=False) as own:
        async with node_runtime(spawned_backend, own.cluster("cut")) as rt:
            with NodeProcess(own.cluster("far"), "far", APP, path=(HERE,)) as far:
                remote = await spawn(rt, "far")
                watcher = await rt.start(Recorder())
                await watcher.call(Watch(remote.handle))
                failures: list[BaseException] = []

                async def hold() -> None:
                    try:
                        await remote.call(Hold(), timeout=30)
                    except ServerExited as error:
                        failures.append(error)

                async with anyio.create_task_group() as tg:
                    tg.start_soon(hold)
                    assert await remote.call(NextEvent()) == "held"
                    await anyio.to_thread.run_sync(own.stop)
                assert [getattr(f, "reason", None) for f in failures] == ["noconnection"]
                assert await watcher.call(NextEvent()) == ("down", remote.handle, "noconnection")
                await anyio.to_thread.run_sync(far.kill)


@pytest.mark.spawned_backends("asyncio")
async def test_no_down_arrives_after_a_remote_demonitor(a: TestRuntime) -> None:
    watcher = await a.start(Recorder())
    remote = await spawn(a)
    other = await spawn(a)
    ref = await watcher.call(Watch(remote.handle))
    await watcher.call(Demonitor(ref))
    await watcher.call(Watch(other.handle))
    await remote.stop("first")
    await other.stop("second")
    assert await watcher.call(NextEvent()) == ("down", other.handle, "second")


def test_a_handle_of_another_runtime_cannot_be_sent(server: EmbeddedServer) -> None:
    from spawned import threads

    with threads.Runtime() as plain, threads.Runtime(cluster=server.cluster("own")) as joined:
        stranger = plain.start(Recorder())
        with pytest.raises(CodecError, match="another runtime"):
            joined.node.codec.encode(stranger)


@pytest.mark.spawned_backends("asyncio", "trio")
async def test_a_remote_handle_blocks_from_a_plain_thread_on_tasks(a: TestRuntime) -> None:
    remote = await spawn(a)
    from spawned import tasks

    blocking = tasks.Handle.of(remote.handle).blocking
    assert await anyio.to_thread.run_sync(blocking.call, "hi") == ("echo", "hi")
    await anyio.to_thread.run_sync(blocking.stop, "bye")
    assert await anyio.to_thread.run_sync(blocking.join) == "bye"


async def test_multi_call_reaches_remote_and_local_processes_at_once(a: TestRuntime) -> None:
    local = await a.start(Recorder())
    remote = await spawn(a)
    nowhere = a.runtime.node.handle_for(Pid("nowhere", 1, 1))
    results = await a.multi_call([local, remote, nowhere], "hi", timeout=30)
    assert [r.value for r in results[:2]] == [("echo", "hi"), ("echo", "hi")]
    assert isinstance(results[2].error, NoProc)
