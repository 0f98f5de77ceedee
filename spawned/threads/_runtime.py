"""The threads runtime: one thread per process, and their orderly shutdown."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Any, Self, TypeVar

from loguru import logger

from .._handle import CallT, CastT, HandleBase, ReplyT
from .._introspect import ProcessInfo, ProcessTree
from .._process import STOP, ProcessCore, current_process
from .._reasons import KILLED, SHUTDOWN
from .._runtime import ListenerService as ListenerServiceBase
from .._runtime import RuntimeCore, check_server
from .._server import GenServer
from .._timers import TimerService as TimerServiceBase
from ._handle import Handle
from ._listeners import ListenerService
from ._process import Process
from ._timers import TimerService

T = TypeVar("T")

SHUTDOWN_TIMEOUT = 5.0
"""Seconds a process gets to finish when its runtime closes, before it is given up on."""

_current_runtime: ContextVar[Runtime | None] = ContextVar("spawned_threads_runtime", default=None)


class Runtime(RuntimeCore):
    """Owns a set of processes, each on its own thread: their names and shutdown.

    Use ``with Runtime() as rt:`` (or :func:`run`). Leaving the block shuts every process
    down, last started first, and joins their threads.
    """

    handle_class: type[HandleBase[Any, Any, Any]] = Handle
    new_lock: Callable[[], AbstractContextManager[Any]] = staticmethod(threading.Lock)
    timer_service_class: Callable[[Any], TimerServiceBase] = TimerService
    listener_service_class: Callable[[Any], ListenerServiceBase] = ListenerService

    def __init__(self) -> None:
        super().__init__(threading.RLock())
        self._open = False
        self._context_token: Token[Runtime | None] | None = None

    def __enter__(self) -> Self:
        self._open = True
        self._context_token = _current_runtime.set(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.shutdown()
        finally:
            self._open = False
            if self._context_token is not None:
                _current_runtime.reset(self._context_token)

    def start(
        self,
        server: GenServer[CallT, CastT, ReplyT],
        *,
        name: object = None,
        link: bool = False,
    ) -> Handle[CallT, CastT, ReplyT]:
        """Start ``server`` on a new thread and block until its ``init`` has run.

        Args:
            server: a fresh ``GenServer`` instance with plain ``def`` callbacks.
            name: register the process under this name (see :meth:`whereis`).
            link: link the new process to the calling process.

        Raises:
            TypeError: the server has ``async def`` callbacks.
            AlreadyStarted: ``name`` is held by a living process; ``init`` never ran.
            InitFailed: ``init`` raised or returned ``Stop``.
            Ignored: ``init`` returned ``Ignore()``.
        """
        if not self._open:
            msg = "this Runtime is not open; use `with Runtime() as rt:` or threads.run()"
            raise RuntimeError(msg)
        server = check_server(server, allow_async=False)
        parent = _linking_parent(link)
        process = self.admit(name, lambda: Process(self, server, name))
        if parent is not None:
            parent.link(process)
        context = contextvars.copy_context()
        thread = threading.Thread(
            target=context.run, args=(process.run,), name=f"spawned {process.label}", daemon=True
        )
        process.thread = thread
        thread.start()
        process.wait_started()
        return process.handle  # pyright: ignore[reportReturnType]

    def whereis(self, name: object) -> Handle[Any, Any, Any] | None:
        """The handle of the process registered under ``name``, or ``None``."""
        return super().whereis(name)  # pyright: ignore[reportReturnType]

    def shutdown(self) -> None:
        """Stop every process, last started first, and join their threads.

        A process that traps exits is stopped with ``"shutdown"`` (``terminate`` runs) and
        killed if it takes longer than ``SHUTDOWN_TIMEOUT``; any other process exits with
        ``"shutdown"`` at its next message boundary. Then the timer thread
        stops, and listener threads are waited for.
        """
        for process in self.shutdown_order():
            _shut_down(process)  # pyright: ignore[reportArgumentType]
        self.close_services()


def _shut_down(process: Process, timeout: float = SHUTDOWN_TIMEOUT) -> None:
    if process.alive:
        if process.server.trap_exits:
            process.post((STOP, SHUTDOWN, None))
            if not process.join(timeout):
                process.exit_now(KILLED)
        else:
            process.exit_now(SHUTDOWN)
    thread = process.thread
    if thread is not None and thread is not threading.current_thread():
        thread.join(timeout)
        if thread.is_alive():
            logger.bind(server=process.label).warning(
                "{} is still running a callback {} s after shutdown; its thread is left behind",
                process.label,
                timeout,
            )


def _linking_parent(link: bool) -> ProcessCore | None:
    if not link:
        return None
    parent = current_process.get()
    if parent is None:
        msg = "start(link=True) must be called from inside a server (there is nothing to link to)"
        raise RuntimeError(msg)
    return parent


def current_runtime() -> Runtime:
    """The runtime of the calling process, or the one ``run()``/``with Runtime()`` opened."""
    process = current_process.get()
    if process is not None and isinstance(process.runtime, Runtime):
        return process.runtime
    runtime = _current_runtime.get()
    if runtime is None:
        msg = "no spawned.threads runtime here: use threads.run(main) or `with threads.Runtime() as rt:`"
        raise RuntimeError(msg)
    return runtime


def start(
    server: GenServer[CallT, CastT, ReplyT],
    *,
    name: object = None,
    link: bool = False,
) -> Handle[CallT, CastT, ReplyT]:
    """Start ``server`` in the current runtime; see :meth:`Runtime.start`."""
    return current_runtime().start(server, name=name, link=link)


def whereis(name: object) -> Handle[Any, Any, Any] | None:
    """The handle registered under ``name`` in the current runtime, or ``None``."""
    return current_runtime().whereis(name)


def processes() -> list[ProcessInfo]:
    """A snapshot of the current runtime's live processes; see :meth:`Runtime.processes`."""
    return current_runtime().processes()


def tree() -> ProcessTree:
    """A snapshot of the current runtime as a supervision tree; ``print(tree())`` shows it."""
    return current_runtime().tree()


def run(main: Callable[..., T], *args: object) -> T:
    """Run ``main(*args)`` inside a fresh :class:`Runtime`.

    Every process still running when ``main`` returns is shut down, last started first,
    and its thread joined. Returns what ``main`` returned.
    """
    with Runtime():
        return main(*args)
