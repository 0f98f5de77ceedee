"""Parking and waking tasks with the running library's own primitives.

This is the one place ``spawned.tasks`` touches asyncio and trio directly (kept so by
``tests/core/test_layering.py``); everything else
goes through anyio. A process waiting on its mailbox, a caller waiting for its reply,
``start`` and ``join`` each need only "park this task until someone wakes it, or it is
cancelled", and the runtime's timer service needs one alarm, "run this at time T". anyio's
portable versions cost more than the whole round trip they serve: ``anyio.Event()`` looks
its backend up through sniffio on every creation and wraps a native event, and ``move_on_after`` builds a
``CancelScope``. Profiled over 20,000 sequential calls on asyncio (cProfile), the Events and
CancelScopes took about 60% of a call, which cost 41.6 µs against 7.6 µs for a bare
deque+Future ping-pong; on trio one ``move_on_after`` alone measured about 15 µs.

Here a park is one asyncio ``Future`` or one trio ``wait_task_rescheduled``. Whatever parks
holds the native handle of its task in a ``_waiter`` attribute (``None`` when nobody is
parked); ``wake`` must run on the loop's thread. So a task parks only through the runtime
of its own loop: a call from another runtime's loop waits in the caller's runtime (see
``Process.make_slot``), and the answer crosses over with that runtime's ``soon``.
The alarm is one asyncio ``TimerHandle`` (cancelled when the alarm moves), or on trio one
keeper task per runtime sleeping in a ``CancelScope`` whose deadline is the alarm. Both read
the loop's clock, so a virtual clock (trio's ``MockClock``) drives every timer.
"""

from __future__ import annotations

import asyncio
import math
import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol, cast

import anyio.abc

if TYPE_CHECKING:
    import trio


TaskFn = Callable[[], Coroutine[Any, Any, None]]


class Parkable(Protocol):
    """Something one task parks on: it keeps that task's native handle while parked."""

    _waiter: Any


class Native(Protocol):
    """What the tasks backend needs from the running library."""

    library: str
    """``"asyncio"`` or ``"trio"``."""

    def now(self) -> float:
        """The loop's monotonic clock, in seconds."""
        ...

    async def park(self, holder: Parkable) -> None:
        """Suspend the calling task until ``wake(holder)``; cancellation raises as usual."""
        ...

    def wake(self, holder: Parkable) -> None:
        """Resume the task parked on ``holder``, if any. On the loop's thread only."""
        ...

    async def checkpoint(self) -> None:
        """Let every other ready task run once."""
        ...

    def alarm(self, when: float, fn: Callable[[], object]) -> None:
        """Run ``fn()`` on the loop once ``now()`` reaches ``when``, in place of the alarm
        set before (cancelled); ``math.inf`` only cancels it. On the loop's thread only:
        the runtime's timer service is its one user.
        """
        ...

    def spawn(self, fn: TaskFn, name: str) -> None:
        """Start ``fn()`` as a new task; ``aclose`` waits for it."""
        ...

    def delivered(self, error: BaseException) -> bool:
        """Whether ``error`` is a cancellation the calling task was sent (``kill``, the
        runtime's shutdown, the host cancelling it), rather than one the code it ran raised
        (awaiting a task or future that was cancelled, or raising one itself). Call where
        ``error`` was caught.
        """
        ...

    async def aclose(self) -> None:
        """Wait for every spawned task, then drop pending timers (the runtime is closing)."""
        ...


def is_failure(error: BaseException, native: Native) -> bool:
    """Whether ``error``, raised out of user code a task ran (a callback, a listened stream),
    is that code's failure: any ``Exception``, and any other ``BaseException`` it raised (a
    cancellation it raised or awaited, a subclass of its own). Not a failure, and left to
    propagate: a cancellation the task was sent (see ``Native.delivered``), which ends it as
    it is, and ``KeyboardInterrupt``/``SystemExit``, which end the whole run.
    """
    if isinstance(error, Exception):
        return True
    if isinstance(error, KeyboardInterrupt | SystemExit):
        return False
    return not native.delivered(error)


def running_library() -> str:
    """``"trio"`` or ``"asyncio"``: the library running the calling task."""
    trio_module = sys.modules.get("trio")
    if trio_module is not None and trio_module.lowlevel.in_trio_task():
        return "trio"
    return "asyncio"


async def open_native(task_group: anyio.abc.TaskGroup) -> Native:
    """The primitives of the library running the calling task. Tasks are spawned natively:
    anyio 4's ``start_soon`` builds a ``TaskHandle`` with its own ``CancelScope`` and two
    ``Event`` objects per task (about 35 µs and several KB each); on trio they go into one
    nursery held by a helper task in ``task_group``.
    """
    if running_library() == "trio":
        native = TrioNative()
        await task_group.start(native.hold_nursery)
        return native
    return AsyncioNative()


class NotOpen:
    """The ``Native`` of a runtime that is not open: every use raises ``RuntimeError``."""

    library = "no"

    def now(self) -> float:
        """Refused: the runtime is not open."""
        raise _not_open()

    async def park(self, holder: Parkable) -> None:
        """Refused: the runtime is not open."""
        del holder
        raise _not_open()

    def wake(self, holder: Parkable) -> None:
        """Refused: the runtime is not open."""
        del holder
        raise _not_open()

    async def checkpoint(self) -> None:
        """Refused: the runtime is not open."""
        raise _not_open()

    def alarm(self, when: float, fn: Callable[[], object]) -> None:
        """Refused: the runtime is not open."""
        del when, fn
        raise _not_open()

    def spawn(self, fn: TaskFn, name: str) -> None:
        """Refused: the runtime is not open."""
        del fn, name
        raise _not_open()

    def delivered(self, error: BaseException) -> bool:
        """Refused: the runtime is not open."""
        del error
        raise _not_open()

    async def aclose(self) -> None:
        """Refused: the runtime is not open."""
        raise _not_open()


