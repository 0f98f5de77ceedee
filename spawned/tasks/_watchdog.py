"""The loop-blocking warning: a watchdog thread that notices a callback holding the loop.

The process loop itself pays nothing for this. A thread (``"spawned watchdog"``) posts a
heartbeat to the loop and, while the heartbeat stays unanswered, looks at what the loop
thread is running (``sys._current_frames``). When the same process has been inside the same
message's callback, with the loop unable to answer, for ``threshold`` seconds, it logs one
warning naming that server and suggesting ``on_thread=True``. Each server is warned once.
A ``Continue`` chain counts as its first step's message: each step is a new envelope, but
the loop holds on to the same work.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from typing import TYPE_CHECKING

from loguru import logger

from .._envelope import CONTINUE
from .._status import formatted
from .._timers import positive_seconds
from ._on_thread import ThreadedProcess
from ._process import Process

if TYPE_CHECKING:
    from types import FrameType

    from .._envelope import Envelope
    from ._runtime import Runtime

DEFAULT_THRESHOLD = 0.1
"""Seconds a callback may hold the event loop before the warning (``blocking_threshold``)."""

_LOOP_CODES = frozenset(
    {Process._handle_messages.__code__, Process._init.__code__, Process._terminate.__code__}
)

Sample = tuple[Process, "Envelope | None"]


def check_threshold(threshold: float | None) -> float | None:
    """``threshold`` in seconds, or ``None`` (also for infinity): no check.

    Raises:
        ValueError: it is not a positive number.
    """
    if threshold is None or threshold == math.inf:
        return None
    return positive_seconds(threshold, "blocking_threshold", " or None")


class Watchdog:
    """Watches one runtime's loop thread; started with the runtime's first process."""

    def __init__(self, runtime: Runtime, threshold: float) -> None:
        self._runtime = runtime
        self._threshold = threshold
        self._stop = threading.Event()
        self._warned: set[int] = set()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start watching (from the loop thread). Idempotent."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, args=(threading.get_ident(),), name="spawned watchdog", daemon=True
            )
            self._thread.start()

    def close(self) -> None:
        """Stop watching and wait for the thread."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join()

    def _run(self, loop_thread: int) -> None:
        step = self._threshold / 4
        beat: threading.Event | None = None
        seen: Sample | None = None
        since = 0.0
        while not self._stop.wait(step):
            if beat is None or beat.is_set():
                beat = threading.Event()
                self._runtime.soon(beat.set)
                seen = None
                continue
            sample = _sample(sys._current_frames().get(loop_thread))
            now = time.monotonic()
            if (
                sample is None
                or seen is None
                or sample[0] is not seen[0]
                or not _same_work(seen[1], sample[1])
            ):
                seen, since = sample, now
            elif now - since >= self._threshold:
                self._warn(sample[0], sample[1], now - since)

    def _warn(self, process: Process, env: Envelope | None, held: float) -> None:
        if process.pid in self._warned:
            return
        self._warned.add(process.pid)
        if env is None:
            doing = "init"
        elif env[0] == CONTINUE:
            doing = f"a handle_continue chain ({formatted(process.server, env[1]).message!r})"
        else:
            doing = f"a message ({formatted(process.server, env[1]).message!r})"
        logger.bind(server=process.label).warning(
            "{} has blocked the event loop for over {:.0f} ms in {}; blocking code stalls every other "
            "server on this loop. Start it with on_thread=True to run its callbacks on a thread "
            "of its own (threshold: blocking_threshold={} s)",
            process.label,
            held * 1000,
            doing,
            self._threshold,
        )


def _same_work(seen: Envelope | None, now: Envelope | None) -> bool:
    """Whether the loop, unanswered since it was inside ``seen``, still works on it: the same
    message, or a step of a ``Continue`` chain (which follows the message before it).
    """
    return now is seen or (now is not None and now[0] == CONTINUE)


def _sample(frame: FrameType | None) -> Sample | None:
    """The process whose code the loop thread is running now, and its current message."""
    while frame is not None:
        if frame.f_code in _LOOP_CODES:
            process = frame.f_locals.get("self")
            if isinstance(process, Process) and not isinstance(process, ThreadedProcess):
                return process, process.current
            return None
        frame = frame.f_back
    return None
