"""Refusing real threads and real sleeps while a simulated run is on a thread.

While ``spawned.sim.run`` runs, ``time.sleep`` and ``threading.Thread.start`` are replaced by
versions that raise :class:`~spawned.sim.SimulationError` when called on the thread of a run
(any other thread gets the originals). They are put back when the last run ends. Code that
imported ``sleep`` itself (``from time import sleep``) before the run keeps the original.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator
from contextlib import contextmanager

from ._errors import SimulationError

_lock = threading.Lock()
_running: set[int] = set()
_original_sleep: Callable[[float], None] = time.sleep
_original_start: Callable[[threading.Thread], None] = threading.Thread.start


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


@contextmanager
def guarded() -> Generator[None]:
    """Refuse real sleeps and threads on the calling thread until the block ends."""
    ident = threading.get_ident()
    with _lock:
        if not _running:
            time.sleep = _sleep
            threading.Thread.start = _start
        _running.add(ident)
    try:
        yield
    finally:
        with _lock:
            _running.discard(ident)
            if not _running:
                time.sleep = _original_sleep
                threading.Thread.start = _original_start  # type: ignore[method-assign]


def is_guarded() -> bool:
    """Whether the calling thread runs a simulation now."""
    return threading.get_ident() in _running
