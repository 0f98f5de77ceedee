"""What a node needs from its runtime's backend: reply slots, waiting for an exit, and
running a coroutine of the node's asyncio loop from the runtime's side.

On the asyncio runtime the node's NATS client runs on the runtime's own loop; on trio and
threads it runs on a bridge thread with an asyncio loop of its own.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import math
import threading
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from ..tasks._process import ReplySlot as TaskSlot
from ..tasks._runtime import Runtime as TasksRuntime
from ..tasks._runtime import runtime_here
from ..threads._process import ReplySlot as ThreadSlot

if TYPE_CHECKING:
    from .._backend import ReplySlot
    from .._runtime import RuntimeCore
    from ._remote import RemoteProcess

T = TypeVar("T")


class Adapter:
    """A backend's half of a node (see the module doc)."""

    loop: asyncio.AbstractEventLoop | None = None
    """The node's asyncio loop (set once it runs)."""

    def make_slot(self) -> ReplySlot[Any]:
        """A reply slot the calling context can wait on."""
        raise NotImplementedError

    def join(self, process: RemoteProcess, timeout: float) -> Any:
        """Wait for ``process``'s exit: a coroutine on tasks, a blocking call on threads."""
        raise NotImplementedError

    def run_io(self, fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> Any:
        """Run ``fn(*args)`` on the node's loop: awaitable on tasks, blocking on threads."""
        raise NotImplementedError

    def hand_over(self) -> Callable[[Callable[[], None]], None] | None:
        """How the node hands received frames to the runtime's own loop, when processes are
        best posted to from there (tasks on trio: ``runtime.soon``); ``None``: handle them on
        the node's loop.
        """
        return None

    def start_loop(self) -> asyncio.AbstractEventLoop:
        """The node's loop: the runtime's on asyncio, else a new one on a bridge thread."""
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=run, name="spawned-cluster-bridge", daemon=True)
        self._thread.start()
        ready.wait()
        self.loop = loop
        return loop

    def stop_loop(self) -> None:
        """Stop the bridge thread's loop, if this adapter started one, and wait for it."""
        thread: threading.Thread | None = getattr(self, "_thread", None)
        if thread is not None and self.loop is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            thread.join()
            self._thread = None


class TasksAdapter(Adapter):
    """The tasks backend: slots the runtime's loop wakes; on asyncio, the same loop."""

    def __init__(self, runtime: Any) -> None:
        import sniffio  # noqa: PLC0415 - anyio's own dependency

        self.runtime = runtime
        self.same_loop: bool = sniffio.current_async_library() == "asyncio"
        """Whether the runtime's loop is asyncio's, so nats-py runs on it."""

    def hand_over(self) -> Callable[[Callable[[], None]], None] | None:
        """On trio, frames are handled on the runtime's loop (posting there is cheap)."""
        return None if self.same_loop else self.runtime.soon

    def start_loop(self) -> asyncio.AbstractEventLoop:
        """The runtime's own loop on asyncio; a bridge thread's on trio."""
        if self.same_loop:
            self.loop = asyncio.get_running_loop()
            return self.loop
        return super().start_loop()

    def make_slot(self) -> ReplySlot[Any]:
        """A slot of the runtime whose loop runs the calling thread."""
        runtime = self.runtime
        if not runtime.on_loop():
            runtime = runtime_here()
            if runtime is None:
                msg = (
                    "a call to a process on another node from outside the runtime's event loop; "
                    "use handle.blocking.call(...) from a plain thread"
                )
                raise RuntimeError(msg)
        return TaskSlot(runtime)

    async def join(self, process: RemoteProcess, timeout: float) -> bool:
        """Wait (awaited) until ``process`` is known to have exited; ``False`` on timeout."""
        if not process.alive:
            return True
        slot = self.make_slot()
        process.on_exit(lambda _: _ignore(slot.resolve(None)))
        await slot.wait(timeout)  # type: ignore[attr-defined]
        return not process.alive

    async def run_io(self, fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
        """``await fn(*args)`` on the node's loop (this loop on asyncio)."""
        if self.same_loop:
            return await fn(*args)
        import anyio  # noqa: PLC0415 - only on trio

        assert self.loop is not None  # noqa: S101 - started before any use
        future = asyncio.run_coroutine_threadsafe(fn(*args), self.loop)
        done = anyio.Event()
        future.add_done_callback(lambda _: self.runtime.soon(done.set))
        try:
            await done.wait()
        except BaseException:
            future.cancel()
            raise
        return future.result()


class ThreadsAdapter(Adapter):
    """The threads backend: blocking slots and waits, a bridge thread for the node's loop."""

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime

    def make_slot(self) -> ReplySlot[Any]:
        """A slot the calling thread blocks on."""
        return ThreadSlot()

    def join(self, process: RemoteProcess, timeout: float) -> bool:
        """Block until ``process`` is known to have exited; ``False`` on timeout."""
        if not process.alive:
            return True
        event = threading.Event()
        process.on_exit(lambda _: event.set())
        event.wait(None if timeout > threading.TIMEOUT_MAX or math.isinf(timeout) else timeout)
        return not process.alive

    def run_io(self, fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
        """Run ``fn(*args)`` on the node's loop and block for its result."""
        assert self.loop is not None  # noqa: S101 - started before any use
        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(fn(*args), self.loop)
        return future.result()


def adapter_for(runtime: RuntimeCore) -> Adapter:
    """The adapter of ``runtime``'s backend."""
    if isinstance(runtime, TasksRuntime):
        return TasksAdapter(runtime)
    return ThreadsAdapter(runtime)


def _ignore(_: object) -> None:
    """Drop a value (a hook returns nothing)."""
