"""What a simulated run changes while it is on a thread: real threads and sleeps are refused,
and anyio's cancel scopes keep their tasks and child scopes in a fixed order.

While ``spawned.sim.run`` runs, ``time.sleep`` and ``threading.Thread.start`` are replaced by
versions that raise :class:`~spawned.sim.SimulationError` when called on the thread of a run
(any other thread gets the originals). They are put back when the last run ends. Code that
imported ``sleep`` itself (``from time import sleep``) before the run keeps the original.

anyio's asyncio cancel scopes keep their tasks and child scopes in ``set``s, and cancel them in
the sets' order, which follows the objects' addresses: cancelling a task group of several
tasks would resume them in a different order in every interpreter. A cancel scope made on
the thread of a run gets insertion-ordered sets instead (:class:`OrderedSet`), so the order
is the order the tasks started in.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from anyio._backends._asyncio import CancelScope

from ._errors import SimulationError

T = TypeVar("T")


class OrderedSet(Generic[T]):
    """The part of ``set`` anyio's cancel scopes use, iterating in insertion order."""

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: dict[T, None] = {}

    def add(self, item: T) -> None:
        """Add ``item`` (at the end, if new)."""
        self._items[item] = None

    def remove(self, item: T) -> None:
        """Remove ``item``; ``KeyError`` if absent."""
        del self._items[item]

    def discard(self, item: T) -> None:
        """Remove ``item`` if present."""
        self._items.pop(item, None)

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)


_lock = threading.Lock()
_running: set[int] = set()
_original_sleep: Callable[[float], None] = time.sleep
_original_start = threading.Thread.start
_original_scope_init: Callable[..., None] = CancelScope.__init__


def _sleep(seconds: float) -> None:
    if threading.get_ident() in _running:
        msg = (
            f"time.sleep({seconds!r}) inside spawned.sim.run: a real sleep blocks the simulation and "
            "its time does not pass in the run; use `await anyio.sleep(...)` in an async def "
            "callback or the scenario (virtual time), or self.send_after(...) from a plain callback"
        )
        raise SimulationError(msg)
    _original_sleep(seconds)


def _start(self: threading.Thread) -> None:
    if threading.get_ident() in _running:
        msg = (
            f"starting a real thread ({self.name!r}) inside spawned.sim.run: threads run outside "
            "the simulation and make it nondeterministic (this includes anyio.to_thread, "
            "start(on_thread=True) and thread pools); run the work as a server on the simulated "
            "loop instead"
        )
        raise SimulationError(msg)
    _original_start(self)


def _scope_init(self: CancelScope, *args: Any, **kwargs: Any) -> None:
    _original_scope_init(self, *args, **kwargs)
    if threading.get_ident() in _running:
        self._child_scopes = OrderedSet()  # type: ignore[assignment]
        self._tasks = OrderedSet()  # type: ignore[assignment]


@contextmanager
def guarded() -> Generator[None]:
    """Refuse real sleeps and threads on the calling thread until the block ends."""
    ident = threading.get_ident()
    with _lock:
        if not _running:
            time.sleep = _sleep
            threading.Thread.start = _start
            CancelScope.__init__ = _scope_init
        _running.add(ident)
    try:
        yield
    finally:
        with _lock:
            _running.discard(ident)
            if not _running:
                time.sleep = _original_sleep
                threading.Thread.start = _original_start
                CancelScope.__init__ = _original_scope_init
