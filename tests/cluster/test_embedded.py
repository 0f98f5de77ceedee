from __future__ import annotations

import json

import nats
import pytest

from spawned.cluster import EmbeddedServer


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_embedded_server_accepts_nodes_and_reports_their_disconnects(anyio_backend: str) -> None:
    async with EmbeddedServer() as server:
        assert server.running
        assert server.url.startswith("nats://127.0.0.1:")
        system = await nats.connect(**server.connect_options(system=True))
        events = await system.subscribe(f"$SYS.ACCOUNT.{server.account}.DISCONNECT")
        await system.flush()
        node = await nats.connect(**server.connect_options(), name="node-a")
        await node.close()
        event = json.loads((await events.next_msg(timeout=5)).data)
        assert event["client"]["name"] == "node-a"
        await system.close()
    assert not server.running


def test_embedded_server_stops_and_removes_its_directory() -> None:
    server = EmbeddedServer()
    server.start()
    directory = server._dir
    assert directory is not None
    assert directory.is_dir()
    server.stop()
    server.stop()
    assert not directory.exists()
    assert not server.running


def test_embedded_server_refuses_a_bad_port() -> None:
    with pytest.raises(ValueError, match="port must be an int from 0"):
        EmbeddedServer(port=-3)


def test_embedded_server_on_a_busy_port_says_why() -> None:
    with EmbeddedServer() as first, pytest.raises(RuntimeError, match="nats-server exited"):
        EmbeddedServer(port=first.port).start()
