"""Attacks on nodes (issue 16, item 2 and 5): remote processes on nodes that are not up,
names already taken, restarted nodes, kill -9 under load, forged and hostile frames,
clients without the cluster's credentials.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import anyio.to_thread
import attrs
import msgspec
import nats
import pytest
from cluster_servers import Forward, Get, Hold, LinkTo, NextEvent, Recorder, Watch
from nats.aio.client import Client
from nats.errors import Error as NatsError
from test_remote import node_runtime, spawn, whereis

from spawned import NoProc, ServerExited
from spawned.cluster import EmbeddedServer, Pid
from spawned.cluster._nodeproc import NodeProcess
from spawned.testing import TestRuntime

HERE = str(Path(__file__).parent)
APP = "attack_servers:app"
BOUND = 10.0
"""A call's timeout in these tests: a call that waits for it fails with a timeout error, not the
error expected at once.
"""


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(jetstream=False) as server:
        yield server


@pytest.fixture(scope="module")
def node_b(server: EmbeddedServer) -> Iterator[NodeProcess]:
    with NodeProcess(server.cluster("b"), "b", APP, path=(HERE,)) as node:
        yield node


@pytest.fixture
async def a(spawned_backend: str, server: EmbeddedServer, node_b: NodeProcess) -> AsyncIterator[TestRuntime]:
    async with node_runtime(spawned_backend, server.cluster("a")) as runtime:
        yield runtime


# -- processes on nodes that are not up ----------------------------------------------------------------


async def test_monitoring_a_process_on_a_node_that_is_not_up_delivers_down_noconnection(
    a: TestRuntime,
) -> None:
    watcher = await a.start(Recorder())
    nowhere = a.runtime.node.handle_for(Pid("nowhere", 1, 1))
    await watcher.call(Watch(nowhere))
    assert await watcher.call(NextEvent(), timeout=BOUND) == ("down", nowhere, "noconnection")


async def test_linking_to_a_process_on_a_node_that_is_not_up_is_an_exit_signal_noconnection(
    a: TestRuntime,
) -> None:
    local = await a.start(Recorder(trap_exits=True))
    nowhere = a.runtime.node.handle_for(Pid("nowhere", 1, 1))
    await local.call(LinkTo(nowhere))
    assert await local.call(NextEvent(), timeout=BOUND) == ("exit", nowhere, "noconnection")


# -- names and runs of nodes ---------------------------------------------------------------------------


@pytest.mark.spawned_backends("asyncio")
async def test_a_node_cannot_join_under_a_name_already_taken(
    spawned_backend: str, server: EmbeddedServer, node_b: NodeProcess
) -> None:
    with pytest.raises(ConnectionError, match="'b'"):
        async with node_runtime(spawned_backend, server.cluster("b")):
            pass
    async with node_runtime(spawned_backend, server.cluster("a")) as a:
        remote = await spawn(a)  # the first node "b" still serves alone
        assert await remote.call(Get()) == []


@pytest.mark.spawned_backends("asyncio")
async def test_a_node_joins_under_a_name_whose_subjects_only_a_silent_client_holds(
    spawned_backend: str, server: EmbeddedServer
) -> None:
    stale = await nats.connect(
        **server.connect_options()
    )  # a dead node's connection, as the server may keep it
    try:
        await stale.subscribe("spawned.stale.>")
        await stale.flush()
        cluster = attrs.evolve(server.cluster("stale"), heartbeat=0.2)
        async with node_runtime(spawned_backend, cluster) as rt:
            local = await rt.start(Recorder())
            assert await local.call("joined") == ("echo", "joined")
    finally:
        await stale.close()


@pytest.mark.spawned_backends("asyncio")
async def test_a_node_restarted_under_the_same_name_is_not_reached_by_handles_of_its_earlier_run(
    spawned_backend: str, server: EmbeddedServer
) -> None:
    async with node_runtime(spawned_backend, server.cluster("a")) as a:
        with NodeProcess(server.cluster("r"), "r", APP, path=(HERE,)) as first:
            old = await spawn(a, "r")
            await anyio.to_thread.run_sync(first.kill)
        assert await old.join() == "noconnection"
        with NodeProcess(server.cluster("r"), "r", APP, path=(HERE,)):
            new = await spawn(a, "r")
            old_pid, new_pid = a.runtime.node.pid_of(old.handle), a.runtime.node.pid_of(new.handle)
            assert old_pid.id == new_pid.id  # the same number, another run
            assert old_pid.creation != new_pid.creation
            old.cast("to the old run")
            old.send("to the old run")
            stale = a.wrap(a.runtime.node.handle_for(old_pid))
            with pytest.raises((NoProc, ServerExited)):
                await stale.call(Get(), timeout=BOUND)
            watcher = await a.start(Recorder())
            fresh = a.runtime.node.handle_for(Pid("r", old_pid.id, old_pid.creation))
            await watcher.call(Watch(fresh))
            event = await watcher.call(NextEvent(), timeout=BOUND)
            assert event[2] in ("noproc", "noconnection")
            assert await new.call(Get()) == []  # nothing of the old run's reached it
            assert new.is_alive


async def test_a_node_killed_with_calls_in_flight_from_several_callers_fails_each_with_noconnection(
    a: TestRuntime, server: EmbeddedServer
) -> None:
    callers = 8
    with NodeProcess(server.cluster("k"), "k", APP, path=(HERE,)) as node:
        remotes = [await spawn(a, "k") for _ in range(2)]
        reasons: list[object] = []

        async def hold(remote: Any) -> None:
            try:
                await remote.call(Hold(), timeout=BOUND * 3)
            except ServerExited as error:
                reasons.append(error.reason)
            except Exception as error:
                reasons.append(error)

        async with anyio.create_task_group() as tg:
            for i in range(callers):
                tg.start_soon(hold, remotes[i % 2])
            held = 0
            for remote in remotes:  # each Hold has reached its server
                for _ in range(callers // 2):
                    assert await remote.call(NextEvent()) == "held"
                    held += 1
            assert held == callers
            await anyio.to_thread.run_sync(node.kill)
    assert reasons == ["noconnection"] * callers


# -- order, third nodes, closing ----------------------------------------------------------------------------


async def test_messages_from_several_senders_each_arrive_in_the_order_sent(a: TestRuntime) -> None:
    remote = await spawn(a)
    senders, count = 4, 150

    async def send(sender: int) -> None:
        for i in range(count):
            remote.cast((sender, i))
            if i % 10 == 0:
                await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as tg:
        for sender in range(senders):
            tg.start_soon(send, sender)
    events = await remote.call(Get())
    for sender in range(senders):
        assert [i for s, i in events if s == sender] == list(range(count))


async def test_a_handle_of_one_node_sent_by_another_is_used_on_a_third(
    a: TestRuntime, server: EmbeddedServer
) -> None:
    on_b = await spawn(a)
    with NodeProcess(server.cluster("third"), "third", APP, path=(HERE,)):
        on_third = await spawn(a, "third")
        assert await on_third.call(Forward(on_b.handle, "via third")) == "forwarded"
        assert await on_b.call(NextEvent(), timeout=BOUND) == "via third"


@pytest.mark.spawned_backends("asyncio")  # node "closing" is a threads runtime, closed from a thread
async def test_closing_a_node_with_calls_in_flight_both_ways_ends_each_at_once(
    spawned_backend: str, server: EmbeddedServer, node_b: NodeProcess
) -> None:
    from spawned import threads

    del spawned_backend, node_b
    outcomes: list[object] = []
    runtime = threads.Runtime(cluster=server.cluster("closing")).__enter__()

    closed: list[bool] = []

    async def close() -> None:
        if not closed:
            closed.append(True)
            await anyio.to_thread.run_sync(runtime.shutdown)  # blocks: off the loop
            runtime.__exit__(None, None, None)  # leaves the cluster, in the context it entered

    try:
        a = TestRuntime(runtime, "threads")
        held = await a.start(Recorder())
        relay = await whereis(a, "relay", "b")
        remote = await spawn(a)

        async def call(target: Any, msg: object) -> None:
            try:
                outcomes.append(await target.call(msg, timeout=BOUND * 3))
            except ServerExited as error:
                outcomes.append(("exited", error.reason))

        async with anyio.create_task_group() as tg:
            tg.start_soon(call, relay, (held.handle, Hold()))
            tg.start_soon(call, remote, Hold())
            assert await held.call(NextEvent()) == "held"  # b's call has reached this node
            assert await remote.call(NextEvent()) == "held"  # and this node's has reached b
            await close()
    finally:
        await close()
    # this node's call to b ended when the node left; the relay's answer (its call ended when
    # "held" stopped, with shutdown) arrives before the node leaves, or the call ends then
    assert len(outcomes) == 2
    assert ("exited", "noconnection") in outcomes
    assert all(o in {("exited", "noconnection"), ("exited", "shutdown")} for o in outcomes)
    async with node_runtime("asyncio", server.cluster("after")) as later:
        relay = await whereis(later, "relay", "b")
        assert await relay.call("last") == ("exited", "shutdown")


async def test_a_call_through_a_pid_written_by_hand_fails_with_noconnection_when_its_node_is_killed(
    a: TestRuntime, server: EmbeddedServer
) -> None:
    with NodeProcess(server.cluster("k0"), "k0", APP, path=(HERE,)) as node:
        remote = await spawn(a, "k0")
        by_hand = a.wrap(a.runtime.node.handle_for(Pid("k0", a.runtime.node.pid_of(remote.handle).id)))
        failures: list[BaseException] = []

        async def hold() -> None:
            try:
                await by_hand.call(Hold(), timeout=BOUND)
            except Exception as error:
                failures.append(error)

        async with anyio.create_task_group() as tg:
            tg.start_soon(hold)
            assert await remote.call(NextEvent()) == "held"
            await anyio.to_thread.run_sync(node.kill)
    assert [getattr(f, "reason", f) for f in failures] == ["noconnection"]


# -- hostile input ----------------------------------------------------------------------------------------


def _deeply_nested(depth: int) -> bytes:
    data = msgspec.msgpack.encode([])
    for _ in range(depth):
        data = msgspec.msgpack.encode(msgspec.msgpack.Ext(1, data))  # a tuple holding the rest
    return data


FORGED: list[object] = [
    [],
    {},
    5,
    "in",
    [99, 1, 0],
    [0, "x", 0, "m"],
    [0, [1], 0, "m"],
    [2, 1, 0, "no reply subject"],
    [5, 1, 0, 7, "r"],
    [6, 1, 0, "not a handle"],
    [7, 1, 0, None],
    [8, 1, 0, 3, "r"],
    [9, 1, 0],
    [9, 1, 0, ["x"], {}, True, 0],
    [10, 1, 0, None, None, None],
    [11, 0, 0],
    [11, 0, 0, [1], "r"],
]


@pytest.mark.spawned_backends("asyncio", "threads")  # the raw nats client needs asyncio
async def test_hostile_frames_published_by_hand_never_hurt_a_node(
    a: TestRuntime, server: EmbeddedServer, logs: Any
) -> None:
    local = await a.start(Recorder(trap_exits=True))
    number = a.runtime.node.pid_of(local.handle).id
    raw = await nats.connect(**server.connect_options())
    try:
        for frame in FORGED:
            await raw.publish("spawned.a.in", msgspec.msgpack.encode(frame))
            if isinstance(frame, list) and len(frame) > 1:  # aimed at the local process
                aimed = [frame[0], number, *frame[2:]]
                await raw.publish("spawned.a.in", msgspec.msgpack.encode(aimed))
        await raw.publish("spawned.a.in", _deeply_nested(10_000))
        await raw.publish("spawned.a.rep.1", b"\xc1")
        await raw.publish("spawned.a.rep.x", b"")
        await raw.publish("spawned.a.ctl.whereis", b"\xc1")
        await raw.flush()
        reply = await raw.request("spawned.a.ctl.whereis", _deeply_nested(10_000), timeout=BOUND)
        assert reply.data  # an answer (an error), not silence
    finally:
        await raw.close()
    remote = await spawn(a)
    assert await remote.call("still here") == ("echo", "still here")
    assert local.is_alive
    assert await local.call("alive") == ("echo", "alive")


def test_deeply_nested_bytes_are_refused_with_codec_error() -> None:
    from spawned.cluster import CodecError, MsgpackCodec

    class NoPids:
        def pid_of(self, handle: Any) -> Pid:
            raise NotImplementedError

        def handle_for(self, pid: Pid) -> Any:
            raise NotImplementedError

    codec = MsgpackCodec().bind(NoPids())
    with pytest.raises(CodecError, match="nest"):
        codec.decode(_deeply_nested(10_000))
    with pytest.raises(CodecError, match="nest"):
        codec.decode(b"\x91" * 100_000 + b"\x90")


# -- credentials --------------------------------------------------------------------------------------------


def test_a_client_without_the_clusters_credentials_cannot_reach_a_node(
    server: EmbeddedServer, node_b: NodeProcess
) -> None:
    del node_b

    async def refused(options: dict[str, Any]) -> None:
        client = Client()
        try:
            with pytest.raises((NatsError, OSError)):
                await client.connect(servers=[server.url], allow_reconnect=False, **options)
        finally:
            await client.close()  # nats-py leaves the socket of a refused connection open

    for options in ({}, {"user": server.user, "password": "wrong"}, {"token": "guess"}):
        asyncio.run(refused(options))
