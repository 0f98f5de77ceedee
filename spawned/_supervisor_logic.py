"""Supervision decisions, pure: specs, restart rules, the intensity window, restart plans.

Everything that decides *what* a supervisor does lives here, as plain functions over plain
values, and `step` is the one entry: ``step(state, event, now) -> (state, actions)``. An
event is what happened (a child exited, a start succeeded, was ignored or failed, a handle
made a request, a failed restart is due again, the runtime is closing); an action is what
to do about it (start or stop a child, answer or refuse the request, send a `TryAgain`,
log, exit). No clock is read here (``now`` is passed in) and nothing waits; both backends
run the same supervisor driver (``_supervisor_process.py``), which only carries actions out and
feeds back the outcome of each start as the next event.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, TypeAlias, TypeVar

from attrs import Attribute, evolve, field, frozen, validators
from typing_extensions import TypeVar as DefaultTypeVar

from ._errors import (
    AlreadyStarted,
    ChildAlreadyPresent,
    ChildAlreadyStarted,
    ChildNotFound,
    ChildRestarting,
    ChildRunning,
    InitFailed,
    MaxChildren,
    SpawnedError,
)
from ._reasons import SHUTDOWN, is_clean
from ._timers import seconds_of
from ._util import check_hashable

if TYPE_CHECKING:
    from ._handle import HandleBase
    from ._server import GenServer


class Restart(Enum):
    """When a supervisor restarts a child that exited."""

    PERMANENT = "permanent"
    """Always restarted, whatever the exit reason."""
    TRANSIENT = "transient"
    """Restarted only after an abnormal exit (not ``"normal"`` or ``"shutdown"``)."""
    TEMPORARY = "temporary"
    """Never restarted; its spec is dropped once it exits."""


class Strategy(Enum):
    """Which children a supervisor restarts when one of them has to be restarted."""

    ONE_FOR_ONE = "one_for_one"
    """Only the child that exited."""
    ONE_FOR_ALL = "one_for_all"
    """Every child: the others are stopped (in reverse order), then all start again in order."""
    REST_FOR_ONE = "rest_for_one"
    """The child that exited and every child started after it."""


class BrutalKill(Enum):
    """The type of [`BRUTAL_KILL`][spawned.BRUTAL_KILL]."""

    BRUTAL_KILL = "brutal_kill"
    """Kill the child at once on shutdown: no ``terminate``."""


BRUTAL_KILL: Final = BrutalKill.BRUTAL_KILL
"""A child's ``shutdown``: kill it at once (``"killed"``), with no ``terminate``."""

INFINITY: Final = math.inf
"""A child's ``shutdown`` (or a timeout): wait as long as it takes. The default for supervisors."""

DEFAULT_SHUTDOWN: Final = 5.0
"""Seconds a worker child gets to run ``terminate`` on shutdown before it is killed."""

Shutdown: TypeAlias = float | BrutalKill
Kind: TypeAlias = Literal["worker", "supervisor"]

RESTART_TABLE: Final[Mapping[tuple[Restart, bool], bool]] = {
    (Restart.PERMANENT, False): True,
    (Restart.PERMANENT, True): True,
    (Restart.TRANSIENT, False): True,
    (Restart.TRANSIENT, True): False,
    (Restart.TEMPORARY, False): False,
    (Restart.TEMPORARY, True): False,
}
"""``(restart type, clean exit?) -> restarted?``; a clean exit is ``"normal"`` or ``"shutdown"``."""

STRATEGY_TABLE: Final[Mapping[Strategy, str]] = {
    Strategy.ONE_FOR_ONE: "the child that exited",
    Strategy.ONE_FOR_ALL: "every child",
    Strategy.REST_FOR_ONE: "the child that exited and every child started after it",
}
"""Which children one restart covers, per strategy (temporary siblings are stopped, not restarted)."""


E = TypeVar("E", Restart, Strategy)


def _member(kind: type[E], value: E | str, what: str) -> E:
    """``value`` as a member of ``kind``: the member itself, or its OTP spelling (its value)."""
    if isinstance(value, kind):
        return value
    try:
        return kind(value)
    except (ValueError, TypeError):
        allowed = ", ".join(f"{m.name} ({m.value!r})" for m in kind)
        msg = f"{what} must be a {kind.__name__} or its OTP spelling: {allowed}; got {value!r}"
        raise ValueError(msg) from None


def _to_restart(value: Restart | str) -> Restart:
    return _member(Restart, value, "restart")


