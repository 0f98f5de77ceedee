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
from ._introspect import ProcessInfo, ProcessTree, processes_of, tree_of

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
        self._pids = itertools.count(1)

    def next_pid(self) -> int:
        """A number unique within this runtime, for labels."""
        return next(self._pids)

    def admit(self, name: object, make: Callable[[], P]) -> P:
        """Make a process and record it under ``name``, or raise ``AlreadyStarted``.

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

    def processes(self) -> list[ProcessInfo]:
        """A snapshot of every live process, in start order: label, name, status, mailbox.

        For debugging; the processes go on running while you read it.
        """
        return processes_of(self)

    def tree(self) -> ProcessTree:
        """A snapshot of the processes as a supervision tree; ``print(rt.tree())`` shows it."""
        return tree_of(self)


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
