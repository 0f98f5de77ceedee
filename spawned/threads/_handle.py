"""The threads backend's handle: the waiting methods block the calling thread."""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast, overload

from .. import _telemetry
from .._errors import CallTimeout
from .._handle import CallT, CastT, HandleBase, ReplyT, check_backend
from .._messages import Request
from .._reasons import NORMAL
from .._status import state_of
from .._supervisor_logic import (
    INFINITY,
    AddChild,
    Child,
    ChildCount,
    ChildSpec,
    CountChildren,
    DeleteChild,
    DynamicSupervisor,
    RestartChild,
    Supervisor,
    TerminateChild,
    WhichChildren,
)
from .._supervisor_process import unwrap

if TYPE_CHECKING:
    from .._server import GenServer
    from ._process import Process, ReplySlot

T = TypeVar("T")
C = TypeVar("C")
S = TypeVar("S")
R = TypeVar("R")
Q = TypeVar("Q")
A = TypeVar("A")


class Handle(HandleBase[CallT, CastT, ReplyT]):
    """The address of a process on ``spawned.threads``; ``call``, ``stop`` and ``join`` block."""

    __slots__ = ()

    @overload
    @staticmethod
    def of(handle: HandleBase[C, S, R]) -> Handle[C, S, R]: ...
    @overload
    @staticmethod
    def of(handle: HandleBase[C, S, R] | None) -> Handle[C, S, R] | None: ...
    @staticmethod
    def of(handle: HandleBase[C, S, R] | None) -> Handle[C, S, R] | None:
        """``handle`` as this backend's handle, with its types, so it can be called; ``None``
        stays ``None``.

        The handles in [`Down`][spawned.Down], [`Exit`][spawned.Exit], a supervisor's
        [`Child`][spawned.Child], [`AlreadyStarted`][spawned.AlreadyStarted] and
        ``Registry.whereis`` are typed as the backend-neutral base (they are the same for
        every backend), without the waiting methods; at run time they are this backend's
        handles already, and ``Handle.of`` checks so and types them:
        ``await tasks.Handle.of(down.handle).join()``.

        Raises:
            TypeError: ``handle`` is not a handle of ``spawned.threads`` (nor ``None``).
        """
        if handle is not None and not isinstance(handle, Handle):
            check_backend(handle, "threads")
        return handle

    @property
    def blocking(self) -> Self:
        """The handle itself: its methods already block. On ``spawned.tasks``,
        ``handle.blocking`` gives the blocking ``call``/``stop``/``join`` for threads, so code
        that calls through ``handle.blocking`` runs on either backend unchanged.
        """
        return self

    @overload
    def call(self: Handle[Request[Any, A], Any, Any], msg: Request[Q, A], timeout: float = 5.0) -> Q: ...
    @overload
    def call(self, msg: CallT, timeout: float = 5.0) -> ReplyT: ...
    def call(self, msg: Any, timeout: float = 5.0) -> Any:
        """Send ``msg`` to ``handle_call`` and block until the reply.

        ``timeout`` is seconds ``>= 0`` or ``math.inf``; with ``0`` the call is sent and
        times out at once, without waiting (its reply is dropped).

        Raises:
            TypeError: ``timeout`` is not a number (nothing is sent).
            ValueError: ``timeout`` is negative or NaN (nothing is sent).
            CallTimeout: no reply within ``timeout`` seconds; the server keeps running and
                a late reply is dropped.
            NoProc: the server is not alive.
            ServerExited: the server exited before replying (raised at once).
            CallingSelf: a server called itself.
        """
        process = self._process
        if _telemetry.active:
            return _telemetry.call_blocking(process, msg, timeout)
        caller = process.begin_call(msg, timeout)
        try:
            return cast("ReplyT", cast("ReplySlot", caller._slot).result(process.label, timeout))
        except CallTimeout:  # the server forgets the call
            process.forget_call(caller)
            raise

    def stop(self, reason: object = NORMAL, timeout: float = math.inf) -> None:
        """Stop the server with ``reason`` and block until it is gone.

        The request queues behind messages already sent; ``terminate(reason)`` runs, then
        this returns. If the server is not gone within ``timeout`` it is killed and
        ``CallTimeout`` is raised. Raises ``NoProc`` if it is not alive, and
        ``ServerExited`` if it exited with another reason first (say, it crashed), and
        ``ValueError`` (nothing sent) for a negative or NaN ``timeout``; ``0`` does not wait.
        """
        process = cast("Process", self._process)
        process.begin_stop(reason, timeout)
        process.end_stop(reason, timeout, process.join(timeout))

    def join(self) -> object:
        """Block until the process exits and return its exit reason (at once if it has).

        Raises ``CallingSelf`` from inside the process itself, which would wait forever.
        """
        process = cast("Process", self._process)
        process.refuse_self()
        process.join()
        return process.reason

    def get_state(self, timeout: float = 5.0) -> Any:
        """For debugging: the server's state, as its ``format_status`` shows it (by default a
        new ``dict`` of the server object's public attributes, those not starting with ``_``).

        Read inside the process, between two messages (OTP's ``sys:get_state``): the request
        queues behind the messages already sent, like a call. Raises like ``call``
        (``CallTimeout``, ``NoProc``, ``ServerExited``, ``CallingSelf``). Not for program logic:
        a server's state is its own; ask it with a call.
        """
        process = self._process
        slot = cast("ReplySlot", process.begin_system(state_of, timeout))
        return slot.result(process.label, timeout)

    def replace_state(self, fn: Callable[[Any], T], timeout: float = 5.0) -> T:
        """For debugging: run ``fn(server)`` inside the process, between two messages, and
        return what it returns (OTP's ``sys:replace_state``). ``fn`` gets the server object
        itself and may change its attributes; it must be a plain function that does not block.

        If ``fn`` raises, the error is raised here and the server runs on (with whatever
        ``fn`` changed before it raised). Otherwise raises like ``call``. Use it to inspect
        or patch a live server while debugging, never as a way around its messages.
        """
        process = self._process
        slot = cast("ReplySlot", process.begin_system(fn, timeout))
        return cast("T", slot.result(process.label, timeout))


