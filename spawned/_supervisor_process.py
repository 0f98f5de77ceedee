"""The supervisor process, written once for both backends.

Its callbacks are ``async def`` methods that await three backend operations (:class:`Ops`):
start a linked child, wait for a process to exit, read the clock. On ``spawned.tasks`` they
suspend; on ``spawned.threads`` they block and never suspend, so :func:`drive` runs the
same coroutine to its end in one step. What to do after an exit is decided in
``_supervisor_logic.py``; this module carries the decisions out, and :func:`shut_down` is the one
place that knows how to stop a child.
"""

from __future__ import annotations

import itertools
from collections.abc import Coroutine, Hashable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import evolve, field, frozen
from loguru import logger

from ._envelope import STOP
from ._errors import (
    AlreadyStarted,
    ChildAlreadyPresent,
    ChildAlreadyStarted,
    ChildNotFound,
    ChildRunning,
    Ignored,
    InitFailed,
    MaxChildren,
    SpawnedError,
)
from ._messages import Caller, Exit
from ._process import ProcessCore
from ._reasons import KILLED, SHUTDOWN, describe
from ._results import Reply, Stop
from ._server import GenServer, check_server
from ._status import for_log
from ._supervisor_logic import (
    BRUTAL_KILL,
    DEFAULT_SHUTDOWN,
    INFINITY,
    Child,
    ChildSpec,
    DynamicSupervisor,
    Entry,
    Escalate,
    Restart,
    Shutdown,
    StartChild,
    State,
    StopChild,
    Strategy,
    Supervisor,
    TryAgain,
    check_spec,
    on_child_exit,
    on_try_again,
    restart_failed,
    stop_order,
)

if TYPE_CHECKING:
    from ._backend import Ops
    from ._handle import HandleBase
    from ._runtime import RuntimeCore
    from ._supervisor_logic import Action

T = TypeVar("T")


