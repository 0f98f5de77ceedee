"""Shrinking a failing run: a shorter, simpler choice list that still fails.

Pure delta debugging over the list of choices, independent of the simulator: the caller gives a
``reproduces(candidate)`` function that replays a candidate (missing choices answered 0, values
out of range lowered to the largest allowed) and returns the choices the failing run actually
took (its *normal form*), or ``None`` when the candidate no longer fails. Because 0 is always the
simplest option, a list is simpler when it is shorter, or as long and smaller element by element
(shortlex order); trailing zeros say nothing (an exhausted list answers 0) and are dropped.

Passes, repeated until a round changes nothing or the budget of runs is spent: cut the tail
(a binary search for the shortest failing prefix), delete chunks (halves, quarters, ... single
choices), lower each value (to 0, else a binary search for the lowest value that still fails).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from attrs import frozen

Choices = tuple[int, ...]


def normal(choices: Sequence[int]) -> Choices:
    """``choices`` without its trailing zeros (a replayed list answers 0 past its end anyway)."""
    end = len(choices)
    while end and choices[end - 1] == 0:
        end -= 1
    return tuple(choices[:end])


def simpler(a: Sequence[int], b: Sequence[int]) -> bool:
    """Whether choice list ``a`` is simpler than ``b``: shorter, or as long and smaller (shortlex)."""
    return (len(a), tuple(a)) < (len(b), tuple(b))


@frozen
class Shrunk:
    """The outcome of [`shrink`][spawned.sim._shrink.shrink].

    Attributes:
        choices: The simplest failing choice list found (normal form).
        runs: How many replays the shrinking took.
        exhausted: True when it stopped because the budget ran out (a simpler list may exist).
    """

    choices: Choices
    runs: int
    exhausted: bool


class _Budget(Exception):
    pass


def shrink(
    choices: Sequence[int],
    reproduces: Callable[[Choices], Sequence[int] | None],
    *,
    max_runs: int = 500,
) -> Shrunk:
    """Shrink a failing choice list by delta debugging.

    Args:
        choices: A choice list that fails.
        reproduces: Replays a candidate; returns the choices the run took up to the failure if
            it still fails, else ``None``.
        max_runs: At most this many replays.

    Returns:
        The simplest failing list found, how many replays it took and whether the budget ran out.
    """
    best = normal(choices)
    runs = 0

    def attempt(candidate: Choices) -> bool:
        nonlocal best, runs
        candidate = normal(candidate)
        if not simpler(candidate, best):
            return False
        if runs >= max_runs:
            raise _Budget
        runs += 1
        taken = reproduces(candidate)
        if taken is None:
            return False
        taken = normal(taken)
        if not simpler(taken, best):
            return False
        best = taken
        return True

    try:
        progress = True
        while progress:
            before = best
            _cut_tail(attempt, lambda: best)
            _delete_chunks(attempt, lambda: best)
            _lower_values(attempt, lambda: best)
            progress = best != before
    except _Budget:
        return Shrunk(best, runs, exhausted=True)
    return Shrunk(best, runs, exhausted=False)


def _cut_tail(attempt: Callable[[Choices], bool], current: Callable[[], Choices]) -> None:
    lo, hi = 0, len(current())
    while lo < hi:
        mid = (lo + hi) // 2
        if attempt(current()[:mid]):
            hi = min(mid, len(current()))
        else:
            lo = mid + 1


def _delete_chunks(attempt: Callable[[Choices], bool], current: Callable[[], Choices]) -> None:
    size = len(current()) // 2
    while size >= 1:
        at = 0
        while at < len(current()):
            choices = current()
            if not attempt(choices[:at] + choices[at + size :]):
                at += size
        size //= 2


def _lower_values(attempt: Callable[[Choices], bool], current: Callable[[], Choices]) -> None:
    """Lower each choice: to 0 if that still fails, else binary search for the lowest value that
    does (a probability is drawn as a choice among a million: stepping down by one would spend
    the whole budget on a single choice).
    """
    at = 0
    while at < len(current()):
        if current()[at] > 0 and not attempt(_with(current(), at, 0)):
            low, high = 1, current()[at]
            while low < high and at < len(current()):
                middle = (low + high) // 2
                if attempt(_with(current(), at, middle)):
                    high = min(middle, current()[at]) if at < len(current()) else middle
                else:
                    low = middle + 1
        at += 1


def _with(choices: Choices, at: int, value: int) -> Choices:
    return (*choices[:at], value, *choices[at + 1 :])
