"""Servers for the attack tests' node subprocesses (``attack_servers:app``): those of
``cluster_servers`` plus ``odd``, which answers with a value the caller's node cannot decode, and ``relay``, which
calls another process (on the asyncio backend).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen
from cluster_servers import app as base_app

from spawned import Caller, GenServer, Reply, ServerExited


class OddReplier(GenServer[Any, Any, Any]):
    """Answers every call with an instance of a class defined in a function: its module
    path names no importable class, so the caller's codec refuses it.
    """

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        @frozen
        class Hidden:
            value: object

        return Reply(Hidden(msg))


class Relay(GenServer[Any, Any, Any]):
    """``call((target, msg))`` calls ``target`` with ``msg`` and answers how that call ended;
    ``call("last")`` answers how the last one ended.
    """

    def __init__(self) -> None:
        self.last: object = None

    async def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        if msg == "last":
            return Reply(self.last)
        target, inner = msg
        try:
            self.last = ("reply", await target.call(inner, timeout=30))
        except ServerExited as error:
            self.last = ("exited", error.reason)
        except Exception as error:
            self.last = ("error", type(error).__name__)
        return Reply(self.last)


def app(backend: str) -> Mapping[str, GenServer[Any, Any, Any]]:
    """The servers of ``cluster_servers.app`` and ``odd``."""
    return {**base_app(backend), "odd": OddReplier(), "relay": Relay()}
