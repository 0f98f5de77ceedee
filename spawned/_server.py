"""``GenServer``: the class users subclass. Default callbacks and the ``self.*`` helpers."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, ClassVar, Generic, cast

from loguru import logger
from typing_extensions import TypeVar

from ._handle import HandleBase
from ._messages import Caller, Ref
from ._results import Continue, Ignore, NoReply, Reply, Stop
from ._status import Status, formatted, public_state
from ._timers import Timer, check_delay, check_period

if TYPE_CHECKING:
    from ._process import ProcessCore

CallT = TypeVar("CallT", default=Any)
CastT = TypeVar("CastT", default=Any)
ReplyT = TypeVar("ReplyT", default=Any)

InitResult = None | Continue | Ignore | Stop
CallResult = Reply[ReplyT] | NoReply | Stop
NoReplyResult = None | Continue | Stop


def _process_of(other: object, what: str) -> ProcessCore:
    """The process behind the handle ``other``; ``TypeError`` naming ``other`` if it is not one."""
    if not isinstance(other, HandleBase):
        msg = f"{what} takes a process handle, got {other!r} ({type(other).__name__})"
        raise TypeError(msg)
    return cast("HandleBase[Any, Any, Any]", other)._process


CALLBACK_NAMES = ("init", "handle_call", "handle_cast", "handle_info", "handle_continue", "terminate")
"""The callbacks a GenServer may define (those the threads backend refuses as ``async def``)."""


class GenServer(Generic[CallT, CastT, ReplyT]):
    """A server: private state plus plain, sequential callbacks. Subclass it.

    A complete server, a stack:

    ```python
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
    ```

    ``await tasks.start(Stack())`` (or ``threads.start(Stack())``) runs it as a process
    with its own mailbox; the handle it returns takes ``call``, ``cast`` and ``send``. One
    message is handled at a time, in arrival order, so callbacks never need a lock.

    Every callback is optional. On ``spawned.tasks`` a callback may be ``async def``; a
    plain ``def`` callback runs unchanged on both backends. Messages pass by reference:
    send immutable values (frozen attrs classes, tuples, strings).

    Set ``trap_exits = True`` (in the class or in ``init``) to receive a linked process's
    exit as an [`Exit`][spawned.Exit] message instead of dying with it. The exit of the
    process that started this one with ``link=True`` (its supervisor) is the exception, as
    in OTP: the server stops with that reason, running ``terminate``. ``kill()`` can never
    be trapped.
    """

    trap_exits: bool = False
    """Receive linked exits as ``Exit`` messages instead of dying with them."""

    _spawned_process: ProcessCore | None = None
    _spawned_callback_names: ClassVar[tuple[str, ...] | None] = None
    """The methods the threads backend refuses as ``async def`` (default: the callbacks)."""

    def _spawned_prepare(self) -> None:
        """Called once when ``start`` accepts this server, before its process exists."""

    def _spawned_status_state(self) -> Any:
        """What ``format_status`` gets as the state (a state machine: its ``(state, data)``)."""
        return public_state(self)

    def _spawned_crash_context(self) -> str:
        """More to say in a crash report than the last message (a state machine's state)."""
        return ""

    def init(self) -> InitResult | Awaitable[InitResult]:
        """Set up state. Runs in the new process before ``start`` returns.

        Return ``None``, ``Continue(arg)``, ``Ignore()`` or ``Stop(reason)``. An exception
        or ``Stop`` makes ``start`` raise ``InitFailed``; ``terminate`` is not called. So
        does the process dying while ``init`` runs (say, it was killed): nothing more runs.
        A failed ``init`` sends its exit reason to the processes it linked to, except the
        starter (``start(..., link=True)``), which gets the error instead.
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
        shown = formatted(self, msg).message
        logger.bind(server=label).warning("{} dropped an unexpected message: {!r}", label, shown)
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

    def format_status(self, status: Status) -> Status:
        """Say how this server looks in crash reports, warnings and ``get_state``
        (OTP's ``format_status``). The default shows everything as it is.

        ``status`` holds the server's public attributes (``state``), the message being
        handled (``message``) and, when terminating, the exit reason (``reason``). Return
        it changed with ``attrs.evolve`` to hide secrets::

            def format_status(self, status):
                return evolve(status, state={**status.state, "token": "***"},
                              message=redact(status.message))

        It runs inside the process (on a crash, after the callback raised), except for the
        tasks backend's blocking-loop warning, which calls it from its watchdog thread while
        the callback still runs: it should only read, and never block. If it raises or
        returns something else than a ``Status``, the report hides both the state and the
        message.
        """
        return status

    # -- helpers for use inside callbacks ----------------------------------------------

    @property
    def _spawned_running(self) -> ProcessCore:
        process = self._spawned_process
        if process is None:
            msg = f"{type(self).__name__} is not running; this works only inside its callbacks"
            raise RuntimeError(msg)
        return process

    @property
    def handle(self) -> HandleBase[CallT, CastT, ReplyT]:
        """This server's own handle."""
        return self._spawned_running.handle

    def link(self, other: HandleBase[Any, Any, Any]) -> None:
        """Link to ``other`` both ways: when either exits abnormally, the other does too
        (or, trapping exits, receives ``Exit``). Linking to a dead process acts as if it
        had just exited with ``"noproc"``. ``TypeError`` if ``other`` is not a handle.
        """
        self._spawned_running.link(_process_of(other, "link"))

    def unlink(self, other: HandleBase[Any, Any, Any]) -> None:
        """Remove the link to ``other``, if any. ``TypeError`` if ``other`` is not a handle."""
        self._spawned_running.unlink(_process_of(other, "unlink"))

    def monitor(self, other: HandleBase[Any, Any, Any]) -> Ref:
        """Watch ``other``: exactly one ``Down(ref, handle, reason)`` arrives in
        ``handle_info`` when it exits (at once, with ``"noproc"``, if it already has).
        ``TypeError`` if ``other`` is not a handle.
        """
        return self._spawned_running.monitor(_process_of(other, "monitor"))

    def demonitor(self, ref: Ref) -> None:
        """Stop watching through ``ref``. No ``Down`` for it arrives afterwards.
        ``TypeError`` if ``ref`` is not a ``Ref`` that ``monitor`` returned.
        """
        if not isinstance(ref, Ref):  # pyright: ignore[reportUnnecessaryIsInstance] - checked for untyped callers
            msg = f"demonitor() takes the Ref that monitor() returned, got {ref!r} ({type(ref).__name__})"
            raise TypeError(msg)
        self._spawned_running.demonitor(ref)

    # -- timers ------------------------------------------------------------------------

    def send_after(self, delay: float, msg: object, to: HandleBase[Any, Any, Any] | None = None) -> Timer:
        """Deliver ``msg`` to ``handle_info`` of ``to`` (default: this server) in ``delay``
        seconds, on the runtime's clock (the event loop's on tasks, ``time.monotonic`` on
        threads). Never blocks.

        The timer dies with this server, wherever it is aimed; aimed at a process that
        has exited by then, it does nothing. ``timer.cancel()`` returns the seconds left.

        Raises:
            TypeError: ``delay`` is not a number, or ``to`` is not a handle.
            ValueError: ``delay`` is negative or NaN.
        """
        process = self._spawned_running
        target = process if to is None else _process_of(to, "send_after(to=...)")
        return process.runtime.timers().start(process, target, msg, check_delay(delay), None)

    def send_interval(self, period: float, msg: object) -> Timer:
        """Deliver ``msg`` to this server's ``handle_info`` every ``period`` seconds, first
        one ``period`` from now, until ``timer.cancel()`` or the server exits.

        Ticks stay on the grid ``start + k * period`` (no drift accumulates); a tick the
        clock skipped past entirely is dropped rather than delivered late in a burst.

        Raises:
            TypeError: ``period`` is not a number.
            ValueError: ``period`` is not a positive, finite number.
        """
        process = self._spawned_running
        seconds = check_period(period)
        return process.runtime.timers().start(process, process, msg, seconds, seconds)

    # -- streams -----------------------------------------------------------------------

    def listen(self, stream: object) -> None:
        """Deliver each item of ``stream`` to ``handle_info``, then
        [`StreamEnded`][spawned.StreamEnded] (or [`StreamFailed`][spawned.StreamFailed] if iterating it
        raised). Never blocks: the stream is read by its own task or thread.

        On ``spawned.tasks`` the stream is an async iterable (read by a task, cancelled
        when this server exits); on ``spawned.threads`` a plain iterable (read by a
        thread, which stops at the next item once this server has exited; a thread
        blocked waiting for an item cannot be interrupted). Either way the iterator is
        closed at the end. Items arrive as fast as the stream yields them.

        Raises:
            TypeError: the stream is not the kind of iterable this backend reads.
        """
        process = self._spawned_running
        process.runtime.listeners().listen(process, stream)


def check_server(server: object, *, allow_async: bool, on_thread: bool = False) -> GenServer[Any, Any, Any]:
    """Refuse what cannot be started: not a ``GenServer``, started twice, or (on threads, or
    on tasks with ``on_thread``) ``async def`` callbacks.
    """
    if not isinstance(server, GenServer):
        msg = f"start() takes a GenServer instance, got {server!r}"
        raise TypeError(msg)
    server = cast("GenServer[Any, Any, Any]", server)
    if server._spawned_process is not None:
        msg = f"{server!r} was already started once; start a fresh instance"
        raise TypeError(msg)
    if not allow_async:
        names = server._spawned_callback_names or CALLBACK_NAMES
        bad = [name for name in names if inspect.iscoroutinefunction(getattr(type(server), name, None))]
        if bad:
            advice = (
                "start(on_thread=True) runs them on a plain thread, which cannot await; write "
                "them as plain `def` (they can call other servers with `handle.blocking.call(...)`), "
                "or start the server without on_thread=True"
                if on_thread
                else "the threads backend cannot run; write them as plain `def`, or use spawned.tasks"
            )
            msg = f"{type(server).__name__} has async callbacks ({', '.join(bad)}), which {advice}"
            raise TypeError(msg)
    server._spawned_prepare()
    return server
