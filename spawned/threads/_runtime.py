"""The threads runtime: one thread per process, and their orderly shutdown."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from contextvars import ContextVar, Token
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast, overload

from loguru import logger

from .._backend import ListenerService as ListenerServiceBase
from .._backend import ReplySlot as ReplySlotBase
from .._backend import TimerService as TimerServiceBase
from .._fanout import CallResult, gather, post_calls
from .._handle import CallT, CastT, HandleBase, ReplyT, check_server
from .._introspect import ProcessInfo, ProcessTree
from .._os_signals import SHUTDOWN_TIMEOUT, check_shutdown_timeout
from .._process import ProcessCore, ProcessOptions
from .._registry import Via, reserving
from .._runtime import RuntimeCore, find_runtime
from .._server import GenServer
from .._supervisor_logic import DEFAULT_SHUTDOWN, DynamicSupervisor, Supervisor
from .._supervisor_process import RootCore, close_runtime, drive
from . import _os_signals as signals
from ._handle import DynamicSupervisorHandle, Handle, SupervisorHandle
from ._listeners import ListenerService
from ._process import Process, ReplySlot
from ._supervisor import SupervisorServer, ThreadOps
from ._timers import TimerService
from ._waits import join_all

if TYPE_CHECKING:
    from ..cluster._config import Cluster

T = TypeVar("T")

JOIN_TIMEOUT = DEFAULT_SHUTDOWN
"""Seconds the runtime waits, when it closes, for the threads of processes still running a
callback (a kill cannot interrupt them): all of them against one deadline.
"""

_current_runtime: ContextVar[Runtime | None] = ContextVar("spawned_threads_runtime", default=None)
_open_runtimes: list[Runtime] = []
"""Every open threads runtime in the OS process, for ``current_runtime`` to find one (never names)."""


class Runtime(RuntimeCore):
    """Owns a set of processes, each on its own thread: their names and shutdown.

    Use ``with Runtime() as rt:`` (or [`run`][spawned.threads.run]). Leaving the block shuts every process
    down, last started first, and joins their threads.

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

    def supervisor_ops(self) -> ThreadOps:
        """Start, join and the clock for this runtime's supervisors."""
        return ThreadOps(self)

    def __init__(self, *, cluster: Cluster | None = None) -> None:
        super().__init__(threading.RLock())
        self.cluster: Cluster | None = cluster
        """The cluster this runtime joins as a node when it opens (``None``: none)."""
        self._open = False
        self._threads: list[threading.Thread] = []
        self._left_behind: set[threading.Thread] = set()
        """Threads already waited for and warned about by a shutdown."""
        self._context_token: Token[Runtime | None] | None = None

    @property
    def is_open(self) -> bool:
        """Whether processes can be started (inside ``with``)."""
        return self._open

    def __enter__(self) -> Self:
        """Open the runtime: processes can be started until the block ends.

        Raises ``RuntimeError`` if this runtime is already open (a runtime is entered once
        at a time; it may be entered again after it has closed).
        """
        if self._open:
            msg = "this Runtime is already open; enter it once at a time (use the open one, or make another)"
            raise RuntimeError(msg)
        if self.cluster is not None:
            from ..cluster._node import Node  # noqa: PLC0415 - a runtime without a cluster imports no nats

            node = Node(self, self.cluster)
            node.open_blocking()
            self.node = node
        self._open = True
        self.closing = False
        self._context_token = _current_runtime.set(self)
        root = RootCore()
        self.root: ProcessCore | None = self._spawn(root, None, None, self.options_for(root))._process
        _open_runtimes.append(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self in _open_runtimes:
            _open_runtimes.remove(self)
        try:
            self.shutdown()
        finally:
            node = self.take_node()
            if node is not None:
                node.close_blocking()
            self._open = False
            if self._context_token is not None:
                _current_runtime.reset(self._context_token)

    # -- processes --------------------------------------------------------------------------

    @overload
    def start(self, server: Supervisor, *, name: object = None, link: bool = False) -> SupervisorHandle: ...
    @overload
    def start(
        self, server: DynamicSupervisor, *, name: object = None, link: bool = False
    ) -> DynamicSupervisorHandle: ...
    @overload
    def start(
        self, server: GenServer[CallT, CastT, ReplyT], *, name: object = None, link: bool = False
    ) -> Handle[CallT, CastT, ReplyT]: ...
    def start(
        self,
        server: GenServer[Any, Any, Any] | Supervisor | DynamicSupervisor,
        *,
        name: object = None,
        link: bool = False,
    ) -> Any:
        """Start ``server`` on a new thread and block until its ``init`` has run.

        Started at top level (outside any process), it becomes a temporary child of the
        runtime's root supervisor, which shuts it down when the runtime closes.

        Args:
            server: a fresh ``GenServer`` instance with plain ``def`` callbacks,
                or a ``Supervisor``/``DynamicSupervisor``, whose handle has the supervisor
                methods.
            name: register the process under this name (see [`whereis`][spawned.threads.Runtime.whereis]).
            link: link the new process to the calling process, before its ``init`` runs.
                If ``init`` fails, the link is removed first, so the caller gets
                ``InitFailed`` instead of being taken down.

        Raises:
            TypeError: the server has ``async def`` callbacks.
            AlreadyStarted: ``name`` is held by a living process; ``init`` never ran.
            InitFailed: ``init`` raised or returned ``Stop``.
            Ignored: ``init`` returned ``Ignore()``.
        """
        if not self.is_open:
            msg = "this Runtime is not open; use `with Runtime() as rt:` or threads.run()"
            raise RuntimeError(msg)
        server, options = self.prepare(server, SupervisorServer, allow_async=False)
        handle = self._spawn(server, name, self.placement(link), options)
        self.started(handle._process)
        return handle

    def _spawn(
        self,
        server: GenServer[Any, Any, Any],
        name: object,
        parent: ProcessCore | None,
        options: ProcessOptions,
    ) -> Handle[Any, Any, Any]:
        registry = reserving(name)
        if registry is not None:  # a cluster-wide name: reserved over the network first
            registry._reserve_blocking(cast("Via", name))
        try:
            process = self.admit(name, lambda: Process(self, server, name, options), parent)
        except BaseException:
            if registry is not None:
                registry._unreserve(cast("Via", name))
            raise
        context = contextvars.copy_context()
        thread = threading.Thread(
            target=context.run, args=(process.run,), name=f"spawned {process.label}", daemon=True
        )
        process.thread = thread
        with self.lock:
            self._threads = [t for t in self._threads if t.is_alive() or t.ident is None]
            self._threads.append(thread)
        thread.start()
        process.wait_started()
        return Handle.of(process.handle)

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
    def call(self, target: HandleBase[CallT, Any, ReplyT], msg: CallT, timeout: float = 5.0) -> ReplyT: ...
    @overload
    def call(self, target: object, msg: object, timeout: float = 5.0) -> Any: ...
    def call(self, target: object, msg: object, timeout: float = 5.0) -> Any:
        """Call the process ``target`` names (a name, a ``Via`` or a handle) without a
        separate ``whereis``, and block for the reply: Elixir's ``GenServer.call(name, msg)``.

        Raises:
            NoProc: nothing is registered under ``target`` (or its process is dead).
            CallTimeout: see [`Handle.call`][spawned.threads.Handle.call], as are the others.
            ServerExited: the server exited before replying.
            CallingSelf: a server called itself.
        """
        return self._handle(target).call(msg, timeout)

    def cast(self, target: object, msg: object) -> None:
        """Cast ``msg`` to the process ``target`` names (a name, a ``Via`` or a handle).

        Never blocks or fails: with nothing registered under ``target``, the message is
        dropped, as Erlang's ``gen_server:cast`` to an unregistered name is.
        """
        handle = self.resolve(target)
        if handle is not None:
            handle.cast(msg)

    def multi_call(
        self, targets: Iterable[object], msg: object, timeout: float = 5.0
    ) -> list[CallResult[Any]]:
        """Call every member with ``msg`` at once and block for one result per member, in order.

        ``targets`` is an iterable of handles, names or ``Via``; for every process under a
        registry key, pass ``registry.handles(key)``. All requests are sent before any reply
        is awaited (no thread per member), and ``timeout`` bounds the whole gather. A
        member's failure (``NoProc`` for an unknown name, ``CallTimeout``, ``ServerExited``) is in its
        [`CallResult`][spawned.CallResult]; nothing is raised.
        """
        posted = post_calls(self.members(targets), msg, timeout)
        return drive(gather(posted, timeout, self.timers().now, _wait_slot))

    def _handle(self, target: object) -> Handle[Any, Any, Any]:
        return Handle.of(self.handle_of(target))

    def serve(self, main: Callable[..., T], *args: object, shutdown_timeout: float = SHUTDOWN_TIMEOUT) -> T:
        """``main(*args)`` in this open runtime, stopping it in order on SIGTERM/SIGINT: what
        [`run`][spawned.threads.run] does by default, for a runtime you hold.

        Returns what ``main`` returned. After a signal, ``main`` is interrupted where it is,
        every process is stopped (last started first; those still running
        ``shutdown_timeout`` seconds later are killed and named in an error log), and
        ``SignalShutdown`` is raised; the previous handlers are back once ``main`` ends.
        Only on the main thread: elsewhere ``main`` just runs.

        Raises:
            SignalShutdown: SIGTERM or SIGINT stopped the runtime.
            ValueError: ``shutdown_timeout`` is negative or NaN.
        """
        return signals.serve(self, main, args, check_shutdown_timeout(shutdown_timeout))

    def shutdown(self) -> None:
        """Stop every process, last started first (what leaving the runtime does), and join
        their threads. Then the timer thread stops, and stream-reading threads are waited for.

        Each process started at top level, or started without a link, is stopped as a
        supervisor stops a child: a worker gets 5 s to run ``terminate`` (if it traps exits)
        and is then killed, a supervisor first stops its own children as their specs say.
        Linked processes go with their parent. Starting a process is refused from the
        moment the shutdown begins.

        A killed thread that is still running a callback cannot be interrupted: such
        threads are waited for 5 s in all (stream readers, 5 s more), then left behind
        with a warning each.
        """
        drive(close_runtime(self, ThreadOps(self)))
        self._join_threads()
        self.close_services()

    def process_threads(self) -> list[threading.Thread]:
        """The threads of this runtime's processes that may still be running."""
        with self.lock:
            return [t for t in self._threads if t.is_alive() or t.ident is None]

    def _join_threads(self) -> None:
        """Wait for the process threads; warn about each still running after the wait and
        leave it behind for good (a later shutdown neither waits for it nor warns again).
        """
        left = join_all([t for t in self.process_threads() if t not in self._left_behind], JOIN_TIMEOUT)
        self._left_behind.update(left)
        for thread in left:
            label = thread.name.removeprefix("spawned ")  # process threads are named after it
            logger.bind(server=label).warning(
                "{} is still running a callback {:g} s after shutdown; its thread is left behind",
                label,
                JOIN_TIMEOUT,
            )


async def _wait_slot(slot: ReplySlotBase[Any], label: str, timeout: float) -> Any:
    return cast("ReplySlot", slot).result(label, timeout)


def _never(_runtime: Runtime) -> bool:
    return False


def current_runtime() -> Runtime:
    """The runtime the module-level functions act on (see ``find_runtime``): the calling
    process's, the one ``run()``/``with Runtime()`` opened in this context, or the only one open.
    """
    return find_runtime("threads", Runtime, _current_runtime.get(), list(_open_runtimes), _never)


@overload
def start(server: Supervisor, *, name: object = None, link: bool = False) -> SupervisorHandle: ...
@overload
def start(
    server: DynamicSupervisor, *, name: object = None, link: bool = False
) -> DynamicSupervisorHandle: ...
@overload
def start(
    server: GenServer[CallT, CastT, ReplyT], *, name: object = None, link: bool = False
) -> Handle[CallT, CastT, ReplyT]: ...
def start(
    server: GenServer[Any, Any, Any] | Supervisor | DynamicSupervisor,
    *,
    name: object = None,
    link: bool = False,
) -> Any:
    """Start ``server`` in the current runtime; see [`Runtime.start`][spawned.threads.Runtime.start]."""
    return current_runtime().start(server, name=name, link=link)


@overload
def whereis(name: object) -> Handle[Any, Any, Any] | None: ...
@overload
def whereis(
    name: object, server: type[GenServer[CallT, CastT, ReplyT]]
) -> Handle[CallT, CastT, ReplyT] | None: ...
def whereis(name: object, server: object = None) -> Handle[Any, Any, Any] | None:
    """The handle registered under ``name`` in the current runtime, or ``None``; typed and
    checked against ``server`` when given (see [`Runtime.whereis`][spawned.threads.Runtime.whereis]).
    """
    handle = current_runtime().whereis(name)
    if server is not None:
        check_server(handle, server)
    return handle


def processes() -> list[ProcessInfo]:
    """A snapshot of the current runtime's live processes; see
    [`Runtime.processes`][spawned.threads.Runtime.processes].
    """
    return current_runtime().processes()


def tree() -> ProcessTree:
    """A snapshot of the current runtime as a supervision tree; ``print(tree())`` shows it."""
    return current_runtime().tree()


def run(
    main: Callable[..., T],
    *args: object,
    handle_signals: bool = True,
    shutdown_timeout: float = SHUTDOWN_TIMEOUT,
    cluster: Cluster | None = None,
) -> T:
    """Run ``main(*args)`` inside a fresh [`Runtime`][spawned.threads.Runtime] (joined to
    ``cluster`` as a node, if given: see ``spawned.cluster.Cluster``).

    Every process still running when ``main`` returns is shut down, last started first,
    and its thread joined. Returns what ``main`` returned.

    SIGTERM and SIGINT stop the service in order, as OTP's ``init:stop`` does: ``main``
    (which runs in the calling thread) is interrupted where it is, as Ctrl-C interrupts a
    script, by a ``BaseException`` that ``except Exception`` does not catch; an info log
    says ``received SIGTERM; shutting down N processes``; every process is stopped (last
    started first, each ``terminate`` run); and ``run`` raises
    [`SignalShutdown`][spawned.SignalShutdown], a ``SystemExit`` (exit status 0 after
    SIGTERM, 130 after SIGINT). Processes still running ``shutdown_timeout`` seconds after
    the signal are killed and named in an error log (a thread stuck inside a callback is
    then waited for as [`Runtime.shutdown`][spawned.threads.Runtime.shutdown] says). A
    second signal is not caught. The previous handlers are back once ``main`` ends. Signals
    reach only the main thread: elsewhere, and with ``handle_signals=False``, they act as
    without spawned (by default SIGTERM ends the process at once, with no ``terminate``).

    Raises:
        SignalShutdown: SIGTERM or SIGINT stopped the runtime.
        ValueError: ``shutdown_timeout`` is negative or NaN.
    """
    check_shutdown_timeout(shutdown_timeout)
    with Runtime(cluster=cluster) as runtime:
        if handle_signals:
            return runtime.serve(main, *args, shutdown_timeout=shutdown_timeout)
        return main(*args)
