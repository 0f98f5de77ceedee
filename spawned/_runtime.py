"""The backend-free half of a runtime: its name table and its list of live processes.

Each runtime owns its own tables; there is no process-global state, so two runtimes never
see each other's names. The lock is the backend's (a real lock on threads, none on tasks).
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ._errors import AlreadyStarted
from ._process import current_process
from ._supervision import DynamicSupervisor, Supervisor

if TYPE_CHECKING:
    from ._handle import HandleBase
    from ._process import ProcessCore
    from ._server import GenServer

P = TypeVar("P", bound="ProcessCore")

CALLBACK_NAMES = ("init", "handle_call", "handle_cast", "handle_info", "handle_continue", "terminate")


class RuntimeCore:
    """Name table and live processes (in start order) of one runtime."""

    handle_class: type[HandleBase[Any, Any, Any]]

    def __init__(self, lock: AbstractContextManager[Any]) -> None:
        self.lock = lock
        self.names: dict[object, ProcessCore] = {}
        self.live: dict[ProcessCore, None] = {}
        self.root: ProcessCore | None = None
        """The root supervisor: every process started at top level is its child."""
        self._pids = itertools.count(1)

    def placement(self, link: bool) -> tuple[ProcessCore | None, ProcessCore | None]:
        """Where a new process goes: ``(parent to link to, root supervisor to start it under)``.

        With ``link``, the calling process is the parent (refused outside any process). At
        top level (outside any process), the root supervisor starts it as a temporary child.
        """
        caller = current_process.get()
        if link:
            if caller is None:
                msg = "start(link=True) must be called from inside a server (there is nothing to link to)"
                raise RuntimeError(msg)
            return caller, None
        if caller is None and self.root is not None:
            return None, self.root
        return None, None

    def next_pid(self) -> int:
        """A number unique within this runtime, for labels."""
        return next(self._pids)

    def admit(self, name: object, make: Callable[[], P], parent: ProcessCore | None = None) -> P:
        """Make a process and record it under ``name``, or raise ``AlreadyStarted``; link it
        to ``parent`` (before its ``init`` runs), if given.

        When the name is taken, ``make`` is never called, so ``init`` never runs.
        """
        with self.lock:
            if name is not None:
                holder = self.names.get(name)
                if holder is not None:
                    raise AlreadyStarted(name, holder.handle)
            process = make()
            if name is not None:
                self.names[name] = process
            self.live[process] = None
        if parent is not None:
            process.parent = parent
            parent.link(process)
        return process

    def forget(self, process: ProcessCore) -> None:
        """Drop a process that exited (called with the lock held)."""
        self.live.pop(process, None)
        if process.name is not None and self.names.get(process.name) is process:
            del self.names[process.name]

    def whereis(self, name: object) -> HandleBase[Any, Any, Any] | None:
        """The handle registered under ``name``, or ``None``."""
        process = self.names.get(name)
        return None if process is None else process.handle

    def shutdown_order(self) -> list[ProcessCore]:
        """The live processes, last started first."""
        with self.lock:
            return list(reversed(self.live))


def prepare(
    server: GenServer[Any, Any, Any] | Supervisor | DynamicSupervisor,
    supervisor_class: Callable[[Supervisor | DynamicSupervisor], GenServer[Any, Any, Any]],
    *,
    allow_async: bool,
) -> GenServer[Any, Any, Any]:
    """The server to run: a fresh supervisor process for a supervisor spec, else ``server``
    itself, checked by :func:`check_server`.
    """
    if isinstance(server, Supervisor | DynamicSupervisor):
        return supervisor_class(server)
    return check_server(server, allow_async=allow_async)


def check_server(server: object, *, allow_async: bool) -> GenServer[Any, Any, Any]:
    """Refuse what cannot be started: not a ``GenServer``, started twice, or (on threads)
    ``async def`` callbacks.
    """
    from ._server import GenServer  # noqa: PLC0415 - _server imports this module's users

    if not isinstance(server, GenServer):
        msg = f"start() takes a GenServer instance, got {server!r}"
        raise TypeError(msg)
    server = cast("GenServer[Any, Any, Any]", server)
    if server._spawned_process is not None:
        msg = f"{server!r} was already started once; start a fresh instance"
        raise TypeError(msg)
    if not allow_async:
        methods: list[Any] = [getattr(server, name) for name in CALLBACK_NAMES]
        bad = [
            name for name, fn in zip(CALLBACK_NAMES, methods, strict=True) if inspect.iscoroutinefunction(fn)
        ]
        if bad:
            msg = (
                f"{type(server).__name__} has async callbacks ({', '.join(bad)}), which the "
                "threads backend cannot run; write them as plain `def`, or use spawned.tasks"
            )
            raise TypeError(msg)
    return server
