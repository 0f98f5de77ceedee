"""A process as an anyio task: a deque mailbox woken by an event, drained in batches."""

from __future__ import annotations

import math
from collections import deque
from types import CoroutineType
from typing import TYPE_CHECKING, Any, cast

import anyio
import anyio.lowlevel

from .._errors import CallTimeout, Ignored, InitFailed
from .._process import ExitProcess, InitIgnored, ProcessCore, current_process
from .._reasons import NORMAL, SHUTDOWN

if TYPE_CHECKING:
    from .._process import Envelope
    from ._runtime import Runtime

BATCH = 128
"""Messages handled between two checkpoints, so a busy server cannot starve the loop."""


class ReplySlot:
    """Where one call's answer lands. The first answer wins; any thread may answer."""

    __slots__ = ("_event", "_runtime", "done", "error", "value")

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._event = anyio.Event()
        self.done = False
        self.value: Any = None
        self.error: BaseException | None = None

    def _complete(self, value: Any, error: BaseException | None) -> bool:
        if self.done:
            return False
        if not self._runtime.on_loop():
            self._runtime.soon(self._complete, value, error)
            return True
        self.done = True
        self.value = value
        self.error = error
        self._event.set()
        return True

    def resolve(self, value: Any) -> bool:
        """Deliver the reply."""
        return self._complete(value, None)

    def fail(self, error: BaseException) -> bool:
        """Deliver an error to raise in the caller."""
        return self._complete(None, error)

    async def result(self, label: str, timeout: float) -> Any:
        """Wait for the answer; on timeout or cancellation, later answers are dropped."""
        if not self.done:
            try:
                with anyio.move_on_after(timeout):
                    await self._event.wait()
            finally:
                if not self.done:
                    self.done = True
                    self.error = CallTimeout(label, timeout)
        if self.error is not None:
            raise self.error
        return self.value


class Process(ProcessCore):
    """One GenServer running as a task in its runtime's task group."""

    __slots__ = ("_exited", "_queue", "_scope", "_start_error", "_started", "_waiter")

    runtime: Runtime  # pyright: ignore[reportIncompatibleVariableOverride] - a backend process lives in its own runtime

    def __init__(self, runtime: Runtime, server: Any, name: object) -> None:
        super().__init__(runtime, server, name)
        self._queue: deque[Envelope] = deque()
        self._waiter: anyio.Event | None = None
        self._scope = anyio.CancelScope()
        self._started = anyio.Event()
        self._exited = anyio.Event()
        self._start_error: BaseException | None = None

    # -- waiting and waking ---------------------------------------------------------------

    def post(self, env: Envelope) -> None:
        if not self.alive:
            self.reject(env)
            return
        self._queue.append(env)
        if self._waiter is not None:
            if self.runtime.on_loop():
                self._wake()
            else:
                self.runtime.soon(self._wake)

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            waiter.set()

    async def _next(self) -> Envelope:
        queue = self._queue
        while not queue:
            waiter = self._waiter = anyio.Event()
            if queue:  # a thread appended between our check and setting the waiter
                self._waiter = None
                break
            await waiter.wait()
        return queue.popleft()

    def drain(self) -> list[Envelope]:
        items = list(self._queue)
        self._queue.clear()
        return items

    def halt(self) -> None:
        self._scope.cancel()  # works before the task has entered it, too

    def exited(self) -> None:
        self._exited.set()

    def exit_now(self, reason: object) -> None:
        if self.runtime.on_loop():
            super().exit_now(reason)
        else:
            self.runtime.soon(super().exit_now, reason)

    def mailbox_size(self) -> int:
        return len(self._queue)

    def make_slot(self) -> ReplySlot:
        return ReplySlot(self.runtime)

    # -- the life of the process ------------------------------------------------------------

    def run_init(self) -> Any:
        """Call ``init`` (an ``on_thread`` process runs it on its own thread)."""
        return self.server.init()

    def run_terminate(self, reason: object) -> Any:
        """Call ``terminate`` (an ``on_thread`` process runs it on its own thread)."""
        return self.server.terminate(reason)

    async def wait_started(self) -> None:
        """Wait until ``init`` has run; raise ``InitFailed``/``Ignored`` if it did not succeed."""
        await self._started.wait()
        if self._start_error is not None:
            raise self._start_error

    async def join(self, timeout: float = math.inf) -> bool:
        """Wait for the exit; ``False`` on timeout."""
        with anyio.move_on_after(timeout):
            await self._exited.wait()
        return not self.alive

    async def run(self) -> None:
        """The task body: init, the message loop, terminate, exit."""
        current_process.set(self)
        try:
            with self._scope:
                if not self.alive:  # killed (say, through a link) before the task began
                    return
                started, env = await self._init()
                if started:
                    await self._loop(env)
        finally:
            self._started.set()
            if self.alive:  # the whole runtime was cancelled under us
                self.finish(SHUTDOWN)

    async def _init(self) -> tuple[bool, Envelope | None]:
        try:
            result: Any = self.run_init()
            if type(result) is CoroutineType:
                result = await cast("CoroutineType[Any, Any, Any]", result)
            env = self.conclude_init(result)
        except InitIgnored:
            self._start_failed(Ignored(self.label), NORMAL)
            return False, None
        except ExitProcess as stop:
            self._start_failed(InitFailed(self.label, stop.reason), stop.reason)
            return False, None
        except Exception as exc:  # noqa: BLE001 - any crash in init is the start's failure
            self._start_failed(InitFailed(self.label, exc), exc)
            return False, None
        self._started.set()
        return True, env

    def _start_failed(self, error: BaseException, reason: object) -> None:
        self._start_error = error
        self.drop_links()
        self.report(reason)
        self.finish(reason)

    async def _loop(self, env: Envelope | None) -> None:
        stopper = reply = None
        queue = self._queue
        handled = 0
        try:
            while True:
                while env is not None:
                    result: Any = self.dispatch(env)
                    if type(result) is CoroutineType:
                        result = await cast("CoroutineType[Any, Any, Any]", result)
                    env = self.conclude(env, result)
                if queue:
                    handled += 1
                    if handled >= BATCH:
                        handled = 0
                        await anyio.lowlevel.checkpoint()
                    env = queue.popleft() if queue else await self._next()
                else:
                    handled = 0
                    env = await self._next()
        except ExitProcess as stop:
            reason, stopper, reply = stop.reason, stop.caller, stop.reply
        except Exception as exc:  # noqa: BLE001 - a crash is the exit reason
            reason = exc
        try:
            result = self.run_terminate(reason)
            if type(result) is CoroutineType:
                await result
        except Exception as exc:  # noqa: BLE001 - a crash in terminate becomes the reason
            reason = exc
        self.report(reason)
        self.finish(reason, stopper, reply)
