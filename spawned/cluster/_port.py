"""What the registry, process groups and remote start use of a node, and nothing more.

A node (``spawned.cluster``'s ``Node``) offers much more; these modules keep to this port so
they stay small and can be tested on a bare NATS connection. A process is named across the
cluster by ``(node, id, creation)``: its node, its number there (``ProcessCore.pid``) and
which run of that node made it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

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

    def serve(self, verb: str, handler: Callable[[bytes], Coroutine[Any, Any, bytes]]) -> None:
        """Answer requests on the node's control subject for ``verb`` with ``handler`` (on
        :attr:`loop`).
        """
        ...


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
