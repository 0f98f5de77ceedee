"""Timers: ``Timer`` (what ``send_after``/``send_interval`` return) and the pure timer book.

:class:`TimerBook` decides everything about timers and does nothing else: it keeps a
deadline heap, says which timers are due at a given ``now``, re-arms intervals, answers
cancels with the time left, and forgets every timer an exited owner set. A backend's
timer service owns one book per runtime, takes its lock around it, reads the clock,
sleeps until :meth:`TimerBook.next_deadline`, and posts the messages that fall due.
"""

from __future__ import annotations

import heapq
import itertools
import math
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._util import NoPublicConstructor

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._backend import TimerService
    from ._process import ProcessCore


_sequence = itertools.count()


class Timer(metaclass=NoPublicConstructor):
    """A pending ``send_after`` or ``send_interval``; only the runtime makes one.

    The message goes to the target's ``handle_info`` through its mailbox. A timer dies
    with the process that set it, wherever it was aimed; a timer aimed at a process that
    has exited fires into nothing.
    """

    __slots__ = ("_service", "active", "deadline", "message", "owner", "period", "seq", "target")

    def __init__(
        self,
        service: TimerService,
        owner: ProcessCore,
        target: ProcessCore,
        message: object,
        period: float | None,
    ) -> None:
        self._service = service
        self.owner: ProcessCore = owner
        self.target: ProcessCore = target
        self.message: object = message
        self.period: float | None = period
        self.deadline: float = math.inf
        self.active: bool = False
        self.seq: int = next(_sequence)

    def cancel(self) -> float | None:
        """Stop the timer. Never blocks; safe from any thread.

        Returns the seconds that were left until it would have fired (for an interval:
        until its next tick), or ``None`` if it had already fired (a one-shot timer) or
        been cancelled, or its owner has exited. A message that fired just before the
        cancel may still be in the mailbox, as in Erlang.
        """
        return self._service.cancel(self)

    @property
    def is_active(self) -> bool:
        """Whether the timer will still fire (a one-shot that fired is inactive)."""
        return self.active

    def __repr__(self) -> str:
        kind = "interval" if self.period is not None else "timer"
        state = "active" if self.active else "done"
        return f"<Timer {kind} {self.message!r} -> {self.target.label} ({state})>"


class Wakeup:
    """A call a timer service makes at a deadline (:meth:`TimerService.call_at`): how a
    backend's own waits (call deadlines) share the runtime's one timer book with user
    timers. It belongs to no process, so no exit drops it.
    """

    __slots__ = ("active", "args", "deadline", "fn", "period", "seq")

    owner = None
    """Wakeups have no owner."""

    def __init__(self, fn: Callable[..., object], args: tuple[Any, ...]) -> None:
        self.fn: Callable[..., object] = fn
        self.args: tuple[Any, ...] = args
        self.period: float | None = None
        self.deadline: float = math.inf
        self.active: bool = False
        self.seq: int = next(_sequence)

    def fire(self) -> None:
        """Make the call."""
        self.fn(*self.args)


Armed = Timer | Wakeup
"""What a :class:`TimerBook` holds: user timers, and a backend's wakeups."""

E = TypeVar("E", bound=Armed)


def check_delay(delay: float, what: str = "delay") -> float:
    """``delay`` as seconds, refusing negative and NaN values."""
    return non_negative_seconds(delay, what)


def check_timeout(timeout: float) -> float:
    """A waiting method's ``timeout`` (``call``, ``stop``) as seconds, checked before
    anything is sent: a number ``>= 0`` or ``math.inf``.

    ``0`` means do not wait. Any finite timeout means that long or forever, whichever is
    shorter (a backend waits forever when the platform cannot wait that long).
    """
    return non_negative_seconds(timeout, "timeout", " (0: do not wait)")


def non_negative_seconds(value: float, name: str, note: str = "") -> float:
    """``value`` as seconds; ``ValueError`` naming ``name`` when negative or NaN."""
    seconds = float(value)
    if not seconds >= 0:
        msg = f"{name} must be a number of seconds >= 0 or math.inf{note}, got {value!r}"
        raise ValueError(msg)
    return seconds