def _to_strategy(value: Strategy | str) -> Strategy:
    return _member(Strategy, value, "strategy")


def _check_shutdown(_instance: object, _attribute: object, value: object) -> None:
    if value is None or value is BRUTAL_KILL:
        return
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return
    msg = f"shutdown must be seconds >= 0, BRUTAL_KILL or INFINITY, got {value!r}"
    raise ValueError(msg)


def _hashable_id(_instance: object, _attribute: object, value: object) -> None:
    check_hashable(value, "a child spec's id")


def _name_or_none(_instance: object, _attribute: object, value: object) -> None:
    check_hashable(value, "a child spec's name")


ServerT_co = DefaultTypeVar(
    "ServerT_co",
    bound="GenServer[Any, Any, Any] | Supervisor | DynamicSupervisor",
    default="GenServer[Any, Any, Any] | Supervisor | DynamicSupervisor",
    covariant=True,
)


@frozen
class ChildSpec(Generic[ServerT_co]):
    """How a supervisor starts, restarts and stops one child.

    Generic in the server its ``start`` returns, so ``start_child(ChildSpec("c", Counter))``
    gives a handle typed as ``start(Counter())`` gives it.

    Attributes:
        id: names the child within its supervisor (``terminate_child(id)`` and the like).
        start: a zero-argument factory that returns a *fresh* server each time: a
            ``GenServer`` instance, a [`Supervisor`][spawned.Supervisor] or a
            [`DynamicSupervisor`][spawned.DynamicSupervisor]. It is called on every
            (re)start, so a restarted child begins with fresh state. Anything else it
            returns (a class, an instance already started, ``None``) fails that start
            with a ``TypeError``.
        restart: when the child is restarted: a [`Restart`][spawned.Restart], or its OTP
            spelling (``"permanent"``, ``"transient"``, ``"temporary"``).
        shutdown: seconds (``>= 0``) the child gets to run ``terminate`` before it is
            killed (``0``: asked to stop, then killed at once unless already gone),
            [`BRUTAL_KILL`][spawned.BRUTAL_KILL], or [`INFINITY`][spawned.INFINITY]. ``None``
            (the default) means 5 s for a worker and ``INFINITY`` for a supervisor.
        name: register the child under this name on every start (see ``whereis``).
        on_thread: on ``spawned.tasks``, run the child's callbacks (plain ``def`` only) on a
            thread of its own, as ``start(server, on_thread=True)`` does: for a server that
            blocks. On ``spawned.threads`` every process already has its own thread, so it
            changes nothing there (a spec stays portable). Refused for a supervisor child.

    Raises:
        TypeError: ``start`` is not callable, ``id`` or ``name`` is not hashable, or
            ``on_thread`` is not a ``bool``.
        ValueError: ``restart`` or ``shutdown`` is not one of the values above.
    """

    id: Hashable = field(validator=_hashable_id)
    start: Callable[[], ServerT_co] = field(validator=validators.is_callable())
    restart: Restart = field(default=Restart.PERMANENT, converter=_to_restart)
    shutdown: Shutdown | None = field(default=None, validator=_check_shutdown)
    name: object = field(default=None, validator=_name_or_none)
    on_thread: bool = field(default=False, validator=validators.instance_of(bool))

    def shutdown_for(self, kind: Kind) -> Shutdown:
        """The shutdown that applies to a child of ``kind``."""
        if self.shutdown is not None:
            return self.shutdown
        return INFINITY if kind == "supervisor" else DEFAULT_SHUTDOWN


def _count(_instance: object, attribute: Attribute[Any], value: Any) -> None:
    """An attrs validator: ``value`` is an ``int >= 0`` (``None`` too, where it is the default)."""
    if value is None and attribute.default is None:
        return
    if type(value) is not int or value < 0:
        none = "None or " if attribute.default is None else ""
        msg = f"{attribute.name} must be {none}an int >= 0, got {value!r}"
        raise ValueError(msg)


def _window(_instance: object, attribute: Attribute[Any], value: Any) -> None:
    """An attrs validator: ``value`` is a number of seconds ``> 0``."""
    if not seconds_of(value, attribute.name) > 0:
        msg = f"{attribute.name} must be > 0, got {value!r}"
        raise ValueError(msg)


