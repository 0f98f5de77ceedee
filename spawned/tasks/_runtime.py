"""The tasks runtime: a task group holding every process, and the loop's thread token."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from contextlib import AbstractContextManager, suppress
from contextvars import ContextVar, Token
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast, overload

import anyio
import anyio.abc
import anyio.lowlevel

from .._backend import ListenerService as ListenerServiceBase
from .._backend import ReplySlot as ReplySlotBase
from .._backend import TimerService as TimerServiceBase
from .._fanout import CallResult, gather, post_calls
from .._handle import CallT, CastT, HandleBase, ReplyT, check_server
from .._introspect import ProcessInfo, ProcessTree
from .._os_signals import SHUTDOWN_TIMEOUT, check_shutdown_timeout
from .._process import ProcessCore, ProcessOptions, current_process
from .._registry import Via, reserving
from .._runtime import RuntimeCore, find_runtime
from .._server import GenServer
from .._supervisor_logic import DynamicSupervisor, Supervisor
from .._supervisor_process import RootCore, close_runtime
from . import _os_signals as signals
from ._deadlines import Deadlines
from ._handle import DynamicSupervisorHandle, Handle, SupervisorHandle
from ._listeners import ListenerService
from ._native import NOT_OPEN, Native, open_native
from ._on_thread import ThreadedProcess
from ._process import Process, ReplySlot
from ._supervisor import SupervisorServer, TaskOps
from ._timers import TimerService
from ._watchdog import DEFAULT_THRESHOLD, Watchdog, check_threshold

if TYPE_CHECKING:
    from ..cluster._config import Cluster
    from ..cluster._node import Node

T = TypeVar("T")

_current_runtime: ContextVar[Runtime | None] = ContextVar("spawned_tasks_runtime", default=None)
_open_runtimes: list[Runtime] = []
"""Every open tasks runtime in the OS process, for ``current_runtime`` to find one (never names)."""


class Runtime(RuntimeCore):
    """Owns a set of processes on one event loop: their tasks, names and shutdown.

    Use ``async with Runtime() as rt:`` (or [`run`][spawned.tasks.run]). Leaving the block shuts every
    process down, last started first, and leaves no task behind, even when the code around
    it is cancelled: the shutdown is shielded and every ``terminate`` runs. An exception
    from the block comes out as itself (several at once come out in an ``ExceptionGroup``).
    Works on asyncio and trio, and inside a nursery or task group of your own.

    A callback that holds the event loop longer than ``blocking_threshold`` seconds (0.1 by default; a
    plain ``def`` doing blocking work) logs one warning naming its server; start such a
    server with ``on_thread=True``. ``blocking_threshold=None`` turns the check off.

    With ``cluster=Cluster(node="a", ...)`` (see [`Cluster`][spawned.cluster.Cluster]) the
    runtime joins that cluster as node ``"a"`` when it opens (``runtime.node``, a
    [`Node`][spawned.cluster.Node]) and leaves it when it closes, after its processes stopped.
    """

    handle_class: type[HandleBase[Any, Any, Any]] = Handle
    new_lock: Callable[[], AbstractContextManager[Any]] = staticmethod(threading.Lock)
    timer_service_class: Callable[[Any], TimerServiceBase] = TimerService
    listener_service_class: Callable[[Any], ListenerServiceBase] = ListenerService
    supervisor_handle_classes: tuple[type[HandleBase[Any, Any, Any]], type[HandleBase[Any, Any, Any]]] = (
        SupervisorHandle,
        DynamicSupervisorHandle,
    )

    def supervisor_ops(self) -> TaskOps:
        """Start, join and the clock for this runtime's supervisors."""
        return TaskOps(self)

    def __init__(
        self, *, blocking_threshold: float | None = DEFAULT_THRESHOLD, cluster: Cluster | None = None
    ) -> None:
        super().__init__(threading.RLock())  # on_thread callbacks link and monitor from their threads
        self.cluster: Cluster | None = cluster
        """The cluster this runtime joins as a node when it opens (``None``: none)."""
        self.blocking_threshold: float | None = check_threshold(blocking_threshold)
        """Seconds a callback may hold the loop before a warning names its server; ``None``: off."""
        self._task_group: anyio.abc.TaskGroup | None = None
        self._token: anyio.lowlevel.EventLoopToken | None = None
        self.loop_thread: int = 0
        """The ident of the event loop's thread."""
        self.native: Native = NOT_OPEN
        """The running library's park/wake primitives (set when the runtime opens)."""
        self.deadlines: Deadlines = Deadlines(NOT_OPEN, self.timers())
        """Where callers wait with a timeout (set when the runtime opens)."""
        self._context_token: Token[Runtime | None] | None = None

    async def __aenter__(self) -> Self:
        """Open the runtime: processes can be started until the block ends.

        Raises ``RuntimeError`` if this runtime is already open (a runtime is entered once
        at a time; it may be entered again after it has closed).
        """
        if self._task_group is not None:
            msg = "this Runtime is already open; enter it once at a time (use the open one, or make another)"
            raise RuntimeError(msg)
        self.closing = False
        self._token = anyio.lowlevel.current_token()
        self.loop_thread = threading.get_ident()
        if self.cluster is not None:
            node = await join_cluster_async(self, self.cluster)
            self.node = node
        task_group = anyio.create_task_group()
        await task_group.__aenter__()
        self._task_group = task_group
        with anyio.CancelScope(shield=True):  # opened whole, even in a cancelled host
            self.native = await open_native(task_group)
            self.deadlines = Deadlines(self.native, self.timers())
            self._context_token = _current_runtime.set(self)
            root = RootCore()
            self.root: ProcessCore | None = (
                await self._spawn(root, None, None, self.options_for(root))
            )._process
        _open_runtimes.append(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        """Shut every process down, shielded from any cancellation of the host, then leave
        the task group. An exception that is the only one ending the block is raised as
        itself, not wrapped in an ``ExceptionGroup``.
        """
        if self in _open_runtimes:
            _open_runtimes.remove(self)
        try:
            with anyio.CancelScope(shield=True):
                await self.shutdown()
                node = self.take_node()
                if node is not None:
                    await node.close_async()
                await self.native.aclose()
        finally:
            if self._context_token is not None:
                _current_runtime.reset(self._context_token)
            task_group, self._task_group = self._task_group, None
        if task_group is None:
            return None
        try:
            return await task_group.__aexit__(exc_type, exc, tb)
        except BaseExceptionGroup as group:
            sole = _sole(group)
            if sole is None:
                raise
        raise sole  # outside the except block, so it does not get the group as its context

    @property
    def is_open(self) -> bool:
        """Whether processes can be started (inside ``async with``)."""
        return self._task_group is not None

    # -- threads ------------------------------------------------------------------------------

    def on_loop(self) -> bool:
        """Whether the calling thread is the event loop's."""
        return threading.get_ident() == self.loop_thread

    def run_on_loop(self, fn: Callable[..., object], *args: Any) -> None:
        """Run ``fn(*args)`` now if the calling thread is the event loop's, else schedule it
        there with :meth:`soon`. Never blocks; safe from any thread.
        """
        if threading.get_ident() == self.loop_thread:
            fn(*args)
        else:
            self.soon(fn, *args)

    def soon(self, fn: Callable[..., object], *args: Any) -> None:
        """Run ``fn(*args)`` on the loop, from any thread, without waiting. Dropped once
        the loop has finished.
        """
        token = self._token
        if token is not None:
            with suppress(anyio.RunFinishedError, RuntimeError):
                token.backend_class.run_sync_soon(fn, args, token.native_token)

    def start_task(self, fn: Callable[[], Coroutine[Any, Any, None]], *, name: str) -> bool:
        """Run ``fn()`` as a task beside the processes (services: timers, stream listeners),
        out of reach of a cancelled host; the runtime ends it when it closes. Call on the
        loop. ``False`` (and nothing runs) once the runtime closed.
        """
        if self._task_group is None:
            return False
        self.native.spawn(fn, name)
        return True

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
        self,
        server: GenServer[CallT, CastT, ReplyT],
        *,
        name: object = None,
        link: bool = False,
        on_thread: bool = False,
    ) -> Handle[CallT, CastT, ReplyT]: ...
    async def start(
        self,
        server: GenServer[Any, Any, Any] | Supervisor | DynamicSupervisor,
        *,
        name: object = None,
        link: bool = False,
        on_thread: bool = False,
    ) -> Any:
        """Start ``server`` as a new process and wait until its ``init`` has run.

        Started at top level (outside any process), it becomes a temporary child of the
        runtime's root supervisor, which shuts it down when the runtime closes.

        Args:
            server: a fresh ``GenServer`` instance (callbacks may be ``def`` or ``async def``),
                or a ``Supervisor``/``DynamicSupervisor``, whose handle has the supervisor
                methods.
            name: register the process under this name, or a ``Via(registry, key)`` (see
                [`whereis`][spawned.tasks.Runtime.whereis]).
            link: link the new process to the calling process, before its ``init`` runs.
                If ``init`` fails, the link is removed first, so the caller gets
                ``InitFailed`` instead of being taken down.
            on_thread: run the server's callbacks (plain ``def`` only) on a thread of its
                own, so blocking code does not stall the loop; its handle, mailbox, links,
                monitors and timers behave as any other process's.

        Raises:
            AlreadyStarted: ``name`` is held by a living process; ``init`` never ran.
            InitFailed: ``init`` raised or returned ``Stop``.
            Ignored: ``init`` returned ``Ignore()``.
            RuntimeError: the runtime is not open, or this is not its event loop's thread.
        """
        if not self.is_open:
            msg = "this Runtime is not open; use `async with Runtime() as rt:` or tasks.run()"
            raise RuntimeError(msg)
        if not self.on_loop():
            msg = (
                f"start() on a runtime whose {self.native.library} loop runs in another thread; start "
                "processes from the runtime's own loop (calls, casts and stops work from any "
                "runtime's loop)"
            )
            raise RuntimeError(msg)
        server, options = self.prepare(
            server, SupervisorServer, allow_async=not on_thread, on_thread=on_thread
        )
        handle = await self._spawn(server, name, self.placement(link), options)
        self.started(handle._process)
        return handle

    async def _spawn(
        self,
        server: GenServer[Any, Any, Any],
        name: object,
        parent: ProcessCore | None,
        options: ProcessOptions,
    ) -> Handle[Any, Any, Any]:
        kind = ThreadedProcess if options.on_thread else Process
        registry = reserving(name)
        if registry is not None:  # a cluster-wide name: reserved over the network first
            await registry._reserve(cast("Via", name))
        try:
            process = self.admit(name, lambda: kind(self, server, name, options), parent)
        except BaseException:
            if registry is not None:
                registry._unreserve(cast("Via", name))
            raise
        self._watch_loop()
        self.native.spawn(process.body(), process.label)
        await process.wait_started()
        return Handle.of(process.handle)

    def _watch_loop(self) -> None:
        threshold = self.blocking_threshold
        if threshold is not None:
            self.service("watchdog", lambda runtime: Watchdog(runtime, threshold)).start()

    @overload
    def whereis(self, name: object) -> Handle[Any, Any, Any] | None: ...
    @overload
    def whereis(
        self, name: object, server: type[GenServer[CallT, CastT, ReplyT]]
    ) -> Handle[CallT, CastT, ReplyT] | None: ...
    def whereis(self, name: object, server: object = None) -> Handle[Any, Any, Any] | None:
        """The handle of the process registered under ``name`` (a plain name or a ``Via``),
        or ``None``.

        Given the ``server`` class it runs, the handle is typed as ``start`` types it
        (``whereis("counter", Counter)`` is a ``Handle[CallT, CastT, ReplyT]`` of ``Counter``),
        and checked: a process registered under ``name`` that runs anything else raises.

        Raises:
            TypeError: ``server`` is given and the process is not an instance of it, or
                ``server`` is not a class.
        """
        handle = Handle.of(super().whereis(name))
        if server is not None:
            check_server(handle, server)
        return handle

    @overload
    async def call(
        self, target: HandleBase[CallT, Any, ReplyT], msg: CallT, timeout: float = 5.0
    ) -> ReplyT: ...
    @overload
    async def call(self, target: object, msg: object, timeout: float = 5.0) -> Any: ...
    async def call(self, target: object, msg: object, timeout: float = 5.0) -> Any:
        """Call the process ``target`` names (a name, a ``Via`` or a handle) without a
        separate ``whereis``: Elixir's ``GenServer.call(name, msg)``.

        Raises:
            NoProc: nothing is registered under ``target`` (or its process is dead).
            CallTimeout: see [`Handle.call`][spawned.tasks.Handle.call], as are the others.
            ServerExited: the server exited before replying.
            CallingSelf: a server called itself.
        """
        return await self._handle(target).call(msg, timeout)

    def cast(self, target: object, msg: object) -> None:
        """Cast ``msg`` to the process ``target`` names (a name, a ``Via`` or a handle).

        Never blocks or fails: with nothing registered under ``target``, the message is
        dropped, as Erlang's ``gen_server:cast`` to an unregistered name is.
        """
        handle = self.resolve(target)
        if handle is not None:
            handle.cast(msg)

    async def multi_call(
        self, targets: Iterable[object], msg: object, timeout: float = 5.0
    ) -> list[CallResult[Any]]:
        """Call every member with ``msg`` at once and gather one result per member, in order.

        ``targets`` is an iterable of handles, names or ``Via``; for every process under a
        registry key, pass ``registry.handles(key)``. All requests are sent before any reply
        is awaited, and ``timeout`` bounds the whole gather. A member's failure (``NoProc``
        for an unknown name, ``CallTimeout``, ``ServerExited``) is in its
        [`CallResult`][spawned.CallResult]; nothing is raised.
        """
        posted = post_calls(self.members(targets), msg, timeout)
        return await gather(posted, timeout, self.timers().now, _wait_slot)

    def _handle(self, target: object) -> Handle[Any, Any, Any]:
        return Handle.of(self.handle_of(target))

    async def serve(
        self, main: Callable[..., Awaitable[T]], *args: object, shutdown_timeout: float = SHUTDOWN_TIMEOUT
    ) -> T:
        """``await main(*args)`` in this open runtime, stopping it in order on SIGTERM/SIGINT:
        what [`run`][spawned.tasks.run] does by default, for a runtime you hold.

        Returns what ``main`` returned. After a signal, ``main`` is cancelled, every process
        is stopped (last started first; those still running ``shutdown_timeout`` seconds
        later are killed and named in an error log), and ``SignalShutdown`` is raised; the
        previous handlers are back when this returns. Only on the main thread: elsewhere
        ``main`` just runs.

        Raises:
            SignalShutdown: SIGTERM or SIGINT stopped the runtime.
            ValueError: ``shutdown_timeout`` is negative or NaN.
        """
        return await signals.serve(self, main, args, check_shutdown_timeout(shutdown_timeout))

    async def shutdown(self) -> None:
        """Stop every process, last started first (what leaving the runtime does).

        Each process started at top level, or started without a link, is stopped as a
        supervisor stops a child: a worker gets 5 s to run ``terminate`` (if it traps exits)
        and is then killed, a supervisor first stops its own children as their specs say.
        Linked processes go with their parent. Starting a process is refused from the
        moment the shutdown begins. Waits until every process is gone, then stops the
        runtime's timers, stream readers and blocking watchdog.
        """
        await close_runtime(self, TaskOps(self))
        self.close_services()


