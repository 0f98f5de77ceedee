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


def main(mode: str) -> None:
    node_id = ""
    next_id = 0
    echoes = 0
    data: dict[str, Any] = {}

    def send(dest: str, body: dict[str, Any]) -> None:
        nonlocal next_id
        next_id += 1
        sys.stdout.write(json.dumps({"src": node_id, "dest": dest, "body": {**body, "msg_id": next_id}}) + "\n")
        sys.stdout.flush()

    for line in sys.stdin:
        message = json.loads(line)
        src, body = message["src"], message["body"]
        reply: dict[str, Any] = {"in_reply_to": body["msg_id"]}
        key = json.dumps(body.get("key"))
        match body["type"]:
            case "init":
                node_id = body["node_id"]
                reply["type"] = "init_ok"
            case "echo":
                echoes += 1
                if mode == "crash" and echoes == 3:
                    sys.exit(3)
                reply |= {"type": "echo_ok", "echo": body["echo"]}
            case "read" if key in data:
                reply |= {"type": "read_ok", "value": data[key]}
            case "read":
                reply |= {"type": "error", "code": 20, "text": "no such key"}
            case "write":
                data[key] = body["value"]
                reply |= {"type": "write_ok"}
                if mode == "custom-error":
                    reply |= {"type": "error", "code": 1000, "text": "written, but said otherwise"}
            case "cas" if key not in data:
                reply |= {"type": "error", "code": 20, "text": "no such key"}
            case "cas" if data[key] != body["from"]:
                reply |= {"type": "error", "code": 22, "text": "precondition failed"}
            case "cas":
                data[key] = body["to"]
                reply |= {"type": "cas_ok"}
            case _:
                reply |= {"type": "error", "code": 10, "text": "not supported"}
        send(src, reply)
        if mode == "garbage" and echoes == 1:
            sys.stdout.write("DEBUG: this is not a message\n")
            sys.stdout.flush()
    if mode == "deaf":
        threading.Event().wait()


if __name__ == "__main__":
    main(sys.argv[1])