def _to_specs(children: Sequence[ChildSpec]) -> tuple[ChildSpec, ...]:
    try:
        specs = tuple(children)
    except TypeError:
        msg = f"children must be a sequence of ChildSpec, got {children!r} ({type(children).__name__})"
        raise TypeError(msg) from None
    for spec in specs:
        check_spec(spec, "Supervisor children must each be")
    return specs


def check_spec(spec: object, what: str) -> None:
    """Raise ``TypeError`` unless ``spec`` is a ``ChildSpec``; ``what`` says who wants one."""
    if not isinstance(spec, ChildSpec):
        msg = f"{what} a ChildSpec, got {spec!r} ({type(spec).__name__})"
        raise TypeError(msg)


@frozen
class Supervisor:
    """A supervisor to start: ``start(Supervisor([...]))`` returns its handle.

    Children start in order, each waiting for the one before; if one fails to start, those
    already started stop again (last first) and ``start`` raises ``InitFailed``. When more
    than ``max_restarts`` restarts happen within ``max_seconds``, the supervisor stops all
    children (last first) and exits with ``"shutdown"``, leaving it to its own supervisor.

    Attributes:
        children: the child specs, in start order; ids must be unique.
        strategy: which children one restart covers: a [`Strategy`][spawned.Strategy], or
            its OTP spelling (``"one_for_one"``, ``"one_for_all"``, ``"rest_for_one"``).
        max_restarts: restarts allowed within ``max_seconds`` (default 3).
        max_seconds: the length of the intensity window (default 5 s).

    Raises:
        TypeError: ``children`` is not a sequence of ``ChildSpec``, or ``max_seconds`` is
            not a number.
        ValueError: a bad ``strategy`` or intensity, or two children share an id.
    """

    children: tuple[ChildSpec, ...] = field(default=(), converter=_to_specs)
    strategy: Strategy = field(default=Strategy.ONE_FOR_ONE, converter=_to_strategy)
    max_restarts: int = field(default=3, validator=_count)
    max_seconds: float = field(default=5.0, validator=_window)

    def __attrs_post_init__(self) -> None:
        seen: set[Hashable] = set()
        for spec in self.children:
            if spec.id in seen:
                msg = f"child ids must be unique within a supervisor; {spec.id!r} appears twice"
                raise ValueError(msg)
            seen.add(spec.id)


@frozen
class DynamicSupervisor:
    """A supervisor that starts with no children and adds them with ``start_child``.

    Children are restarted one for one; on shutdown they are all asked to stop at once.

    Attributes:
        max_children: refuse ``start_child`` beyond this many children (``None``: no limit).
        max_restarts: restarts allowed within ``max_seconds`` (default 3).
        max_seconds: the length of the intensity window (default 5 s).

    Raises:
        TypeError: ``max_seconds`` is not a number.
        ValueError: ``max_children`` or ``max_restarts`` is not an ``int >= 0``, or
            ``max_seconds`` is not ``> 0``.
    """

    max_children: int | None = field(default=None, validator=_count)
    max_restarts: int = field(default=3, validator=_count)
    max_seconds: float = field(default=5.0, validator=_window)


@frozen
class Child:
    """One child as ``which_children`` reports it.

    ``handle`` is ``None`` when the child is not running (terminated, its ``init``
    returned ``Ignore()``, or it is restarting). It is typed as the backend-neutral
    [`HandleBase`][spawned.HandleBase]: ``tasks.Handle.of(child.handle)`` (or
    ``threads.Handle.of``) gives the backend's handle, which can be called.
    """

    id: Hashable
    handle: HandleBase[Any, Any, Any] | None
    kind: Kind
    restart: Restart
    restarting: bool = False
    """Its restart failed and another attempt is due (OTP's ``restarting``); ``handle`` is ``None``."""


@frozen
class ChildCount:
    """What ``count_children`` reports: specs, running children, and specs by kind."""

    specs: int
    """Every child spec the supervisor holds, running or not."""
    active: int
    """Children that are running."""
    supervisors: int
    """Specs whose child is a supervisor."""
    workers: int
    """Specs whose child is a worker."""


# -- the supervisor's state and its decisions --------------------------------------------------


@frozen
class Entry:
    """One child in a supervisor's state. ``process`` is the driver's (opaque here)."""

    id: Hashable
    spec: ChildSpec
    kind: Kind = "worker"
    process: Any = None
    pending: bool = False
    """Stopped by a restart of a sibling and due to start again."""
    retry: int | None = None
    """Its restart failed: the attempt of the `TryAgain` due for it (``None``: none due)."""
    former: Any = None
    """The process it ran before it exited, while its restart is under way or retried: a
    restarting child keeps it, as OTP keeps its old pid (a ``DynamicSupervisor``'s
    ``terminate_child`` finds it by that handle).
    """

    @property
    def running(self) -> bool:
        """Whether the child has a live process."""
        return self.process is not None

    @property
    def restarting(self) -> bool:
        """Whether a failed restart of the child is to be tried again."""
        return self.retry is not None