async def join_cluster_async(runtime: Runtime, cluster: Cluster) -> Node:
    """Open ``runtime``'s node of ``cluster`` (imports ``spawned.cluster`` and nats only now)."""
    from ..cluster._node import Node  # noqa: PLC0415 - a runtime without a cluster imports no nats

    node = Node(runtime, cluster)
    await node.open_async()
    return node


async def _wait_slot(slot: ReplySlotBase[Any], label: str, timeout: float) -> Any:
    return await cast("ReplySlot", slot).result(label, timeout)


def current_runtime() -> Runtime:
    """The runtime the module-level functions act on (see ``find_runtime``): the calling
    process's, the one ``run()``/``async with Runtime()`` opened here, the one whose loop
    runs this thread, or the only one open.
    """
    return find_runtime("tasks", Runtime, _current_runtime.get(), list(_open_runtimes), Runtime.on_loop)


def _sole(group: BaseExceptionGroup[BaseException]) -> BaseException | None:
    """The one exception ``group`` holds, through groups of one nested in it (trio's nursery
    inside the runtime's task group); ``None`` when it holds several. A ``KeyboardInterrupt``
    or ``SystemExit`` in it wins, raised plainly as asyncio does: the whole run is ending.
    """
    ending, _ = group.split((KeyboardInterrupt, SystemExit))
    members: tuple[BaseException, ...] = (group if ending is None else ending).exceptions
    while len(members) == 1 and isinstance(members[0], BaseExceptionGroup):
        members = cast("BaseExceptionGroup[BaseException]", members[0]).exceptions
    return members[0] if len(members) == 1 else None


