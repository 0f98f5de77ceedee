"""Graceful shutdown on SIGTERM/SIGINT: what both backends' ``run`` share.

The backends catch the signal (``spawned/tasks/_os_signals.py``, ``spawned/threads/_os_signals.py``)
and stop the runtime; this module decides what is logged, which processes a late shutdown
kills, and how ``run`` ends: :class:`SignalShutdown`, a ``SystemExit`` whose code a service
manager reads.
"""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING

from loguru import logger

from ._reasons import KILLED
from ._supervisor_process import RootCore
from ._timers import non_negative_seconds

if TYPE_CHECKING:
    from ._process import ProcessCore
    from ._runtime import RuntimeCore

SIGNALS: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGINT)
"""The signals ``run`` turns into an orderly shutdown."""

SHUTDOWN_TIMEOUT = 25.0
"""Seconds ``run`` gives the whole shutdown after a signal before it kills what is left:
under the 30 s Kubernetes waits before its SIGKILL (systemd waits 90 s), so the log names
the stragglers before the kernel ends them unnamed.
"""


class SignalShutdown(SystemExit):
    """Raised by ``tasks.run``/``threads.run`` once SIGTERM or SIGINT has shut the runtime down.

    ``main`` was interrupted (cancelled on tasks; on threads, a ``BaseException`` was
    raised where it was), every process was stopped in order, last started first, with its
    ``terminate``, and then ``run`` raises this. It is a ``SystemExit``: uncaught, the
    interpreter exits quietly with its ``code``: ``0`` after
    SIGTERM (a requested stop, which systemd and Kubernetes count as a clean exit) and
    ``128 + signum`` after any other signal (``130`` after SIGINT, as shells expect after
    Ctrl-C). Catch it around ``run`` to do something after a signalled shutdown.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(0 if signum == signal.SIGTERM else 128 + signum)
        self.signal: signal.Signals = signal.Signals(signum)
        """The signal that started the shutdown."""


def signal_name(signum: int) -> str:
    """``"SIGTERM"`` for 15, and so on."""
    return signal.Signals(signum).name


def check_shutdown_timeout(timeout: float) -> float:
    """``shutdown_timeout`` as seconds: a number ``>= 0`` or ``math.inf``."""
    return non_negative_seconds(timeout, "shutdown_timeout", " (math.inf: never kill)")


def running(runtime: RuntimeCore) -> list[ProcessCore]:
    """The user's live processes (the root supervisor aside), last started first."""
    return [p for p in runtime.shutdown_order() if p.alive and not _is_root(p)]


def _is_root(process: ProcessCore) -> bool:
    """Whether ``process`` is its runtime's root supervisor (``runtime.root`` is ``None``
    once the shutdown has begun, so the root is known by its kind).
    """
    return isinstance(process.server, RootCore)


def log_received(runtime: RuntimeCore, signum: int) -> None:
    """Log that ``signum`` starts the shutdown, with how many processes it stops."""
    count = len(running(runtime))
    logger.info(
        "received {}; shutting down {} process{}", signal_name(signum), count, "" if count == 1 else "es"
    )


def kill_stragglers(runtime: RuntimeCore, timeout: float) -> None:
    """The shutdown took longer than ``timeout``: log the processes still running, by name,
    and kill them (no ``terminate``), so the shutdown ends.
    """
    left = [p for p in runtime.shutdown_order() if p.alive]
    named = [p.label for p in left if not _is_root(p)]
    if named:
        logger.error(
            "shutdown still running after {:g} s; killing {} process{}: {}",
            timeout,
            len(named),
            "" if len(named) == 1 else "es",
            ", ".join(named),
        )
    # The first one left is the one the shutdown waits on: kill it last, so that the shutdown
    # moves on only once every later one is dead (on tasks a kill runs when the loop gets to it).
    for process in (*left[1:], *left[:1]):
        process.exit_now(KILLED)