@frozen
class Busy:
    """An operation in the middle of starting children: ``why`` it started them, the entry
    whose start is under way (``current``), and the entries to start after it (``todo``).
    """

    why: Literal["init", "restart", "add", "restart_child"]
    current: Entry
    todo: tuple[Entry, ...] = ()


@frozen
class State:
    """A supervisor's children (in start order) and its recent restart times."""

    strategy: Strategy = Strategy.ONE_FOR_ONE
    max_restarts: int = 3
    max_seconds: float = 5.0
    children: tuple[Entry, ...] = ()
    restarts: tuple[float, ...] = ()
    attempts: int = 0
    """How many failed restarts were recorded (numbers each `TryAgain`)."""
    dynamic: bool = False
    """A ``DynamicSupervisor``: its ids are made up, and it forgets a child that is not running."""
    max_children: int | None = None
    """A ``DynamicSupervisor``'s limit on its children (``None``: no limit)."""
    next_id: int = 0
    """The id a ``DynamicSupervisor`` gives its next child."""
    closing: bool = False
    """The runtime is closing: no child is restarted any more."""
    busy: Busy | None = None
    """The operation waiting for the outcome of a start (``None``: at rest)."""

    def find(self, child_id: Hashable) -> Entry | None:
        """The entry with ``child_id``, or ``None``."""
        for entry in self.children:
            if entry.id == child_id:
                return entry
        return None

    def find_process(self, process: object) -> Entry | None:
        """The entry whose child is ``process``, or ``None`` (also for ``process=None``)."""
        if process is None:
            return None
        for entry in self.children:
            if entry.process is process:
                return entry
        return None

    def put(self, entry: Entry) -> State:
        """Replace the entry with the same id, or append ``entry`` as the last child."""
        if self.find(entry.id) is None:
            return evolve(self, children=(*self.children, entry))
        return evolve(self, children=tuple(entry if e.id == entry.id else e for e in self.children))

    def drop(self, child_id: Hashable) -> State:
        """Remove the child with ``child_id``."""
        return evolve(self, children=tuple(e for e in self.children if e.id != child_id))

    def count(self) -> ChildCount:
        """The [`ChildCount`][spawned.ChildCount] of these children."""
        supervisors = sum(1 for e in self.children if e.kind == "supervisor")
        return ChildCount(
            specs=len(self.children),
            active=sum(1 for e in self.children if e.running),
            supervisors=supervisors,
            workers=len(self.children) - supervisors,
        )


@frozen
class StopChild:
    """Action: stop the child ``id`` (its process is ``process``) as ``shutdown`` says."""

    id: Hashable
    process: Any
    shutdown: Shutdown


@frozen
class StartChild:
    """Action: start the child ``id`` again from its spec."""

    id: Hashable


@frozen
class Escalate:
    """Action: the restart intensity is exceeded; stop every child and exit with ``reason``."""

    reason: object


@frozen
class TryAgain:
    """A failed restart to try again: the driver sends it to itself, so the supervisor
    answers the requests already waiting before the next attempt (as OTP's
    ``try_again_restart``). ``attempt`` tells it from an older retry of the same child.
    """

    id: Hashable
    reason: object
    attempt: int


@frozen
class StopAll:
    """Action: stop ``stops`` (last started first), one after another or, ``together``, all
    asked at once and then waited for (a supervisor's shutdown).
    """

    stops: tuple[StopChild, ...]
    together: bool = False


@frozen
class SendRetry:
    """Action: send ``retry`` to the supervisor itself (see `TryAgain`)."""

    retry: TryAgain


@frozen
class Answer:
    """Action: answer the handle's request with ``value``."""

    value: object


@frozen
class Refuse:
    """Action: refuse the handle's request; the handle raises ``error``."""

    error: SpawnedError | TypeError


@frozen
class LogRestart:
    """Action: log that ``starts`` (ids as logs name them) restart after the child ``child``
    (its process ``process``, ``None`` for a failed restart tried again) exited with ``reason``.
    """

    child: object
    process: Any
    reason: object
    starts: tuple[object, ...]


