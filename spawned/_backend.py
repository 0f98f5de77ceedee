"""The backend contract: everything a backend supplies, in one module.

The core (``spawned/_*.py``) decides: what a callback's result means, whether an exit
crosses a link, who owns a name, whether a child restarts. A backend (``spawned.tasks``
on anyio, ``spawned.threads`` on OS threads) only runs, waits and wakes, and it does so by
implementing what this module declares, and nothing else:

- :class:`ProcessBackend`: how one process runs, parks and is woken (the mailbox).
- :class:`ReplySlot`: where one call's answer lands, and how the caller waits for it.
- :class:`RuntimeBackend`: what a runtime class provides: its handle class, its locks,
  its clock, its timer and listener services, and the supervisor operations.
- :class:`TimerService`: user timers (``send_after``/``send_interval``), one per runtime.
- :class:`ListenerService`: ``GenServer.listen``, one per runtime.
- :class:`Ops`: how the supervisor driver starts, joins and times a child.

A backend's ``Runtime`` subclasses ``RuntimeCore`` (which is a :class:`RuntimeBackend`)
and its process subclasses ``ProcessCore`` (a :class:`ProcessBackend`); its handles
subclass ``HandleBase`` and add the waiting methods (``call``, ``stop``, ``join``). Its
supervisor and root supervisor servers subclass ``SupervisorCore`` and ``RootCore`` and
only await (tasks) or drive (threads) their ``async`` methods, with the :class:`Ops` the
runtime gives.

Only ``spawned/tasks/_native.py`` touches asyncio or trio directly (native park and
wake, for speed); the rest of ``spawned.tasks`` uses anyio. The core never imports a
backend (``tests/core/test_layering.py`` checks it).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractContextManager

    from ._envelope import Envelope
    from ._handle import HandleBase
    from ._process import ProcessCore
    from ._server import GenServer
    from ._timers import Timer, Wakeup

R_contra = TypeVar("R_contra", contravariant=True)


class ProcessBackend(ABC):
    """The waiting half of a process: its mailbox, how it parks and how it is woken.

    ``ProcessCore`` (the backend-free half: dispatch, results, links, monitors, exit)
    subclasses this; a backend's process subclasses ``ProcessCore`` and implements these
    methods. Its loop waits for mail, calls ``ProcessCore.handle_batch``, and awaits the
    coroutine that hands back, if any (tasks; threads refuse one as a bad return).
    """

    __slots__ = ()

    @abstractmethod
    def post(self, env: Envelope) -> None:
        """Put ``env`` in the mailbox and wake the process. Never blocks; safe from any
        thread. A dead process answers it at once with ``ProcessCore.reject``.
        """

    @abstractmethod
    def drain(self) -> list[Envelope]:
        """Take every envelope still in the mailbox (the process is dead)."""

    @abstractmethod
    def halt(self) -> None:
        """Stop running this process's code as soon as possible: it was killed or took a
        link's exit (it is already marked dead). Never blocks; safe from any thread.
        """

    @abstractmethod
    def exited(self) -> None:
        """Wake everyone waiting in ``join`` (the process has just been marked dead)."""

    @abstractmethod
    def mailbox_size(self) -> int:
        """How many messages wait in the mailbox (a snapshot, for introspection)."""

    @abstractmethod
    def make_slot(self) -> ReplySlot[Any]:
        """A fresh reply slot for a call made from the current context (task or thread)."""

    def continue_later(self, env: Envelope) -> bool:
        """Put the ``Continue`` envelope ``env`` at the front of the mailbox, to be handled as
        the next message, and return ``True``; or return ``False`` to have
        ``ProcessCore.follow`` run it at once (the default). A backend whose processes share
        a thread puts it in the mailbox, so its loop yields and checks for ``kill`` between
        the steps of a chain as between messages.
        """
        del env
        return False


class ReplySlot(Protocol[R_contra]):
    """Where a call's answer lands; a backend supplies it. The first answer wins.

    Any thread may answer. The backend adds how its caller waits (``result(label,
    timeout)``, awaited on tasks, blocking on threads); a caller that stops waiting
    (timeout, cancellation) closes the slot, so later answers are dropped.
    """

    done: bool
    """Whether an answer (or the caller's abandonment) has landed."""
    value: Any
    """The reply, once ``done`` (``None`` when it failed)."""
    error: BaseException | None
    """The error to raise in the caller, once ``done`` (``None`` for a reply)."""

    def resolve(self, value: R_contra) -> bool:
        """Deliver ``value``; ``False`` if the slot was already answered or abandoned."""
        ...

    def fail(self, error: BaseException) -> bool:
        """Deliver ``error`` to raise in the caller; ``False`` if already answered."""
        ...


class TimerService(Protocol):
    """What a backend supplies, one per runtime: the runtime's one clock and one timer
    service, serving user timers, call deadlines and restart intensity alike.

    It owns one pure ``TimerBook`` (``spawned/_timers.py``), takes its lock around it, reads
    the runtime's clock, and runs or posts what falls due.
    """

    def now(self) -> float:
        """The runtime's clock, in seconds (the loop's clock on tasks, ``time.monotonic``
        on threads); every deadline of the runtime is on it.
        """
        ...

    def call_at(self, when: float, fn: Callable[..., object], *args: Any) -> Wakeup:
        """Run ``fn(*args)`` once :meth:`now` reaches ``when`` (on the backend's timer
        thread or loop); pass the returned ``Wakeup`` to :meth:`cancel` to disarm it.
        """
        ...

    def start(
        self, owner: ProcessCore, target: ProcessCore, message: object, delay: float, period: float | None
    ) -> Timer:
        """Arm a timer that posts ``message`` to ``target`` (an interval if ``period``)."""
        ...

    def cancel(self, timer: Timer | Wakeup) -> float | None:
        """Disarm ``timer``; the seconds it had left, or ``None``. Never blocks."""
        ...

    def close(self) -> None:
        """Stop the service's task or thread (the runtime is shutting down)."""
        ...


class ListenerService(Protocol):
    """What a backend supplies to run ``GenServer.listen``: a task or thread per stream."""

    def listen(self, owner: ProcessCore, stream: object) -> None:
        """Post each item of ``stream`` to ``owner``, then ``StreamEnded``/``StreamFailed``;
        stop once ``owner`` has exited. Raise ``TypeError`` for a stream of the wrong kind.
        """
        ...

    def close(self) -> None:
        """Wait for listeners to stop (the runtime is shutting down)."""
        ...


class Ops(Protocol):
    """What a backend supplies to run a supervisor: start, wait, and a clock.

    The supervisor driver (``spawned/_supervisor_process.py``) is written once as ``async``
    methods; on tasks they are awaited, on threads driven to the end without suspending
    (every ``await`` of an ``Ops`` method blocks instead).
    """

    allow_async: bool
    """Whether this backend runs ``async def`` callbacks (a child with them is refused if not)."""

    def now(self) -> float:
        """The runtime's monotonic clock, in seconds."""
        ...

    async def start(self, server: GenServer[Any, Any, Any], name: object, *, on_thread: bool) -> ProcessCore:
        """Start ``server`` linked to the calling process (``on_thread``: as ``start(...,
        on_thread=True)`` does on tasks; a backend whose processes are threads ignores it);
        raises like ``start`` does.
        """
        ...

    async def join(self, process: ProcessCore, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for ``process`` to exit; ``False`` if it has not."""
        ...


class RuntimeBackend(ABC):
    """What a backend's runtime class provides, besides opening and closing itself.

    ``RuntimeCore`` (the name table and the live processes) subclasses this. Closing is
    written once, in ``close_runtime`` (``spawned/_supervisor_process.py``): the backend's
    runtime calls it, then waits for its processes, then closes its services.
    """

    __slots__ = ()

    handle_class: type[HandleBase[Any, Any, Any]]
    """The backend's ``Handle`` class, made for every process without a handle class of its own."""
    supervisor_handle_classes: tuple[type[HandleBase[Any, Any, Any]], type[HandleBase[Any, Any, Any]]]
    """The backend's ``(SupervisorHandle, DynamicSupervisorHandle)``."""
    new_lock: Callable[[], AbstractContextManager[Any]]
    """Make a fresh thread lock (for registries, which threads of any backend may share)."""
    timer_service_class: Callable[[Any], TimerService]
    """Makes the backend's timer service (one per runtime, made on first use)."""
    listener_service_class: Callable[[Any], ListenerService]
    """Makes the backend's stream listener service (one per runtime, made on first use)."""

    @abstractmethod
    def supervisor_ops(self) -> Ops:
        """The operations a supervisor process of this runtime carries out its decisions
        with (start and join a child, the clock).
        """
