"""``tasks.run``'s graceful shutdown: SIGTERM/SIGINT cancel ``main``, then the runtime stops.

A task beside ``main`` waits on ``anyio.open_signal_receiver``. The first signal cancels
``main``; then the runtime shuts down in order (last started first, every ``terminate``),
against one deadline, after which what is left is killed and named in the log. ``run`` then
raises ``SignalShutdown``. The receiver is closed with the first signal, so a second one
acts as it would without spawned (a second Ctrl-C interrupts at once).
"""

from __future__ import annotations

import math
import signal
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import anyio
import anyio.abc
from loguru import logger

from .._os_signals import SIGNALS, SignalShutdown, kill_stragglers, log_received

if TYPE_CHECKING:
    from ._runtime import Runtime

T = TypeVar("T")

_serving: list[Runtime] = []
"""The runtime whose ``serve`` catches the signals now. Only the main thread catches them,
and it runs one event loop at a time, so one list is the whole registry.
"""


async def serve(
    runtime: Runtime, main: Callable[..., Awaitable[T]], args: tuple[object, ...], shutdown_timeout: float
) -> T:
    """``await main(*args)``, cancelled by SIGTERM/SIGINT; after a signal, shut ``runtime``
    down within ``shutdown_timeout`` seconds and raise ``SignalShutdown``.

    Signals are caught only in the main thread (where Python delivers them), and by the
    outermost ``serve`` only: a ``serve`` nested in another's ``main`` just runs its
    ``main`` (asyncio keeps one handler per signal, so a second receiver would replace the
    outer one and then remove it). Elsewhere, ``main`` just runs.
    """
    if threading.current_thread() is not threading.main_thread():
        logger.debug("tasks.run is not on the main thread; SIGTERM/SIGINT are left alone")
        return await main(*args)
    if _serving:
        logger.debug("a serve is already catching SIGTERM/SIGINT; this nested one leaves them to it")
        return await main(*args)
    _serving.append(runtime)
    received: list[int] = []
    results: list[T] = []
    previous = {signum: signal.getsignal(signum) for signum in SIGNALS}
    try:
        async with anyio.create_task_group() as group:
            await group.start(_watch, group.cancel_scope, received, name="spawned signal receiver")
            try:
                results.append(await main(*args))
            finally:
                group.cancel_scope.cancel()  # main is done: stop listening
    except BaseExceptionGroup as errors:  # main's own exception, alone: raise it as itself
        if len(errors.exceptions) != 1:
            raise
        sole = errors.exceptions[0]
    else:
        sole = None
    finally:
        _serving.remove(runtime)
        for signum, handler in previous.items():
            if signal.getsignal(signum) is not handler and handler is not None:
                signal.signal(signum, handler)
    if sole is not None:
        raise sole
    if results:  # main returned (a signal may have come after it: nothing left to stop)
        return results[0]
    log_received(runtime, received[0])  # main was cancelled by a signal
    await shutdown_within(runtime, shutdown_timeout)
    raise SignalShutdown(received[0])


async def _watch(
    scope: anyio.CancelScope, received: list[int], *, task_status: anyio.abc.TaskStatus[None]
) -> None:
    """Cancel ``scope`` at the first signal; started once the handlers are in place, so a
    signal that comes while ``main`` runs is never missed.
    """
    try:
        with anyio.open_signal_receiver(*SIGNALS) as signals:
            task_status.started()
            async for signum in signals:
                received.append(signum)
                scope.cancel()
                return
    except NotImplementedError:  # asyncio on Windows has no signal handlers
        task_status.started()
        logger.debug("this event loop cannot catch signals; SIGTERM/SIGINT are left alone")


async def shutdown_within(runtime: Runtime, timeout: float) -> None:
    """Shut ``runtime`` down (see ``Runtime.shutdown``); processes still running after
    ``timeout`` seconds are killed and named in an error log.

    The deadline is a timer thread, as on threads, not a task: a plain ``def terminate``
    blocking the event loop would keep a task from ever running. The log is written at the
    deadline; the kills run on the loop (``exit_now`` goes through ``run_on_loop``) as
    soon as it is free, since nothing can interrupt a callback blocking the loop's thread.
    """
    if timeout == math.inf:
        await runtime.shutdown()
        return
    deadline = threading.Timer(timeout, kill_stragglers, (runtime, timeout))
    deadline.name = "spawned shutdown deadline"
    deadline.daemon = True
    deadline.start()
    try:
        await runtime.shutdown()
    finally:
        deadline.cancel()