@frozen
class LogGiveUp:
    """Action: log that the restart intensity is exceeded after ``child`` exited with ``reason``."""

    child: object
    process: Any
    reason: object


Action: TypeAlias = (
    StopChild | StartChild | Escalate | StopAll | SendRetry | Answer | Refuse | LogRestart | LogGiveUp
)


# -- events: what the driver reports ---------------------------------------------------------


@frozen
class InitChildren:
    """Event: the supervisor starts; ``specs`` are its children, started in order."""

    specs: tuple[ChildSpec, ...] = ()


@frozen
class ChildExited:
    """Event: the child process ``process`` (or a stranger's) exited with ``reason``."""

    process: Any
    reason: object


@frozen
class StartSucceeded:
    """Event: the start under way succeeded; ``process`` is the child, of ``kind``."""

    process: Any
    kind: Kind


@frozen
class StartIgnored:
    """Event: the start under way made a child of ``kind`` whose ``init`` returned ``Ignore()``."""

    kind: Kind


@frozen
class StartFailed:
    """Event: the start under way failed with ``error`` (``TypeError``: its factory returned
    something that cannot start).
    """

    error: SpawnedError | TypeError


@frozen
class RuntimeClosing:
    """Event: the runtime is closing (it starts no process any more)."""


@frozen
class Terminate:
    """Event: the supervisor is stopping; its children stop, last started first."""


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


Request: TypeAlias = AddChild | TerminateChild | RestartChild | DeleteChild | WhichChildren | CountChildren
REQUESTS: Final = (AddChild, TerminateChild, RestartChild, DeleteChild, WhichChildren, CountChildren)
"""The requests a supervisor handle sends (anything else is refused by the driver)."""

Event: TypeAlias = (
    InitChildren
    | ChildExited
    | TryAgain
    | StartSucceeded
    | StartIgnored
    | StartFailed
    | RuntimeClosing
    | Terminate
    | Request
)


def is_restarted(restart: Restart, reason: object) -> bool:
    """Whether a child of ``restart`` type that exited with ``reason`` is restarted."""
    return RESTART_TABLE[restart, is_clean(reason)]


def within_intensity(
    restarts: tuple[float, ...], now: float, max_restarts: int, max_seconds: float
) -> tuple[tuple[float, ...], bool]:
    """Record a restart at ``now``; return the restarts inside the window and whether that is
    still at most ``max_restarts`` (``False``: the intensity is exceeded).
    """
    recent = (*(t for t in restarts if now - t < max_seconds), now)
    return recent, len(recent) <= max_restarts


def covered(strategy: Strategy, children: tuple[Entry, ...], child_id: Hashable) -> tuple[Entry, ...]:
    """The children one restart of ``child_id`` covers under ``strategy``, in start order."""
    if strategy is Strategy.ONE_FOR_ONE:
        return tuple(e for e in children if e.id == child_id)
    if strategy is Strategy.ONE_FOR_ALL:
        return children
    ids = [e.id for e in children]
    return children[ids.index(child_id) :]


def on_child_exit(
    state: State, child_id: Hashable, reason: object, now: float
) -> tuple[State, tuple[Action, ...]]:
    """Decide what happens after the child ``child_id`` exited with ``reason`` at ``now``.

    Returns the new state and the actions to carry out, in order: ``StopChild`` for the
    covered siblings still running (last started first), then ``StartChild`` for every
    child to start again (in start order) — or a single ``Escalate`` when this restart
    would exceed the intensity. Temporary children are never restarted: an exited one is
    dropped, and a temporary sibling a restart covers is stopped and dropped.
    The state returned already reflects every action (stopped children hold no process).
    """
    entry = state.find(child_id)
    if entry is None:
        return state, ()
    restarted = is_restarted(entry.spec.restart, reason)
    former = (entry.process if entry.process is not None else entry.former) if restarted else None
    state = state.put(evolve(entry, process=None, pending=False, retry=None, former=former))
    if not restarted:
        if entry.spec.restart is Restart.TEMPORARY:
            state = state.drop(child_id)
        return state, ()
    restarts, allowed = within_intensity(state.restarts, now, state.max_restarts, state.max_seconds)
    state = evolve(state, restarts=restarts)
    if not allowed:
        return state, (Escalate(SHUTDOWN),)
    group = covered(state.strategy, state.children, child_id)
    stops = [_stop(e) for e in reversed(group) if e.id != child_id and e.running]
    starts: list[Action] = []
    for e in group:
        if e.id != child_id and e.spec.restart is Restart.TEMPORARY:
            if e.running:
                state = state.drop(e.id)
            continue
        if e.id == child_id or e.running or e.pending:
            starts.append(StartChild(e.id))
            state = state.put(evolve(e, process=None, pending=True))
    return state, (*stops, *starts)


