"""What the registry, process groups and remote start use of a node, and nothing more.

A node (``spawned.cluster``'s ``Node``) offers much more; these modules keep to this port so
they stay small and can be tested on a bare NATS connection. A process is named across the
cluster by ``(node, id, creation)``: its node, its number there (``ProcessCore.pid``) and
which run of that node made it.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import anyio.to_thread

if TYPE_CHECKING:
    from nats.aio.client import Client

    from .._handle import HandleBase

T = TypeVar("T")

PidParts = tuple[str, int, int]
"""A process across the cluster: ``(node, id, creation)``."""


class NodePort(Protocol):
    """The part of a node the registry, groups and remote start use."""

    @property
    def name(self) -> str:
        """The node's name (unique in its cluster)."""
        ...

    @property
    def cluster(self) -> str:
        """The cluster's name: the first token of every subject and bucket of the cluster."""
        ...

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The asyncio loop the node's NATS connection runs on."""
        ...

    @property
    def backend(self) -> str:
        """``"tasks"`` or ``"threads"``: whether the node's runtime awaits or blocks."""
        ...

    async def nats(self) -> Client:
        """The node's NATS connection (call on :attr:`loop`)."""
        ...

    def on_node_down(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(node_name)`` (on :attr:`loop`) once per node that goes away."""
        ...

    def pid_parts(self, handle: HandleBase[Any, Any, Any]) -> PidParts:
        """``(node, id, creation)`` of the process behind ``handle``, local or remote."""
        ...

    def handle_for(self, parts: PidParts) -> HandleBase[Any, Any, Any]:
        """A handle to the process ``parts`` names, local or remote."""
        ...

    def track(self, task: asyncio.Task[Any]) -> None:
        """Cancel ``task`` (a background task on :attr:`loop`) when the node leaves."""
        ...


class NodeAsPort:
    """A ``spawned.cluster`` node seen through :class:`NodePort`."""

    __slots__ = ("node",)

    def __init__(self, node: Any) -> None:
        self.node: Any = node

    @property
    def name(self) -> str:
        """The node's name."""
        return self.node.name

    @property
    def cluster(self) -> str:
        """The cluster's name."""
        return self.node.cluster

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The node's asyncio loop."""
        return self.node.adapter.loop

    @property
    def backend(self) -> str:
        """``"tasks"`` or ``"threads"``."""
        from ..tasks._runtime import Runtime as TasksRuntime  # noqa: PLC0415 - no import cycle

        return "tasks" if isinstance(self.node.runtime, TasksRuntime) else "threads"

    async def nats(self) -> Client:
        """The node's NATS connection."""
        return await self.node.nats()

    def on_node_down(self, callback: Callable[[str], None]) -> None:
        """See :meth:`NodePort.on_node_down`."""
        self.node.on_node_down(callback)

    def pid_parts(self, handle: HandleBase[Any, Any, Any]) -> PidParts:
        """See :meth:`NodePort.pid_parts`."""
        pid = self.node.pid_of(handle)
        return (pid.node, pid.id, pid.creation)

    def handle_for(self, parts: PidParts) -> HandleBase[Any, Any, Any]:
        """See :meth:`NodePort.handle_for`."""
        from ._wire import Pid  # noqa: PLC0415 - no import cycle

        return self.node.handle_for(Pid(*parts))

    def track(self, task: asyncio.Task[Any]) -> None:
        """The node cancels its own background tasks when it leaves: ``task`` joins them."""
        self.node._tasks.append(task)


def port_of(node: object) -> NodePort:
    """The :class:`NodePort` of ``node``: a ``spawned.cluster`` node, a runtime that joined a
    cluster (its ``runtime.node``), or a port already.

    Raises:
        TypeError: ``node`` is none of these (a runtime made without ``cluster=``...).
    """
    if hasattr(node, "pid_parts"):
        return cast("NodePort", node)
    found = getattr(node, "node", node)
    if found is None or not hasattr(found, "pid_of"):
        msg = (
            f"expected a cluster node (runtime.node) or a runtime that joined a cluster, got {node!r}; "
            "make the runtime with Runtime(cluster=Cluster(node=...))"
        )
        raise TypeError(msg)
    return NodeAsPort(found)


async def on_loop(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T]) -> T:
    """Await ``coro`` on ``loop`` from any async library: directly when ``loop`` is the
    running one, else through a worker thread that waits for it there.
    """
    try:
        running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        return await coro
    future = asyncio.run_coroutine_threadsafe(coro, loop)
    try:
        return await anyio.to_thread.run_sync(future.result)
    finally:
        future.cancel()


def blocking_on_loop(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on ``loop`` and block the calling thread (not ``loop``'s) for its result.

    Raises:
        RuntimeError: called on ``loop``'s own thread, where it would wait forever.
    """
    try:
        running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        coro.close()
        msg = "a blocking cluster operation was called on the node's own event loop; await it instead"
        raise RuntimeError(msg)
    return asyncio.run_coroutine_threadsafe(coro, loop).result()


def run_io(node: NodePort, coro: Coroutine[Any, Any, T]) -> Any:
    """``coro`` on the node's loop: an awaitable on a tasks node, the result on a threads
    node (the calling thread blocks), as ``call`` is on each backend.
    """
    if node.backend == "tasks":
        return on_loop(node.loop, coro)
    return blocking_on_loop(node.loop, coro)


def soon(node: NodePort, fn: Callable[[], object]) -> None:
    """Run ``fn()`` on the node's loop, from any thread, without waiting; dropped once the
    loop has closed.
    """
    loop = node.loop
    if loop.is_closed():
        return
    try:
        running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        fn()
        return
    try:
        loop.call_soon_threadsafe(fn)
    except RuntimeError:  # closed between the check and the call
        return


def node_here() -> object:
    """The node of the calling process's runtime."""
    from .._process import current_process  # noqa: PLC0415 - no import cycle

    process = current_process.get()
    if process is None:
        msg = "no node given and not called from a process; pass the node (runtime.node)"
        raise TypeError(msg)
    return process.runtime


_SHARED: weakref.WeakKeyDictionary[Any, dict[tuple[object, str], Any]] = weakref.WeakKeyDictionary()
"""Per node: the registries and process groups made on it, by class and scope."""

Shared = TypeVar("Shared")


def shared_per_node(cls: Callable[[NodePort, str], Shared], node: object, scope: str) -> Shared:
    """``cls(port, scope)``, made once per node and scope and then shared (one mirror, one
    watch per node). ``node`` is a node or a runtime that joined a cluster; ``None``: the
    calling process's node.
    """
    port = port_of(node if node is not None else node_here())
    owner = getattr(port, "node", port)
    shared = _SHARED.setdefault(owner, {})
    found: Shared | None = shared.get((cls, scope))
    if found is None:
        made: Shared = shared.setdefault((cls, scope), cls(port, scope))
        return made
    return found
