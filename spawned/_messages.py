"""Values a server receives or holds: ``Caller``, ``Ref``, ``Down``, ``Exit``."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from attrs import frozen

from ._util import NoPublicConstructor

if TYPE_CHECKING:
    from ._backend import ReplySlot
    from ._handle import HandleBase
    from ._process import ProcessCore

R = TypeVar("R")


class Caller(Generic[R], metaclass=NoPublicConstructor):
    """The reply address of one call, passed to ``handle_call``. Opaque and hashable.

    Return ``NoReply()`` and keep the caller to answer later, from any callback, with
    [`reply`][spawned.Caller.reply]. If the server exits first, the caller gets
    [`ServerExited`][spawned.ServerExited] at once.
    """

    __slots__ = ("_server", "_slot")

    def __init__(self, server: ProcessCore, slot: ReplySlot[R]) -> None:
        self._server = server
        self._slot = slot

    def reply(self, value: R) -> None:
        """Answer the call with ``value``. Never blocks, never raises.

        Only the first answer counts: a second reply, or a reply to a caller that timed
        out or was cancelled, is dropped.
        """
        self._slot.resolve(value)
        self._server.forget_call(self)

    def __repr__(self) -> str:
        return f"<Caller of {self._server.label}>"


_ref_ids = itertools.count(1)


class Ref(metaclass=NoPublicConstructor):
    """A monitor reference, returned by ``self.monitor(handle)``. Opaque and hashable."""

    __slots__ = ("_id",)

    def __init__(self) -> None:
        self._id = next(_ref_ids)

    def __repr__(self) -> str:
        return f"<Ref {self._id}>"


@frozen
class Down:
    """Info message: the process behind ``handle``, monitored through ``ref``, exited.

    ``reason`` is its exit reason, or ``"noproc"`` if it was already gone when monitored.
    Arrives once per monitor, never after ``demonitor(ref)``.
    """

    ref: Ref
    handle: HandleBase[Any, Any, Any]
    reason: object


@frozen
class Exit:
    """Info message, for a server with ``trap_exits = True``: a linked process exited, or a
    process sent this one an exit signal with ``handle.exit(reason)``.

    ``handle`` is the linked process, or the sender of the signal: ``None`` when it was sent
    from outside any process.
    """

    handle: HandleBase[Any, Any, Any] | None
    reason: object
