"""A stand-in for a cluster node, for testing the registry and groups before (and apart
from) the real node: a NATS connection on an asyncio loop of its own, a runtime, and
"remote" handles that are the other stub nodes' own handles (all live in this interpreter).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import nats
from nats.aio.client import Client

from spawned._handle import HandleBase
from spawned.cluster._port import PidParts
from spawned.testing import TestRuntime


class StubNode:
    def __init__(
        self, name: str, rt: TestRuntime, peers: dict[str, StubNode], options: dict[str, Any]
    ) -> None:
        self.name = name
        self.cluster = "test"
        self.rt = rt
        self.backend = "threads" if rt.backend == "threads" else "tasks"
        self.peers = peers
        peers[name] = self
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=f"stub node {name}", daemon=True)
        self._thread.start()
        self.client: Client = asyncio.run_coroutine_threadsafe(
            nats.connect(**options, name=name), self.loop
        ).result()
        self.down: list[Callable[[str], None]] = []
        self.seen: dict[PidParts, HandleBase[Any, Any, Any]] = {}

    async def nats(self) -> Client:
        return self.client

    def on_node_down(self, callback: Callable[[str], None]) -> None:
        self.down.append(callback)

    def node_down(self, name: str) -> None:
        """What the real node does when it sees ``name`` go away."""
        for callback in self.down:
            self.loop.call_soon_threadsafe(callback, name)

    def pid_parts(self, handle: HandleBase[Any, Any, Any]) -> PidParts:
        process = handle._process
        for node in self.peers.values():
            if process.runtime is node.rt.runtime:
                parts = (node.name, process.pid, 0)
                for peer in self.peers.values():
                    peer.seen[parts] = handle
                return parts
        raise AssertionError(handle)

    def handle_for(self, parts: PidParts) -> HandleBase[Any, Any, Any]:
        return self.seen[parts]

    def track(self, task: asyncio.Task[Any]) -> None:
        pass

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.client.close(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()
