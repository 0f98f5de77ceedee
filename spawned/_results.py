"""What a callback returns: small, immutable values (h11-style events).

``None`` is always a valid result where nothing else is needed; these classes say the rest.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from attrs import field, frozen

R = TypeVar("R")

_NO_REPLY: Any = object()


@frozen
class Reply(Generic[R]):
    """Answer the current call with ``value``. Returned by ``handle_call``."""

    value: R


@frozen
class NoReply:
    """Do not answer now; answer later with ``caller.reply(value)``. Returned by ``handle_call``."""


@frozen
class Stop:
    """Stop the server with ``reason``.

    Returned by any ``handle_*`` callback, or by ``init`` to make ``start`` fail with
    [`InitFailed`][spawned.InitFailed]. From ``handle_call``, ``reply`` (when given) reaches the
    caller after ``terminate`` has run.

    ``"normal"`` and ``"shutdown"`` are clean exits; any other reason is logged as a crash.
    """

    reason: object = "normal"
    reply: Any = field(default=_NO_REPLY, repr=lambda v: "<none>" if v is _NO_REPLY else repr(v))

    @property
    def has_reply(self) -> bool:
        """Whether a reply was given (``None`` is a valid reply)."""
        return self.reply is not _NO_REPLY


@frozen
class Continue:
    """Run ``handle_continue(arg)`` before the next message.

    Returned by ``init`` or any ``handle_*`` callback, for work that must happen right after
    (for example, slow set-up after ``start`` has returned).
    """

    arg: Any


@frozen
class Ignore:
    """Returned by ``init``: do not run. ``start`` raises [`Ignored`][spawned.Ignored];
    a supervisor records the child as not running.
    """
