"""What a benchmark node runs (``spawned.cluster._nodeproc --app benchmarks._cluster_app:app``):
an echo, a sink and a CPU-bound server, plus, beside the node, a bare nats-py responder on its
own connection (the floor the node's figures are set beside, in the same OS process).
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Mapping
from typing import Any

import nats

from spawned import Caller, GenServer, Reply


class Echo(GenServer[Any, Any, Any]):
    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        return Reply(msg)


class Sink(GenServer[Any, Any, Any]):
    """Counts casts; ``"count"`` answers the count and starts again from 0."""

    def init(self) -> None:
        self.count = 0

    def handle_cast(self, msg: Any) -> None:
        self.count += 1

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        count, self.count = self.count, 0
        return Reply(count)


def crunch(n: int) -> int:
    """CPU-bound work: about ``n`` loop steps."""
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


class Cruncher(GenServer[Any, Any, Any]):
    def handle_call(self, msg: int, caller: Caller[Any]) -> Any:
        return Reply(crunch(msg))


class AsyncSpawner(GenServer[Any, Any, Any]):
    """Starts a fresh Echo on its node (tasks) and answers its handle."""

    async def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        from spawned import tasks  # noqa: PLC0415

        return Reply(await tasks.start(Echo()))


class ThreadSpawner(GenServer[Any, Any, Any]):
    """Starts a fresh Echo on its node (threads) and answers its handle."""

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        from spawned import threads  # noqa: PLC0415

        return Reply(threads.start(Echo()))


async def _bare_responder(ready: threading.Event) -> None:
    fields = json.loads(os.environ["SPAWNED_CLUSTER"])
    connect: Any = getattr(nats, "connect")  # noqa: B009 - partly untyped in nats-py
    nc: Any = await connect(fields["url"], user=fields["user"], password=fields["password"])
    count = 0

    async def on_message(msg: Any) -> None:
        nonlocal count
        kind = msg.subject.rsplit(".", 1)[1]
        if kind == "sink":
            count += 1
        elif kind == "count":
            await nc.publish(msg.reply, str(count).encode())
            count = 0
        else:
            await nc.publish(msg.reply, msg.data)

    await nc.subscribe("bench.bare.>", cb=on_message)
    await nc.flush()
    ready.set()
    await asyncio.Event().wait()


def app(backend: str) -> Mapping[str, GenServer[Any, Any, Any]]:
    """The node's servers; starts the bare responder on a thread of its own first."""
    ready = threading.Event()
    threading.Thread(target=asyncio.run, args=(_bare_responder(ready),), daemon=True).start()
    ready.wait()
    spawner = ThreadSpawner() if backend == "threads" else AsyncSpawner()
    return {"echo": Echo(), "sink": Sink(), "cruncher": Cruncher(), "spawner": spawner}