def check_period(period: float) -> float:
    """``period`` as seconds, refusing values that are not positive and finite."""
    return positive_seconds(period, "period")


def positive_seconds(value: float, name: str, allowed: str = "") -> float:
    """``value`` as seconds; ``ValueError`` naming ``name`` unless positive and finite."""
    seconds = float(value)
    if not 0 < seconds < math.inf:
        msg = f"{name} must be a finite number of seconds > 0{allowed}, got {value!r}"
        raise ValueError(msg)
    return seconds


class TimerBook(Generic[E]):
    """The armed timers of one runtime: a deadline heap plus the timers of each owner.

    Deadlines are on whatever monotonic clock the caller passes in as ``now``. Besides
    user timers it holds :class:`Wakeup` entries (a backend's call deadlines), which have
    no owner. Intervals
    stay on their grid ``first_deadline + k * period``: a tick is re-armed from the
    previous deadline, never from the time it was handled, so lateness does not
    accumulate; ticks missed entirely (the clock jumped past a whole period) are
    skipped, not delivered in a burst.
    """

    __slots__ = ("_heap", "_owners", "active")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, E]] = []
        self._owners: dict[Any, set[E]] = {}
        self.active = 0
        """How many timers are armed."""

    def schedule(self, timer: E, deadline: float) -> bool:
        """Arm ``timer`` for ``deadline``. ``True`` if its owner had no timers in this
        book before (the caller then arranges for :meth:`drop_owner` at its exit); always
        ``False`` for a :class:`Wakeup`.
        """
        timer.deadline = deadline
        timer.active = True
        self.active += 1
        heapq.heappush(self._heap, (deadline, timer.seq, timer))
        if timer.owner is None:
            return False
        timers = self._owners.get(timer.owner)
        if timers is None:
            self._owners[timer.owner] = {timer}
            return True
        timers.add(timer)
        return False

    def due(self, now: float) -> list[E]:
        """Pop the timers whose deadline is ``<= now``, earliest first; one-shots are done,
        intervals are re-armed on their grid.
        """
        heap = self._heap
        fired: list[E] = []
        while heap and heap[0][0] <= now:
            _, _, timer = heapq.heappop(heap)
            if not timer.active:
                continue
            fired.append(timer)
            if timer.period is None:
                self._disarm(timer)
                continue
            missed = math.floor((now - timer.deadline) / timer.period)
            timer.deadline += (missed + 1) * timer.period
            heapq.heappush(heap, (timer.deadline, timer.seq, timer))
        return fired

    def cancel(self, timer: E, now: float) -> float | None:
        """Disarm ``timer``; the time it had left (never negative), or ``None`` if it was
        not armed.
        """
        if not timer.active:
            return None
        self._disarm(timer)
        self._compact()
        return max(timer.deadline - now, 0.0)

    def drop_owner(self, owner: object) -> int:
        """Disarm every timer ``owner`` set (it exited); returns how many were armed."""
        timers = self._owners.pop(owner, set())
        for timer in timers:
            timer.active = False
        self.active -= len(timers)
        self._compact()
        return len(timers)

    def next_deadline(self) -> float | None:
        """The earliest deadline of an armed timer, or ``None`` when none is armed."""
        heap = self._heap
        while heap and not heap[0][2].active:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def _disarm(self, timer: E) -> None:
        timer.active = False
        self.active -= 1
        if timer.owner is None:
            return
        timers = self._owners.get(timer.owner)
        if timers is not None:
            timers.discard(timer)

    def _compact(self) -> None:
        """Rebuild the heap once cancelled entries outnumber armed ones (lazy deletion)."""
        heap = self._heap
        if len(heap) > 64 and len(heap) > 2 * self.active:
            self._heap = [entry for entry in heap if entry[2].active]
            heapq.heapify(self._heap)

    def __len__(self) -> int:
        return self.active
