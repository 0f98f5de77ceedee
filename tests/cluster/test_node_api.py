"""The node's interface for the rest of spawned.cluster (registry, remote start): pids,
control requests, callbacks, the NATS client; and a cluster on the pickle codec. Two nodes
in one OS process (each runtime is its own node), on threads and on asyncio.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any

import anyio
import pytest
from cluster_servers import Get, Me, Recorder

from spawned import NoProc, tasks, threads
from spawned.cluster import EmbeddedServer, PickleCodec, Pid


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    with EmbeddedServer(jetstream=False) as server:
        yield server


class Opaque:
    """A class the default codec refuses; pickle takes it."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Opaque) and other.value == self.value

    __hash__ = object.__hash__


def test_pid_of_and_handle_for_round_trip_local_and_remote_handles(server: EmbeddedServer) -> None:
    with (
        threads.Runtime(cluster=server.cluster("p1")) as one,
        threads.Runtime(cluster=server.cluster("p2")) as two,
    ):
        local = one.start(Recorder(), name="rec")
        pid = one.node.pid_of(local)
        assert pid == Pid("p1", pid.id, one.node.creation)
        assert one.node.handle_for(pid) is local
        remote = two.node.handle_for(pid)
        assert two.node.pid_of(remote) == pid
        assert remote.call("hi") == ("echo", "hi")
        assert two.node.whereis("rec", node="p1") is remote


def test_control_verbs_answer_requests_from_other_nodes(server: EmbeddedServer) -> None:
    with (
        threads.Runtime(cluster=server.cluster("c1")) as one,
        threads.Runtime(cluster=server.cluster("c2")) as two,
    ):

        async def double(payload: Any) -> Any:
            return payload * 2

        def refuse(payload: Any) -> Any:
            raise ValueError(f"refused {payload!r}")

        one.node.control("double", double)
        one.node.control("refuse", refuse)
        request = two.node.request
        assert two.node.run_io(request, "c1", "double", (1, 2)) == (1, 2, 1, 2)
        with pytest.raises(ValueError, match="refused 3"):
            two.node.run_io(request, "c1", "refuse", 3)
        with pytest.raises(LookupError, match="no control verb 'missing'"):
            two.node.run_io(request, "c1", "missing", None)
        with pytest.raises(NoProc, match="node 'nowhere'"):
            two.node.run_io(request, "nowhere", "double", 1)
        with pytest.raises(ValueError, match="bad control verb"):
            one.node.control("a.b", double)


def test_callbacks_hear_of_local_exits_and_of_nodes_that_go_away(server: EmbeddedServer) -> None:
    gone: list[str] = []
    exits: list[tuple[Pid, object]] = []
    heard = threading.Event()

    def node_down(name: str) -> None:
        gone.append(name)
        heard.set()

    with threads.Runtime(cluster=server.cluster("w1")) as watcher:
        watcher.node.on_node_down(node_down)

        def local_exit(pid: Pid, reason: object) -> None:
            exits.append((pid, reason))

        watcher.node.on_local_exit(local_exit)
        local = watcher.start(Recorder())
        pid = watcher.node.pid_of(local)
        local.stop("done")
        assert exits == [(pid, "done")]
        with threads.Runtime(cluster=server.cluster("w2")) as leaving:
            watcher.node.handle_for(leaving.node.pid_of(leaving.start(Recorder()))).call(Get())
        assert heard.wait(10)
        assert gone == ["w2"]


def test_the_nats_client_is_the_nodes_own(server: EmbeddedServer) -> None:
    with threads.Runtime(cluster=server.cluster("n1")) as runtime:

        async def round_trip() -> bytes:
            nc = await runtime.node.nats()
            inbox = nc.new_inbox()
            sub = await nc.subscribe(inbox)
            await nc.publish(inbox, b"x")
            return (await sub.next_msg(timeout=5)).data

        assert runtime.node.run_io(round_trip) == b"x"


def test_a_cluster_on_the_pickle_codec_carries_any_picklable_message(server: EmbeddedServer) -> None:
    one_config = server.cluster("k1", codec=PickleCodec())
    two_config = server.cluster("k2", codec=PickleCodec())
    with threads.Runtime(cluster=one_config) as one, threads.Runtime(cluster=two_config) as two:
        one.start(Recorder(), name="rec")
        remote = two.node.whereis("rec", node="k1")
        assert remote.call(Opaque(3)) == ("echo", Opaque(3))
        assert remote.call(Me()) is remote  # its own handle comes back as k2's handle of it


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_nodes_on_one_asyncio_loop_call_each_other(anyio_backend: str, server: EmbeddedServer) -> None:
    async with (
        tasks.Runtime(cluster=server.cluster("l1")) as one,
        tasks.Runtime(cluster=server.cluster("l2")) as two,
    ):
        await one.start(Recorder(), name="rec")
        remote = await two.node.whereis("rec", node="l1")
        assert await remote.call((1,)) == ("echo", (1,))
        assert await two.node.whereis("nobody", node="l1") is None
        with anyio.fail_after(10):
            await remote.stop()


def test_a_remote_call_emits_telemetry_like_a_local_one(server: EmbeddedServer) -> None:
    from spawned import telemetry

    events: list[Mapping[str, Any]] = []

    def record(event: str, measurements: Mapping[str, float], metadata: Mapping[str, Any], /) -> None:
        events.append(metadata)

    with (
        threads.Runtime(cluster=server.cluster("t1")) as one,
        threads.Runtime(cluster=server.cluster("t2")) as two,
    ):
        one.start(Recorder(), name="rec")
        remote = two.node.whereis("rec", node="t1")
        label = str(two.node.pid_of(remote))
        telemetry.attach("test-remote", [telemetry.CALL], record)
        try:
            assert remote.call("hi") == ("echo", "hi")
        finally:
            telemetry.detach("test-remote")
    calls = [metadata for metadata in events if metadata.get("handle") is remote]
    assert len(calls) == 1
    assert calls[0]["outcome"] == "reply"
    assert calls[0]["server"] == label


def test_after_its_runtime_closed_a_remote_handle_is_dead(server: EmbeddedServer) -> None:
    with threads.Runtime(cluster=server.cluster("o1")) as one:
        one.start(Recorder(), name="rec")
        with threads.Runtime(cluster=server.cluster("o2")) as two:
            remote = two.node.whereis("rec", node="o1")
        assert not remote.is_alive
        with pytest.raises(NoProc):
            remote.call("hi", timeout=30)
