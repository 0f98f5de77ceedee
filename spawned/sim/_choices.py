"""Choosers: every decision of a simulated run goes through ``Chooser.choose``.

Stand-in written by EXPLORE to the agreed interface (sim-interface.md) until SIM-CORE's module
lands; SIM-CORE's version replaces this file at merge.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Literal, Protocol


class Chooser(Protocol):
    """Makes every decision of a run: ``choose(n, what)`` returns ``0 <= i < n`` (0 = simplest)."""

    def choose(self, n: int, what: str) -> int:
        """Pick one of ``n`` options (``n >= 2``); ``what`` says what is being decided."""
        ...


class Frontier(Exception):
    """Raised by ``ReplayChooser(..., then="frontier")`` past the end of its list."""

    def __init__(self, n: int, what: str) -> None:
        super().__init__(f"frontier: {n} options for {what}")
        self.n = n
        self.what = what


class RandomChooser:
    """Uniform choices from ``random.Random(seed)``."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._random = random.Random(seed)  # noqa: S311 - simulation, not cryptography

    def choose(self, n: int, what: str) -> int:
        """A uniform choice among ``n``."""
        del what
        return self._random.randrange(n)


class ReplayChooser:
    """Replays a list of choices, then answers 0, continues randomly, or raises ``Frontier``."""

    def __init__(self, choices: Sequence[int], then: Literal[0, "frontier"] | RandomChooser = 0) -> None:
        self._choices = tuple(choices)
        self._then = then
        self._at = 0

    def choose(self, n: int, what: str) -> int:
        """The next listed choice; past the list, what ``then`` says."""
        if self._at < len(self._choices):
            value = self._choices[self._at]
            self._at += 1
            if not 0 <= value < n:
                raise ValueError(f"replayed choice {value} is out of range for {n} options ({what})")
            return value
        if self._then == "frontier":
            raise Frontier(n, what)
        if isinstance(self._then, RandomChooser):
            return self._then.choose(n, what)
        return 0
