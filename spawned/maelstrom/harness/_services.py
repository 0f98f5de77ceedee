"""The key-value services a harness provides: ``lin-kv``, ``seq-kv`` and ``lww-kv``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._values import Typed, typed

SERVICES = ("lin-kv", "seq-kv", "lww-kv")
SEQ_KV_HISTORY = 32
"""How many past states ``seq-kv`` may read from (Maelstrom's buffer size)."""

Store = dict[Typed, Any]


class KVService:
    """One key-value store answering ``read``, ``write`` and ``cas`` bodies.

    Values compare with their types (``true`` is not ``1``), as in Maelstrom.

    ``lin-kv`` and ``lww-kv`` are one map updated atomically, so they are linearizable
    (stricter than Maelstrom's ``lww-kv``, which may also lose writes and go back in time).
    ``seq-kv`` is sequentially consistent as Maelstrom's is (its ``Sequential`` service),
    and as stale as that allows: an operation that changes nothing (a read, a failed cas, a
    write of the value already there) runs on the oldest state its client may still see —
    the last one it saw, or the oldest of the last `SEQ_KV_HISTORY` states — where
    Maelstrom picks one at random from there to the latest. An operation that changes the
    store runs on the latest state and brings its client (the node) up to date. So a node
    that reads ``seq-kv`` without first writing to it keeps reading old values here.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.states: list[Store] = [{}]
        """The latest states, oldest first; ``lin-kv`` and ``lww-kv`` keep only the last."""
        self.first_index = 0
        """The index of ``states[0]`` in the service's whole history of states."""
        self.clients: dict[str, int] = {}
        """The index of the latest state each client has seen (``seq-kv`` only)."""

    @property
    def data(self) -> Store:
        """The latest state."""
        return self.states[-1]

    def handle(self, body: Mapping[str, Any], client: str = "") -> dict[str, Any]:
        """The reply body for a request body from ``client`` (without ``in_reply_to``)."""
        sequential = self.name == "seq-kv"
        latest = self.first_index + len(self.states) - 1
        index = max(self.clients.get(client, 0), self.first_index) if sequential else latest
        changed, after, reply = _apply(self.states[index - self.first_index], body, self.name, sequential)
        if changed and index != latest:  # a change runs on the latest state
            index = latest
            changed, after, reply = _apply(self.data, body, self.name, sequential)
        if changed and sequential:
            self.states.append(after)
            index = latest + 1
            if len(self.states) > SEQ_KV_HISTORY:
                del self.states[0]
                self.first_index += 1
        if sequential:
            self.clients[client] = index
        return reply


def _apply(  # noqa: PLR0911 - one answer per case
    state: Store, body: Mapping[str, Any], name: str, persistent: bool
) -> tuple[bool, Store, dict[str, Any]]:
    """Whether ``body`` changes ``state``, the state after it and the reply.

    A ``persistent`` state is never modified: a change gives a new one.
    """
    kind = body.get("type")
    key = typed(body.get("key"))
    match kind:
        case "read":
            if key not in state:
                return False, state, _error(20, f"key {body.get('key')!r} does not exist")
            return False, state, {"type": "read_ok", "value": state[key]}
        case "write":
            return (*_set(state, key, body.get("value"), persistent), {"type": "write_ok"})
        case "cas":
            if key not in state:
                if body.get("create_if_absent"):
                    return (*_set(state, key, body.get("to"), persistent), {"type": "cas_ok"})
                return False, state, _error(20, f"key {body.get('key')!r} does not exist")
            if typed(state[key]) != typed(body.get("from")):
                return False, state, _error(22, f"expected {body.get('from')!r}, but had {state[key]!r}")
            return (*_set(state, key, body.get("to"), persistent), {"type": "cas_ok"})
        case _:
            return False, state, _error(10, f"{name} does not support {kind!r}")


def _set(state: Store, key: Typed, value: Any, persistent: bool) -> tuple[bool, Store]:
    if key in state and typed(state[key]) == typed(value):
        return False, state
    if persistent:
        return True, {**state, key: value}
    state[key] = value
    return True, state


def _error(code: int, text: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "text": text}