def drive(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never suspends (its awaits all block instead) to its end."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    msg = "a blocking supervisor operation suspended; threads supervisors await only blocking ops"
    raise RuntimeError(msg)


# -- the one way to stop a child ----------------------------------------------------------------


def ask_to_stop(process: ProcessCore, shutdown: Shutdown) -> None:
    """Send the shutdown: kill for ``BRUTAL_KILL``; a ``"shutdown"`` stop request (so
    ``terminate`` runs) for a process that traps exits; an untrappable ``"shutdown"`` exit
    for one that does not.
    """
    if shutdown is BRUTAL_KILL:
        process.exit_now(KILLED)
    elif process.server.trap_exits:
        process.post((STOP, SHUTDOWN, None))
    else:
        process.exit_now(SHUTDOWN)


async def shut_down(
    targets: Sequence[tuple[ProcessCore, Shutdown]],
    ops: Ops,
    owner: ProcessCore | None = None,
    *,
    together: bool = False,
) -> None:
    """Stop each ``(process, shutdown)`` and wait until it is gone.

    One after another, in the order given; or, ``together``, all asked at once and then
    waited for, each until its own deadline. A process still alive at its deadline is
    killed; ``INFINITY`` waits as long as it takes. ``owner`` (the supervisor) unlinks from
    each first, so their exits do not come back to it as ``Exit`` messages.
    """
    if together:
        begun = ops.now()
        for process, shutdown in targets:
            _ask(process, shutdown, owner)
        for process, shutdown in targets:
            await _wait_or_kill(process, shutdown, begun, ops)
        return
    for process, shutdown in targets:
        _ask(process, shutdown, owner)
        await _wait_or_kill(process, shutdown, ops.now(), ops)


def _ask(process: ProcessCore, shutdown: Shutdown, owner: ProcessCore | None) -> None:
    if owner is not None:
        owner.unlink(process)
    if process.alive:
        ask_to_stop(process, shutdown)


async def _wait_or_kill(process: ProcessCore, shutdown: Shutdown, begun: float, ops: Ops) -> None:
    if shutdown is BRUTAL_KILL or shutdown == INFINITY:
        await ops.join(process, INFINITY)
        return
    if not await ops.join(process, max(0.0, begun + shutdown - ops.now())):
        logger.bind(server=process.label).warning(
            "{} did not stop within its shutdown of {:g} s; killing it", process.label, shutdown
        )
        process.exit_now(KILLED)
        await ops.join(process, INFINITY)


async def close_runtime(runtime: RuntimeCore, ops: Ops) -> None:
    """Shut a runtime down, last started first.

    One pass over the processes nobody else stops: those started at top level (the root
    supervisor's children) and those started inside a process without a link (or whose
    parent is gone), each with a supervisor's shutdown for its kind (``INFINITY`` for a
    supervisor, 5 s for a worker). A supervisor stops its own children as their specs say,
    and a linked child goes with its parent. Then the root itself, and any straggler.
    From the start, the runtime refuses to start processes (``RuntimeCore.closing``).
    """
    with runtime.lock:
        runtime.closing = True
    root, runtime.root = runtime.root, None
    owned = [p for p in runtime.shutdown_order() if p is not root and _owned_by_runtime(p, root)]
    await shut_down([(p, _runtime_shutdown(p)) for p in owned], ops, root)
    if root is not None:
        await shut_down([(root, INFINITY)], ops)
    await shut_down([(p, DEFAULT_SHUTDOWN) for p in runtime.shutdown_order()], ops)


def _runtime_shutdown(process: ProcessCore) -> Shutdown:
    entry = _top_level_entry(process)
    return entry.spec.shutdown_for(entry.kind)


def _owned_by_runtime(process: ProcessCore, root: ProcessCore | None) -> bool:
    parent = process.parent
    return parent is None or parent is root or not parent.alive


# -- requests from supervisor handles ----------------------------------------------------------


def _check_add(_instance: object, _attribute: object, spec: object) -> None:
    check_spec(spec, "start_child() takes")


@frozen
class AddChild:
    """Request: ``start_child(spec)``; made by the caller, so a bad ``spec`` raises
    ``TypeError`` there, before anything is sent.
    """

    spec: ChildSpec = field(validator=_check_add)


@frozen
class TerminateChild:
    """Request: ``terminate_child(id)`` (a handle, on a ``DynamicSupervisor``)."""

    child: object


@frozen
class RestartChild:
    """Request: ``restart_child(id)``."""

    id: Hashable


@frozen
class DeleteChild:
    """Request: ``delete_child(id)``."""

    id: Hashable


@frozen
class WhichChildren:
    """Request: ``which_children()``."""


@frozen
class CountChildren:
    """Request: ``count_children()``."""


@frozen
class Failed:
    """A request's answer when it failed: the handle raises ``error``."""

    error: SpawnedError | TypeError


def unwrap(answer: Any) -> Any:
    """A supervisor's answer to a handle: the value, or raise the error it carries."""
    if isinstance(answer, Failed):
        raise answer.error
    return answer


# -- the supervisor process ------------------------------------------------------------------


class SupervisorCore(GenServer[Any, Any, Any]):
    """A supervisor's state and behaviour. A backend subclass adds the four callbacks
    (``init``, ``handle_call``, ``handle_info``, ``terminate``), each awaiting or driving
    the matching ``async`` method here, and :meth:`make_ops`.
    """

    trap_exits = True

    def __init__(self, spec: Supervisor | DynamicSupervisor) -> None:
        self.spec = spec
        self.dynamic = isinstance(spec, DynamicSupervisor)
        strategy = spec.strategy if isinstance(spec, Supervisor) else Strategy.ONE_FOR_ONE
        self.state = State(strategy, spec.max_restarts, spec.max_seconds)
        self._ids = itertools.count()
        self._ops: Ops | None = None

    def make_ops(self) -> Ops:
        """The backend's operations for this supervisor's runtime."""
        return self._spawned_running.runtime.supervisor_ops()

    @property
    def ops(self) -> Ops:
        """The backend operations (made on first use, inside the process)."""
        if self._ops is None:
            self._ops = self.make_ops()
        return self._ops

    @property
    def label(self) -> str:
        """This supervisor's label, for logs."""
        return self._spawned_running.label

    # -- callbacks ------------------------------------------------------------------------------

    async def start_children(self) -> Stop | None:
        """``init``: start every child in order; on a failure stop those started and fail."""
        if isinstance(self.spec, DynamicSupervisor):
            return None
        for spec in self.spec.children:
            try:
                await self._start(Entry(spec.id, spec))
            except (SpawnedError, TypeError) as exc:
                await self.stop_children()
                return Stop((SHUTDOWN, ("failed_to_start_child", spec.id, _reason_of(exc))))
        return None

    async def answer(self, msg: Any, caller: Caller[Any]) -> Reply[Any]:  # noqa: ARG002 - a call's shape
        """``handle_call``: carry out a handle's request; a refusal is answered as ``Failed``
        (a ``TypeError``: a child that cannot be started, see :func:`check_child`).
        """
        try:
            return Reply(await self._request(msg))
        except (SpawnedError, TypeError) as exc:
            return Reply(Failed(exc))

    async def on_info(self, msg: Any) -> Stop | None:
        """``handle_info``: a child's exit, restarted as decided, or a failed restart's
        ``TryAgain``.

        The parent's exit is not a message: it stops the supervisor (``ProcessCore.exit_signal``).
        """
        if isinstance(msg, TryAgain):
            self.state, actions = on_try_again(self.state, msg, self.ops.now())
            outcome = await self._carry_out(msg.id, msg.reason, actions)
        elif isinstance(msg, Exit):
            sender = msg.handle
            entry = None if sender is None else self.state.find_process(sender._process)
            if entry is None:  # a child this supervisor already stopped or replaced, or a stranger
                return None
            self.state, actions = on_child_exit(self.state, entry.id, msg.reason, self.ops.now())
            outcome = await self._carry_out(entry.id, msg.reason, actions, entry.process.label)
        else:
            return super().handle_info(msg)  # pyright: ignore[reportReturnType]
        if self.dynamic:  # as in Elixir, a dynamic supervisor forgets children that are not running
            for stopped in [e for e in self.state.children if not (e.running or e.pending or e.restarting)]:
                self.state = self.state.drop(stopped.id)
        return outcome

    async def stop_children(self) -> None:
        """``terminate``: stop every running child, last started first."""
        stops = stop_order(self.state)
        for stop in stops:
            self.state = self.state.put(evolve(self._entry(stop.id), process=None))
        await shut_down(
            [(s.process, s.shutdown) for s in stops], self.ops, self._spawned_running, together=self.dynamic
        )

    # -- restarts ---------------------------------------------------------------------------

    async def _carry_out(
        self, child_id: Hashable, reason: object, actions: tuple[Action, ...], label: str | None = None
    ) -> Stop | None:
        """Carry out the actions decided after ``child_id`` (the process ``label``, when it
        was running) exited with ``reason``.

        A start that fails ends the round: the child is recorded as restarting and a
        ``TryAgain`` goes to this supervisor's own mailbox, so the requests already waiting
        are answered before the next attempt (which counts towards the intensity). Once the
        runtime is closing, no child starts again (the runtime would refuse it).
        """
        if self._spawned_running.runtime.closing:  # it starts nothing; this supervisor is stopped soon
            actions = tuple(a for a in actions if not isinstance(a, StartChild))
        who = self._spec_id(child_id) if label is None else f"{self._spec_id(child_id)} ({label})"
        starts = [a.id for a in actions if isinstance(a, StartChild)]
        if starts:
            self._log_restart(who, reason, starts)
        for action in actions:
            if isinstance(action, Escalate):
                self._log_give_up(who, reason)
                return Stop(action.reason)
            if isinstance(action, StopChild):
                await shut_down([(action.process, action.shutdown)], self.ops, self._spawned_running)
                continue
            try:
                await self._start(self._entry(action.id))
            except (SpawnedError, TypeError) as exc:
                self.state, retry = restart_failed(
                    self.state, action.id, ("failed_to_start", _reason_of(exc))
                )
                self.handle.send(retry)
                break
        return None

    def _spec_id(self, child_id: Hashable) -> str:
        """How logs name a child: its spec's id (a ``DynamicSupervisor``'s own ids are made up)."""
        entry = self.state.find(child_id)
        return repr(child_id if entry is None else entry.spec.id)

    def _log_restart(self, who: str, reason: object, starts: list[Hashable]) -> None:
        ids = ", ".join(self._spec_id(i) for i in starts)
        logger.bind(server=self.label).warning(
            "{} restarting {} after child {} exited, reason: {}", self.label, ids, who, describe(reason)
        )

    def _log_give_up(self, who: str, reason: object) -> None:
        logger.bind(server=self.label).error(
            "{} reached max restart intensity ({} restarts in {:g} s) after child {} exited, "
            "reason: {}; shutting down",
            self.label,
            self.state.max_restarts,
            self.state.max_seconds,
            who,
            describe(reason),
        )

    # -- starting children --------------------------------------------------------------------

    async def _start(self, entry: Entry) -> HandleBase[Any, Any, Any] | None:
        """Start ``entry``'s child and record it; ``None`` (recorded as not running) when its
        ``init`` returned ``Ignore()``. Raises ``InitFailed``/``AlreadyStarted``, or
        ``TypeError`` when the factory returned something that cannot start (not recorded).
        """
        spec = entry.spec
        try:
            server = spec.start()
        except Exception as exc:
            logger.bind(server=self.label).opt(exception=for_log(exc)).error(
                "{} could not start child {!r}: its start factory raised {}",
                self.label,
                entry.id,
                describe(exc),
            )
            raise InitFailed(f"child {entry.id!r}", exc, how="its start factory raised") from exc
        check_child(entry.id, server, allow_async=self.ops.allow_async)
        kind = "supervisor" if isinstance(server, Supervisor | DynamicSupervisor) else "worker"
        if spec.on_thread and kind == "supervisor":
            error = TypeError(f"on_thread=True applies to a GenServer, not to {server!r}")
            raise InitFailed(f"child {entry.id!r}", error, how="its spec is invalid")
        entry = evolve(entry, kind=kind, process=None, pending=False, retry=None)
        try:
            process = await self.ops.start(self.as_server(server), spec.name, on_thread=spec.on_thread)
        except Ignored:
            if spec.restart is Restart.TEMPORARY or self.dynamic:  # kept only by a Supervisor
                self.state = self.state.drop(entry.id)
            else:
                self.state = self.state.put(entry)
            return None
        self.state = self.state.put(evolve(entry, process=process))
        return process.handle

    def as_server(self, server: GenServer[Any, Any, Any] | Supervisor | DynamicSupervisor) -> Any:
        """``server``, or a supervisor process of this backend for a supervisor spec."""
        if isinstance(server, Supervisor | DynamicSupervisor):
            return type(self)(server)
        return server

    def _entry(self, child_id: Hashable) -> Entry:
        entry = self.state.find(child_id)
        if entry is None:
            raise ChildNotFound(child_id)
        return entry

    # -- requests -------------------------------------------------------------------------------

    async def _request(self, msg: Any) -> Any:
        match msg:
            case AddChild(spec):
                return await self._add(spec)
            case TerminateChild(child):
                return await self._terminate_child(child)
            case RestartChild(child_id):
                entry = self._entry(child_id)
                if entry.running:
                    raise ChildRunning(child_id)
                return await self._start(entry)
            case DeleteChild(child_id):
                if self._entry(child_id).running:
                    raise ChildRunning(child_id)
                self.state = self.state.drop(child_id)
                return None
            case WhichChildren():
                return [self._child(e) for e in self.state.children]
            case CountChildren():
                return self.state.count()
            case _:
                msg_text = f"{self.label} got an unknown request {msg!r}"
                raise TypeError(msg_text)

    async def _add(self, spec: ChildSpec) -> HandleBase[Any, Any, Any] | None:
        if isinstance(self.spec, DynamicSupervisor):
            limit = self.spec.max_children
            if limit is not None and len(self.state.children) >= limit:
                raise MaxChildren(limit)
            return await self._start(Entry(next(self._ids), spec))
        existing = self.state.find(spec.id)
        if existing is not None:
            if existing.running:
                raise ChildAlreadyStarted(spec.id, existing.process.handle)
            raise ChildAlreadyPresent(spec.id)
        return await self._start(Entry(spec.id, spec))

    async def _terminate_child(self, child: object) -> None:
        if self.dynamic:
            entry = self.state.find_process(getattr(child, "_process", None))
        else:
            entry = self.state.find(child)
        if entry is None:
            raise ChildNotFound(child)
        if entry.running:
            await shut_down(
                [(entry.process, entry.spec.shutdown_for(entry.kind))], self.ops, self._spawned_running
            )
        if self.dynamic or entry.spec.restart is Restart.TEMPORARY:
            self.state = self.state.drop(entry.id)
        else:
            self.state = self.state.put(evolve(entry, process=None, pending=False, retry=None))

    def _child(self, entry: Entry) -> Child:
        handle = entry.process.handle if entry.running else None
        child_id = None if self.dynamic else entry.id
        return Child(child_id, handle, entry.kind, entry.spec.restart, restarting=entry.restarting)


# -- the runtime's root supervisor ----------------------------------------------------------


class RootCore(GenServer[Any, Any, Any]):
    """The runtime's root supervisor: every process started at top level is its temporary
    child.

    It takes no part in starting them: the runtime links each one to it before its ``init``
    runs and records it in ``RuntimeCore.top_level`` once started, and forgets it when it
    exits, all without a message. The link is one way: the root's exit reaches each child
    as a parent's exit, but a child's exit needs no ``Exit`` message here, because the
    runtime has already unlinked and forgotten it (``RuntimeCore.forget``). When the runtime
    closes, this process stops them, last started first, as any supervisor stops its
    children (``terminate``: a supervisor child gets ``INFINITY``, a worker 5 s). A backend
    subclass adds ``terminate``.
    """

    trap_exits = True

    @property
    def state(self) -> State:
        """The top-level processes as this supervisor's children, in start order."""
        runtime = self._spawned_running.runtime
        with runtime.lock:
            processes = list(runtime.top_level)
        return State(children=tuple(_top_level_entry(p) for p in processes))

    async def stop_children(self, ops: Ops) -> None:
        """``terminate``: stop every top-level process, last started first."""
        stops = stop_order(self.state)
        await shut_down([(s.process, s.shutdown) for s in stops], ops, self._spawned_running)


def _top_level_entry(process: ProcessCore) -> Entry:
    server = process.server
    spec = ChildSpec(process.pid, lambda: server, Restart.TEMPORARY, name=process.name)
    kind = "supervisor" if isinstance(server, SupervisorCore) else "worker"
    return Entry(spec.id, spec, kind, process)


def check_child(child_id: Hashable, server: object, *, allow_async: bool) -> None:
    """Raise ``TypeError`` unless ``server``, what the start factory of ``child_id`` returned,
    can be started: a fresh ``GenServer`` instance (without ``async def`` callbacks where
    ``allow_async`` is false), a ``Supervisor`` or a ``DynamicSupervisor``.
    """
    if isinstance(server, Supervisor | DynamicSupervisor):
        return
    if isinstance(server, type):
        got = f"the class {server.__name__} instead of an instance"
    elif not isinstance(server, GenServer):
        got = f"{server!r} ({type(server).__name__})"
    elif server._spawned_process is not None:
        got = f"{server!r}, an instance already started once"
    else:
        check_server(cast("GenServer[Any, Any, Any]", server), allow_async=allow_async)
        return
    msg = (
        f"child {child_id!r} cannot start: its start factory returned {got}; it must return "
        "a fresh GenServer instance, a Supervisor or a DynamicSupervisor on every call"
    )
    raise TypeError(msg)


def _reason_of(error: SpawnedError | TypeError) -> object:
    if isinstance(error, InitFailed):
        return error.reason
    if isinstance(error, AlreadyStarted):
        return ("already_started", error.handle)
    return error
