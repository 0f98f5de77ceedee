"""``threads.run``'s graceful shutdown: SIGTERM/SIGINT interrupt ``main``, then the runtime stops.

``main`` runs in the main thread, where Python runs signal handlers, between two bytecodes
or inside a wait (a blocking ``call``, ``join``, ``Event.wait``, ``time.sleep``). While
``main`` runs, the handler raises :class:`Interrupted` there, as Ctrl-C raises
``KeyboardInterrupt``; ``run`` catches it, shuts the runtime down in order against one
deadline (a timer thread kills what is left), and raises ``SignalShutdown``. The handlers
are taken back before the shutdown, so a second signal acts as it would without spawned.
"""

from __future__ import annotations

import math
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

from loguru import logger

from .._os_signals import SIGNALS, SignalShutdown, kill_stragglers, log_received

if TYPE_CHECKING:
    from ._runtime import Runtime

T = TypeVar("T")


class Interrupted(BaseException):
    """Raised in ``main`` by a signal: a ``BaseException``, so ``except Exception`` in user
    code does not swallow the shutdown.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name}; shutting down")
        self.signum = signum


def serve(runtime: Runtime, main: Callable[..., T], args: tuple[object, ...], shutdown_timeout: float) -> T:
    """``main(*args)``, interrupted by SIGTERM/SIGINT; after a signal, shut ``runtime`` down
    within ``shutdown_timeout`` seconds and raise ``SignalShutdown``. Off the main thread,
    ``main`` just runs.
    """
    if threading.current_thread() is not threading.main_thread():
        logger.debug("threads.run is not on the main thread; SIGTERM/SIGINT are left alone")
        return main(*args)
    armed = [True]

    def interrupt(signum: int, _frame: FrameType | None) -> None:
        if armed[0]:
            armed[0] = False  # one interruption: the next signal waits for the shutdown
            raise Interrupted(signum)

    previous: dict[int, Any] = {signum: signal.signal(signum, interrupt) for signum in SIGNALS}
    try:
        try:
            return main(*args)
        finally:
            armed[0] = False
            for signum, handler in previous.items():
                if handler is not None:  # None: not set from Python, nothing to put back
                    signal.signal(signum, handler)
    except Interrupted as stop:
        signum = stop.signum
    log_received(runtime, signum)
    shutdown_within(runtime, shutdown_timeout)
    raise SignalShutdown(signum) from None


def shutdown_within(runtime: Runtime, timeout: float) -> None:
    """Shut ``runtime`` down (see ``Runtime.shutdown``); processes still running after
    ``timeout`` seconds are killed and named in an error log (a thread still inside a
    callback is then waited for as ``Runtime.shutdown`` says).
    """
    if timeout == math.inf:
        runtime.shutdown()
        return
    deadline = threading.Timer(timeout, kill_stragglers, (runtime, timeout))
    deadline.name = "spawned shutdown deadline"
    deadline.daemon = True
    deadline.start()
    try:
        runtime.shutdown()
    finally:
        deadline.cancel()
