"""``start(..., on_thread=True)``: a tasks process whose callbacks run on a thread of its own.

Everything but the callbacks stays on the event loop: the mailbox, the run loop, results,
replies, links, monitors, timers and the handle. Each callback (``init``, every
``handle_*``, ``terminate``) is handed to the process's one dedicated thread, and the loop
awaits its result, so blocking code (``time.sleep``, a database driver) does not stall the
loop, and thread-affine libraries such as ``sqlite3`` always see the same thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio

from .._process import PLAIN, ProcessCore, ProcessOptions, current_process
from ._process import Process

if TYPE_CHECKING:
    from .._envelope import Envelope
    from ._runtime import Runtime

Job = Callable[[], None]


class ThreadedProcess(Process):
    """A :class:`Process` that runs its callbacks on its own thread, one at a time.

    The thread (``"spawned <label> (on_thread)"``) starts with the process and ends after
    the process has exited and its last callback has returned. A callback blocked when the
    process is killed cannot be interrupted: the thread finishes it, then ends.
    """

    __slots__ = ("_jobs", "worker")

    runs_callbacks_inline = False

    def __init__(self, runtime: Runtime, server: Any, name: object, options: ProcessOptions = PLAIN) -> None:
        super().__init__(runtime, server, name, options)
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self.worker = threading.Thread(
            target=self._work, name=f"spawned {self.label} (on_thread)", daemon=True
        )
        self.worker.start()
        self.on_exit(_stop_worker)

    def dispatch(self, env: Envelope) -> Any:
        return self._on_thread(ProcessCore.dispatch, self, env)

    def run_init(self) -> Any:
        return self._on_thread(self.server.init)

    def run_terminate(self, reason: object) -> Any:
        return self._on_thread(self.server.terminate, reason)

    async def _on_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        done = anyio.Event()
        outcome: list[tuple[Any, BaseException | None]] = []
        soon = self.runtime.soon

        def job() -> None:
            try:
                outcome.append((fn(*args), None))
            except BaseException as error:  # noqa: BLE001 - re-raised on the loop
                outcome.append((None, error))
            soon(done.set)

        self._jobs.put(job)
        await done.wait()
        result, error = outcome[0]
        if error is not None:
            raise error
        return result

    def _work(self) -> None:
        current_process.set(self)
        get = self._jobs.get
        while (job := get()) is not None:
            job()


def _stop_worker(process: ProcessCore) -> None:
    if isinstance(process, ThreadedProcess):
        process._jobs.put(None)
