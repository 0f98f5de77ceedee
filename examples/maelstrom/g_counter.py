#!/usr/bin/env python3
"""A Maelstrom grow-only counter on the ``seq-kv`` service: one key, updated by compare-and-set.

``add`` reads the counter and writes ``value + delta`` with a compare-and-set, retrying
when another node got there first; it answers once its cas succeeded. The RPCs use the
``*_then`` shapes, so the node never blocks and runs unchanged on every backend.

Maelstrom's own ``seq-kv`` may answer a read with a stale value, so under Maelstrom a final
read can lag behind the last adds for a while; the local harness's services are never stale.

    python -m spawned.maelstrom.harness -w g-counter --bin "python examples/maelstrom/g_counter.py" \
        --node-count 3 --nemesis partition
    maelstrom test -w g-counter --bin examples/maelstrom/g_counter.py --node-count 3 \
        --rate 100 --time-limit 20 --nemesis partition
"""

from __future__ import annotations

from typing import Any

from spawned import maelstrom

KEY = "counter"


class GCounter(maelstrom.Node):
    def setup(self) -> None:
        self.kv = maelstrom.KV(self, maelstrom.SEQ_KV)

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
        def got(value: Any) -> None:
            if isinstance(value, maelstrom.KeyDoesNotExist):
                value = 0
            if isinstance(value, maelstrom.MaelstromError):
                self.reply_error(msg, value)
            else:
                self.reply(msg, {"value": value})

        self.kv.read_then(KEY, got)


if __name__ == "__main__":
    maelstrom.main(GCounter)
