"""A Maelstrom node in plain Python (no spawned) that misbehaves on purpose, for the harness.

``python misbehaving_node.py MODE``: answers ``init``, ``echo`` and lin-kv style ``read``,
``write`` and ``cas`` from an in-memory map (one node alone is linearizable), and:

- ``good``: nothing else;
- ``garbage``: writes a line that is not JSON after its first echo;
- ``crash``: exits with status 3 on its third echo;
- ``custom-error``: performs every write, then answers it with error code 1000 (a custom,
  hence indefinite, error);
- ``deaf``: ignores stdin closing and never exits by itself.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any


class Node:
    """One node's state and its answers."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.node_id = ""
        self.next_id = 0
        self.echoes = 0
        self.data: dict[str, Any] = {}

    def send(self, dest: str, body: dict[str, Any]) -> None:
        self.next_id += 1
        message = {"src": self.node_id, "dest": dest, "body": {**body, "msg_id": self.next_id}}
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:  # noqa: PLR0911 - one answer per case
        key = json.dumps(body.get("key"))
        data = self.data
        match body["type"]:
            case "init":
                self.node_id = body["node_id"]
                return {"type": "init_ok"}
            case "echo":
                self.echoes += 1
                if self.mode == "crash" and self.echoes == 3:
                    sys.exit(3)
                return {"type": "echo_ok", "echo": body["echo"]}
            case "read" if key in data:
                return {"type": "read_ok", "value": data[key]}
            case "read" | "cas" if key not in data:
                return {"type": "error", "code": 20, "text": "no such key"}
            case "write":
                data[key] = body["value"]
                if self.mode == "custom-error":
                    return {"type": "error", "code": 1000, "text": "written, but said otherwise"}
                return {"type": "write_ok"}
            case "cas" if data[key] != body["from"]:
                return {"type": "error", "code": 22, "text": "precondition failed"}
            case "cas":
                data[key] = body["to"]
                return {"type": "cas_ok"}
            case _:
                return {"type": "error", "code": 10, "text": "not supported"}


def main(mode: str) -> None:
    """Answer stdin's messages until it closes (and then some, when deaf)."""
    node = Node(mode)
    for line in sys.stdin:
        message = json.loads(line)
        body = message["body"]
        node.send(message["src"], {**node.answer(body), "in_reply_to": body["msg_id"]})
        if mode == "garbage" and node.echoes == 1:
            sys.stdout.write("DEBUG: this is not a message\n")
            sys.stdout.flush()
    if mode == "deaf":
        threading.Event().wait()


if __name__ == "__main__":
    main(sys.argv[1])
