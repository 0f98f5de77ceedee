#!/usr/bin/env python3
"""A Maelstrom broadcast node: batched gossip with acknowledgements, so it survives partitions.

Every ``GOSSIP_INTERVAL`` seconds a node sends each neighbour, in one ``gossip`` message,
the values it does not know that neighbour to have; the neighbour's ``gossip_ok`` lists
what it received. Values a neighbour never acknowledged (lost, or cut off by a partition)
are simply sent again at the next tick: that is the anti-entropy.

Neighbours come from the ``topology`` message, or, with ``--topology star``, from a star
around the first node (two hops between any two nodes: lower latency on large clusters).

    python -m spawned.maelstrom.harness -w broadcast --bin "python examples/maelstrom/broadcast.py" \
        --node-count 5 --latency 100 --rate 100 --nemesis partition
    maelstrom test -w broadcast --bin examples/maelstrom/broadcast.py --node-count 5 \
        --time-limit 20 --rate 10 --nemesis partition
"""

from __future__ import annotations

import argparse
from typing import Any

from attrs import frozen

# --8<-- [start:node]
from spawned import maelstrom

GOSSIP_INTERVAL = 0.05


@maelstrom.body("gossip")
@frozen
class Gossip:
    messages: list[int]


class Broadcast(maelstrom.Node):
    star = False

    def setup(self) -> None:
        self.messages: set[int] = set()
        self.neighbours: list[str] = []
        self.known: dict[str, set[int]] = {}  # what each neighbour is known to have
        self.send_interval(GOSSIP_INTERVAL, "gossip")

    @maelstrom.on("topology")
    def topology(self, msg: maelstrom.Message[Any]) -> dict[str, Any]:
        if self.star:
            hub = self.node_ids[0]
            given = list(self.node_ids[1:]) if self.node_id == hub else [hub]
        else:
            given = msg.body.topology.get(self.node_id, [])
        self.neighbours = [n for n in given if n != self.node_id]
        self.known = {n: self.known.get(n, set()) for n in self.neighbours}
        return {}

    @maelstrom.on("broadcast")
    def broadcast(self, msg: maelstrom.Message[Any]) -> dict[str, Any]:
        self.messages.add(msg.body.message)
        return {}

    @maelstrom.on("read")
    def read(self, msg: maelstrom.Message[Any]) -> dict[str, Any]:
        return {"messages": sorted(self.messages)}

    @maelstrom.on(Gossip)
    def gossip(self, msg: maelstrom.Message[Gossip]) -> dict[str, Any]:
        received = msg.body.messages
        self.messages.update(received)
        if msg.src in self.known:
            self.known[msg.src].update(received)
        return {"messages": received}  # gossip_ok: the acknowledgement

    @maelstrom.on("gossip_ok")
    def gossip_ok(self, msg: maelstrom.Message[Any]) -> None:
        self.known.setdefault(msg.src, set()).update(msg.body.messages)

    def handle_other(self, msg: Any) -> None:
        if msg == "gossip":
            for neighbour in self.neighbours:
                missing = self.messages - self.known[neighbour]
                if missing:
                    self.send(neighbour, Gossip(sorted(missing)))


# --8<-- [end:node]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A Maelstrom broadcast node")
    parser.add_argument("--backend", choices=("asyncio", "trio", "threads"), default="asyncio")
    parser.add_argument("--topology", choices=("given", "star"), default="given")
    args = parser.parse_args(argv)
    node = Broadcast()
    node.star = args.topology == "star"
    maelstrom.run(node, args.backend)


if __name__ == "__main__":
    main()