def _not_open() -> RuntimeError:
    return RuntimeError(
        "this spawned.tasks Runtime is not open; use `async with Runtime() as rt:` or tasks.run()"
    )


NOT_OPEN: Native = NotOpen()
"""What ``Runtime.native`` is until the runtime opens."""


class AsyncioNative:
    """asyncio: a ``Future`` per park, the loop's own timers."""

    __slots__ = ("_alarm", "_forget", "_loop", "_tasks")

    library = "asyncio"

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._alarm: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._forget = self._tasks.discard  # one bound method for every task's done callback

    def now(self) -> float:
        return self._loop.time()

    async def park(self, holder: Parkable) -> None:
        holder._waiter = future = self._loop.create_future()
        try:
            await future
        finally:
            holder._waiter = None

    def wake(self, holder: Parkable) -> None:
        future: asyncio.Future[None] | None = holder._waiter
        if future is not None:
            holder._waiter = None
            if not future.done():
                future.set_result(None)

    async def checkpoint(self) -> None:
        await asyncio.sleep(0)

    def alarm(self, when: float, fn: Callable[[], object]) -> None:
        if self._alarm is not None:
            self._alarm.cancel()
        self._alarm = None if when == math.inf else self._loop.call_at(when, fn)

    def spawn(self, fn: TaskFn, name: str) -> None:
        task = self._loop.create_task(fn(), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._forget)

    def delivered(self, error: BaseException) -> bool:
        """A task being cancelled has a cancel request pending (``Task.cancelling``)."""
        if not isinstance(error, asyncio.CancelledError):
            return False
        task = asyncio.current_task()
        return task is None or task.cancelling() > 0

    async def aclose(self) -> None:
        """A timer that fires after this finds nobody parked, so none is cancelled."""
        while self._tasks:
            done, _ = await asyncio.wait(set(self._tasks))
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    raise cast("BaseException", task.exception())


class TrioNative:
    """trio: ``wait_task_rescheduled`` per park; the alarm kept by one helper task."""

    __slots__ = (
        "_alarm_at",
        "_alarm_fn",
        "_closed",
        "_done",
        "_keeper_started",
        "_nursery",
        "_sleep",
        "_trio",
    )

    library = "trio"

    def __init__(self) -> None:
        import trio  # noqa: PLC0415 - only when trio is the running library

        self._trio = trio
        self._nursery: trio.Nursery | None = None
        self._done = trio.Event()
        self._alarm_at = math.inf
        self._alarm_fn: Callable[[], object] | None = None
        self._sleep: trio.CancelScope | None = None
        self._keeper_started = False
        self._closed = False

    def now(self) -> float:
        return self._trio.current_time()

    async def park(self, holder: Parkable) -> None:
        lowlevel = self._trio.lowlevel
        holder._waiter = lowlevel.current_task()

        def abort(_: object) -> trio.lowlevel.Abort:
            holder._waiter = None
            return lowlevel.Abort.SUCCEEDED

        await lowlevel.wait_task_rescheduled(abort)

    def wake(self, holder: Parkable) -> None:
        task = holder._waiter
        if task is not None:
            holder._waiter = None
            self._trio.lowlevel.reschedule(task)

    async def checkpoint(self) -> None:
        await self._trio.lowlevel.checkpoint()

    def alarm(self, when: float, fn: Callable[[], object]) -> None:
        if self._closed:
            return
        self._alarm_at = when
        self._alarm_fn = fn
        if not self._keeper_started:
            if when == math.inf:
                return
            self._keeper_started = True
            self.spawn(self._keep, "spawned timers")
        elif self._sleep is not None:
            self._sleep.deadline = when

    def spawn(self, fn: TaskFn, name: str) -> None:
        if self._nursery is None:
            msg = "the runtime's nursery is closed"
            raise RuntimeError(msg)
        self._nursery.start_soon(fn, name=name)

    def delivered(self, error: BaseException) -> bool:
        """A task being cancelled is inside a cancelled scope (its deadline is -inf)."""
        trio = self._trio
        return isinstance(error, trio.Cancelled) and trio.current_effective_deadline() == -math.inf

    async def hold_nursery(self, *, task_status: anyio.abc.TaskStatus[None]) -> None:
        """The helper task: holds the nursery every process runs in until ``aclose``.

        The nursery is shielded: cancelling the host (say ``move_on_after`` around the
        runtime) must not cancel the processes, which the runtime shuts down itself, running
        their ``terminate``, before it calls ``aclose``.
        """
        with self._trio.CancelScope(shield=True):
            async with self._trio.open_nursery() as nursery:
                self._nursery = nursery
                task_status.started()
                await self._done.wait()
                self._closed = True
                self._alarm_fn = None
                if self._sleep is not None:
                    self._sleep.cancel()
        self._nursery = None

    async def aclose(self) -> None:
        """Let the helper leave its nursery; the runtime's task group waits for it."""
        self._done.set()
        await self._trio.lowlevel.checkpoint()

    async def _keep(self) -> None:
        trio = self._trio
        while not self._closed:
            with trio.CancelScope(deadline=self._alarm_at) as sleep:
                self._sleep = sleep
                await trio.sleep_forever()
            self._sleep = None
            fn = self._alarm_fn
            if fn is not None and trio.current_time() >= self._alarm_at:
                self._alarm_at = math.inf
                fn()
