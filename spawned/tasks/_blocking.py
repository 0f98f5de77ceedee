"""``handle.blocking``: call, stop and join a tasks process from a thread that is not its loop.

A plain thread, a thread-pool worker (``anyio.to_thread``, ``concurrent.futures``) or the
callbacks of an ``on_thread=True`` server cannot await. They post the request as any caller
does (posting is safe from any thread: the runtime's loop is woken with ``Runtime.soon``)
and block on a :class:`BlockingSlot`, whose answer releases a ``threading`` primitive, so the
loop resolves it like any other reply slot without knowing who waits.
"""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast, overload

from .._errors import CallTimeout, NoProc
from .._handle import CallT, CastT, ReplyT
from .._messages import Caller, Request
from .._process import CALL
from .._reasons import NORMAL
from .._timers import check_timeout

if TYPE_CHECKING:
    from .._process import ProcessCore
    from ._handle import Handle
    from ._process import Process

Q = TypeVar("Q")
A = TypeVar("A")

_WAIT_MAX = threading.TIMEOUT_MAX
"""Longer waits (``math.inf`` included) wait forever: ``threading`` refuses longer ones."""


class BlockingSlot:
    """A reply slot a thread blocks on; any thread (the loop's, usually) answers it.

    The first answer wins. After a timeout the slot is closed: a late answer is dropped.
    """

    __slots__ = ("_lock", "_ready", "done", "error", "value")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self.done = False
        self.value: Any = None
        self.error: BaseException | None = None

    def _complete(self, value: Any, error: BaseException | None) -> bool:
        with self._lock:
            if self.done:
                return False
            self.done = True
            self.value = value
            self.error = error
        self._ready.set()
        return True

    def resolve(self, value: Any) -> bool:
        """Deliver the reply."""
        return self._complete(value, None)

    def fail(self, error: BaseException) -> bool:
        """Deliver an error to raise in the caller."""
        return self._complete(None, error)

    def wait(self, timeout: float) -> bool:
        """Block until answered; ``False`` (and the slot is closed) on timeout."""
        if timeout > 0:
            self._ready.wait(None if timeout > _WAIT_MAX else timeout)
        return not self._complete(None, None)

    def result(self, label: str, timeout: float) -> Any:
        """Block for the answer and return it (or raise its error, or ``CallTimeout``).
        A ``timeout`` of 0 does not wait, nor look: the call times out at once, as ``call``
        does on every backend.
        """
        if timeout == 0:
            self._complete(None, None)
            raise CallTimeout(label, timeout)
        if not self.wait(timeout):
            raise CallTimeout(label, timeout)
        if self.error is not None:
            raise self.error
        return self.value


class BlockingHandle(Generic[CallT, CastT, ReplyT]):
    """A tasks [`Handle`][spawned.tasks.Handle] seen from a thread that is not its event
    loop's: ``call``, ``stop`` and ``join`` block the calling thread, with the names and
    semantics of [`spawned.threads.Handle`][spawned.threads.Handle], so code written for a
    worker thread runs unchanged on either backend (``handle.blocking`` of a threads handle is
    the handle itself).

    Get one with ``handle.blocking``. Safe from any thread but the loop's own: a plain
    thread, an ``anyio.to_thread.run_sync`` or ``concurrent.futures`` worker, the callbacks
    of a server started with ``on_thread=True``, or another runtime's thread. On the loop's
    thread it raises ``RuntimeError`` (waiting there would stop the loop that has to answer).
    """

    __slots__ = ("handle",)

    def __init__(self, handle: Handle[CallT, CastT, ReplyT]) -> None:
        self.handle: Handle[CallT, CastT, ReplyT] = handle
        """The tasks handle this view blocks on."""

    @overload
    def call(
        self: BlockingHandle[Request[Any, A], Any, Any], msg: Request[Q, A], timeout: float = 5.0
    ) -> Q: ...
    @overload
    def call(self, msg: CallT, timeout: float = 5.0) -> ReplyT: ...
    def call(self, msg: Any, timeout: float = 5.0) -> Any:
        """Send ``msg`` to ``handle_call`` and block until the reply.

        Raises exactly as [`Handle.call`][spawned.tasks.Handle.call] (``CallTimeout``, the
        server running on and a late reply dropped; ``NoProc``; ``ServerExited`` at once;
        ``CallingSelf``; ``ValueError`` for a bad ``timeout``), and ``RuntimeError`` on the
        runtime's loop thread.
        """
        process = self._process("call")
        check_timeout(timeout)
        if not process.alive:
            raise NoProc(process.label)
        process.refuse_self()
        slot = BlockingSlot()
        caller = cast("Caller[Any]", Caller._create(process, slot))
        process.post((CALL, msg, caller))
        try:
            return cast("ReplyT", slot.result(process.label, timeout))
        finally:
            process.forget_call(caller)  # answered, or given up: the server forgets it

    def stop(self, reason: object = NORMAL, timeout: float = math.inf) -> None:
        """Stop the server with ``reason`` and block until it is gone, as
        [`Handle.stop`][spawned.tasks.Handle.stop] does (killed and ``CallTimeout`` after
        ``timeout``; ``NoProc``; ``ServerExited`` if it exited with another reason first).
        """
        process = self._process("stop")
        process.begin_stop(reason, timeout)
        process.end_stop(reason, timeout, _join(process, timeout))

    def join(self) -> Any:
        """Block until the process exits and return its exit reason (at once if it has)."""
        process = self._process("join")
        process.refuse_self()
        _join(process, math.inf)
        return process.reason

    def _process(self, method: str) -> Process:
        process = cast("Process", self.handle._process)
        runtime = process.runtime
        if runtime.on_loop():
            msg = (
                f"handle.blocking.{method}() on the event loop thread of {process.label}'s runtime "
                "would block the loop that must answer it; use `await handle."
                f"{method}(...)` there (from an `async def` callback or task), or start the "
                "calling server with on_thread=True"
            )
            raise RuntimeError(msg)
        return process

    def __repr__(self) -> str:
        return f"<BlockingHandle of {self.handle!r}>"


def _join(process: ProcessCore, timeout: float) -> bool:
    """Block until ``process`` exits; ``False`` on timeout."""
    slot = BlockingSlot()

    def exited(_: ProcessCore) -> None:
        slot.resolve(None)

    process.on_exit(exited)
    return slot.wait(timeout)
