"""Supervisors on the threads backend: the shared driver, run with blocking operations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._messages import Caller
from .._results import Reply, Stop
from .._server import GenServer
from .._supervisor_process import SupervisorCore, drive

if TYPE_CHECKING:
    from .._process import ProcessCore
    from ._process import Process
    from ._runtime import Runtime


class ThreadOps:
    """Start, wait and the clock, blocking: the coroutines never suspend (see ``drive``)."""

    allow_async = False
    """Whether children may have ``async def`` callbacks: ``async def`` callbacks cannot run on threads."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def now(self) -> float:
        """The runtime's one clock (its timer service's: ``time.monotonic``)."""
        return self.runtime.timers().now()

    async def start(self, server: GenServer[Any, Any, Any], name: object, *, on_thread: bool) -> ProcessCore:
        """Start ``server`` linked to the calling process (blocks); every process has its
        own thread here, so ``on_thread`` changes nothing.
        """
        del on_thread
        return self.runtime.start(server, name=name, link=True)._process

    async def join(self, process: ProcessCore, timeout: float) -> bool:
        """Block up to ``timeout`` seconds for the exit."""
        thread: Process = process  # pyright: ignore[reportAssignmentType]
        return thread.join(timeout)


class SupervisorServer(SupervisorCore):
    """A supervisor process on ``spawned.threads``; its callbacks drive the shared driver."""

    def init(self) -> Stop | None:
        """Start the children."""
        return drive(self.start_children())

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Reply[Any]:
        """Carry out a handle's request."""
        return drive(self.answer(msg, caller))

    def handle_info(self, msg: Any) -> Stop | None:
        """React to an exit."""
        return drive(self.on_info(msg))

    def terminate(self, reason: object) -> None:  # noqa: ARG002 - every reason stops the children
        """Stop the children, last started first."""
        drive(self.stop_children())
