"""The backend adapter: one awaitable API over ``spawned.tasks`` and ``spawned.threads``."""

from __future__ import annotations

import math
from collections.abc import AsyncGenerator, Callable, Hashable, Iterable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, Generic, Literal, TypeVar, cast, overload

import anyio
import anyio.to_thread

from .._fanout import CallResult
from .._handle import CallT, CastT, HandleBase, ReplyT
from .._messages import Request
from .._reasons import NORMAL
from .._server import GenServer
from .._supervisor_logic import Child, ChildCount, ChildSpec, DynamicSupervisor, Supervisor

T = TypeVar("T")
Q = TypeVar("Q")
A = TypeVar("A")

Backend = Literal["asyncio", "trio", "threads"]
BACKENDS: tuple[Backend, ...] = ("asyncio", "trio", "threads")
"""Every backend a shared test runs on, in the order of the test ids."""


class TestHandle(Generic[CallT, CastT, ReplyT]):
    """A handle whose waiting methods are awaitable on every backend.

    On threads, a blocking method runs in a worker thread. Compares equal to the handle it
    wraps, so ``down.handle == test_handle`` works.
    """

    __test__ = False

    def __init__(self, handle: HandleBase[CallT, CastT, ReplyT], backend: Backend) -> None:
        self.handle = handle
        """The backend's own handle, to put in messages."""
        self.backend: Backend = backend

    async def _wait(self, method: str, *args: Any) -> Any:
        fn: Callable[..., Any] = getattr(self.handle, method)
        if self.backend == "threads":
            return await anyio.to_thread.run_sync(partial(fn, *args))
        return await fn(*args)

    @overload
    async def call(
        self: TestHandle[Request[Any, A], Any, Any], msg: Request[Q, A], timeout: float = 5.0
    ) -> Q: ...
    @overload
    async def call(self, msg: CallT, timeout: float = 5.0) -> ReplyT: ...
    async def call(self, msg: Any, timeout: float = 5.0) -> Any:
        """``handle.call``, awaited."""
        return await self._wait("call", msg, timeout)

    async def stop(self, reason: object = NORMAL, timeout: float = math.inf) -> None:
        """``handle.stop``, awaited."""
        await self._wait("stop", reason, timeout)

    async def join(self) -> object:
        """``handle.join``, awaited; returns the exit reason."""
        return await self._wait("join")

    async def get_state(self, timeout: float = 5.0) -> Any:
        """``handle.get_state``, awaited."""
        return await self._wait("get_state", timeout)

    async def replace_state(self, fn: Callable[[Any], T], timeout: float = 5.0) -> T:
        """``handle.replace_state``, awaited."""
        return await self._wait("replace_state", fn, timeout)

    def cast(self, msg: CastT) -> None:
        """``handle.cast``."""
        self.handle.cast(msg)

    def exit(self, reason: object) -> None:
        """``handle.exit``: an exit signal with ``reason``."""
        self.handle.exit(reason)

    def send(self, msg: object) -> None:
        """``handle.send``."""
        self.handle.send(msg)

    def kill(self) -> None:
        """``handle.kill``."""
        self.handle.kill()

    @property
    def is_alive(self) -> bool:
        """``handle.is_alive``."""
        return self.handle.is_alive

    @property
    def name(self) -> object:
        """``handle.name``."""
        return self.handle.name

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TestHandle):
            return self.handle == other.handle  # pyright: ignore[reportUnknownMemberType]
        return self.handle == other

    def __hash__(self) -> int:
        return hash(self.handle)

    def __repr__(self) -> str:
        return f"TestHandle({self.handle!r})"


class TestSupervisorHandle(TestHandle[Any, Any, Any]):
    """A supervisor's handle (``Supervisor`` or ``DynamicSupervisor``), its methods awaitable
    on every backend. ``terminate_child`` takes an id, or (dynamic) a handle or TestHandle.
    """

    __test__ = False

    async def start_child(self, spec: ChildSpec) -> TestHandle[Any, Any, Any] | None:
        """``start_child``, awaited; the new child as a [`TestHandle`][spawned.testing.TestHandle]
        (``None``: ignored).
        """
        handle = await self._wait("start_child", spec)
        return None if handle is None else _wrap(handle, self.backend)

    async def terminate_child(self, child: Hashable) -> None:
        """``terminate_child``, awaited."""
        if isinstance(child, TestHandle):
            child = cast("TestHandle[Any, Any, Any]", child).handle
        await self._wait("terminate_child", child)

    async def restart_child(self, child_id: Hashable) -> TestHandle[Any, Any, Any] | None:
        """``restart_child``, awaited."""
        handle = await self._wait("restart_child", child_id)
        return None if handle is None else _wrap(handle, self.backend)

    async def delete_child(self, child_id: Hashable) -> None:
        """``delete_child``, awaited."""
        await self._wait("delete_child", child_id)

    async def which_children(self) -> list[Child]:
        """``which_children``, awaited (the handles in it are the backend's own)."""
        return await self._wait("which_children")

    async def count_children(self) -> ChildCount:
        """``count_children``, awaited."""
        return await self._wait("count_children")


