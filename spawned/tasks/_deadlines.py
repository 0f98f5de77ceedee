"""Call timeouts that cost a set insertion, not a timer, per call.

A waiting caller joins the *bucket* of its deadline, rounded up to a multiple of a width
that grows with the timeout (1/64 of it, as a power of two between 2**-10 s and 2**-4 s).
Each bucket has one wakeup in the runtime's timer service (the one timer book that also
holds the user timers, on the loop's clock), which wakes the callers still in it; a caller that got its
answer leaves its bucket. So a call times out no earlier than ``timeout`` and at most
about 1.6% (at most 62.5 ms, at least about 1 ms) later, and thousands of calls in flight
share a handful of timers. (Measured: a wakeup per call instead of per bucket costs a heap
entry and a lock per call, which the buckets save on every timed call.)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._timers import TimerService
    from ._native import Native, Parkable

_FINEST = -10
_COARSEST = -4


def bucket_width(timeout: float) -> float:
    """How finely deadlines for ``timeout`` are told apart, in seconds (a power of two)."""
    exponent = math.frexp(max(timeout / 64, 2.0**_FINEST))[1] - 1
    return math.ldexp(1.0, min(exponent, _COARSEST))


def bucket_boundary(now: float, timeout: float) -> float:
    """The deadline a caller waiting ``timeout`` seconds from ``now`` parks until: ``now +
    timeout`` rounded up to a multiple of :func:`bucket_width` (never down).
    """
    width = bucket_width(timeout)
    return math.ceil((now + timeout) / width) * width


class Deadlines:
    """Parks callers until they are woken or their timeout passes."""

    __slots__ = ("_buckets", "_native", "_timers")

    def __init__(self, native: Native, timers: TimerService) -> None:
        self._native = native
        self._timers = timers
        self._buckets: dict[float, set[Parkable]] = {}

    async def park(self, holder: Parkable, timeout: float) -> None:
        """Park on ``holder`` until woken, or until ``timeout`` seconds have passed (then
        ``holder`` is woken by the deadline; tell the two apart by what it holds).
        """
        native = self._native
        if timeout == math.inf:
            await native.park(holder)
            return
        if not timeout > 0:  # zero, negative or NaN: time out at the next tick
            timeout = 0.0
        boundary = bucket_boundary(native.now(), timeout)  # the timer service's clock, on the loop
        bucket = self._buckets.get(boundary)
        if bucket is None:
            bucket = self._buckets[boundary] = set()
            self._timers.call_at(boundary, self._expire, boundary)
        bucket.add(holder)
        try:
            await native.park(holder)
        finally:
            bucket.discard(holder)

    def _expire(self, boundary: float) -> None:
        wake = self._native.wake
        for holder in self._buckets.pop(boundary, ()):
            wake(holder)
