"""Waiting on threads: timeouts the ``threading`` primitives accept, and one deadline for many."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable


def wait_seconds(timeout: float) -> float | None:
    """``timeout`` (seconds ``>= 0``, checked) for a ``threading`` wait: ``None``, forever,
    when it is longer than the platform can wait (``math.inf``, or say ``1e10``).

    ``threading`` raises ``OverflowError`` beyond ``threading.TIMEOUT_MAX`` (about 292
    years); waiting that long or forever is the same thing.
    """
    return None if timeout > threading.TIMEOUT_MAX else timeout


def join_all(threads: Iterable[threading.Thread], timeout: float) -> list[threading.Thread]:
    """Join ``threads`` (the calling thread excepted) against one deadline, ``timeout``
    seconds from now, and return those still running at it.

    Waiting for each in turn with its own ``timeout`` would take ``n * timeout`` for ``n``
    stuck threads; here the whole wait takes ``timeout`` at most.
    """
    deadline = time.monotonic() + timeout
    me = threading.current_thread()
    waited = [thread for thread in threads if thread is not me]
    for thread in waited:
        thread.join(max(0.0, deadline - time.monotonic()))
    return [thread for thread in waited if thread.is_alive()]