def restart_failed(state: State, child_id: Hashable, reason: object) -> tuple[State, TryAgain]:
    """Record that starting ``child_id`` again failed with ``reason``.

    The child holds no process and shows as restarting; the `TryAgain` returned is to be
    sent to the supervisor itself, and `on_try_again` decides it when it arrives. Children
    that were to start after it stay pending (a later restart of the group starts them).
    """
    attempt = state.attempts + 1
    entry = state.find(child_id)
    if entry is not None:
        state = state.put(evolve(entry, process=None, pending=False, retry=attempt))
    return evolve(state, attempts=attempt), TryAgain(child_id, reason, attempt)


def on_try_again(state: State, retry: TryAgain, now: float) -> tuple[State, tuple[Action, ...]]:
    """Decide a `TryAgain` at ``now``: as `on_child_exit` with the failure as the reason (so
    it counts towards the intensity), if the child is still restarting from that attempt;
    nothing if it was since terminated, deleted or started by hand.
    """
    entry = state.find(retry.id)
    if entry is None or entry.retry != retry.attempt:
        return state, ()
    return on_child_exit(state, retry.id, retry.reason, now)


def step(state: State, event: Event, now: float) -> tuple[State, tuple[Action, ...]]:
    """Decide ``event`` at ``now``: the new state and the actions to carry out, in order.

    A `StartChild` is always the last action: the driver starts that child and reports the
    outcome (`StartSucceeded`, `StartIgnored`, `StartFailed`) as the next event, which
    decides what follows (the next start of the same round, an answer, a retry). Once an
    operation is over (``state.busy`` is ``None``), a dynamic supervisor forgets every child
    that is neither running nor due to start again (`forget_stopped`).
    """
    match event:
        case InitChildren(specs):
            state, actions = _start_each(state, "init", tuple(Entry(s.id, s) for s in specs))
        case ChildExited(process, reason):
            entry = state.find_process(process)
            if entry is None:  # a child already stopped or replaced, or a stranger
                return state, ()
            planned = on_child_exit(state, entry.id, reason, now)
            state, actions = _restart_round(planned, entry.id, reason, entry.process)
        case TryAgain(child_id, reason, _):
            state, actions = _restart_round(on_try_again(state, event, now), child_id, reason, None)
        case StartSucceeded() | StartIgnored() | StartFailed():
            state, actions = _started(state, event)
        case RuntimeClosing():
            return evolve(state, closing=True), ()
        case Terminate():
            state, stop_all = _stop_all(state)
            return state, (stop_all,)
        case _:
            state, actions = _request(state, event)
    if state.busy is None and state.dynamic:
        state = forget_stopped(state)
    return state, actions


def forget_stopped(state: State) -> State:
    """As in Elixir, a dynamic supervisor forgets children that are not running: every child
    that is neither running, nor due to start again, nor restarting is dropped.
    """
    kept = tuple(e for e in state.children if e.running or e.pending or e.restarting)
    return evolve(state, children=kept)


def _restart_round(
    planned: tuple[State, tuple[Action, ...]], child_id: Hashable, reason: object, process: object
) -> tuple[State, tuple[Action, ...]]:
    """What `on_child_exit` (or `on_try_again`) ``planned`` after ``child_id`` (its process
    ``process``, ``None`` for a retry) exited with ``reason``, with its logs; the starts one
    by one, and none once the runtime is closing.
    """
    state, actions = planned
    if any(isinstance(a, Escalate) for a in actions):
        return state, (LogGiveUp(_log_id(state, child_id), process, reason), *actions)
    stops = tuple(a for a in actions if isinstance(a, StopChild))
    starts = () if state.closing else tuple(a.id for a in actions if isinstance(a, StartChild))
    if not starts:
        return state, stops
    log = LogRestart(_log_id(state, child_id), process, reason, tuple(_log_id(state, i) for i in starts))
    todo = tuple(e for e in state.children if e.id in starts)
    state, start = _start_each(state, "restart", todo)
    return state, (log, *stops, *start)


