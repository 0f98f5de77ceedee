"""Attacks on calls whose request or reply cannot cross (issue 16): every call ends in a
reply or a spawned error at once, never at its timeout.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from attrs import frozen
from cluster_servers import Get, Recorder
from test_remote import node_runtime, spawn, whereis

from spawned.cluster import CodecError, EmbeddedServer
from spawned.cluster._nodeproc import NodeProcess
from spawned.testing import TestRuntime

HERE = str(Path(__file__).parent)
APP = "attack_servers:app"
BOUND = 10.0
"""A call's timeout in these tests: a call that waits for it fails with TimeoutError, not the
error expected at once."""


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


async def test_a_call_the_callee_cannot_decode_fails_at_once_with_codec_error(a: TestRuntime) -> None:
    @frozen
    class Hidden:  # its module path names no importable class: node b refuses it
        value: int

    remote = await spawn(a)
    with pytest.raises(CodecError, match="Hidden"):
        await remote.call(Hidden(1), timeout=BOUND)
    assert await remote.call(Get()) == []  # the callee lives on


async def test_a_reply_the_caller_cannot_decode_fails_the_call_at_once_with_codec_error(
    a: TestRuntime,
) -> None:
    odd = await whereis(a, "odd", "b")
    with pytest.raises(CodecError, match="Hidden"):
        await odd.call("hello", timeout=BOUND)


async def test_a_message_larger_than_the_servers_max_payload_raises_at_the_sender(a: TestRuntime) -> None:
    remote = await spawn(a)
    huge = b"x" * (2 * 1024 * 1024)  # the server's default max_payload is 1 MiB
    with pytest.raises(CodecError, match="max_payload"):
        await remote.call(huge, timeout=BOUND)
    with pytest.raises(CodecError, match="max_payload"):
        remote.cast(huge)
    local = await a.start(Recorder())
    assert await local.call("still") == ("echo", "still")
