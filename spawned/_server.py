"""``GenServer``: the class users subclass. Default callbacks and the ``self.*`` helpers."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Generic

from loguru import logger
from typing_extensions import TypeVar

from ._messages import Caller, Ref
from ._results import Continue, Ignore, NoReply, Reply, Stop

if TYPE_CHECKING:
    from ._handle import HandleBase
    from ._process import ProcessCore

CallT = TypeVar("CallT", default=Any)
CastT = TypeVar("CastT", default=Any)
ReplyT = TypeVar("ReplyT", default=Any)

InitResult = None | Continue | Ignore | Stop
CallResult = Reply[ReplyT] | NoReply | Stop
NoReplyResult = None | Continue | Stop


class GenServer(Generic[CallT, CastT, ReplyT]):
    """A server: private state plus plain, sequential callbacks. Subclass it.

    A complete server, a stack::

        class Stack(GenServer):
            def init(self):
                self.items = []

            def handle_call(self, msg, caller):
                match msg:
                    case "pop":
                        return Reply(self.items.pop())

            def handle_cast(self, msg):
                match msg:
                    case ("push", item):
                        self.items.append(item)

    ``await tasks.start(Stack())`` (or ``threads.start(Stack())``) runs it as a process
    with its own mailbox; the handle it returns takes ``call``, ``cast`` and ``send``. One
    message is handled at a time, in arrival order, so callbacks never need a lock.

    Every callback is optional. On ``spawned.tasks`` a callback may be ``async def``; a
    plain ``def`` callback runs unchanged on both backends. Messages pass by reference:
    send immutable values (frozen attrs classes, tuples, strings).

    Set ``trap_exits = True`` (in the class or in ``init``) to receive a linked process's
    exit as an :class:`~spawned.Exit` message instead of dying with it. The exit of the
    process that started this one with ``link=True`` (its supervisor) is the exception, as
    in OTP: the server stops with that reason, running ``terminate``. ``kill()`` can never
    be trapped.
    """

    trap_exits: bool = False
    """Receive linked exits as ``Exit`` messages instead of dying with them."""

    _spawned_process: ProcessCore | None = None
    _spawned_kind: str | None = None
    """What the process's label calls it (default: the class name)."""
    _spawned_handle_class: type[HandleBase[Any, Any, Any]] | None = None
    """The handle class for this server (default: the runtime's ``Handle``)."""

    def init(self) -> InitResult | Awaitable[InitResult]:
        """Set up state. Runs in the new process before ``start`` returns.

        Return ``None``, ``Continue(arg)``, ``Ignore()`` or ``Stop(reason)``. An exception
        or ``Stop`` makes ``start`` raise ``InitFailed``; ``terminate`` is not called.
        """
        return None

    def handle_call(
        self, msg: CallT, caller: Caller[ReplyT]
    ) -> CallResult[ReplyT] | Awaitable[CallResult[ReplyT]]:
        """Answer a ``call``: return ``Reply(value)``, ``NoReply()`` (answer later through
        ``caller.reply``) or ``Stop(reason, reply=value)``.

        The default crashes the server: a server that takes calls must define this.
        """
        msg_text = f"{type(self).__name__} got call {msg!r} but does not define handle_call"
        raise NotImplementedError(msg_text)

    def handle_cast(self, msg: CastT) -> NoReplyResult | Awaitable[NoReplyResult]:
        """Handle a ``cast``: return ``None``, ``Continue(arg)`` or ``Stop(reason)``.

        The default crashes the server: a server that takes casts must define this.
        """
        msg_text = f"{type(self).__name__} got cast {msg!r} but does not define handle_cast"
        raise NotImplementedError(msg_text)

    def handle_info(self, msg: Any) -> NoReplyResult | Awaitable[NoReplyResult]:
        """Handle any other message: ``send``, timers, ``Down``, trapped ``Exit``.

        Return ``None``, ``Continue(arg)`` or ``Stop(reason)``. The default logs a warning
        and drops the message.
        """
        process = self._spawned_process
        label = process.label if process is not None else type(self).__name__
        logger.bind(server=label).warning("{} dropped an unexpected message: {!r}", label, msg)
        return None

    def handle_continue(self, arg: Any) -> NoReplyResult | Awaitable[NoReplyResult]:
        """Run the work a ``Continue(arg)`` asked for, before the next message.

        Return ``None``, ``Continue(arg)`` or ``Stop(reason)``.
        """
        msg_text = f"{type(self).__name__} returned Continue({arg!r}) but does not define handle_continue"
        raise NotImplementedError(msg_text)

    def terminate(self, reason: object) -> Awaitable[None] | None:  # noqa: ARG002 - default ignores it
        """Clean up before exiting with ``reason``.

        Runs after a ``Stop``, a crash, ``handle.stop()``, and a supervisor's shutdown
        when ``trap_exits`` is set; never after ``kill()`` or a linked exit that was not
        trapped.
        """
        return None

    # -- helpers for use inside callbacks ----------------------------------------------

    @property
    def _process(self) -> ProcessCore:
        process = self._spawned_process
        if process is None:
            msg = f"{type(self).__name__} is not running; this works only inside its callbacks"
            raise RuntimeError(msg)
        return process

    @property
    def handle(self) -> HandleBase[CallT, CastT, ReplyT]:
        """This server's own handle."""
        return self._process.handle

    def link(self, other: HandleBase[Any, Any, Any]) -> None:
        """Link to ``other`` both ways: when either exits abnormally, the other does too
        (or, trapping exits, receives ``Exit``). Linking to a dead process acts as if it
        had just exited with ``"noproc"``.
        """
        self._process.link(other._process)

    def unlink(self, other: HandleBase[Any, Any, Any]) -> None:
        """Remove the link to ``other``, if any."""
        self._process.unlink(other._process)

    def monitor(self, other: HandleBase[Any, Any, Any]) -> Ref:
        """Watch ``other``: exactly one ``Down(ref, handle, reason)`` arrives in
        ``handle_info`` when it exits (at once, with ``"noproc"``, if it already has).
        """
        return self._process.monitor(other._process)

    def demonitor(self, ref: Ref) -> None:
        """Stop watching through ``ref``. No ``Down`` for it arrives afterwards."""
        self._process.demonitor(ref)
