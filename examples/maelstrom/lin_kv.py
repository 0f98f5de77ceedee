#!/usr/bin/env python3
"""A Maelstrom linearizable key-value node that proxies every request to ``lin-kv``.

Maelstrom's ``lin-kv`` service is linearizable, so a node that forwards each request and
relays the answer (a value, ``key-does-not-exist``, ``precondition-failed``) is too.

    python -m spawned.maelstrom.harness -w lin-kv --bin "python examples/maelstrom/lin_kv.py" \
        --node-count 3 --rate 50
    maelstrom test -w lin-kv --bin examples/maelstrom/lin_kv.py --node-count 3 \
        --concurrency 4n --rate 30 --time-limit 20
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spawned import maelstrom


class LinKV(maelstrom.Node):
    def setup(self) -> None:
        self.kv = maelstrom.KV(self, maelstrom.LIN_KV)

    def _relay(
        self, msg: maelstrom.Message[Any], reply: Callable[[Any], dict[str, Any]]
    ) -> Callable[[Any], None]:
        def done(result: Any) -> None:
            if isinstance(result, maelstrom.MaelstromError):
                self.reply_error(msg, result)
            else:
                self.reply(msg, reply(result))

        return done

    @maelstrom.on("read")
    def read(self, msg: maelstrom.Message[Any]) -> None:
        self.kv.read_then(msg.body.key, self._relay(msg, lambda value: {"value": value}))

    @maelstrom.on("write")
    def write(self, msg: maelstrom.Message[Any]) -> None:
        self.kv.write_then(msg.body.key, msg.body.value, self._relay(msg, lambda _: {}))

    @maelstrom.on("cas")
    def cas(self, msg: maelstrom.Message[Any]) -> None:
        body = msg.body
        self.kv.cas_then(body.key, body["from"], body.to, self._relay(msg, lambda _: {}))


if __name__ == "__main__":
    maelstrom.main(LinKV)
