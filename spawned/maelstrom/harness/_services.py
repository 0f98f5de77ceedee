"""The key-value services a harness provides: ``lin-kv``, ``seq-kv`` and ``lww-kv``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SERVICES = ("lin-kv", "seq-kv", "lww-kv")


def _key(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_key(v) for v in value)  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, dict):
        return tuple(sorted((k, _key(v)) for k, v in value.items()))  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
    return value


class KVService:
    """One key-value store answering ``read``, ``write`` and ``cas`` bodies.

    Every service here is one map updated atomically, so it is linearizable; that is a
    valid (stricter) implementation of ``seq-kv`` and ``lww-kv`` too. Maelstrom's own
    ``seq-kv`` and ``lww-kv`` may return stale values, so a node correct here can still
    fail under Maelstrom if it counts on fresh reads from them.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.data: dict[Any, Any] = {}

    def handle(self, body: Mapping[str, Any]) -> dict[str, Any]:  # noqa: PLR0911 - one answer per case
        """The reply body for a request body (without ``in_reply_to``)."""
        kind = body.get("type")
        key = _key(body.get("key"))
        match kind:
            case "read":
                if key not in self.data:
                    return _error(20, f"key {body.get('key')!r} does not exist")
                return {"type": "read_ok", "value": self.data[key]}
            case "write":
                self.data[key] = body.get("value")
                return {"type": "write_ok"}
            case "cas":
                if key not in self.data:
                    if body.get("create_if_absent"):
                        self.data[key] = body.get("to")
                        return {"type": "cas_ok"}
                    return _error(20, f"key {body.get('key')!r} does not exist")
                if self.data[key] != body.get("from"):
                    return _error(22, f"expected {body.get('from')!r}, but had {self.data[key]!r}")
                self.data[key] = body.get("to")
                return {"type": "cas_ok"}
            case _:
                return _error(10, f"{self.name} does not support {kind!r}")


def _error(code: int, text: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "text": text}
