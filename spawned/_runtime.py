"""The backend-free half of a runtime: its name table and its list of live processes.

Each runtime owns its own tables; there is no process-global state, so two runtimes never
see each other's names. The lock is the backend's (a reentrant thread lock on both).
The name table is a unique-key :class:`~spawned.Registry` sharing that lock: a plain name
is to the runtime what ``Via(registry, key)`` is to a user's registry.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ._backend import RuntimeBackend
from ._errors import NoProc
from ._handle import HandleBase
from ._introspect import ProcessInfo, ProcessTree, processes_of, tree_of
from ._process import PLAIN, ProcessOptions, current_process
from ._registry import Registry, Via
from ._server import check_server
from ._supervisor_logic import DynamicSupervisor, Supervisor
from ._supervisor_process import RootCore, SupervisorCore
from ._util import check_hashable

if TYPE_CHECKING:
    from ._backend import ListenerService, TimerService
    from ._process import ProcessCore
    from ._server import GenServer


P = TypeVar("P", bound="ProcessCore")
S = TypeVar("S")
R = TypeVar("R", bound="RuntimeCore")
Member = tuple[object, "HandleBase[Any, Any, Any] | None"]
"""A fan-out member: what was asked for, and its handle (``None``: nothing registered)."""


class RuntimeCore(RuntimeBackend):
    """Name table and live processes (in start order) of one runtime; a backend's runtime
    subclasses it and supplies what :class:`~spawned._backend.RuntimeBackend` declares.
    """

    def __init__(self, lock: AbstractContextManager[Any]) -> None:
        self.lock = lock
        self._services: dict[str, Any] = {}
        self.names: Registry[Any, None] = Registry._with_lock("unique", lock)
        self.live: dict[ProcessCore, None] = {}
        self.root: ProcessCore | None = None
        """The root supervisor: every process started at top level is its child."""
        self.top_level: dict[ProcessCore, None] = {}
        """The root supervisor's live children, in start order (kept here, not in its mailbox)."""
        self._pids = itertools.count(1)
        self.closing = False
        """Set when the runtime starts shutting down: from then on no process starts."""
        self.node: Any = None
        """The runtime's node in a cluster (a ``spawned.cluster.Node``; see ``Runtime(cluster=...)``),
        or ``None``.
        """

    @property
    def is_open(self) -> bool:
        """Whether processes can be started (inside ``with``/``async with``); a backend's
        runtime says.
        """
        raise NotImplementedError

    def placement(self, link: bool) -> ProcessCore | None:
        """The parent a new process is linked to, if any.

        With ``link``, the calling process (refused outside any process). At top level
        (outside any process), the root supervisor: the process becomes its temporary child
        once started (:meth:`started`). Started inside a process without ``link``: none.
        """
        caller = current_process.get()
        if link:
            if caller is None:
                msg = "start(link=True) must be called from inside a server (there is nothing to link to)"
                raise RuntimeError(msg)
            return caller
        if caller is None:
            return self.root
        return None

    def started(self, process: ProcessCore) -> None:
        """Record ``process``, whose ``init`` succeeded, as a child of the root supervisor if
        the root is its parent. No message: the root reads :attr:`top_level` when it stops,
        and :meth:`forget` drops an exited child.
        """
        if process.parent is not None and process.parent is self.root:
            with self.lock:
                if process.alive:
                    self.top_level[process] = None

    def next_pid(self) -> int:
        """A number unique within this runtime, for labels."""
        return next(self._pids)

    def admit(self, name: object, make: Callable[[], P], parent: ProcessCore | None = None) -> P:
        """Make a process and record it under ``name``, or raise ``AlreadyStarted``; link it
        to ``parent`` (before its ``init`` runs), if given.

        A child of the root supervisor is linked one way only, from the root: its exit
        sends the root no message, and :meth:`forget` unlinks it (see ``RootCore``).

        When the name is taken, ``make`` is never called, so ``init`` never runs. A
        ``Via(registry, key)`` name is claimed in that registry, any other name in this
        runtime's own table; either is released by an exit hook when the process dies.

        Raises ``TypeError`` for a name that cannot be hashed, and ``RuntimeError`` once the
        runtime is :attr:`closing` (as OTP starts no child of a terminating supervisor), so a
        ``terminate`` that starts a process cannot keep the runtime from closing.
        """
        with self.lock:
            if self.closing:
                msg = "this Runtime is shutting down; it starts no new process"
                raise RuntimeError(msg)
            if name is None:
                process = make()
            elif isinstance(name, Via):
                process = name.registry._claim(self, name, name.key, make)
            else:
                check_hashable(name, "a process name")
                process = self.names._claim(self, name, name, make)
            self.live[process] = None
        if parent is not None:
            process.parent = parent
            if parent is self.root:
                with self.lock:
                    parent.add_link(process)
            else:
                parent.link(process)
        return process

    def forget(self, process: ProcessCore) -> None:
        """Drop a process that exited (called with the lock held)."""
        self.live.pop(process, None)
        if process.parent is not None and process.parent is self.root:
            self.top_level.pop(process, None)
            process.parent.drop_link(process)

    def whereis(self, name: object) -> HandleBase[Any, Any, Any] | None:
        """The handle registered under ``name`` (a plain name or a ``Via``), or ``None``."""
        if isinstance(name, Via):
            return name.registry.whereis(name.key)
        check_hashable(name, "a process name")
        return self.names.whereis(name)

    def resolve(self, target: object) -> HandleBase[Any, Any, Any] | None:
        """``target`` itself if it is a handle, else the handle registered under it (a plain
        name or a ``Via``), or ``None``.
        """
        if isinstance(target, HandleBase):
            return cast("HandleBase[Any, Any, Any]", target)
        return self.whereis(target)

    def handle_of(self, target: object) -> HandleBase[Any, Any, Any]:
        """Like :meth:`resolve`, for a call: raises ``NoProc`` when nothing is registered."""
        handle = self.resolve(target)
        if handle is None:
            raise NoProc(repr(target), unregistered=True)
        return handle

    def members(self, targets: Iterable[object]) -> list[tuple[object, HandleBase[Any, Any, Any] | None]]:
        """The ``(target, handle or None)`` pairs a fan-out reaches: each of ``targets``
        (handles, names or ``Via``), resolved now.
        """
        if isinstance(targets, str | bytes | Via):
            msg = (
                f"multi_call/abcast take an iterable of handles or names, got the single name "
                f"{targets!r}; wrap it in a list: [{targets!r}] (for every process under a "
                "registry key, pass registry.handles(key))"
            )
            raise TypeError(msg)
        return [(target, self.resolve(target)) for target in targets]

    def abcast(self, targets: Iterable[object], msg: object) -> None:
        """Cast ``msg`` to every member of ``targets`` (handles, names or ``Via``, as
        ``multi_call`` takes them); unknown names and dead processes are skipped. Never
        blocks, never raises for a member.
        """
        for _, handle in self.members(targets):
            if handle is not None:
                handle.cast(msg)

    def service(self, kind: str, make: Callable[[Any], S]) -> S:
        """This runtime's one service of ``kind`` (timers, listeners), made on first use.

        Safe from any thread: if two threads race, both get the instance stored first.
        A service's ``close()`` runs in :meth:`close_services`.
        """
        found = self._services.get(kind)
        if found is None:
            found = self._services.setdefault(kind, make(self))
        return cast("S", found)

    def timers(self) -> TimerService:
        """This runtime's timer service."""
        return self.service("timers", self.timer_service_class)

    def listeners(self) -> ListenerService:
        """This runtime's stream listener service."""
        return self.service("listeners", self.listener_service_class)

    def close_services(self) -> None:
        """Stop every service's task or thread; a later use starts it again."""
        for service in list(self._services.values()):
            service.close()

    def prepare(
        self,
        server: GenServer[Any, Any, Any] | Supervisor | DynamicSupervisor,
        supervisor_class: Callable[[Supervisor | DynamicSupervisor], GenServer[Any, Any, Any]],
        *,
        allow_async: bool,
        on_thread: bool = False,
    ) -> tuple[GenServer[Any, Any, Any], ProcessOptions]:
        """The server to run and its process's options: a fresh supervisor process for a
        supervisor spec, else ``server`` itself, checked by :func:`check_server`.
        """
        if isinstance(server, Supervisor | DynamicSupervisor):
            server = supervisor_class(server)
        else:
            server = check_server(server, allow_async=allow_async, on_thread=on_thread)
        return server, self.options_for(server, on_thread=on_thread)

    def options_for(self, server: GenServer[Any, Any, Any], *, on_thread: bool = False) -> ProcessOptions:
        """The options of ``server``'s process: a supervisor's kind and handle class, and
        ``on_thread``.
        """
        if isinstance(server, SupervisorCore):
            return ProcessOptions(
                type(server.spec).__name__, self.supervisor_handle_classes[server.dynamic], on_thread
            )
        if isinstance(server, RootCore):
            return ProcessOptions("Supervisor", None, on_thread)
        return ProcessOptions(on_thread=True) if on_thread else PLAIN

    def shutdown_order(self) -> list[ProcessCore]:
        """The live processes, last started first."""
        with self.lock:
            return list(reversed(self.live))

    def processes(self) -> list[ProcessInfo]:
        """A snapshot of every live process, in start order: label, name, status, mailbox.

        For debugging; the processes go on running while you read it.
        """
        return processes_of(self)

    def tree(self) -> ProcessTree:
        """A snapshot of the processes as a supervision tree; ``print(rt.tree())`` shows it."""
        return tree_of(self)