def _log_id(state: State, child_id: Hashable) -> object:
    """How logs name a child: its spec's id (a ``DynamicSupervisor``'s own ids are made up)."""
    entry = state.find(child_id)
    return child_id if entry is None else entry.spec.id


def _start_each(
    state: State, why: Literal["init", "restart", "add", "restart_child"], todo: tuple[Entry, ...]
) -> tuple[State, tuple[Action, ...]]:
    """Start the first of ``todo`` (the rest follow, one per outcome); nothing if empty."""
    if not todo:
        return evolve(state, busy=None), ()
    current = state.find(todo[0].id) or todo[0]
    return evolve(state, busy=Busy(why, current, todo[1:])), (StartChild(current.id),)


def _started(
    state: State, outcome: StartSucceeded | StartIgnored | StartFailed
) -> tuple[State, tuple[Action, ...]]:
    """Record the outcome of the start under way and decide what follows it."""
    busy = state.busy
    if busy is None:
        msg = f"a start outcome {outcome!r} with no start under way"
        raise ValueError(msg)
    entry = busy.current
    state = evolve(state, busy=None)
    if isinstance(outcome, StartFailed):
        return _start_failed(state, busy, outcome.error)
    entry = evolve(entry, kind=outcome.kind, process=None, pending=False, retry=None, former=None)
    if isinstance(outcome, StartSucceeded):
        state = state.put(evolve(entry, process=outcome.process))
    else:
        state = keep_ignored(state, entry)
    if busy.why in {"init", "restart"}:
        return _start_each(state, busy.why, busy.todo)
    handle = outcome.process.handle if isinstance(outcome, StartSucceeded) else None
    return state, (Answer(handle),)


def keep_ignored(state: State, entry: Entry) -> State:
    """Record a child whose ``init`` returned ``Ignore()``: its spec is kept (not running;
    ``restart_child`` starts it), unless it is temporary. A ``DynamicSupervisor`` then
    forgets it as any child that is not running (`forget_stopped`).
    """
    if entry.spec.restart is Restart.TEMPORARY:
        return state.drop(entry.id)
    return state.put(entry)


def _start_failed(
    state: State, busy: Busy, error: SpawnedError | TypeError
) -> tuple[State, tuple[Action, ...]]:
    """A start failed: an ``init`` stops the children already started and fails; a restart
    is tried again later (`restart_failed`); a request is refused with ``error``.
    """
    entry = busy.current
    if busy.why == "init":
        state, stop_all = _stop_all(state)
        reason = (SHUTDOWN, ("failed_to_start_child", entry.id, failure_reason(error)))
        return state, (stop_all, Escalate(reason))
    if busy.why == "restart":
        state, retry = restart_failed(state, entry.id, ("failed_to_start", failure_reason(error)))
        return state, (SendRetry(retry),)
    return state, (Refuse(error),)


def failure_reason(error: SpawnedError | TypeError) -> object:
    """The reason a failed start gives: ``InitFailed``'s reason, ``("already_started",
    handle)``, or the error itself.
    """
    if isinstance(error, InitFailed):
        return error.reason
    if isinstance(error, AlreadyStarted):
        return ("already_started", error.handle)
    return error


def _stop_all(state: State) -> tuple[State, StopAll]:
    """Stop every running child, last started first (a dynamic supervisor's all at once)."""
    stops = stop_order(state)
    for stop in stops:
        entry = state.find(stop.id)
        if entry is not None:
            state = state.put(evolve(entry, process=None))
    return state, StopAll(stops, together=state.dynamic)


def _request(state: State, request: Request) -> tuple[State, tuple[Action, ...]]:
    """Decide a handle's request: `Answer`, `Refuse`, or a `StartChild` whose outcome answers."""
    match request:
        case AddChild(spec):
            return add_child(state, spec)
        case TerminateChild(child):
            return terminate_child(state, child)
        case RestartChild(child_id):
            return restart_child(state, child_id)
        case DeleteChild(child_id):
            return delete_child(state, child_id)
        case WhichChildren():
            return state, (Answer(which_children(state)),)
        case CountChildren():
            return state, (Answer(state.count()),)


def restart_child(state: State, child_id: Hashable) -> tuple[State, tuple[Action, ...]]:
    """``restart_child(id)``: start a child that is not running; refused for a running one."""
    entry = state.find(child_id)
    if entry is None:
        return state, (Refuse(ChildNotFound(child_id)),)
    if entry.running:
        return state, (Refuse(ChildRunning(child_id)),)
    if entry.restarting:
        return state, (Refuse(ChildRestarting(child_id)),)
    return _start_each(state, "restart_child", (entry,))


