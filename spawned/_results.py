"""What a callback returns: small, immutable values (h11-style events).

``None`` is always a valid result where nothing else is needed; these classes say the rest.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from attrs import field, frozen

R = TypeVar("R")

_NO_REPLY: Any = object()


def _check_then(_instance: object, _attribute: object, value: object) -> None:
    if value is not None and not isinstance(value, Continue):
        msg = f"then= takes Continue(arg) or None, got {value!r}"
        raise TypeError(msg)


@frozen(repr=False)
class Reply(Generic[R]):
    """Answer the current call with ``value``. Returned by ``handle_call``.

    With ``then=Continue(arg)`` (or ``Reply(value, Continue(arg))``), the caller gets
    ``value`` first and ``handle_continue(arg)`` runs before the next message: OTP's
    ``{reply, Reply, State, {continue, Arg}}``.
    """

    value: R
    then: Continue | None = field(default=None, validator=_check_then)

    def __repr__(self) -> str:
        then = "" if self.then is None else f", then={self.then!r}"
        return f"Reply(value={self.value!r}{then})"


@frozen(repr=False)
class NoReply:
    """Do not answer now; answer later with ``caller.reply(value)``. Returned by ``handle_call``.

    With ``then=Continue(arg)``, ``handle_continue(arg)`` runs before the next message
    (OTP's ``{noreply, State, {continue, Arg}}``).
    """

    then: Continue | None = field(default=None, validator=_check_then)

    def __repr__(self) -> str:
        return "NoReply()" if self.then is None else f"NoReply(then={self.then!r})"


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