def find_runtime(
    backend: str,
    kind: type[R],
    opened: R | None,
    open_now: list[R],
    on_this_thread: Callable[[R], bool],
) -> R:
    """The runtime a module-level function (``whereis``, ``call``, ``start``...) acts on.

    In order: the runtime of the calling process; the one ``run()`` or the ``with`` block
    opened in this context; the one open runtime whose event loop runs on this thread
    (tasks); the only runtime of this backend open in the OS process (a thread-pool worker,
    a web framework's request handler). Anything else is ambiguous and raises, naming
    what to use instead. Names are never shared: this only finds a runtime.

    The context's runtime counts only while it is open: a task or thread that outlives its
    ``with`` block (it keeps that runtime in its context) goes on to the next rules.
    """
    process = current_process.get()
    if process is not None and isinstance(process.runtime, kind):
        return process.runtime
    if opened is not None and opened.is_open:
        return opened
    here = [runtime for runtime in open_now if on_this_thread(runtime)]
    if len(here) == 1:
        return here[0]
    if not here and len(open_now) == 1:
        return open_now[0]
    opener = "async with" if backend == "tasks" else "with"
    if not open_now:
        msg = (
            f"no spawned.{backend} runtime is open: use {backend}.run(main) or "
            f"`{opener} {backend}.Runtime() as rt:`"
        )
    else:
        msg = (
            f"{len(here) or len(open_now)} spawned.{backend} runtimes are open and this code runs "
            f"outside all of their processes and `{opener} Runtime()` blocks, so the module-level "
            f"functions cannot tell which one you mean; use that runtime's methods instead "
            f"(rt.whereis(name), rt.call(name, msg), rt.start(server))"
        )
    raise RuntimeError(msg)
