"""The tasks timer service: the runtime's one clock and one timer book, woken by one alarm.

Every deadline of a tasks runtime is on the event loop's own clock (``loop.time()`` on
asyncio, which reads ``time.monotonic``; ``trio.current_time()`` on trio, which is virtual
under a ``MockClock``): user timers, call deadlines (:mod:`spawned.tasks._deadlines`) and a
supervisor's restart intensity. They all sit in one :class:`~spawned._timers.TimerBook`, and
the loop's native timer (:meth:`~spawned.tasks._native.Native.alarm`) is set for the
earliest deadline in it; no task spins or sleeps on another clock, so a virtual clock drives
every timer.

Timers are also armed and cancelled from other threads (an ``on_thread`` server, a process
of another runtime), and only the loop's thread may read the loop's clock. An arm from
another thread is therefore posted to the loop (``runtime.soon``), which computes its
deadline there: a timer never fires earlier than its delay after the arm, on any clock,
including a virtual one (an offset between the loop clock and ``time.monotonic`` would go
stale whenever a virtual clock jumps, and fire such timers early). Until the loop has armed
it, the timer is *pending*: active, and a cancel simply withdraws it. A cancel from another
thread answers the time left with the loop clock estimated from the last reading taken on
the loop plus the ``time.monotonic`` elapsed since (exact on asyncio and trio's system clock,
whose rates are the monotonic clock's; only an estimate under a virtual clock).
"""

from __future__ import annotations

import math
import threading
import time
from typing import TYPE_CHECKING, Any

from .._envelope import INFO
from .._timers import Timer, TimerBook, Wakeup

if TYPE_CHECKING:
    from collections.abc import Callable

    from .._process import ProcessCore
    from ._runtime import Runtime


class TimerService:
    """Arms timers and wakeups in one :class:`~spawned._timers.TimerBook` on the loop's
    clock; the loop's native alarm, set for the earliest deadline, fires them.
    """

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._book = TimerBook[Timer | Wakeup]()
        self._lock = threading.Lock()
        self._alarm_at = math.inf
        self._pending: dict[Timer, float] = {}
        self._loop_stamp = 0.0
        self._monotonic_stamp = 0.0

    def now(self) -> float:
        """The loop's clock; from another thread, estimated (see the module docstring)."""
        if self._runtime.on_loop():
            return self._runtime.native.now()
        return self._loop_stamp + (time.monotonic() - self._monotonic_stamp)

    def start(
        self, owner: ProcessCore, target: ProcessCore, message: object, delay: float, period: float | None
    ) -> Timer:
        """Arm a timer; see :meth:`spawned.GenServer.send_after`."""
        timer = Timer._create(self, owner, target, message, period)
        if self._runtime.on_loop():
            self._arm(timer, delay)
        else:
            with self._lock:
                timer.active = True
                self._pending[timer] = delay
            self._runtime.soon(self._arm_pending, timer, delay)
        return timer

    def call_at(self, when: float, fn: Callable[..., object], *args: Any) -> Wakeup:
        """Run ``fn(*args)`` on the loop once its clock reaches ``when``. On the loop only."""
        wakeup = Wakeup(fn, args)
        with self._lock:
            self._book.schedule(wakeup, when)
            if when < self._alarm_at:
                self._set_alarm(when)
        return wakeup

    def cancel(self, timer: Timer | Wakeup) -> float | None:
        """Disarm ``timer``; the seconds it had left, or ``None``. Any thread."""
        now = self.now()
        with self._lock:
            if isinstance(timer, Timer):
                delay = self._pending.pop(timer, None)
                if delay is not None:
                    timer.active = False
                    return delay
            return self._book.cancel(timer, now)

    def close(self) -> None:
        """Disarm the alarm (the runtime is shutting down); a later arm sets it again."""
        if self._runtime.on_loop():
            self._clear_alarm()
        else:
            self._runtime.soon(self._clear_alarm)

    def _arm_pending(self, timer: Timer, delay: float) -> None:
        with self._lock:
            if self._pending.pop(timer, None) is None:
                return  # cancelled before the loop got to it
        self._arm(timer, delay)

    def _arm(self, timer: Timer, delay: float) -> None:
        now = self._stamp()
        with self._lock:
            first = self._book.schedule(timer, now + delay)
            if timer.deadline < self._alarm_at:
                self._set_alarm(timer.deadline)
        if first:
            timer.owner.on_exit(self._owner_exited)

    def _owner_exited(self, owner: ProcessCore) -> None:
        with self._lock:
            self._book.drop_owner(owner)

    def _stamp(self) -> float:
        """Read the loop's clock (on the loop), noting it for estimates from other threads."""
        now = self._runtime.native.now()
        self._loop_stamp = now
        self._monotonic_stamp = time.monotonic()
        return now

    def _set_alarm(self, when: float) -> None:
        self._alarm_at = when
        self._runtime.native.alarm(when, self._fire)

    def _clear_alarm(self) -> None:
        with self._lock:
            self._set_alarm(math.inf)

    def _fire(self) -> None:
        now = self._stamp()
        with self._lock:
            self._alarm_at = math.inf
            fired = self._book.due(now)
            deadline = self._book.next_deadline()
            if deadline is not None:
                self._set_alarm(deadline)
        for timer in fired:
            if isinstance(timer, Wakeup):
                timer.fire()
            else:
                timer.target.post((INFO, timer.message, None))
