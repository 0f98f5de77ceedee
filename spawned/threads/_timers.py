"""The threads timer service: the runtime's one clock (``time.monotonic``) and one timer
book, fired by one thread per runtime sleeping on a condition variable.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from .._envelope import INFO
from .._timers import Timer, TimerBook, Wakeup
from ._waits import wait_seconds

if TYPE_CHECKING:
    from collections.abc import Callable

    from .._process import ProcessCore
    from .._runtime import RuntimeCore


class TimerService:
    """Arms timers in a :class:`~spawned._timers.TimerBook` on ``time.monotonic()``.

    One thread, ``"spawned timers"``, started with the first timer, sleeps until the next
    deadline (woken early when an earlier timer is armed) and posts due messages. Posting
    never blocks, so a slow server cannot delay another server's timers.
    """

    def __init__(self, runtime: RuntimeCore) -> None:
        del runtime
        self._book = TimerBook[Timer | Wakeup]()
        self._changed = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None
        self._generation = 0

    def now(self) -> float:
        """``time.monotonic()``: the clock of every deadline on this runtime."""
        return time.monotonic()

    def start(
        self, owner: ProcessCore, target: ProcessCore, message: object, delay: float, period: float | None
    ) -> Timer:
        """Arm a timer; see :meth:`spawned.GenServer.send_after`."""
        timer = Timer._create(self, owner, target, message, period)
        if self._schedule(timer, time.monotonic() + delay):
            owner.on_exit(self._owner_exited)
        return timer

    def call_at(self, when: float, fn: Callable[..., object], *args: Any) -> Wakeup:
        """Run ``fn(*args)`` on the timer thread once ``time.monotonic()`` reaches ``when``."""
        wakeup = Wakeup(fn, args)
        self._schedule(wakeup, when)
        return wakeup

    def _schedule(self, timer: Timer | Wakeup, deadline: float) -> bool:
        with self._changed:
            first = self._book.schedule(timer, deadline)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, args=(self._generation,), name="spawned timers", daemon=True
                )
                self._thread.start()
            elif self._book.next_deadline() == timer.deadline:
                self._changed.notify()
        return first

    def cancel(self, timer: Timer | Wakeup) -> float | None:
        """Disarm ``timer``; the seconds it had left, or ``None``."""
        with self._changed:
            return self._book.cancel(timer, time.monotonic())

    def _owner_exited(self, owner: ProcessCore) -> None:
        with self._changed:
            self._book.drop_owner(owner)

    def close(self) -> None:
        """Stop the timer thread and wait for it (the runtime is shutting down)."""
        with self._changed:
            thread, self._thread = self._thread, None
            self._generation += 1
            self._changed.notify()
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _run(self, generation: int) -> None:
        book = self._book
        changed = self._changed
        while True:
            with changed:
                while True:
                    if self._generation != generation:
                        return
                    now = time.monotonic()
                    fired = book.due(now)
                    if fired:
                        break
                    deadline = book.next_deadline()
                    changed.wait(None if deadline is None else wait_seconds(deadline - now))
            for timer in fired:
                if isinstance(timer, Wakeup):
                    timer.fire()
                else:
                    timer.target.post((INFO, timer.message, None))