class _ChildrenHandle(Handle[Any, Any, Any]):
    __slots__ = ()

    def _ask(self, request: object) -> Any:
        return unwrap(self.call(request, INFINITY))

    def which_children(self) -> list[Child]:
        """Block for the list of children, in start order (``handle`` is ``None`` when not running)."""
        return self._ask(WhichChildren())

    def count_children(self) -> ChildCount:
        """Block for the supervisor's [`ChildCount`][spawned.ChildCount]."""
        return self._ask(CountChildren())


class SupervisorHandle(_ChildrenHandle):
    """The handle of a [`Supervisor`][spawned.Supervisor] on ``spawned.threads``: its methods block.

    Each blocks until the supervisor has carried the request out, and raises a
    [`SpawnedError`][spawned.SpawnedError] subclass that names the case where OTP returns an error.
    """

    __slots__ = ()

    @overload
    def start_child(self, spec: ChildSpec[Supervisor]) -> SupervisorHandle | None: ...
    @overload
    def start_child(self, spec: ChildSpec[DynamicSupervisor]) -> DynamicSupervisorHandle | None: ...
    @overload
    def start_child(self, spec: ChildSpec[GenServer[C, S, R]]) -> Handle[C, S, R] | None: ...
    @overload
    def start_child(self, spec: ChildSpec) -> Handle[Any, Any, Any] | None: ...
    def start_child(self, spec: ChildSpec) -> Handle[Any, Any, Any] | None:
        """Add ``spec`` as the last child and start it; ``None`` if its ``init`` returned ``Ignore()``.

        Raises:
            ChildAlreadyStarted: a running child has this id.
            ChildAlreadyPresent: a stopped child has this id (``restart_child`` or delete it).
            InitFailed: the child failed to start; the spec is not kept.
        """
        return self._ask(AddChild(spec))

    def terminate_child(self, child_id: Hashable) -> None:
        """Stop the child as its ``shutdown`` says; its spec stays (unless temporary).

        Returns at once if it is not running. Raises ``ChildNotFound``.
        """
        self._ask(TerminateChild(child_id))

    def restart_child(self, child_id: Hashable) -> Handle[Any, Any, Any] | None:
        """Start the stopped child ``child_id`` again from its spec.

        Raises ``ChildNotFound``, ``ChildRunning``, or ``InitFailed`` (the child stays stopped).
        """
        return self._ask(RestartChild(child_id))

    def delete_child(self, child_id: Hashable) -> None:
        """Forget the stopped child ``child_id``. Raises ``ChildNotFound`` or ``ChildRunning``."""
        self._ask(DeleteChild(child_id))


class DynamicSupervisorHandle(_ChildrenHandle):
    """The handle of a [`DynamicSupervisor`][spawned.DynamicSupervisor] on ``spawned.threads``:
    its methods block.
    """

    __slots__ = ()

    @overload
    def start_child(self, spec: ChildSpec[Supervisor]) -> SupervisorHandle | None: ...
    @overload
    def start_child(self, spec: ChildSpec[DynamicSupervisor]) -> DynamicSupervisorHandle | None: ...
    @overload
    def start_child(self, spec: ChildSpec[GenServer[C, S, R]]) -> Handle[C, S, R] | None: ...
    @overload
    def start_child(self, spec: ChildSpec) -> Handle[Any, Any, Any] | None: ...
    def start_child(self, spec: ChildSpec) -> Handle[Any, Any, Any] | None:
        """Start a new child from ``spec`` (its id is not used); ``None`` if it returned ``Ignore()``.

        Raises ``MaxChildren`` (nothing started) or ``InitFailed`` (nothing kept).
        """
        return self._ask(AddChild(spec))

    def terminate_child(self, child: HandleBase[Any, Any, Any]) -> None:
        """Stop the child ``child`` as its ``shutdown`` says and forget it. Raises ``ChildNotFound``."""
        self._ask(TerminateChild(child))
