"""Call timeouts that cost a set insertion, not a timer, per call.

A waiting caller joins the *bucket* of its deadline, rounded up to a multiple of a width
that grows with the timeout (1/64 of it, as a power of two between 2**-10 s and 2**-4 s).
Each bucket has one timer, which wakes the callers still in it; a caller that got its
answer leaves its bucket. So a call times out no earlier than ``timeout`` and at most
about 1.6% (at most 62.5 ms, at least about 1 ms) later, and thousands of calls in flight
share a handful of timers.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._native import Native, Parkable

_FINEST = -10
_COARSEST = -4


def bucket_width(timeout: float) -> float:
    """How finely deadlines for ``timeout`` are told apart, in seconds (a power of two)."""
    exponent = math.frexp(max(timeout / 64, 2.0**_FINEST))[1] - 1
    return math.ldexp(1.0, min(exponent, _COARSEST))


class Deadlines:
    """Parks callers until they are woken or their timeout passes."""

    __slots__ = ("_buckets", "_native")

    def __init__(self, native: Native) -> None:
        self._native = native
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
        width = bucket_width(timeout)
        boundary = math.ceil((native.now() + timeout) / width) * width
        bucket = self._buckets.get(boundary)
        if bucket is None:
            bucket = self._buckets[boundary] = set()
            native.call_at(boundary, self._expire, boundary)
        bucket.add(holder)
        try:
            await native.park(holder)
        finally:
            bucket.discard(holder)

    def _expire(self, boundary: float) -> None:
        wake = self._native.wake
        for holder in self._buckets.pop(boundary, ()):
            wake(holder)
