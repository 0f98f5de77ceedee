#!/usr/bin/env python3
"""A Maelstrom grow-only counter on the ``seq-kv`` service: one key, updated by compare-and-set.

``add`` reads the counter and writes ``value + delta`` with a compare-and-set, retrying
when another node got there first; it answers once its cas succeeded. The RPCs use the
``*_then`` shapes, so the node never blocks and runs unchanged on every backend.

``seq-kv`` is only sequentially consistent: a read may return a stale value, forever if
this node never writes. A write that changes the store brings the node's view up to date,
so ``read`` first writes a value never written before (this node's id and a count) to a key
of its own, then reads the counter: it sees at least every add acknowledged before it began.
A stale read in ``add`` is harmless: the cas then fails on the latest state, and the retry
reads from there.

    python -m spawned.maelstrom.harness -w g-counter --bin "python examples/maelstrom/g_counter.py" \
        --node-count 3 --nemesis partition
    maelstrom test -w g-counter --bin examples/maelstrom/g_counter.py --node-count 3 \
        --rate 100 --time-limit 20 --nemesis partition
"""

from __future__ import annotations

from itertools import count
from typing import Any

from spawned import maelstrom

KEY = "counter"


class GCounter(maelstrom.Node):
    def setup(self) -> None:
        self.kv = maelstrom.KV(self, maelstrom.SEQ_KV)
        self.syncs = count()

    @maelstrom.on("add")
    def add(self, msg: maelstrom.Message[Any]) -> None:
        self._add(msg, msg.body.delta)

    def _add(self, msg: maelstrom.Message[Any], delta: int) -> None:
        def got(value: Any) -> None:
            if isinstance(value, maelstrom.KeyDoesNotExist):
                value = 0
            if isinstance(value, maelstrom.MaelstromError):
                self.reply_error(msg, value)
                return
            self.kv.cas_then(KEY, value, value + delta, done, create_if_absent=True)

        def done(result: Any) -> None:
            if isinstance(result, maelstrom.PreconditionFailed):
                self._add(msg, delta)  # another node added first: read again and retry
            elif isinstance(result, maelstrom.MaelstromError):
                self.reply_error(msg, result)
            else:
                self.reply(msg)

        self.kv.read_then(KEY, got)

    @maelstrom.on("read")
    def read(self, msg: maelstrom.Message[Any]) -> None:
        def synced(result: Any) -> None:
            if isinstance(result, maelstrom.MaelstromError):
                self.reply_error(msg, result)
            else:
                self.kv.read_then(KEY, got)

        def got(value: Any) -> None:
            if isinstance(value, maelstrom.KeyDoesNotExist):
                value = 0
            if isinstance(value, maelstrom.MaelstromError):
                self.reply_error(msg, value)
            else:
                self.reply(msg, {"value": value})

        # A new value, so the write changes the store and moves this node's view to the latest state.
        self.kv.write_then(f"sync-{self.node_id}", next(self.syncs), synced)


if __name__ == "__main__":
    maelstrom.main(GCounter)