def delete_child(state: State, child_id: Hashable) -> tuple[State, tuple[Action, ...]]:
    """``delete_child(id)``: drop the spec of a child that is not running; refused for a running one."""
    entry = state.find(child_id)
    if entry is None:
        return state, (Refuse(ChildNotFound(child_id)),)
    if entry.running:
        return state, (Refuse(ChildRunning(child_id)),)
    if entry.restarting:
        return state, (Refuse(ChildRestarting(child_id)),)
    return state.drop(child_id), (Answer(None),)


def add_child(state: State, spec: ChildSpec) -> tuple[State, tuple[Action, ...]]:
    """``start_child(spec)``: a ``DynamicSupervisor`` refuses it beyond ``max_children`` and
    gives it the next made-up id; a ``Supervisor`` refuses an id it already holds.
    """
    if state.dynamic:
        limit = state.max_children
        if limit is not None and len(state.children) >= limit:
            return state, (Refuse(MaxChildren(limit)),)
        entry = Entry(state.next_id, spec)
        return _start_each(evolve(state, next_id=state.next_id + 1), "add", (entry,))
    existing = state.find(spec.id)
    if existing is not None:
        if existing.running:
            return state, (Refuse(ChildAlreadyStarted(spec.id, existing.process.handle)),)
        if existing.restarting:
            return state, (Refuse(ChildRestarting(spec.id)),)
        return state, (Refuse(ChildAlreadyPresent(spec.id)),)
    return _start_each(state, "add", (Entry(spec.id, spec),))


def terminate_child(state: State, child: object) -> tuple[State, tuple[Action, ...]]:
    """``terminate_child``: stop the child (by id; by handle on a ``DynamicSupervisor``, the
    handle it last ran under if it is restarting); a restarting child's retries end. A
    dynamic supervisor, or a temporary child, drops it; otherwise its spec stays, not
    running (``restart_child`` starts it again).
    """
    entry = _find_by_handle(state, child) if state.dynamic else state.find(child)
    if entry is None:
        return state, (Refuse(ChildNotFound(child)),)
    stops = (_stop(entry),) if entry.running else ()
    if state.dynamic or entry.spec.restart is Restart.TEMPORARY:
        state = state.drop(entry.id)
    else:
        state = state.put(evolve(entry, process=None, pending=False, retry=None, former=None))
    return state, (*stops, Answer(None))


def _find_by_handle(state: State, handle: object) -> Entry | None:
    """The child whose process ``handle`` is: running, or restarting after it exited (a
    restarting child keeps its former process, as OTP keeps its old pid).
    """
    process = getattr(handle, "_process", None)
    found = state.find_process(process)
    if found is None and process is not None:
        found = next((e for e in state.children if e.restarting and e.former is process), None)
    return found


def which_children(state: State) -> list[Child]:
    """The children as ``which_children`` reports them (a dynamic supervisor's without ids)."""
    return [
        Child(
            None if state.dynamic else e.id,
            e.process.handle if e.running else None,
            e.kind,
            e.spec.restart,
            restarting=e.restarting,
        )
        for e in state.children
    ]


def stop_order(state: State) -> tuple[StopChild, ...]:
    """``StopChild`` for every running child, last started first, each with its shutdown.

    A supervisor's shutdown, and the runtime's: when a runtime closes, it stops the
    processes nobody else stops (its top level) in this order (``close_runtime``).
    """
    return tuple(_stop(e) for e in reversed(state.children) if e.running)


def _stop(entry: Entry) -> StopChild:
    return StopChild(entry.id, entry.process, entry.spec.shutdown_for(entry.kind))


def restart_table_markdown() -> str:
    """The restart rules as a Markdown table (the docs include it; a test keeps them equal)."""
    rows = ["| restart | after a clean exit | after an abnormal exit |", "|---|---|---|"]
    for restart in Restart:
        clean = "restarted" if RESTART_TABLE[restart, True] else "not restarted"
        crash = "restarted" if RESTART_TABLE[restart, False] else "not restarted"
        rows.append(f"| `{restart.name}` | {clean} | {crash} |")
    rows += ["", "| strategy | one restart covers |", "|---|---|"]
    rows += [f"| `{strategy.name}` | {text} |" for strategy, text in STRATEGY_TABLE.items()]
    return "\n".join(rows) + "\n"
