"""Nodes the Maelstrom tests run as programs: ``python tests/maelstrom/nodes.py NAME --backend B``."""

from __future__ import annotations

import argparse
from typing import Any

from attrs import frozen

from spawned import maelstrom


class BrokenBroadcast(maelstrom.Node):
    """Forwards each new value to its neighbours once, never retrying: loses values."""

    def setup(self) -> None:
        self.messages: set[int] = set()
        self.neighbours: list[str] = []

    @maelstrom.on("topology")
    def topology(self, msg: maelstrom.Message[Any]) -> dict[str, Any]:
        self.neighbours = msg.body.topology[self.node_id]
        return {}

    @maelstrom.on("broadcast")
    def broadcast(self, msg: maelstrom.Message[Any]) -> dict[str, Any] | None:
        value = msg.body.message
        if value not in self.messages:
            self.messages.add(value)
            for neighbour in self.neighbours:
                if neighbour != msg.src:
                    self.send(neighbour, {"type": "broadcast", "message": value})
        return {} if msg.src.startswith("c") else None

    @maelstrom.on("read")
    def read(self, msg: maelstrom.Message[Any]) -> dict[str, Any]:
        return {"messages": sorted(self.messages)}


class AsyncKV(maelstrom.Node):
    """A lin-kv proxy that waits for each RPC in an ``async def`` handler (tasks only)."""

    def setup(self) -> None:
        self.kv = maelstrom.KV(self, maelstrom.LIN_KV)

    @maelstrom.on("read")
    async def read(self, msg: maelstrom.Message[Any]) -> dict[str, Any]:
        return {"value": await self.kv.read(msg.body.key)}  # KeyDoesNotExist becomes the error reply

    @maelstrom.on("write")
    async def write(self, msg: maelstrom.Message[Any]) -> dict[str, Any]:
        await self.kv.write(msg.body.key, msg.body.value)
        return {}

    @maelstrom.on("cas")
    async def cas(self, msg: maelstrom.Message[Any]) -> dict[str, Any]:
        await self.kv.cas(msg.body.key, msg.body["from"], msg.body.to)
        return {}


class BlockingKV(maelstrom.Node):
    """The same proxy with blocking RPCs in plain handlers (threads only)."""

    def setup(self) -> None:
        self.kv = maelstrom.KV(self, maelstrom.LIN_KV)

    @maelstrom.on("read")
    def read(self, msg: maelstrom.Message[Any]) -> dict[str, Any]:
        return {"value": self.kv.read(msg.body.key)}

    @maelstrom.on("write")
    def write(self, msg: maelstrom.Message[Any]) -> dict[str, Any]:
        self.kv.write(msg.body.key, msg.body.value)
        return {}

    @maelstrom.on("cas")
    def cas(self, msg: maelstrom.Message[Any]) -> dict[str, Any]:
        self.kv.cas(msg.body.key, msg.body["from"], msg.body.to)
        return {}


@maelstrom.body("ask")
@frozen
class Ask:
    dest: str
    timeout: float


class Asker(maelstrom.Node):
    """``ask`` makes an RPC (``rpc_then``) to ``dest`` and reports how it ended; ``echo``
    answers; ``fail`` raises a Maelstrom error; ``crash`` raises a plain exception.
    """

    @maelstrom.on(Ask)
    def ask(self, msg: maelstrom.Message[Ask]) -> None:
        def then(result: Any) -> None:
            if isinstance(result, maelstrom.MaelstromError):
                self.reply(msg, {"error": type(result).__name__, "code": result.code})
            else:
                self.reply(msg, {"answer": result.raw})

        self.rpc_then(msg.body.dest, {"type": "question"}, then, timeout=msg.body.timeout)

    @maelstrom.on("echo")
    def echo(self, msg: maelstrom.Message[Any]) -> dict[str, Any]:
        return {"echo": msg.body.echo, "extra": msg.get("extra")}

    @maelstrom.on("question_ok")
    def question_ok(self, msg: maelstrom.Message[Any]) -> None:
        self.send("c1", {"type": "unexpected", "reply": msg.raw})  # only replies no RPC waits for

    @maelstrom.on("fail")
    def fail(self, msg: maelstrom.Message[Any]) -> None:
        raise maelstrom.TemporarilyUnavailable("try later")

    @maelstrom.on("crash")
    def crash(self, msg: maelstrom.Message[Any]) -> None:
        raise ValueError("boom")


class LocalKV(maelstrom.Node):
    """Keeps each node's own map and never coordinates: not linearizable across nodes."""

    def setup(self) -> None:
        self.data: dict[Any, Any] = {}

    @maelstrom.on("read")
    def read(self, msg: maelstrom.Message[Any]) -> dict[str, Any]:
        if msg.body.key not in self.data:
            raise maelstrom.KeyDoesNotExist(str(msg.body.key))
        return {"value": self.data[msg.body.key]}

    @maelstrom.on("write")
    def write(self, msg: maelstrom.Message[Any]) -> dict[str, Any]:
        self.data[msg.body.key] = msg.body.value
        return {}

    @maelstrom.on("cas")
    def cas(self, msg: maelstrom.Message[Any]) -> dict[str, Any]:
        key = msg.body.key
        if key not in self.data:
            raise maelstrom.KeyDoesNotExist(str(key))
        if self.data[key] != msg.body["from"]:
            raise maelstrom.PreconditionFailed(f"{key} holds {self.data[key]}")
        self.data[key] = msg.body.to
        return {}


class StaleCounter(maelstrom.Node):
    """A g-counter on ``seq-kv`` that reads without first writing: its reads can stay stale."""

    def setup(self) -> None:
        self.kv = maelstrom.KV(self, maelstrom.SEQ_KV)

    @maelstrom.on("add")
    def add(self, msg: maelstrom.Message[Any]) -> None:
        def got(value: Any) -> None:
            value = 0 if isinstance(value, maelstrom.KeyDoesNotExist) else value
            self.kv.cas_then("counter", value, value + msg.body.delta, done, create_if_absent=True)

        def done(result: Any) -> None:
            if isinstance(result, maelstrom.MaelstromError):
                self.add(msg)  # retry, whatever went wrong
            else:
                self.reply(msg)

        self.kv.read_then("counter", got)

    @maelstrom.on("read")
    def read(self, msg: maelstrom.Message[Any]) -> None:
        def got(value: Any) -> None:
            self.reply(msg, {"value": 0 if isinstance(value, maelstrom.KeyDoesNotExist) else value})

        self.kv.read_then("counter", got)


class BadSetup(maelstrom.Node):
    """Crashes in ``setup``: the program must end, with status 1."""

    def setup(self) -> None:
        raise RuntimeError("no setup today")


NODES: dict[str, type[maelstrom.Node]] = {
    "bad_setup": BadSetup,
    "local_kv": LocalKV,
    "stale_counter": StaleCounter,
    "broken_broadcast": BrokenBroadcast,
    "waiting_kv": AsyncKV,
    "asker": Asker,
}

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("node", choices=NODES)
    parser.add_argument("--backend", default="asyncio")
    args = parser.parse_args()
    node = NODES[args.node]
    if node is AsyncKV and args.backend == "threads":
        node = BlockingKV
    maelstrom.run(node, args.backend)
