"""The tasks runtime: a task group holding every process, and the loop's thread token."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from contextlib import nullcontext, suppress
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Any, Self, TypeVar

import anyio
import anyio.abc
import anyio.lowlevel

from .._handle import CallT, CastT, HandleBase, ReplyT
from .._introspect import ProcessInfo, ProcessTree
from .._process import STOP, ProcessCore, current_process
from .._reasons import KILLED, SHUTDOWN
from .._runtime import RuntimeCore, check_server
from .._server import GenServer
from ._handle import Handle
from ._process import Process

T = TypeVar("T")

SHUTDOWN_TIMEOUT = 5.0
"""Seconds a process that traps exits gets to run ``terminate`` when its runtime closes."""

_current_runtime: ContextVar[Runtime | None] = ContextVar("spawned_tasks_runtime", default=None)


class Runtime(RuntimeCore):
    """Owns a set of processes on one event loop: their tasks, names and shutdown.

    Use ``async with Runtime() as rt:`` (or :func:`run`). Leaving the block shuts every
    process down, last started first, and leaves no task behind. Works on asyncio and trio,
    and inside a nursery or task group of your own.
    """

    handle_class: type[HandleBase[Any, Any, Any]] = Handle

    def __init__(self) -> None:
        super().__init__(nullcontext())
        self._task_group: anyio.abc.TaskGroup | None = None
        self._token: anyio.lowlevel.EventLoopToken | None = None
        self._loop_thread = 0
        self._context_token: Token[Runtime | None] | None = None

    async def __aenter__(self) -> Self:
        self._token = anyio.lowlevel.current_token()
        self._loop_thread = threading.get_ident()
        task_group = anyio.create_task_group()
        await task_group.__aenter__()
        self._task_group = task_group
        self._context_token = _current_runtime.set(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        try:
            with anyio.CancelScope(shield=True):
                await self.shutdown()
        finally:
            if self._context_token is not None:
                _current_runtime.reset(self._context_token)
            task_group, self._task_group = self._task_group, None
        if task_group is None:
            return None
        return await task_group.__aexit__(exc_type, exc, tb)

    # -- threads ------------------------------------------------------------------------------

    def on_loop(self) -> bool:
        """Whether the calling thread is the event loop's."""
        return threading.get_ident() == self._loop_thread

    def soon(self, fn: Callable[..., object], *args: Any) -> None:
        """Run ``fn(*args)`` on the loop, from any thread, without waiting. Dropped once
        the loop has finished.
        """
        token = self._token
        if token is not None:
            with suppress(anyio.RunFinishedError, RuntimeError):
                token.backend_class.run_sync_soon(fn, args, token.native_token)

    # -- processes --------------------------------------------------------------------------

    async def start(
        self,
        server: GenServer[CallT, CastT, ReplyT],
        *,
        name: object = None,
        link: bool = False,
    ) -> Handle[CallT, CastT, ReplyT]:
        """Start ``server`` as a new process and wait until its ``init`` has run.

        Args:
            server: a fresh ``GenServer`` instance; callbacks may be ``def`` or ``async def``.
            name: register the process under this name (see :meth:`whereis`).
            link: link the new process to the calling process.

        Raises:
            AlreadyStarted: ``name`` is held by a living process; ``init`` never ran.
            InitFailed: ``init`` raised or returned ``Stop``.
            Ignored: ``init`` returned ``Ignore()``.
        """
        task_group = self._task_group
        if task_group is None:
            msg = "this Runtime is not open; use `async with Runtime() as rt:` or tasks.run()"
            raise RuntimeError(msg)
        server = check_server(server, allow_async=True)
        parent = _linking_parent(link)
        process = self.admit(name, lambda: Process(self, server, name))
        if parent is not None:
            parent.link(process)
        task_group.start_soon(process.run, name=f"spawned {process.label}")
        await process.wait_started()
        return process.handle  # pyright: ignore[reportReturnType]

    def whereis(self, name: object) -> Handle[Any, Any, Any] | None:
        """The handle of the process registered under ``name``, or ``None``."""
        return super().whereis(name)  # pyright: ignore[reportReturnType]

    async def shutdown(self) -> None:
        """Stop every process, last started first (what leaving the runtime does).

        A process that traps exits is stopped with ``"shutdown"`` (``terminate`` runs) and
        killed if it takes longer than ``SHUTDOWN_TIMEOUT``; any other process exits at once
        with ``"shutdown"``.
        """
        for process in self.shutdown_order():
            await _shut_down(process)  # pyright: ignore[reportArgumentType]


async def _shut_down(process: Process, timeout: float = SHUTDOWN_TIMEOUT) -> None:
    if not process.alive:
        return
    if process.server.trap_exits:
        process.post((STOP, SHUTDOWN, None))
        if not await process.join(timeout):
            process.exit_now(KILLED)
    else:
        process.exit_now(SHUTDOWN)


def _linking_parent(link: bool) -> ProcessCore | None:
    if not link:
        return None
    parent = current_process.get()
    if parent is None:
        msg = "start(link=True) must be called from inside a server (there is nothing to link to)"
        raise RuntimeError(msg)
    return parent


def current_runtime() -> Runtime:
    """The runtime of the calling process, or the one ``run()``/``async with Runtime()`` opened."""
    process = current_process.get()
    if process is not None and isinstance(process.runtime, Runtime):
        return process.runtime
    runtime = _current_runtime.get()
    if runtime is None:
        msg = "no spawned.tasks runtime here: use tasks.run(main) or `async with tasks.Runtime() as rt:`"
        raise RuntimeError(msg)
    return runtime


async def start(
    server: GenServer[CallT, CastT, ReplyT],
    *,
    name: object = None,
    link: bool = False,
) -> Handle[CallT, CastT, ReplyT]:
    """Start ``server`` in the current runtime; see :meth:`Runtime.start`."""
    return await current_runtime().start(server, name=name, link=link)


def whereis(name: object) -> Handle[Any, Any, Any] | None:
    """The handle registered under ``name`` in the current runtime, or ``None``."""
    return current_runtime().whereis(name)


def processes() -> list[ProcessInfo]:
    """A snapshot of the current runtime's live processes; see :meth:`Runtime.processes`."""
    return current_runtime().processes()


def tree() -> ProcessTree:
    """A snapshot of the current runtime as a supervision tree; ``print(tree())`` shows it."""
    return current_runtime().tree()


def run(
    main: Callable[..., Awaitable[T]],
    *args: object,
    backend: str = "asyncio",
    backend_options: dict[str, Any] | None = None,
) -> T:
    """Run ``await main(*args)`` inside a fresh :class:`Runtime` on a new event loop.

    ``backend`` is ``"asyncio"`` or ``"trio"``. Every process still running when ``main``
    returns is shut down, last started first. Returns what ``main`` returned.
    """

    async def runner() -> T:
        async with Runtime():
            return await main(*args)

    return anyio.run(runner, backend=backend, backend_options=backend_options)
