"""The message envelope: what a mailbox holds, and the results a loop passes on.

An envelope is a plain tuple ``(kind, payload, caller)`` (the hot path): ``kind`` says which
callback it is for, ``payload`` is the message and ``caller`` the reply address of a call
(``None`` otherwise). :func:`answer` is the one place a ``Reply`` reaches its caller.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from ._reasons import safe_repr

if TYPE_CHECKING:
    from ._messages import Caller
    from ._results import Reply

CALL: Final = 0
CAST: Final = 1
INFO: Final = 2
DOWN: Final = 3
CONTINUE: Final = 4
STOP: Final = 5
SYSTEM: Final = 6
"""A debugging request (``get_state``, ``replace_state``): run in the process, answered like a call."""

CALLBACKS: Final = ("handle_call", "handle_cast", "handle_info", "handle_info", "handle_continue")

Envelope = tuple[int, Any, Any]
Pending = tuple[Envelope, Any]
"""An envelope whose callback returned a coroutine, and the coroutine, for the backend."""

SKIPPED: Any = object()
"""What ``dispatch`` returns when no callback ran (a Down after ``demonitor``)."""


def answer(caller: Caller[Any], reply: Reply[Any]) -> Envelope | None:
    """Deliver ``reply`` to ``caller``; return the ``Continue`` envelope its ``then`` asks
    for, or ``None``.
    """
    caller._slot.resolve(reply.value)
    then = reply.then
    return None if then is None else (CONTINUE, then.arg, None)


class ExitProcess(Exception):
    """Raised inside a process loop to end it with ``reason`` (a ``Stop`` result)."""

    def __init__(self, reason: object, caller: Caller[Any] | None = None, reply: Any = None) -> None:
        self.reason = reason
        self.caller = caller
        self.reply = reply


class InitIgnored(Exception):
    """Raised when ``init`` returned ``Ignore()``."""


def describe_envelope(env: Envelope | None, shown: object) -> str:
    """``env`` for a report: its kind and ``shown``, the payload as ``format_status`` shows it."""
    if env is None:
        return "none (in init)"
    names = {
        CALL: "call",
        CAST: "cast",
        INFO: "info",
        DOWN: "info",
        CONTINUE: "continue",
        STOP: "stop",
        SYSTEM: "system request",
    }
    return f"{names[env[0]]} {safe_repr(shown)}"