def runtime_here() -> Runtime | None:
    """The tasks runtime whose event loop runs the calling thread, if one is known: the
    calling process's, or the one ``run()``/``async with Runtime()`` opened.
    """
    process = current_process.get()
    for runtime in (None if process is None else process.runtime, _current_runtime.get()):
        if isinstance(runtime, Runtime) and runtime.on_loop():
            return runtime
    return None


@overload
async def start(server: Supervisor, *, name: object = None, link: bool = False) -> SupervisorHandle: ...
@overload
async def start(
    server: DynamicSupervisor, *, name: object = None, link: bool = False
) -> DynamicSupervisorHandle: ...
@overload
async def start(
    server: GenServer[CallT, CastT, ReplyT],
    *,
    name: object = None,
    link: bool = False,
    on_thread: bool = False,
) -> Handle[CallT, CastT, ReplyT]: ...
async def start(
    server: GenServer[Any, Any, Any] | Supervisor | DynamicSupervisor,
    *,
    name: object = None,
    link: bool = False,
    on_thread: bool = False,
) -> Any:
    """Start ``server`` in the current runtime; see [`Runtime.start`][spawned.tasks.Runtime.start]."""
    runtime = current_runtime()
    if isinstance(server, Supervisor | DynamicSupervisor):
        return await runtime.start(server, name=name, link=link)
    return await runtime.start(server, name=name, link=link, on_thread=on_thread)


