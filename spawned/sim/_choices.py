"""Choices: the one seam between the simulator and whoever decides what happens next.

Every decision of a simulated run (which enabled event comes next, a message's delay, a drop
or a duplicate, each random fault) is one call ``chooser.choose(n, what)`` that answers an
``int`` in ``range(n)``; nothing else in a run is random. The run records the answers
(``SimResult.choices``), so replaying the same list reproduces the run exactly.

**0 is always the simplest option**: the earliest event (by virtual time, then by creation
order), no drop, no duplicate, the shortest delay, no fault. Lowering answers towards 0 and
cutting the list short therefore simplifies a run, which is what shrinking does.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Literal, Protocol

__all__ = ["Chooser", "Frontier", "RandomChooser", "ReplayChooser"]


def _is_int(value: object) -> bool:
    """Whether ``value`` is an ``int`` (and not a ``bool``)."""
    return isinstance(value, int) and not isinstance(value, bool)


class Chooser(Protocol):
    """Decides every choice of a simulated run: ``spawned.sim.run(..., chooser=...)``."""

    def choose(self, n: int, what: str) -> int:
        """Pick one of ``n`` options (``n >= 2``; a single option is never asked about).

        ``what`` says what is being decided: ``"next"`` (which enabled event happens next),
        ``"delay"``, ``"loss"``, ``"duplicate"``, or ``"fault"`` and its details. Returns an
        ``int`` in ``range(n)``; 0 is always the simplest option. An exception raised here
        ends the run at once, and ``run`` raises it.
        """
        ...


class RandomChooser:
    """Answers uniformly at random from ``random.Random(seed)``: what ``run(seed=...)`` uses.

    A probability (a message's loss or duplication, a random fault) is asked as
    ``choose(n, what)`` with the event happening for the top part of the range, so that 0
    always means "no fault".
    """

    __slots__ = ("_random", "seed")

    def __init__(self, seed: int) -> None:
        if not _is_int(seed):
            msg = f"a seed must be an int, not {type(seed).__name__} ({seed!r})"
            raise TypeError(msg)
        self.seed: int = seed
        """The seed this chooser draws from."""
        self._random = random.Random(seed)  # noqa: S311 - simulation, not cryptography

    def choose(self, n: int, what: str) -> int:
        """A uniform draw from ``range(n)``."""
        del what
        return self._random.randrange(n)

    def __repr__(self) -> str:
        return f"RandomChooser({self.seed})"


class Frontier(Exception):
    """Raised by ``ReplayChooser(..., then="frontier")`` at the first choice past its list.

    ``spawned.sim.run`` ends the run at once and raises it: the explorer learns the branching
    factor (``n``) and what is being decided (``what``) at the end of a prefix.
    """

    def __init__(self, n: int, what: str) -> None:
        super().__init__(f"a choice among {n} ({what}) past the end of the replayed list")
        self.n: int = n
        """How many options the next choice has."""
        self.what: str = what
        """What the next choice decides (see ``Chooser.choose``)."""


class ReplayChooser:
    """Replays a list of answers, then goes on as ``then`` says.

    ``then`` is ``"zero"`` (answer 0, the simplest option, from then on), ``"frontier"``
    (raise :class:`Frontier` at the first choice past the list) or an ``int`` seed (go on as
    ``RandomChooser(seed)``). A replayed answer too large for its choice (the run took
    another path, as when a shrinker edits the list) is lowered to the largest option,
    ``n - 1``.
    """

    __slots__ = ("_choices", "_next", "_position", "then")

    def __init__(self, choices: Iterable[int], then: Literal["zero", "frontier"] | int = "zero") -> None:
        self._choices: tuple[int, ...] = tuple(choices)
        for choice in self._choices:
            if not _is_int(choice) or choice < 0:
                msg = f"choices must be ints >= 0, got {choice!r} in {self._choices!r}"
                raise ValueError(msg)
        if then not in ("zero", "frontier") and not _is_int(then):
            msg = f'then must be "zero", "frontier" or an int seed, not {then!r}'
            raise ValueError(msg)
        self.then: Literal["zero", "frontier"] | int = then
        """What happens past the list."""
        self._position = 0
        self._next: RandomChooser | None = RandomChooser(then) if isinstance(then, int) else None

    @property
    def position(self) -> int:
        """How many choices have been answered so far."""
        return self._position

    def choose(self, n: int, what: str) -> int:
        """The next answer of the list (at most ``n - 1``), then as ``then`` says."""
        position = self._position
        if position < len(self._choices):
            self._position = position + 1
            return min(self._choices[position], n - 1)
        if self._next is not None:
            self._position = position + 1
            return self._next.choose(n, what)
        if self.then == "frontier":
            raise Frontier(n, what)
        self._position = position + 1
        return 0

    def __repr__(self) -> str:
        return f"ReplayChooser({list(self._choices)!r}, then={self.then!r})"
