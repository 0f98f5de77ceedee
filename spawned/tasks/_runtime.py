"""The tasks runtime: a task group holding every process, and the loop's thread token."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from contextlib import nullcontext, suppress
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Any, Self, TypeVar, cast, overload

import anyio
import anyio.abc
import anyio.lowlevel

from .._handle import CallT, CastT, ReplyT
from .._process import ProcessCore, current_process
from .._runtime import RuntimeCore, prepare
from .._server import GenServer
from .._supervision import DynamicSupervisor, Supervisor
from .._supervisor import AddTopLevel, close_runtime
from ._handle import DynamicSupervisorHandle, Handle, SupervisorHandle
from ._process import Process
from ._supervisor import SupervisorServer, TaskOps

T = TypeVar("T")

_current_runtime: ContextVar[Runtime | None] = ContextVar("spawned_tasks_runtime", default=None)


class Runtime(RuntimeCore):
    """Owns a set of processes on one event loop: their tasks, names and shutdown.

    Use ``async with Runtime() as rt:`` (or :func:`run`). Leaving the block shuts every
    process down, last started first, and leaves no task behind. Works on asyncio and trio,
    and inside a nursery or task group of your own.
    """

    handle_class = Handle

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
        self.root = (await self._spawn(SupervisorServer(Supervisor()), None, None))._process
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

    @property
    def is_open(self) -> bool:
        """Whether processes can be started (inside ``async with``)."""
        return self._task_group is not None

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

    @overload
    async def start(
        self, server: Supervisor, *, name: object = None, link: bool = False
    ) -> SupervisorHandle: ...
    @overload
    async def start(
        self, server: DynamicSupervisor, *, name: object = None, link: bool = False
    ) -> DynamicSupervisorHandle: ...
    @overload
    async def start(
        self, server: GenServer[CallT, CastT, ReplyT], *, name: object = None, link: bool = False
    ) -> Handle[CallT, CastT, ReplyT]: ...
    async def start(
        self,
        server: GenServer[Any, Any, Any] | Supervisor | DynamicSupervisor,
        *,
        name: object = None,
        link: bool = False,
    ) -> Any:
        """Start ``server`` as a new process and wait until its ``init`` has run.

        Started at top level (outside any process), it becomes a temporary child of the
        runtime's root supervisor, which shuts it down when the runtime closes.

        Args:
            server: a fresh ``GenServer`` instance (callbacks may be ``def`` or ``async def``),
                or a ``Supervisor``/``DynamicSupervisor``, whose handle has the supervisor
                methods.
            name: register the process under this name (see :meth:`whereis`).
            link: link the new process to the calling process, before its ``init`` runs.
                If ``init`` fails, the link is removed first, so the caller gets
                ``InitFailed`` instead of being taken down.

        Raises:
            AlreadyStarted: ``name`` is held by a living process; ``init`` never ran.
            InitFailed: ``init`` raised or returned ``Stop``.
            Ignored: ``init`` returned ``Ignore()``.
        """
        if not self.is_open:
            msg = "this Runtime is not open; use `async with Runtime() as rt:` or tasks.run()"
            raise RuntimeError(msg)
        server = prepare(server, SupervisorServer, allow_async=True)
        parent, root = self.placement(link)
        if root is not None:
            return await cast("SupervisorHandle", root.handle)._ask(AddTopLevel(server, name))
        return await self._spawn(server, name, parent)

    async def _spawn(
        self, server: GenServer[Any, Any, Any], name: object, parent: ProcessCore | None
    ) -> Handle[Any, Any, Any]:
        task_group = self._task_group
        assert task_group is not None  # noqa: S101 - checked by the callers
        process = self.admit(name, lambda: Process(self, server, name), parent)
        task_group.start_soon(process.run, name=f"spawned {process.label}")
        await process.wait_started()
        return process.handle  # pyright: ignore[reportReturnType]

    def whereis(self, name: object) -> Handle[Any, Any, Any] | None:
        """The handle of the process registered under ``name``, or ``None``."""
        return super().whereis(name)  # pyright: ignore[reportReturnType]

    async def shutdown(self) -> None:
        """Stop every process, last started first (what leaving the runtime does); see
        :func:`~spawned._supervisor.close_runtime`. Waits until they are all gone.
        """
        await close_runtime(self, TaskOps(self))


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


@overload
async def start(server: Supervisor, *, name: object = None, link: bool = False) -> SupervisorHandle: ...
@overload
async def start(
    server: DynamicSupervisor, *, name: object = None, link: bool = False
) -> DynamicSupervisorHandle: ...
@overload
async def start(
    server: GenServer[CallT, CastT, ReplyT], *, name: object = None, link: bool = False
) -> Handle[CallT, CastT, ReplyT]: ...
async def start(
    server: GenServer[Any, Any, Any] | Supervisor | DynamicSupervisor,
    *,
    name: object = None,
    link: bool = False,
) -> Any:
    """Start ``server`` in the current runtime; see :meth:`Runtime.start`."""
    return await current_runtime().start(server, name=name, link=link)


def whereis(name: object) -> Handle[Any, Any, Any] | None:
    """The handle registered under ``name`` in the current runtime, or ``None``."""
    return current_runtime().whereis(name)


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