@overload
def whereis(name: object) -> Handle[Any, Any, Any] | None: ...
@overload
def whereis(
    name: object, server: type[GenServer[CallT, CastT, ReplyT]]
) -> Handle[CallT, CastT, ReplyT] | None: ...
def whereis(name: object, server: object = None) -> Handle[Any, Any, Any] | None:
    """The handle registered under ``name`` in the current runtime, or ``None``; typed and
    checked against ``server`` when given (see [`Runtime.whereis`][spawned.tasks.Runtime.whereis]).
    """
    handle = current_runtime().whereis(name)
    if server is not None:
        check_server(handle, server)
    return handle


def processes() -> list[ProcessInfo]:
    """A snapshot of the current runtime's live processes; see
    [`Runtime.processes`][spawned.tasks.Runtime.processes].
    """
    return current_runtime().processes()


def tree() -> ProcessTree:
    """A snapshot of the current runtime as a supervision tree; ``print(tree())`` shows it."""
    return current_runtime().tree()


def run(  # noqa: PLR0913 - anyio.run's options, then the runtime's and the shutdown's
    main: Callable[..., Awaitable[T]],
    *args: object,
    backend: str = "asyncio",
    backend_options: dict[str, Any] | None = None,
    blocking_threshold: float | None = DEFAULT_THRESHOLD,
    handle_signals: bool = True,
    shutdown_timeout: float = SHUTDOWN_TIMEOUT,
    cluster: Cluster | None = None,
) -> T:
    """Run ``await main(*args)`` inside a fresh [`Runtime`][spawned.tasks.Runtime] on a new event loop.

    ``backend`` is ``"asyncio"`` or ``"trio"``. Every process still running when ``main``
    returns (or raises) is shut down, last started first. Returns what ``main`` returned;
    an exception ``main`` raised comes out as itself, not in an ``ExceptionGroup`` (several
    at once stay grouped). ``blocking_threshold`` and ``cluster`` (join a cluster as a node:
    see ``spawned.cluster.Cluster``) are passed to [`Runtime`][spawned.tasks.Runtime].

    SIGTERM and SIGINT stop the service in order, as OTP's ``init:stop`` does: ``main`` is
    cancelled, an info log says ``received SIGTERM; shutting down N processes``, every
    process is stopped (last started first, each ``terminate`` run), and ``run`` raises
    [`SignalShutdown`][spawned.SignalShutdown], a ``SystemExit`` (exit status 0 after
    SIGTERM, 130 after SIGINT). Processes still running ``shutdown_timeout`` seconds after
    the signal are killed and named in an error log. A second signal is not caught. The
    previous signal handlers are back when ``run`` returns. Signals reach only the main
    thread: elsewhere, and with ``handle_signals=False``, they act as without spawned (by
    default SIGTERM ends the process at once, with no ``terminate``).

    Raises:
        SignalShutdown: SIGTERM or SIGINT stopped the runtime.
        ValueError: ``shutdown_timeout`` is negative or NaN.
    """
    check_shutdown_timeout(shutdown_timeout)

    async def runner() -> T:
        async with Runtime(blocking_threshold=blocking_threshold, cluster=cluster) as runtime:
            if handle_signals:
                return await runtime.serve(main, *args, shutdown_timeout=shutdown_timeout)
            return await main(*args)

    return anyio.run(runner, backend=backend, backend_options=backend_options)
