#!/usr/bin/env python3
"""A Maelstrom unique-ids node: ids are the node's id and a counter, so they never clash,
even under partitions (no coordination is needed).

    python -m spawned.maelstrom.harness -w unique-ids --bin "python examples/maelstrom/unique_ids.py" \
        --node-count 3 --nemesis partition
    maelstrom test -w unique-ids --bin examples/maelstrom/unique_ids.py --node-count 3 \
        --availability total --nemesis partition --time-limit 30
"""

from __future__ import annotations

from itertools import count
from typing import Any

from spawned import maelstrom


class UniqueIds(maelstrom.Node):
    def setup(self) -> None:
        self.counter = count()

    @maelstrom.on("generate")
    def generate(self, msg: maelstrom.Message[Any]) -> dict[str, Any]:
        return {"id": f"{self.node_id}-{next(self.counter)}"}


if __name__ == "__main__":
    maelstrom.main(UniqueIds)
