"""Stream listeners on threads: one thread per ``self.listen(stream)``."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, cast

from loguru import logger

from .._envelope import INFO
from .._status import for_log
from .._streams import StreamEnded, StreamFailed
from ._waits import join_all

if TYPE_CHECKING:
    from .._process import ProcessCore
    from .._runtime import RuntimeCore

CLOSE_TIMEOUT = 5.0
"""Seconds the runtime waits, when it closes, for its listener threads to notice: all of
them against one deadline.
"""


class ListenerService:
    """Starts a thread (``"spawned listener of ..."``) per listened stream.

    Each item is posted to the owner as an info message, then ``StreamEnded(stream)``
    or ``StreamFailed(stream, error)``. Once the owner has exited, the thread stops at
    the stream's next item and closes the iterator. Python cannot interrupt a thread:
    a stream blocked waiting for its next item keeps its thread until that item comes
    (the runtime waits ``CLOSE_TIMEOUT`` seconds for all of them on close, then logs a
    warning for each).
    """

    def __init__(self, runtime: RuntimeCore) -> None:
        del runtime
        self._threads: dict[threading.Thread, str] = {}
        """Each listener thread, and the label of the server it listens for."""
        self._lock = threading.Lock()

    def listen(self, owner: ProcessCore, stream: object) -> None:
        """Start listening to ``stream`` for ``owner``; see ``GenServer.listen``."""
        if not isinstance(stream, Iterable):
            msg = f"spawned.threads listens to plain iterables (for); got {stream!r}. Use spawned.tasks"
            raise TypeError(msg)
        thread = threading.Thread(
            target=self._pump,
            args=(owner, cast("Iterable[Any]", stream)),
            name=f"spawned listener of {owner.label}",
            daemon=True,
        )
        with self._lock:
            self._threads[thread] = owner.label
        thread.start()

    def close(self) -> None:
        """Wait for listener threads to stop (their owners have exited); one still blocked
        after the wait is warned about and left behind for good (a later close skips it).
        """
        with self._lock:
            labels = dict(self._threads)
        left = join_all(labels, CLOSE_TIMEOUT)
        with self._lock:
            for thread in left:
                self._threads.pop(thread, None)
        for thread in left:
            logger.bind(server=labels[thread]).warning(
                "{} is blocked in its stream; its thread is left behind", thread.name
            )

    def _pump(self, owner: ProcessCore, stream: Iterable[Any]) -> None:
        try:
            _pump(owner, stream)
        finally:
            with self._lock:
                self._threads.pop(threading.current_thread(), None)


def _pump(owner: ProcessCore, stream: Iterable[Any]) -> None:
    iterator: Iterator[Any] | None = None
    try:
        iterator = iter(stream)
        for item in iterator:
            if not owner.alive:
                return
            owner.post((INFO, item, None))
    except Exception as error:  # noqa: BLE001 - the owner hears of any failure
        owner.post((INFO, StreamFailed(stream, error), None))
        return
    finally:
        _close(iterator, owner)
    owner.post((INFO, StreamEnded(stream), None))


def _close(iterator: Iterator[Any] | None, owner: ProcessCore) -> None:
    close = getattr(iterator, "close", None)
    if close is not None:
        try:
            close()
        except Exception as error:  # noqa: BLE001 - a failing close must not end silently elsewhere
            logger.bind(server=owner.label).opt(exception=for_log(error)).warning(
                "{}: closing a listened stream raised {!r}", owner.label, error
            )
