"""Supervisors on the tasks backend: the shared driver, awaited."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._messages import Caller
from .._results import Reply, Stop
from .._server import GenServer
from .._supervisor_process import SupervisorCore

if TYPE_CHECKING:
    from .._process import ProcessCore
    from ._process import Process
    from ._runtime import Runtime


class TaskOps:
    """Start, wait and the clock, awaited on the runtime's event loop."""

    allow_async = True
    """Whether children may have ``async def`` callbacks: callbacks may be ``async def``."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def now(self) -> float:
        """The runtime's one clock (its timer service's: the loop's clock)."""
        return self.runtime.timers().now()

    async def start(self, server: GenServer[Any, Any, Any], name: object, *, on_thread: bool) -> ProcessCore:
        """Start ``server`` linked to the calling process."""
        return (await self.runtime.start(server, name=name, link=True, on_thread=on_thread))._process

    async def join(self, process: ProcessCore, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the exit."""
        task: Process = process  # pyright: ignore[reportAssignmentType]
        return await task.join(timeout)


class SupervisorServer(SupervisorCore):
    """A supervisor process on ``spawned.tasks``; its callbacks await the shared driver."""

    async def init(self) -> Stop | None:
        """Start the children."""
        return await self.start_children()

    async def handle_call(self, msg: Any, caller: Caller[Any]) -> Reply[Any]:
        """Carry out a handle's request."""
        return await self.answer(msg, caller)

    async def handle_info(self, msg: Any) -> Stop | None:
        """React to an exit."""
        return await self.on_info(msg)

    async def terminate(self, reason: object) -> None:  # noqa: ARG002 - every reason stops the children
        """Stop the children, last started first."""
        await self.stop_children()
