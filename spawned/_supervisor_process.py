"""The supervisor process, written once for both backends.

Its callbacks are ``async def`` methods that await three backend operations (:class:`Ops`):
start a linked child, wait for a process to exit, read the clock. On ``spawned.tasks`` they
suspend; on ``spawned.threads`` they block and never suspend, so :func:`drive` runs the
same coroutine to its end in one step. Everything a supervisor does is decided by
``_supervisor_logic.step``; this module only turns what happens into events and carries out the
actions ``step`` returns (``SupervisorCore._carry_out``), and :func:`shut_down` is the one
place that knows how to stop a child.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Coroutine, Hashable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import frozen
from loguru import logger

from . import _telemetry
from ._envelope import STOP
from ._errors import Ignored, InitFailed, SpawnedError
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
    REQUESTS,
    Answer,
    ChildExited,
    ChildSpec,
    DynamicSupervisor,
    Entry,
    Escalate,
    InitChildren,
    LogGiveUp,
    LogRestart,
    Refuse,
    Restart,
    RuntimeClosing,
    SendRetry,
    Shutdown,
    StartChild,
    StartFailed,
    StartIgnored,
    StartSucceeded,
    State,
    StopAll,
    StopChild,
    Strategy,
    Supervisor,
    Terminate,
    TryAgain,
    step,
    stop_order,
)

if TYPE_CHECKING:
    from ._backend import Ops
    from ._runtime import RuntimeCore
    from ._supervisor_logic import Action, Event

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

    One pass over the processes nobody else stops (its top level): those started at top
    level (the root supervisor's children) and those started inside a process without a
    link (or whose parent is gone), in the order `stop_order` decides (last started first,
    each with a supervisor's shutdown for its kind: ``INFINITY`` for a supervisor, 5 s for
    a worker). A supervisor stops its own children as their specs say, and a linked child
    goes with its parent. Then the root itself (which stops nothing: its children are gone
    by then), and any straggler.
    From the start, the runtime refuses to start processes (``RuntimeCore.closing``).
    """
    with runtime.lock:
        runtime.closing = True
        live = list(runtime.live)
    root, runtime.root = runtime.root, None
    top_level = State(children=tuple(_top_level_entry(p) for p in live if _owned_by_runtime(p, root)))
    await shut_down([(s.process, s.shutdown) for s in stop_order(top_level)], ops, root)
    if root is not None:
        await shut_down([(root, INFINITY)], ops)
    await shut_down([(p, DEFAULT_SHUTDOWN) for p in runtime.shutdown_order()], ops)


def _owned_by_runtime(process: ProcessCore, root: ProcessCore | None) -> bool:
    """Whether nobody but the runtime stops ``process``: started at top level, started
    without a link, or its parent is gone (the root itself is stopped on its own).
    """
    if process is root:
        return False
    parent = process.parent
    return parent is None or parent is root or not parent.alive


