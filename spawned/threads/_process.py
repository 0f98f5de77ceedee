"""A process as an OS thread: a ``queue.SimpleQueue`` mailbox, one message at a time."""

from __future__ import annotations

import math
import queue
import sys
import threading
from typing import TYPE_CHECKING, Any

from .._envelope import ExitProcess
from .._errors import CallTimeout
from .._process import PLAIN, ProcessCore, ProcessOptions, current_process
from ._waits import wait_seconds

if TYPE_CHECKING:
    from .._envelope import Envelope
    from ._runtime import Runtime

_WAKE: Envelope = (-1, None, None)
"""Put in a mailbox to make a killed process notice at its next message boundary."""

_answer_lock = threading.Lock()

FOREVER = sys.maxsize
"""A batch budget that never runs out: a thread needs no turns, the OS shares the cores."""


class ReplySlot:
    """Where one call's answer lands. The first answer wins; any thread may answer."""

    __slots__ = ("_ready", "done", "error", "value")

    def __init__(self) -> None:
        self._ready = threading.Lock()
        self._ready.acquire()
        self.done = False
        self.value: Any = None
        self.error: BaseException | None = None

    def _complete(self, value: Any, error: BaseException | None) -> bool:
        with _answer_lock:
            if self.done:
                return False
            self.done = True
            self.value = value
            self.error = error
        self._ready.release()
        return True

    def resolve(self, value: Any) -> bool:
        """Deliver the reply."""
        return self._complete(value, None)

    def fail(self, error: BaseException) -> bool:
        """Deliver an error to raise in the caller."""
        return self._complete(None, error)

    def result(self, label: str, timeout: float) -> Any:
        """Block for the answer; on timeout, a later answer is dropped. A ``timeout`` of 0
        does not wait, nor look: the call times out at once.
        """
        if timeout == 0:
            self._complete(None, CallTimeout(label, timeout))
            raise CallTimeout(label, timeout)
        seconds = wait_seconds(timeout)
        if not self._ready.acquire(timeout=-1 if seconds is None else seconds):
            self._complete(None, CallTimeout(label, timeout))
        if self.error is not None:
            raise self.error
        return self.value


class Process(ProcessCore["Runtime"]):
    """One GenServer running on its own thread."""

    __slots__ = ("_exited", "_queue", "_start_error", "_started", "thread")

    def __init__(self, runtime: Runtime, server: Any, name: object, options: ProcessOptions = PLAIN) -> None:
        super().__init__(runtime, server, name, options)
        self._queue: queue.SimpleQueue[Envelope] = queue.SimpleQueue()
        self._started = threading.Event()
        self._exited = threading.Event()
        self._start_error: BaseException | None = None
        self.thread: threading.Thread | None = None

    # -- waiting and waking ---------------------------------------------------------------

    def post(self, env: Envelope) -> None:
        if not self.alive:
            self.reject(env)
            return
        self._queue.put(env)
        if not self.alive:  # lost a race with finish(): answer what it could not see
            for late in self.drain():
                self.reject(late)

    def drain(self) -> list[Envelope]:
        items: list[Envelope] = []
        get = self._queue.get_nowait
        while True:
            try:
                items.append(get())
            except queue.Empty:
                return items

    def halt(self) -> None:
        self._queue.put(_WAKE)

    def exited(self) -> None:
        self._exited.set()

    def mailbox_size(self) -> int:
        return self._queue.qsize()

    def make_slot(self) -> ReplySlot:
        return ReplySlot()

    # -- the life of the process ------------------------------------------------------------

    def wait_started(self) -> None:
        """Block until ``init`` has run; raise ``InitFailed``/``Ignored`` if it did not succeed."""
        self._started.wait()
        if self._start_error is not None:
            raise self._start_error

    def join(self, timeout: float = math.inf) -> bool:
        """Block until the process has exited; ``False`` on timeout."""
        return self._exited.wait(wait_seconds(timeout))

    def run(self) -> None:
        """The thread body: init, the message loop, terminate, exit."""
        current_process.set(self)
        try:
            started, env = self._init()
            if started:
                self._loop(env)
        except BaseException as exc:  # noqa: BLE001 - SystemExit in a callback ends this process only
            if self.alive:  # a process already killed has exited: no crash to report
                self.report(exc)
                self.exit_now(exc)
        finally:
            self._started.set()

    def _init(self) -> tuple[bool, Envelope | None]:
        if not self.alive:  # killed (say, through a link) before the thread began: no init
            self._start_error = self.init_failed(ExitProcess(self.reason))
            return False, None
        try:
            env = self.conclude_init(self.server.init())  # raises if the process died meanwhile
        except BaseException as exc:  # noqa: BLE001 - any failure of init is the start's
            self._start_error = self.init_failed(exc)
            return False, None
        self._started.set()
        return True, env

    def _loop(self, env: Envelope | None) -> None:
        stopper = reply = None
        get = self._queue.get
        try:
            pending = None if env is None else self.follow(env, self.dispatch(env))
            while True:
                if pending is not None:  # a callback returned a coroutine: a bad return
                    self.conclude(*pending)
                if not self.alive:  # killed while a callback ran, or at a message boundary
                    return
                _, pending = self.handle_batch(get, queue.Empty, FOREVER)  # blocks for mail
        except ExitProcess as stop:
            reason, stopper, reply = stop.reason, stop.caller, stop.reply
        except BaseException as exc:  # noqa: BLE001 - a crash is the exit reason (SystemExit included:
            reason = exc  # it ends this process only; no cancellation reaches a thread)
        if not self.alive:  # killed while the last callback ran: no terminate
            return
        try:
            self.server.terminate(reason)
        except BaseException as exc:  # noqa: BLE001 - a crash in terminate becomes the reason
            reason = exc
        if not self.alive:  # killed while terminate ran (it outlived its shutdown): no report
            return
        self.report(reason)
        self.finish(reason, stopper, reply)
