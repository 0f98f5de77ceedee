"""The tasks timer service: one task per runtime, sleeping until the next deadline.

Deadlines are on ``time.monotonic()``, the clock asyncio's loop reads and the rate trio's
system clock runs at, because timers are armed and cancelled from any thread (an
``on_thread`` server, a process of another runtime) and only the loop's own thread may
read the loop's clock. The task sleeps with anyio; a virtual clock (trio's ``MockClock``)
does not drive these timers.
"""

from __future__ import annotations

import math
import threading
import time
from typing import TYPE_CHECKING

import anyio

from .._envelope import INFO
from .._timers import Timer, TimerBook

if TYPE_CHECKING:
    from .._process import ProcessCore
    from ._runtime import Runtime


class TimerService:
    """Arms timers in a :class:`~spawned._timers.TimerBook`; one task fires them.

    The task (``"spawned timers"``) starts with the first timer and runs beside the
    runtime's processes until the runtime closes. Arming an earlier timer wakes it;
    a thread that arms one wakes it through the loop (``runtime.soon``).
    """

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._book = TimerBook()
        self._lock = threading.Lock()
        self._wake: anyio.Event | None = None
        self._sleep_until = math.inf
        self._scope: anyio.CancelScope | None = None
        self._running = False

    def start(
        self, owner: ProcessCore, target: ProcessCore, message: object, delay: float, period: float | None
    ) -> Timer:
        """Arm a timer; see :meth:`spawned.GenServer.send_after`."""
        timer = Timer._create(self, owner, target, message, period)
        with self._lock:
            first = self._book.schedule(timer, time.monotonic() + delay)
            poke = timer.deadline < self._sleep_until
            if poke:
                self._sleep_until = timer.deadline
        if first:
            owner.on_exit(self._owner_exited)
        if poke:
            self._runtime.run_on_loop(self._kick)
        return timer

    def cancel(self, timer: Timer) -> float | None:
        """Disarm ``timer``; the seconds it had left, or ``None``."""
        with self._lock:
            return self._book.cancel(timer, time.monotonic())

    def _owner_exited(self, owner: ProcessCore) -> None:
        with self._lock:
            self._book.drop_owner(owner)

    def close(self) -> None:
        """End the timer task (the runtime is shutting down)."""
        scope = self._scope
        if scope is not None:
            self._runtime.run_on_loop(scope.cancel)

    def _kick(self) -> None:
        if not self._running:
            self._running = self._runtime.start_task(self._run, name="spawned timers")
        elif self._wake is not None:
            self._wake.set()

    async def _run(self) -> None:
        book = self._book
        try:
            with anyio.CancelScope() as scope:
                self._scope = scope
                while True:
                    with self._lock:
                        now = time.monotonic()
                        fired = book.due(now)
                        deadline = book.next_deadline()
                        self._sleep_until = math.inf if deadline is None else deadline
                        wake = self._wake = anyio.Event()
                    for timer in fired:
                        timer.target.post((INFO, timer.message, None))
                    with anyio.move_on_after(self._sleep_until - time.monotonic()):
                        await wake.wait()
        finally:
            with self._lock:
                self._running = False
                self._scope = self._wake = None
                self._sleep_until = math.inf