# -- answers to supervisor handles ---------------------------------------------------------------


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

    Every decision is `step`'s (``_supervisor_logic.py``): this class turns what happens into
    events and carries out the actions `step` returns (:meth:`_carry_out`).
    """

    trap_exits = True

    def __init__(self, spec: Supervisor | DynamicSupervisor) -> None:
        self.spec = spec
        self.dynamic = isinstance(spec, DynamicSupervisor)
        if isinstance(spec, Supervisor):
            self.state = State(spec.strategy, spec.max_restarts, spec.max_seconds)
        else:
            self.state = State(
                Strategy.ONE_FOR_ONE,
                spec.max_restarts,
                spec.max_seconds,
                dynamic=True,
                max_children=spec.max_children,
            )
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
        children = self.spec.children if isinstance(self.spec, Supervisor) else ()
        outcome = await self._decide(InitChildren(children))
        return outcome if isinstance(outcome, Stop) else None

    async def answer(self, msg: Any, caller: Caller[Any]) -> Reply[Any]:  # noqa: ARG002 - a call's shape
        """``handle_call``: carry out a handle's request; a refusal is answered as ``Failed``
        (a ``TypeError``: a child that cannot be started, see :func:`check_child`).
        """
        if not isinstance(msg, REQUESTS):
            return Reply(Failed(TypeError(f"{self.label} got an unknown request {msg!r}")))
        outcome = await self._decide(msg)
        if not isinstance(outcome, Reply):
            msg_text = f"{self.label} decided no answer to {msg!r}"
            raise TypeError(msg_text)
        return outcome

    async def on_info(self, msg: Any) -> Stop | None:
        """``handle_info``: a child's exit, or a failed restart's ``TryAgain``.

        The parent's exit is not a message: it stops the supervisor (``ProcessCore.exit_signal``).
        """
        if isinstance(msg, Exit):
            sender = None if msg.handle is None else msg.handle._process
            event: ChildExited | TryAgain = ChildExited(sender, msg.reason)
        elif isinstance(msg, TryAgain):
            event = msg
        else:
            return super().handle_info(msg)  # pyright: ignore[reportReturnType]
        if self._spawned_running.runtime.closing and not self.state.closing:
            self.state, _ = step(self.state, RuntimeClosing(), self.ops.now())
        outcome = await self._decide(event)
        return outcome if isinstance(outcome, Stop) else None

    async def stop_children(self) -> None:
        """``terminate``: stop every running child, last started first."""
        await self._decide(Terminate())

    # -- the interpreter ------------------------------------------------------------------------

    async def _decide(self, event: Event) -> Stop | Reply[Any] | None:
        """Feed ``event`` to `step` and carry out the actions it returns."""
        self.state, actions = step(self.state, event, self.ops.now())
        return await self._carry_out(actions)

    async def _carry_out(self, actions: tuple[Action, ...]) -> Stop | Reply[Any] | None:
        """Carry out ``actions`` in order. A `StartChild` (always the last) starts the child
        and feeds the outcome back to `step`, whose actions follow. Returns the ``Stop`` of
        an `Escalate`, or the ``Reply`` to a request.
        """
        outcome: Stop | Reply[Any] | None = None
        queue = deque(actions)
        while queue:
            action = queue.popleft()
            match action:
                case StopChild(_, process, shutdown):
                    await shut_down([(process, shutdown)], self.ops, self._spawned_running)
                case StopAll(stops, together):
                    targets = [(s.process, s.shutdown) for s in stops]
                    await shut_down(targets, self.ops, self._spawned_running, together=together)
                case StartChild(child_id):
                    started = await self._start(child_id)
                    self.state, more = step(self.state, started, self.ops.now())
                    queue.extend(more)
                case SendRetry(retry):
                    self.handle.send(retry)
                case Answer(value):
                    outcome = Reply(value)
                case Refuse(error):
                    outcome = Reply(Failed(error))
                case Escalate(reason):
                    outcome = Stop(reason)
                case LogRestart() | LogGiveUp():
                    self._log(action)
        return outcome

    def _log(self, action: LogRestart | LogGiveUp) -> None:
        if _telemetry.active:
            _telemetry.supervisor_event(self._spawned_running, action)
        who = repr(action.child) if action.process is None else f"{action.child!r} ({action.process.label})"
        if isinstance(action, LogRestart):
            logger.bind(server=self.label).warning(
                "{} restarting {} after child {} exited, reason: {}",
                self.label,
                ", ".join(repr(i) for i in action.starts),
                who,
                describe(action.reason),
            )
            return
        logger.bind(server=self.label).error(
            "{} reached max restart intensity ({} restarts in {:g} s) after child {} exited, "
            "reason: {}; shutting down",
            self.label,
            self.state.max_restarts,
            self.state.max_seconds,
            who,
            describe(action.reason),
        )

    # -- starting children --------------------------------------------------------------------

    async def _start(self, child_id: Hashable) -> StartSucceeded | StartIgnored | StartFailed:
        """Start the child whose start `step` decided (``state.busy.current``) and report how
        it went: started, its ``init`` returned ``Ignore()``, or failed (``InitFailed``,
        ``AlreadyStarted``, or ``TypeError`` when the factory returned something that cannot
        start).
        """
        busy = self.state.busy
        if busy is None or busy.current.id != child_id:
            msg = f"{self.label} was told to start child {child_id!r} with no start under way"
            raise RuntimeError(msg)
        spec = busy.current.spec
        try:
            try:
                server = spec.start()
            except Exception as exc:
                logger.bind(server=self.label).opt(exception=for_log(exc)).error(
                    "{} could not start child {!r}: its start factory raised {}",
                    self.label,
                    child_id,
                    describe(exc),
                )
                raise InitFailed(f"child {child_id!r}", exc, how="its start factory raised") from exc
            check_child(child_id, server, allow_async=self.ops.allow_async)
            kind = "supervisor" if isinstance(server, Supervisor | DynamicSupervisor) else "worker"
            if spec.on_thread and kind == "supervisor":
                error = TypeError(f"on_thread=True applies to a GenServer, not to {server!r}")
                raise InitFailed(f"child {child_id!r}", error, how="its spec is invalid")
            try:
                process = await self.ops.start(self.as_server(server), spec.name, on_thread=spec.on_thread)
            except Ignored:
                return StartIgnored(kind)
        except (SpawnedError, TypeError) as exc:
            return StartFailed(exc)
        return StartSucceeded(process, kind)

    def as_server(self, server: GenServer[Any, Any, Any] | Supervisor | DynamicSupervisor) -> Any:
        """``server``, or a supervisor process of this backend for a supervisor spec."""
        if isinstance(server, Supervisor | DynamicSupervisor):
            return type(self)(server)
        return server


# -- the runtime's root supervisor ----------------------------------------------------------


class RootCore(GenServer[Any, Any, Any]):
    """The runtime's root supervisor: every process started at top level is its temporary
    child.

    It takes no part in starting or stopping them: the runtime links each one to it before
    its ``init`` runs and records it in ``RuntimeCore.top_level`` once started, and forgets
    it when it exits, all without a message. The link is one way: the root's exit reaches
    each child as a parent's exit, but a child's exit needs no ``Exit`` message here,
    because the runtime has already unlinked and forgotten it (``RuntimeCore.forget``).
    When the runtime closes, `close_runtime` stops them (last started first, see
    `stop_order`) before it stops the root.
    """

    trap_exits = True

    @property
    def state(self) -> State:
        """The top-level processes as this supervisor's children, in start order."""
        runtime = self._spawned_running.runtime
        with runtime.lock:
            processes = list(runtime.top_level)
        return State(children=tuple(_top_level_entry(p) for p in processes))


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
