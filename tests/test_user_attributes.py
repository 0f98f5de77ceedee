"""The user's object is the user's: spawned keeps nothing on a server under a name a user may pick."""

from __future__ import annotations

from typing import Any

import pytest

from spawned import Caller, GenServer, GenStateMachine, KeepState, NextState, Reply, ReplyTo
from spawned.testing import TestRuntime

USER_NAMES = (
    "_process",
    "_handle",
    "_runtime",
    "_name",
    "_label",
    "_kind",
    "_on_thread",
    "_handle_class",
    "state",
    "process",
    "runtime",
    "options",
    "name",
    "label",
    "kind",
    "_engine",
    "_machine",
    "_functions",
    "_invoke",
    "_first",
    "_run",
    "_init_async",
    "_initialized",
    "_state_function",
)
"""Attribute names a user may well pick for their own state."""


class Owner(GenServer[str, Any, Any]):
    """Sets every name of ``USER_NAMES`` in ``init`` and answers a call with them."""

    def init(self) -> None:
        for attribute in USER_NAMES:
            setattr(self, attribute, f"user's {attribute}")

    def handle_call(self, msg: str, caller: Caller[Any]) -> Reply[Any]:
        del caller
        return Reply(
            {attribute: getattr(self, attribute) for attribute in USER_NAMES} if msg == "all" else msg
        )


class MachineOwner(GenStateMachine[str, Any, Any, str, None]):
    """A state machine that sets every name of ``USER_NAMES`` in ``init``."""

    def init(self) -> NextState[str, None]:
        for attribute in USER_NAMES:
            setattr(self, attribute, f"user's {attribute}")
        return NextState("ready", None)

    def handle_event(self, event_type: Any, content: Any, state: str, data: None) -> KeepState[None]:
        del content, state
        return KeepState(data, [ReplyTo(event_type.caller, {a: getattr(self, a) for a in USER_NAMES})])


@pytest.mark.parametrize("server_class", [Owner, MachineOwner])
async def test_a_server_may_set_any_private_or_plain_name_in_init(
    rt: TestRuntime, server_class: type[Any]
) -> None:
    handle = await rt.start(server_class())
    assert await handle.call("all") == {attribute: f"user's {attribute}" for attribute in USER_NAMES}
    await handle.stop()
