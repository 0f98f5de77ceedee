#!/usr/bin/env python3
"""A Maelstrom echo node: every ``echo`` request is answered with ``echo_ok`` and the same ``echo``.

Run under the local harness:
    python -m spawned.maelstrom.harness -w echo --bin "python examples/maelstrom/echo.py"
or under Maelstrom:
    maelstrom test -w echo --bin examples/maelstrom/echo.py --node-count 1 --time-limit 10
Both take ``--backend asyncio|trio|threads`` after the script (asyncio when not given).
"""

from __future__ import annotations

from typing import Any

# --8<-- [start:node]
from spawned import maelstrom


class EchoNode(maelstrom.Node):
    @maelstrom.on("echo")
    def echo(self, msg: maelstrom.Message[Any]) -> dict[str, Any]:
        return {"echo": msg.body.echo}  # the reply's type is deduced: echo_ok


if __name__ == "__main__":
    maelstrom.main(EchoNode)
# --8<-- [end:node]
