"""Interpret what a callback returned: one pure function per callback kind.

Each returns the value when it is allowed and raises [`BadReturn`][spawned.BadReturn] (the
server's crash reason) when it is not, naming what came back and what was allowed.
"""

from __future__ import annotations

from typing import Any

from ._errors import BadReturn
from ._results import Continue, Ignore, NoReply, Reply, Stop

INIT_ALLOWED = "None, Continue(arg), Ignore() or Stop(reason)"
CALL_ALLOWED = "Reply(value), NoReply() or Stop(reason, reply=...)"
OTHER_ALLOWED = "None, Continue(arg) or Stop(reason)"


def check_init(value: Any) -> Continue | Ignore | Stop | None:
    """The result of ``init``."""
    if value is None or isinstance(value, Continue | Ignore | Stop):
        return value
    raise BadReturn("init", value, INIT_ALLOWED)


def check_call(value: Any) -> Reply[Any] | NoReply | Stop:
    """The result of ``handle_call``."""
    if isinstance(value, Reply | NoReply | Stop):
        return value  # pyright: ignore[reportUnknownVariableType]
    raise BadReturn("handle_call", value, CALL_ALLOWED)


def check_other(callback: str, value: Any) -> Continue | Stop | None:
    """The result of ``handle_cast``, ``handle_info`` or ``handle_continue``."""
    if value is None or isinstance(value, Continue | Stop):
        return value
    raise BadReturn(callback, value, OTHER_ALLOWED)