def _wrap(
    handle: HandleBase[Any, Any, Any] | TestHandle[Any, Any, Any], backend: Backend
) -> TestHandle[Any, Any, Any]:
    if isinstance(handle, TestHandle):  # already wrapped
        return handle
    if hasattr(handle, "which_children"):
        return TestSupervisorHandle(handle, backend)
    return TestHandle(handle, backend)


def _unwrap_all(targets: object) -> object:
    return [_raw(t) for t in cast("Iterable[object]", targets)]


def _raw(target: object) -> object:
    """The backend's handle for a [`TestHandle`][spawned.testing.TestHandle]; anything else as is."""
    if isinstance(target, TestHandle):
        return cast("TestHandle[Any, Any, Any]", target).handle
    return target


class TestRuntime:
    """A runtime of the chosen backend, with every waiting method awaitable."""

    __test__ = False

    def __init__(self, runtime: Any, backend: Backend) -> None:
        self.runtime = runtime
        """The backend's own ``Runtime``."""
        self.backend: Backend = backend

    @overload
    async def start(
        self, server: Supervisor | DynamicSupervisor, *, name: object = None, link: bool = False
    ) -> TestSupervisorHandle: ...
    @overload
    async def start(
        self,
        server: GenServer[CallT, CastT, ReplyT],
        *,
        name: object = None,
        link: bool = False,
        on_thread: bool = False,
    ) -> TestHandle[CallT, CastT, ReplyT]: ...
    async def start(
        self,
        server: GenServer[Any, Any, Any] | Supervisor | DynamicSupervisor,
        *,
        name: object = None,
        link: bool = False,
        on_thread: bool = False,
    ) -> Any:
        """``Runtime.start``, awaited; returns a [`TestHandle`][spawned.testing.TestHandle] (a
        `TestSupervisorHandle` for a supervisor).

        ``on_thread=True`` starts the server on a thread of its own on asyncio and trio (see
        [`spawned.tasks.Runtime.start`][spawned.tasks.Runtime.start]); on threads, where every
        process has its own thread, it changes nothing, so one test covers every backend.
        """
        if on_thread and self.backend != "threads":
            start = partial(self.runtime.start, server, name=name, link=link, on_thread=True)
        else:
            start = partial(self.runtime.start, server, name=name, link=link)
        handle = await (anyio.to_thread.run_sync(start) if self.backend == "threads" else start())
        return _wrap(handle, self.backend)

    def whereis(self, name: object, server: type[GenServer[Any, Any, Any]] | None = None) -> Any:
        """``Runtime.whereis``, as a [`TestHandle`][spawned.testing.TestHandle]
        (or ``TestSupervisorHandle``); checked against the ``server`` class when given.
        """
        handle = self.runtime.whereis(name) if server is None else self.runtime.whereis(name, server)
        return None if handle is None else _wrap(handle, self.backend)

    async def call(self, target: object, msg: object, timeout: float = 5.0) -> Any:
        """``Runtime.call`` by name, ``Via`` or handle, awaited."""
        return await self._blocking(self.runtime.call, _raw(target), msg, timeout)

    def cast(self, target: object, msg: object) -> None:
        """``Runtime.cast`` by name, ``Via`` or handle."""
        self.runtime.cast(_raw(target), msg)

    async def multi_call(self, targets: object, msg: object, timeout: float = 5.0) -> list[CallResult[Any]]:
        """``Runtime.multi_call``, awaited (the handles in the results are the backend's own)."""
        return await self._blocking(self.runtime.multi_call, _unwrap_all(targets), msg, timeout)

    def abcast(self, targets: object, msg: object) -> None:
        """``Runtime.abcast``."""
        self.runtime.abcast(_unwrap_all(targets), msg)

    async def _blocking(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self.backend == "threads":
            return await anyio.to_thread.run_sync(partial(fn, *args))
        return await fn(*args)

    def wrap(self, handle: HandleBase[CallT, CastT, ReplyT]) -> Any:
        """Wrap a raw handle (from a message or a reply) as a [`TestHandle`][spawned.testing.TestHandle] (or
        `TestSupervisorHandle`).
        """
        return _wrap(handle, self.backend)

    async def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking ``fn`` where this backend's code may block: a worker thread on
        threads, directly on tasks (where ``fn`` must not block).
        """
        if self.backend == "threads":
            return await anyio.to_thread.run_sync(partial(fn, *args))
        return fn(*args)


@asynccontextmanager
async def open_test_runtime(backend: Backend) -> AsyncGenerator[TestRuntime]:
    """Open a runtime of ``backend`` inside the running (anyio) test loop.

    On leaving, every process is shut down and the test fails if one is left alive or a
    process thread is still running.
    """
    if backend == "threads":
        from spawned import threads  # noqa: PLC0415 - a backend is loaded only when used

        runtime = threads.Runtime().__enter__()
        try:
            yield TestRuntime(runtime, backend)
        finally:
            await anyio.to_thread.run_sync(runtime.shutdown)  # blocks: off the loop
            runtime.__exit__(None, None, None)
        left = [t.name for t in runtime.process_threads() if t.is_alive()]
        assert not left, f"process threads left running: {left}"
    else:
        from spawned import tasks  # noqa: PLC0415

        async with tasks.Runtime() as runtime:
            yield TestRuntime(runtime, backend)
    assert not runtime.live, f"processes left alive: {list(runtime.live)}"
