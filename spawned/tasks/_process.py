"""A process as an anyio task: a deque mailbox, parked and woken natively, drained in batches.

A process that is always busy still yields to the rest of the loop once per ``BATCH``
messages; it never checkpoints per message.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections import deque
from collections.abc import Callable, Coroutine
from threading import get_ident
from types import CoroutineType
from typing import TYPE_CHECKING, Any, cast

import anyio

from .._envelope import ExitProcess
from .._errors import CallTimeout
from .._process import PLAIN, ProcessCore, ProcessOptions, current_process
from .._reasons import SHUTDOWN
from .._server import CALLBACK_NAMES
from ._native import is_failure, running_library

if TYPE_CHECKING:
    from .._envelope import Envelope
    from .._messages import Caller
    from ._runtime import Runtime

BATCH = 128
"""Messages handled between two checkpoints, so a busy server cannot starve the loop."""


class ReplySlot:
    """Where one answer lands (a call's reply, ``start``'s go-ahead, a ``join``).

    The first answer wins; any thread may answer. One task waits on it, parked natively.
    """

    __slots__ = ("_runtime", "_waiter", "done", "error", "value")

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._waiter: Any = None
        self.done: bool = False
        self.value: Any = None
        self.error: BaseException | None = None

    def _complete(self, value: Any, error: BaseException | None) -> bool:
        if self.done:
            return False
        runtime = self._runtime
        if get_ident() != runtime.loop_thread:
            runtime.soon(self._complete, value, error)
            return True
        self.done = True
        self.value = value
        self.error = error
        if self._waiter is not None:
            runtime.native.wake(self)
        return True

    def resolve(self, value: Any) -> bool:
        """Deliver the reply."""
        return self._complete(value, None)

    def fail(self, error: BaseException) -> bool:
        """Deliver an error to raise in the caller."""
        return self._complete(None, error)

    async def wait(self, timeout: float) -> bool:
        """Wait for the answer; ``False`` on timeout. On timeout or cancellation the slot
        is closed: later answers are dropped. A ``timeout`` of 0 does not wait: only an
        answer already here counts.
        """
        if not self.done:
            if timeout == 0:
                self.done = True
                return False
            try:
                await self._runtime.deadlines.park(self, timeout)
            finally:
                answered = self.done
                self.done = True
            return answered
        return True

    async def result(self, label: str, timeout: float) -> Any:
        """Wait for the answer and return it (or raise its error, or ``CallTimeout``). A
        ``timeout`` of 0 does not wait, nor look: the call times out at once (after one
        checkpoint, so a loop of such calls still lets the others run).
        """
        if timeout == 0:
            self.done = True
            await self._runtime.native.checkpoint()
            raise CallTimeout(label, timeout)
        if not await self.wait(timeout):
            raise CallTimeout(label, timeout)
        if self.error is not None:
            raise self.error
        return self.value


class Process(ProcessCore["Runtime"]):
    """One GenServer running as a task in its runtime's task group."""

    __slots__ = ("_joiners", "_queue", "_scope", "_start_error", "_starter", "_waiter")

    def __init__(self, runtime: Runtime, server: Any, name: object, options: ProcessOptions = PLAIN) -> None:
        super().__init__(runtime, server, name, options)
        self._queue: deque[Envelope] = deque()
        self._waiter: Any = None
        self._scope: anyio.CancelScope | None = None
        self._starter: ReplySlot | None = ReplySlot(runtime)
        self._joiners: list[ReplySlot] | None = None
        self._start_error: BaseException | None = None

    # -- waiting and waking ---------------------------------------------------------------

    def post(self, env: Envelope) -> None:
        if not self.alive:
            self.reject(env)
            return
        self._queue.append(env)
        runtime = self.runtime
        if get_ident() != runtime.loop_thread:
            runtime.soon(self._wake)  # always: we cannot see whether it is parked
        elif self._waiter is not None:
            runtime.native.wake(self)

    def _wake(self) -> None:
        if self._waiter is not None:
            self.runtime.native.wake(self)

    def continue_later(self, env: Envelope) -> bool:
        """A ``Continue`` is the next message: a chain yields to the loop as messages do
        (once per ``BATCH``), and ``kill`` ends it at a step boundary.
        """
        self._queue.appendleft(env)
        return True

    def drain(self) -> list[Envelope]:
        items = list(self._queue)
        self._queue.clear()
        return items

    def halt(self) -> None:
        if self._scope is not None:
            self._scope.cancel()
        else:
            self._wake()  # parked in its mailbox: it wakes, sees it is dead, and returns

    def exited(self) -> None:
        joiners, self._joiners = self._joiners, None
        for slot in tuple(joiners or ()):  # a joiner on another loop's thread may leave meanwhile
            slot.resolve(None)

    def exit_now(self, reason: object) -> None:
        self.runtime.run_on_loop(super().exit_now, reason)

    def mailbox_size(self) -> int:
        return len(self._queue)

    def make_slot(self) -> ReplySlot:
        """A slot the calling task can park on: of this runtime, or, for a call from another
        runtime's loop (on another thread), of that runtime; answers cross over through
        ``Runtime.soon``.
        """
        runtime = self.runtime
        if get_ident() != runtime.loop_thread:
            runtime = self._callers_runtime()
        return ReplySlot(runtime)

    def _callers_runtime(self) -> Runtime:
        from ._runtime import runtime_here  # noqa: PLC0415 - _runtime imports this module

        runtime = runtime_here()
        if runtime is None:
            msg = (
                f"{self.label} runs on its runtime's {self.runtime.native.library} loop in another thread, "
                f"and this call comes from another event loop (this {running_library()} loop) "
                "with no spawned.tasks runtime to wait for the reply in; open one on this loop "
                "(tasks.run() or `async with tasks.Runtime()`), or make the call from the "
                "server's own loop"
            )
            raise RuntimeError(msg)
        return runtime

    # -- the life of the process ------------------------------------------------------------

    def run_init(self) -> Any:
        """Call ``init`` (an ``on_thread`` process runs it on its own thread)."""
        return self.server.init()

    def run_terminate(self, reason: object) -> Any:
        """Call ``terminate`` (an ``on_thread`` process runs it on its own thread)."""
        return self.server.terminate(reason)

    async def wait_started(self) -> None:
        """Wait until ``init`` has run; raise ``InitFailed``/``Ignored`` if it did not succeed."""
        starter = self._starter
        if starter is not None:
            await starter.wait(math.inf)
        if self._start_error is not None:
            raise self._start_error

    def _signal_started(self) -> None:
        starter, self._starter = self._starter, None
        if starter is not None:
            starter.resolve(None)

    async def join(self, timeout: float = math.inf) -> bool:
        """Wait for the exit; ``False`` on timeout."""
        if not self.alive:
            return True
        slot = self.make_slot()
        joiners = self._joiners
        if joiners is None:
            joiners = self._joiners = []
        joiners.append(slot)
        if not self.alive:  # exited meanwhile on its own loop's thread (a join from another loop)
            return True
        try:
            await slot.wait(timeout)
        finally:
            if slot in joiners:  # timed out or cancelled: do not keep it until the exit
                joiners.remove(slot)
        return not self.alive

    def body(self) -> Callable[[], Coroutine[Any, Any, None]]:
        """What the process's task runs: :meth:`run`, inside one cancel scope if any
        callback is ``async def`` (so ``halt`` can interrupt whatever it awaits).
        """
        return self._run_in_scope if has_async_callbacks(type(self.server)) else self.run

    async def _run_in_scope(self) -> None:
        with anyio.CancelScope() as scope:
            self._scope = scope
            await self.run()

    async def run(self) -> None:
        """The task body: init, the message loop, terminate, exit.

        One coroutine frame for all of it (plus the message loop's), so an idle process
        holds as little as possible.
        """
        current_process.set(self)
        try:
            started, env = await self._init()
            if started:
                try:
                    await self._handle_messages(env)
                except ExitProcess as stop:
                    await self._terminate(stop.reason, stop.caller, stop.reply)
                except BaseException as exc:
                    if not self._crashed(exc):
                        raise
                    await self._terminate(exc)  # a crash is the exit reason
        except (KeyboardInterrupt, SystemExit) as exc:
            if self.alive:  # the whole run ends (trio gets there after this task): say why
                self.finish(exc)
            raise
        finally:
            self._scope = None
            if self.alive:  # the whole runtime was cancelled under us
                self.finish(SHUTDOWN)
            if self._starter is not None and self._start_error is None:
                # cancelled before init concluded (killed, an exit signal): the start fails
                self._start_error = self.init_failed(ExitProcess(self.reason))
            self._signal_started()

    async def _await(self, coroutine: CoroutineType[Any, Any, Any]) -> Any:
        """Await a callback's coroutine where ``halt`` can cancel it."""
        if self._scope is not None:
            return await coroutine
        with anyio.CancelScope() as scope:
            self._scope = scope
            try:
                return await coroutine
            finally:
                self._scope = None
        return None  # cancelled by halt(): the caller sees the process is dead

    async def _init(self) -> tuple[bool, Envelope | None]:
        if not self.alive:  # killed (say, through a link) before the task began: no init
            self._start_error = self.init_failed(ExitProcess(self.reason))
            return False, None
        try:
            result: Any = self.run_init()
            if type(result) is CoroutineType:
                result = await self._await(cast("CoroutineType[Any, Any, Any]", result))
            env = self.conclude_init(result)  # raises if the process died meanwhile
        except BaseException as exc:
            if not self._crashed(exc):
                raise
            self._start_error = self.init_failed(exc)  # any failure of init is the start's
            return False, None
        self._signal_started()
        return True, env

    async def _handle_messages(self, env: Envelope | None) -> None:
        """Handle messages until a callback stops or crashes (raises) or the process is
        killed (returns).
        """
        queue = self._queue
        take = queue.popleft
        native = self.runtime.native
        budget = BATCH
        pending = None if env is None else self.follow(env, self.dispatch(env))
        while True:
            while pending is not None:  # a callback returned a coroutine: await it, go on
                env, coroutine = pending
                pending = self.follow(env, await self._await(coroutine))
            if not self.alive:  # killed while a callback ran
                return
            if not queue:
                budget = BATCH
                await native.park(self)
                if not self.alive:
                    return
            elif budget <= 0:  # a full batch without waiting: let the loop run others
                budget = BATCH
                await native.checkpoint()
                if not self.alive:
                    return
            waiting = min(budget, len(queue))  # so popleft never has to raise at the end
            left, pending = self.handle_batch(take, IndexError, waiting)
            budget -= waiting - left

    def _crashed(self, error: BaseException) -> bool:
        """Whether ``error``, raised out of a callback, crashes the process with ``error`` as
        the reason (see ``is_failure``): anything but a cancellation this task was sent
        (``kill``, a link's exit, the runtime's shutdown), which ends the process as it is,
        and ``KeyboardInterrupt``/``SystemExit``, which end the whole run as on asyncio.
        """
        return is_failure(error, self.runtime.native)

    async def _terminate(self, reason: object, stopper: Caller[Any] | None = None, reply: Any = None) -> None:
        if not self.alive:  # killed while the last callback ran: no terminate
            return
        try:
            result = self.run_terminate(reason)
            if type(result) is CoroutineType:
                await self._await(cast("CoroutineType[Any, Any, Any]", result))
        except BaseException as exc:
            if not self._crashed(exc):
                raise
            reason = exc  # a crash in terminate becomes the reason
        if not self.alive:
            return
        self.report(reason)
        self.finish(reason, stopper, reply)


@functools.cache
def has_async_callbacks(server_class: type) -> bool:
    """Whether any callback of ``server_class`` is ``async def`` (its process then runs
    inside one cancel scope, so ``halt`` can interrupt whatever it awaits).
    """
    return any(inspect.iscoroutinefunction(getattr(server_class, name, None)) for name in CALLBACK_NAMES)
