"""Servers for the attack tests' node subprocesses (``attack_servers:app``): those of
``cluster_servers`` plus ``odd``, which answers with a value the caller's node cannot decode.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen
from cluster_servers import app as base_app

from spawned import Caller, GenServer, Reply


class OddReplier(GenServer[Any, Any, Any]):
    """Answers every call with an instance of a class defined in a function: its module
    path names no importable class, so the caller's codec refuses it.
    """

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        @frozen
        class Hidden:
            value: object

        return Reply(Hidden(msg))


def app(backend: str) -> Mapping[str, GenServer[Any, Any, Any]]:
    """The servers of ``cluster_servers.app`` and ``odd``."""
    return {**base_app(backend), "odd": OddReplier()}
