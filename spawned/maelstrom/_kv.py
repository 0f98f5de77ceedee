"""Clients for Maelstrom's key-value services: ``lin-kv``, ``seq-kv`` and ``lww-kv``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._errors import MaelstromError
from ._messages import Fields, Message

if TYPE_CHECKING:
    from ._node import Node

LIN_KV = "lin-kv"
"""The linearizable key-value service."""
SEQ_KV = "seq-kv"
"""The sequentially consistent key-value service."""
LWW_KV = "lww-kv"
"""The last-write-wins key-value service."""


class KV:
    """A client of a key-value service, used from inside a `Node`.

    ```python
    class Counter(maelstrom.Node):
        def setup(self):
            self.kv = maelstrom.KV(self, maelstrom.SEQ_KV)
    ```

    Each operation comes in two shapes, as `Node.rpc` and `Node.rpc_then` do:
    ``read``/``write``/``cas`` wait for the result (awaited on `spawned.tasks`, blocking on
    `spawned.threads`) and raise errors; ``read_then``/``write_then``/``cas_then`` never
    block and call ``then(result)`` in the node, where ``result`` is the value (``None``
    for ``write`` and ``cas``) or a [`MaelstromError`][spawned.maelstrom.MaelstromError] —
    [`KeyDoesNotExist`][spawned.maelstrom.KeyDoesNotExist],
    [`PreconditionFailed`][spawned.maelstrom.PreconditionFailed] or
    [`Timeout`][spawned.maelstrom.Timeout].
    """

    def __init__(self, node: Node, service: str = LIN_KV, timeout: float = 1.0) -> None:
        self.node = node
        """The node that sends the requests."""
        self.service = service
        """The service's node id: ``"lin-kv"``, ``"seq-kv"`` or ``"lww-kv"``."""
        self.timeout = timeout
        """Seconds each request waits for its reply."""

    def read(self, key: Any) -> Any:
        """The value at ``key`` (waits).

        Raises:
            KeyDoesNotExist: ``key`` has no value.
            Timeout: no answer in time.
        """
        return self._wait({"type": "read", "key": key}, _value)

    def write(self, key: Any, value: Any) -> Any:
        """Set ``key`` to ``value`` (waits; the result is ``None``).

        Raises:
            Timeout: no answer in time (the write may or may not have happened).
        """
        return self._wait({"type": "write", "key": key, "value": value}, _nothing)

    def cas(self, key: Any, from_: Any, to: Any, create_if_absent: bool = False) -> Any:
        """Set ``key`` to ``to`` if it holds ``from_`` (waits; the result is ``None``).

        With ``create_if_absent``, a missing key is created with ``to``.

        Raises:
            PreconditionFailed: the key holds another value.
            KeyDoesNotExist: the key is missing and ``create_if_absent`` is false.
            Timeout: no answer in time (the cas may or may not have happened).
        """
        body = {"type": "cas", "key": key, "from": from_, "to": to, "create_if_absent": create_if_absent}
        return self._wait(body, _nothing)

    def read_then(self, key: Any, then: Callable[[Any], object]) -> None:
        """Read ``key``; ``then`` gets the value or an error. Never blocks."""
        self._then({"type": "read", "key": key}, _value, then)

    def write_then(self, key: Any, value: Any, then: Callable[[Any], object]) -> None:
        """Write ``value`` at ``key``; ``then`` gets ``None`` or an error. Never blocks."""
        self._then({"type": "write", "key": key, "value": value}, _nothing, then)

    def cas_then(
        self, key: Any, from_: Any, to: Any, then: Callable[[Any], object], create_if_absent: bool = False
    ) -> None:
        """Compare-and-set ``key`` from ``from_`` to ``to``; ``then`` gets ``None`` or an
        error. Never blocks.
        """
        body = {"type": "cas", "key": key, "from": from_, "to": to, "create_if_absent": create_if_absent}
        self._then(body, _nothing, then)

    def _wait(self, body: dict[str, Any], convert: Callable[[Message[Fields]], Any]) -> Any:
        waiting = self.node.rpc(self.service, body, self.timeout)
        if self.node._maelstrom_tasks:
            return _convert_later(waiting, convert)
        return convert(waiting)

    def _then(
        self, body: dict[str, Any], convert: Callable[[Message[Fields]], Any], then: Callable[[Any], object]
    ) -> None:
        def done(result: Message[Fields] | MaelstromError) -> object:
            return then(result if isinstance(result, MaelstromError) else convert(result))

        self.node.rpc_then(self.service, body, done, self.timeout)


async def _convert_later(waiting: Any, convert: Callable[[Message[Fields]], Any]) -> Any:
    return convert(await waiting)


def _value(reply: Message[Fields]) -> Any:
    return reply["value"]


def _nothing(_reply: Message[Fields]) -> None:
    return None
