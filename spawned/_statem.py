"""gen_statem's event engine, pure: event types, transition results, actions, and the engine.

Everything that decides what a state machine does next lives here and does no I/O: the
event queue (inserted events and retried postponed ones), the postponed events, the zero
time-out queue and the bookkeeping of running time-outs. The engine never calls user code
and never reads a clock. [`GenStateMachine`][spawned.GenStateMachine] drives it::

    event = engine.receive(Cast(), msg)         # an event from the mailbox
    while event is not None:
        result = <call the state callback for engine.callee_state with event>
        event = engine.conclude(result)          # next event to handle, or None: idle

and carries out its effects (replies, arming and disarming timers) through an
:class:`Effects` object. A stop comes out as :class:`Stopping`.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, Final, Generic, Protocol, TypeAlias, cast

from attrs import evolve, field, frozen
from typing_extensions import TypeVar

from ._errors import BadReturn
from ._reasons import safe_repr
from ._results import Stop

if TYPE_CHECKING:
    from ._messages import Caller

R = TypeVar("R", default=Any)
S_co = TypeVar("S_co", covariant=True, default=Any)
D_co = TypeVar("D_co", covariant=True, default=Any)


class Same(Enum):
    """The type of [`SAME`][spawned.SAME]."""

    SAME = "same"


SAME: Final = Same.SAME
"""A result's ``data`` when the data does not change (the default)."""


def _time(value: float) -> float:
    seconds = float(value)
    if math.isnan(seconds):
        msg = f"a time-out's time must be a number of seconds or INFINITY, got {value!r}"
        raise ValueError(msg)
    return seconds


def _check_relative(action: StateTimeout | EventTimeout | GenericTimeout) -> None:
    if action.time < 0 and not action.absolute:
        msg = (
            f"{type(action).__name__} time must be >= 0 seconds (or INFINITY), got {action.time!r}; "
            "pass absolute=True for a deadline on time.monotonic()"
        )
        raise ValueError(msg)


# -- event types ---------------------------------------------------------------------


@frozen
class Call(Generic[R]):
    """Event type of a ``call``; answer it with [`ReplyTo(caller, value)`][spawned.ReplyTo]."""

    caller: Caller[R]


@frozen
class Cast:
    """Event type of a ``cast``."""


@frozen
class Info:
    """Event type of any other message: ``send``, ``Down``, a trapped ``Exit``, a timer."""


@frozen
class Internal:
    """Event type for events a machine inserts itself with ``NextEvent(Internal(), content)``."""


@frozen
class Enter:
    """Event type of a state enter call; the content is the previous state.

    Made only when the class sets ``state_enter = True``: after every state change, after
    a ``RepeatState``, and for the initial state (whose previous state is itself).
    """


# -- actions -------------------------------------------------------------------------


@frozen
class ReplyTo(Generic[R]):
    """Action: answer ``caller`` (from a [`Call`][spawned.Call] event) with ``value``, at once.

    Named so it does not clash with GenServer's [`Reply`][spawned.Reply] result. A call may
    be answered from any later event, in any state.
    """

    caller: Caller[R]
    value: R


@frozen
class Postpone:
    """Action: keep the current event and retry it after the next state change.

    Postponed events are retried oldest first, before events still in the mailbox, after
    any change of state (not after ``KeepState`` or ``RepeatState``). Not allowed in a state
    enter call.
    """


@frozen
class NextEvent:
    """Action: handle ``(event_type, content)`` next, before the mailbox and before events
    retried after a state change. Several run in the order given. Not allowed in a state
    enter call, and ``event_type`` may be any event type but ``Enter()`` (only the machine
    makes state enter calls).
    """

    event_type: EventType[Any]
    content: Any


@frozen
class StateTimeout:
    """Action: an event of this type, with ``content``, after ``time`` seconds in this state.

    Any state change cancels it (so one set on a change belongs to the new state); so does
    setting it again or setting it to ``INFINITY``. ``KeepState`` and ``RepeatState`` keep it
    running. With ``absolute=True``, ``time`` is a deadline on ``time.monotonic()`` (on the
    virtual clock in ``spawned.sim``). A time of ``0`` fires after the events already queued,
    before the mailbox.

    The fired event's type is this action itself, so ``case StateTimeout():`` matches it.
    """

    time: float = field(converter=_time)
    content: Any = None
    absolute: bool = False

    def __attrs_post_init__(self) -> None:
        _check_relative(self)


@frozen
class EventTimeout:
    """Action: an event of this type, with ``content``, if no other event comes within
    ``time`` seconds.

    Any event cancels it, even one that is postponed or inserted; so does setting it to
    ``INFINITY``. With ``absolute=True``, ``time`` is a deadline on ``time.monotonic()`` (on the
    virtual clock in ``spawned.sim``).
    A time of ``0`` fires only when no event is queued.

    The fired event's type is this action itself, so ``case EventTimeout():`` matches it.
    """

    time: float = field(converter=_time)
    content: Any = None
    absolute: bool = False

    def __attrs_post_init__(self) -> None:
        _check_relative(self)


@frozen
class GenericTimeout:
    """Action: an event of this type, with ``content``, after ``time`` seconds, whatever
    happens meanwhile.

    One timer per ``name`` (which must be hashable): only setting the same name again
    (``INFINITY`` or [`CancelTimeout`][spawned.CancelTimeout] to cancel) or the machine's exit
    stops it; state changes and other events do not. With ``absolute=True``,
    ``time`` is a deadline on ``time.monotonic()`` (on the virtual clock in ``spawned.sim``).

    The fired event's type is this action itself, so ``case GenericTimeout("retry"):``
    matches the timer named ``"retry"``.
    """

    name: Hashable
    time: float = field(converter=_time)
    content: Any = None
    absolute: bool = False

    def __attrs_post_init__(self) -> None:
        _check_relative(self)


def _check_kind(action: CancelTimeout | UpdateTimeout) -> None:
    if action.kind not in TIMEOUTS:
        msg = (
            f"{type(action).__name__} kind must be StateTimeout, EventTimeout or GenericTimeout (the class), "
            f"got {action.kind!r}"
        )
        raise ValueError(msg)


@frozen
class CancelTimeout:
    """Action: cancel a running time-out, as setting it to ``INFINITY`` does (gen_statem's
    ``{TimeoutType, cancel}``).

    ``kind`` is the class of the time-out: ``CancelTimeout(StateTimeout)``,
    ``CancelTimeout(EventTimeout)``, or ``CancelTimeout(GenericTimeout, name="retry")`` for the
    generic time-out ``name``. Cancelling a time-out that is not running does nothing.
    """

    kind: type[StateTimeout | EventTimeout | GenericTimeout]
    name: Hashable = None
    """The generic time-out's name (only with ``GenericTimeout``)."""

    def __attrs_post_init__(self) -> None:
        _check_kind(self)


@frozen
class UpdateTimeout:
    """Action: give a running time-out a new ``content``, its timer left as it is
    (gen_statem's ``{TimeoutType, update, Content}``).

    ``kind`` and ``name`` pick the time-out as for [`CancelTimeout`][spawned.CancelTimeout]:
    ``UpdateTimeout(GenericTimeout, content, name="retry")``. If that time-out is not
    running, it is set with a time of ``0``: its event comes after the events already queued,
    as if it had just fired. An ``EventTimeout`` is never running by then (the event being
    handled cancelled it), so updating one always does that.
    """

    kind: type[StateTimeout | EventTimeout | GenericTimeout]
    content: Any = None
    name: Hashable = None
    """The generic time-out's name (only with ``GenericTimeout``)."""

    def __attrs_post_init__(self) -> None:
        _check_kind(self)


@frozen
class Hibernate:
    """Action: gen_statem's hibernation. Accepted for portability; neither backend has a
    hibernating process, so it does nothing.
    """


EventType: TypeAlias = (
    "Call[R] | Cast | Info | Internal | Enter | StateTimeout | EventTimeout | GenericTimeout"
)
"""What a state callback receives as ``event_type``; ``EventType[str]`` types the callers of
calls answered with ``str``, so pyright checks the value of each ``ReplyTo``.
"""

Action: TypeAlias = "ReplyTo[Any] | Postpone | NextEvent | StateTimeout | EventTimeout | GenericTimeout | CancelTimeout | UpdateTimeout | Hibernate"  # noqa: E501 - one string, as pyright reads a quoted alias
"""What a result's ``actions`` may hold."""

EVENT_TYPES = (Call, Cast, Info, Internal, Enter, StateTimeout, EventTimeout, GenericTimeout)
NEXT_EVENT_TYPES = (Call, Cast, Info, Internal, StateTimeout, EventTimeout, GenericTimeout)
"""The event types ``NextEvent`` may insert: any but ``Enter()`` (only the machine makes those)."""
TIMEOUTS = (StateTimeout, EventTimeout, GenericTimeout)
TIMEOUT_ACTIONS = (StateTimeout, EventTimeout, GenericTimeout, CancelTimeout, UpdateTimeout)

# -- results -------------------------------------------------------------------------


@frozen
class NextState(Generic[S_co, D_co]):
    """Result: go to ``state`` with ``data`` (``SAME``: unchanged), then run ``actions``.

    Going to a different state retries the postponed events and cancels the state time-out
    (and, with ``state_enter``, makes a state enter call). Going to the state the machine is
    in is the same as ``KeepState``. Also what ``init`` returns: the first state and data.
    """

    state: S_co
    data: D_co | Same = SAME
    actions: Sequence[Action] = ()


@frozen
class KeepState(Generic[D_co]):
    """Result: stay in the state, with ``data`` (``SAME``: unchanged), then run ``actions``.

    Returning ``None`` is ``KeepState()``. Postponed events stay postponed.
    """

    data: D_co | Same = SAME
    actions: Sequence[Action] = ()


@frozen
class RepeatState(Generic[D_co]):
    """Result: as ``KeepState``, but with ``state_enter`` the state enter call runs again."""

    data: D_co | Same = SAME
    actions: Sequence[Action] = ()


@frozen
class StopAndReply(Generic[D_co]):
    """Result: send ``replies`` (``ReplyTo`` actions), then stop with ``reason``.

    As in gen_statem, the replies go out first; then ``terminate(reason, state, data)``
    runs with ``data`` (``SAME``: unchanged). ``Stop(reason)`` stops without replies.
    """

    reason: object = "normal"
    replies: Sequence[ReplyTo[Any]] = ()
    data: D_co | Same = SAME


Transition: TypeAlias = (
    "NextState[S_co, D_co] | KeepState[D_co] | RepeatState[D_co] | Stop | StopAndReply[D_co] | None"
)
"""What a state callback may return."""

EVENT_ALLOWED = (
    "None, KeepState(data, actions), NextState(state, data, actions), RepeatState(data, actions), "
    "Stop(reason) or StopAndReply(reason, replies, data)"
)
ENTER_ALLOWED = (
    "None, KeepState(data, actions), RepeatState(data, actions), NextState to the same state, "
    "Stop(reason) or StopAndReply(reason, replies, data); a state enter call may not change state"
)
INIT_ALLOWED = "NextState(state, data, actions), Ignore() or Stop(reason)"
ACTIONS_ALLOWED = (
    "a list or tuple of ReplyTo(caller, value), Postpone(), NextEvent(event_type, content) "
    "(of any event type but Enter()), "
    "StateTimeout(time, content), EventTimeout(time, content), GenericTimeout(name, time, content), "
    "CancelTimeout(kind, name), UpdateTimeout(kind, content, name) or Hibernate()"
)
ENTER_ACTIONS_ALLOWED = (
    "a list or tuple of ReplyTo(caller, value), StateTimeout(time, content), EventTimeout(time, content), "
    "GenericTimeout(name, time, content), CancelTimeout(kind, name), UpdateTimeout(kind, content, name) "
    "or Hibernate(); a state enter call may not Postpone or NextEvent"
)


class BadTransition(BadReturn):
    """A state callback (or ``init``) returned a result or an action it may not return.

    The crash reason of the machine: ``state`` is the state it was in, ``event`` the
    ``(event_type, content)`` it was handling (``None`` in ``init``), ``value`` what was wrong
    and ``allowed`` what may be returned there.
    """

    def __init__(
        self, callback: str, value: object, allowed: str, state: object, event: Event | None
    ) -> None:
        self.callback = callback
        self.value = value
        self.allowed = allowed
        self.state = state
        self.event = event
        where = "" if event is None else f" in state {state!r} handling {describe_event(event)}"
        Exception.__init__(self, f"{callback} returned {value!r}{where}; allowed: {allowed}")


Event = tuple[Any, Any]
"""An event: ``(event_type, content)``."""


_OWN: Final = object()
"""``Engine.describe``'s default: the machine's own ``(state, data)``."""


def _same(value: object) -> object:
    return value


def describe_event(event: Event, show: Callable[[object], object] = _same) -> str:
    """An event as a short text, for errors and crash reports; ``show(content)`` is the
    content as the report may print it (say, through ``format_status``).
    """
    event_type, content = event
    kind: Any = event_type.__class__
    if kind is Call:
        return f"call {safe_repr(show(content))}"
    if kind is Enter:
        return f"state enter from {safe_repr(content)}"
    if kind is GenericTimeout:
        return f"GenericTimeout {event_type.name!r} firing with {safe_repr(show(content))}"
    if kind in TIMEOUTS:
        return f"{kind.__name__} firing with {safe_repr(show(content))}"
    return f"{kind.__name__.lower()} {safe_repr(show(content))}"


# -- the engine ----------------------------------------------------------------------


class Effects(Protocol):
    """What the engine asks its driver to do: reply, and arm or disarm timers."""

    def reply(self, caller: Caller[Any], value: Any) -> None:
        """Answer ``caller`` with ``value``."""
        ...

    def arm(self, key: Hashable, tag: int, time: float, absolute: bool) -> None:
        """Start the timer ``key`` (replacing any): in ``time`` seconds, or at ``time``
        when ``absolute``, deliver ``fired(key, tag)`` to the engine.
        """
        ...

    def disarm(self, key: Hashable) -> None:
        """Cancel the timer ``key`` (its message may still arrive; its tag is stale then)."""
        ...


class Stopping(Exception):
    """The machine stops with ``reason`` (replies, if any, were already sent)."""

    def __init__(self, reason: object) -> None:
        self.reason = reason


_IDLE: Final = 0
_EVENT: Final = 1
_ENTER: Final = 2

ENTER: Final = Enter()


class Armed:
    """A running time-out: its tag, the action that set it, and whether it is a zero one."""

    __slots__ = ("action", "tag", "zero")

    def __init__(self, tag: int, action: StateTimeout | EventTimeout | GenericTimeout, zero: bool) -> None:
        self.tag = tag
        self.action = action
        self.zero = zero


TimeoutAction: TypeAlias = "StateTimeout | EventTimeout | GenericTimeout | CancelTimeout | UpdateTimeout"


def timeout_key(action: TimeoutAction) -> Hashable:
    """The timer slot an action sets, cancels or updates: one per kind, and one per name for
    generic ones.
    """
    kind = type(action)
    if kind is GenericTimeout:
        generic: GenericTimeout = action  # pyright: ignore[reportAssignmentType] - checked just above
        return (GenericTimeout, generic.name)
    if kind is CancelTimeout or kind is UpdateTimeout:
        cancel: CancelTimeout | UpdateTimeout = action  # pyright: ignore[reportAssignmentType] - checked just above
        return (GenericTimeout, cancel.name) if cancel.kind is GenericTimeout else cancel.kind
    return kind


def _check_name(engine: Engine, action: GenericTimeout | CancelTimeout | UpdateTimeout) -> None:
    """Refuse a generic time-out whose name cannot key its timer."""
    try:
        hash(action.name)
    except TypeError:
        allowed = f"a GenericTimeout name that is hashable (a str, int, tuple...), not {action.name!r}"
        engine._fail(action, allowed)


class Engine:
    """One state machine's queues, time-outs and current transition, as plain data.

    ``state``/``data`` are the machine's; ``callee_state``/``callee_data`` are what the
    next state callback receives (in a state enter call, the new state and data).
    """

    __slots__ = (
        "_actions",
        "_effects",
        "_entered_from",
        "_inserted",
        "_phase",
        "_postpone",
        "_tags",
        "callback_name",
        "callee_data",
        "callee_state",
        "data",
        "event",
        "postponed",
        "queue",
        "state",
        "state_enter",
        "timeouts",
        "zero",
    )

    def __init__(
        self, effects: Effects, *, state_enter: bool, callback_name: Callable[[Any], str] | None = None
    ) -> None:
        self._effects = effects
        self.state_enter = state_enter
        self.callback_name: Callable[[Any], str] = callback_name or _handle_event_name
        """``state -> name`` of the callback that handles events in that state (for errors)."""
        self.state: Any = None
        self.data: Any = None
        self.callee_state: Any = None
        self.callee_data: Any = None
        self.event: Event | None = None
        """The event being handled (the last one, after a crash)."""
        self.queue: deque[Event] = deque()
        """Events to handle before the mailbox: inserted ones, then retried postponed ones."""
        self.postponed: list[Event] = []
        """Postponed events, oldest first."""
        self.zero: list[Hashable] = []
        """Time-outs of time zero that fire once ``queue`` is empty, in the order set."""
        self.timeouts: dict[Hashable, Armed] = {}
        self._tags = 0
        self._phase = _IDLE
        self._postpone = False
        self._entered_from: Any = None
        self._inserted: list[Event] | None = None
        self._actions: list[TimeoutAction] | None = None

    # -- driving -------------------------------------------------------------------------

    def init(self, result: object) -> Event | None:
        """Start from ``init``'s ``NextState(state, data, actions)``: run its actions (and, with
        ``state_enter``, the initial state enter call). Returns the first callback's event.
        """
        if type(result) is not NextState:
            raise BadTransition("init", result, INIT_ALLOWED, None, None)
        init = _as_next_state(result)
        self.state = init.state
        self.data = None if init.data is SAME else init.data
        self._begin(None)
        if init.actions:
            self._take_actions(init.actions, self.state, self.data, event_call=True)
        self._postpone = False
        return self._after(self.state, self.data, enter=True)

    def receive(self, event_type: object, content: object) -> Event:
        """Begin handling an event from the mailbox; returns it (the callback to make)."""
        event = (event_type, content)
        self._begin(event)
        return event

    def fired(self, key: Hashable, tag: int) -> Event | None:
        """A timer message arrived: its event, or ``None`` if the time-out was cancelled or
        set again since (a stale message).
        """
        armed = self.timeouts.get(key)
        if armed is None or armed.tag != tag or armed.zero:
            return None
        del self.timeouts[key]
        return self.receive(armed.action, armed.action.content)

    def conclude(self, result: object) -> Event | None:
        """Act on the result of the callback just made; returns the next event to handle
        (for the callback to make next), or ``None`` once the queues are empty.

        Raises:
            Stopping: the machine stops (``Stop`` or ``StopAndReply``).
            BadTransition: the result or one of its actions is not allowed here.
        """
        if self._phase == _ENTER:
            return self._conclude_enter(result)
        kind = type(result)
        state = self.state
        if result is None:
            return self._transition(state, self.data)
        if kind is KeepState:
            keep: KeepState[Any] = result  # pyright: ignore[reportAssignmentType] - checked just above
            data = self.data if keep.data is SAME else keep.data
            if keep.actions:
                self._take_actions(keep.actions, state, data, event_call=True)
            return self._transition(state, data)
        if kind is NextState:
            step: NextState[Any, Any] = result  # pyright: ignore[reportAssignmentType] - checked just above
            data = self.data if step.data is SAME else step.data
            target = step.state
            if step.actions:
                self._take_actions(step.actions, target, data, event_call=True)
            return self._after(target, data, enter=target is not state and target != state)
        if kind is RepeatState:
            repeat: RepeatState[Any] = result  # pyright: ignore[reportAssignmentType] - checked just above
            data = self.data if repeat.data is SAME else repeat.data
            if repeat.actions:
                self._take_actions(repeat.actions, state, data, event_call=True)
            return self._after(state, data, enter=True)
        return self._stop(result, EVENT_ALLOWED)

    @property
    def shown(self) -> tuple[Any, Any]:
        """``(state, data)`` as a report or ``get_state`` shows it: in a state enter call, the
        state entered and the data it got.
        """
        if self._phase == _ENTER:
            return (self.callee_state, self.callee_data)
        return (self.state, self.data)

    def describe(self, shown: object = _OWN, show: Callable[[object], object] = _same) -> str:
        """The machine's state, last event, data, queued and postponed events, for a crash
        report. ``shown`` is ``(state, data)`` as the report may print them (default:
        ``self.shown``), ``show(content)`` an event's content.
        """
        if shown is _OWN:
            shown = self.shown
        state = data = None
        has_data = isinstance(shown, tuple) and len(cast("tuple[Any, ...]", shown)) == 2
        if has_data:
            state, data = cast("tuple[Any, Any]", shown)
        text = f"state {safe_repr(state if has_data else cast('object', shown))}"
        if self._phase == _ENTER:
            text += f" (entered from {safe_repr(self._entered_from)})"
        if self.event is not None:
            text += f", last event {describe_event(self.event, show)}"
        if has_data:
            text += f", data {safe_repr(data)}"
        for name, events in (("queued", self.queue), ("postponed", self.postponed)):
            if events:
                text += f", {name} [{', '.join(describe_event(event, show) for event in events)}]"
        return text

    # -- the steps of a transition ---------------------------------------------------------

    def _begin(self, event: Event | None) -> None:
        """Start handling ``event`` (``_transition`` left the per-event fields reset)."""
        self.event = event
        self._phase = _EVENT
        self.callee_state = self.state
        self.callee_data = self.data

    def _conclude_enter(self, result: object) -> Event | None:
        state = self.callee_state
        kind = type(result)
        if result is None:
            return self._transition(state, self.callee_data)
        if kind is KeepState or kind is RepeatState:
            keep = _as_keep(result)
            data = self.callee_data if keep.data is SAME else keep.data
            if keep.actions:
                self._take_actions(keep.actions, state, data, event_call=False)
            if kind is RepeatState:
                self.callee_data = data
                return (ENTER, self._entered_from)
            return self._transition(state, data)
        if kind is NextState:
            step = _as_next_state(result)
            if step.state is state or step.state == state:
                data = self.callee_data if step.data is SAME else step.data
                if step.actions:
                    self._take_actions(step.actions, state, data, event_call=False)
                return self._transition(state, data)
            self._fail(result, ENTER_ALLOWED)
        self.state = state  # a stop in a state enter call terminates in the new state
        self.data = self.callee_data
        return self._stop(result, ENTER_ALLOWED)

    def _stop(self, result: object, allowed: str) -> Event | None:
        kind = type(result)
        if kind is Stop:
            stop: Stop = result  # pyright: ignore[reportAssignmentType] - checked just above
            if stop.has_reply:
                self._fail(
                    result, f"{allowed} (reply to a call with StopAndReply(reason, [ReplyTo(caller, value)]))"
                )
            raise Stopping(stop.reason)
        if kind is StopAndReply:
            stop_reply: StopAndReply[Any] = result  # pyright: ignore[reportAssignmentType] - checked just above
            replies = stop_reply.replies
            if not isinstance(replies, list | tuple) or not all(type(r) is ReplyTo for r in replies):
                self._fail(result, "StopAndReply with a list or tuple of ReplyTo(caller, value) as replies")
            reply = self._effects.reply
            for r in _as_replies(replies):
                reply(r.caller, r.value)
            if stop_reply.data is not SAME:
                self.data = stop_reply.data
            raise Stopping(stop_reply.reason)
        self._fail(result, allowed)
        return None  # pragma: no cover - _fail raises

    def _fail(self, value: object, allowed: str) -> None:
        if self._phase == _EVENT and self.event is None:  # init's actions
            raise BadTransition("init", value, allowed, None, None)
        name = self.callback_name(self.callee_state)
        if self._phase == _ENTER:
            name = f"the state enter call ({name})"
        event = self.event if self._phase == _EVENT else (ENTER, self._entered_from)
        raise BadTransition(name, value, allowed, self.callee_state, event)

    def _take_actions(self, actions: Sequence[Any], state: Any, data: Any, *, event_call: bool) -> None:
        """Run ``actions`` of a result that named ``state`` and ``data``; on a bad action the
        machine terminates in that state with that data (gen_statem's ``loop_actions_list``).
        """
        try:
            self._run_actions(actions, event_call=event_call)
        except BadTransition:
            self.state = state
            self.data = data
            raise

    def _run_actions(self, actions: Sequence[Any], *, event_call: bool) -> None:
        kind: Any = type(actions)
        if kind is not list and kind is not tuple and not isinstance(actions, list | tuple):
            self._fail(actions, ACTIONS_ALLOWED if event_call else ENTER_ACTIONS_ALLOWED)
        action: Any
        for action in actions:
            kind: Any = action.__class__
            if kind is ReplyTo:
                self._effects.reply(action.caller, action.value)
            elif kind in TIMEOUT_ACTIONS:
                self._queue_timeout(action)
            elif kind is Postpone and event_call:
                self._postpone = True
            elif kind is NextEvent and event_call and type(action.event_type) in NEXT_EVENT_TYPES:
                if self._inserted is None:
                    self._inserted = []
                self._inserted.append((action.event_type, action.content))
            elif kind is not Hibernate:
                self._fail(action, ACTIONS_ALLOWED if event_call else ENTER_ACTIONS_ALLOWED)

    def _queue_timeout(self, action: TimeoutAction) -> None:
        """Keep a time-out action for the end of the transition (after the state change)."""
        kind = type(action)
        if kind is not StateTimeout and kind is not EventTimeout:
            _check_name(self, action)  # pyright: ignore[reportArgumentType] - a generic, cancel or update
        if self._actions is None:
            self._actions = []
        self._actions.append(action)

    def _after(self, state: Any, data: Any, *, enter: bool) -> Event | None:
        """The event callback is done: make the state enter call, or finish the transition."""
        if enter and self.state_enter:
            self._phase = _ENTER
            self._entered_from = self.state
            self.callee_state = state
            self.callee_data = data
            return (ENTER, self.state)
        return self._transition(state, data)

    def _transition(self, state: Any, data: Any) -> Event | None:
        """Move to ``state``: postpone, retry postponed events, cancel and set time-outs, and
        queue inserted events; returns the next event to handle, or ``None``.
        """
        old = self.state
        queue = self.queue
        if self._postpone:
            self._postpone = False
            if self.event is not None:
                self.postponed.append(self.event)
        if self.timeouts:
            if state is not old and state != old:
                self._cancel(StateTimeout)
            self._cancel(EventTimeout)  # any event cancels it
        if self.postponed and state is not old and state != old:
            queue.extendleft(reversed(self.postponed))
            self.postponed = []
        if self._inserted is not None:
            queue.extendleft(reversed(self._inserted))
            self._inserted = None
        self.state = state
        self.data = data
        if self._actions is not None:
            actions, self._actions = self._actions, None
            self._apply(actions)
        self._phase = _IDLE
        return self._next()

    def _next(self) -> Event | None:
        """Begin the next queued event, then the next zero time-out; ``None``: the mailbox's turn."""
        if self.queue:
            event = self.queue.popleft()
        elif self.zero:
            armed = self.timeouts.pop(self.zero.pop(0))
            event = (armed.action, armed.action.content)
        else:
            return None
        self._begin(event)
        return event

    # -- time-outs -----------------------------------------------------------------------

    def _set(self, action: StateTimeout | EventTimeout | GenericTimeout) -> None:
        key = timeout_key(action)
        self._cancel(key)
        time = action.time
        if time == math.inf:
            return
        self._tags += 1
        tag = self._tags
        if time <= 0 and not action.absolute:
            self.timeouts[key] = Armed(tag, action, zero=True)
            self.zero.append(key)
            return
        self.timeouts[key] = Armed(tag, action, zero=False)
        self._effects.arm(key, tag, time, action.absolute)

    def _apply(self, actions: list[TimeoutAction]) -> None:
        """Set, cancel and update time-outs, in the order the actions came."""
        for action in actions:
            kind = type(action)
            if kind is CancelTimeout:
                self._cancel(timeout_key(action))
            elif kind is UpdateTimeout:
                self._update(action)  # pyright: ignore[reportArgumentType] - checked just above
            else:
                self._set(action)  # pyright: ignore[reportArgumentType] - one of the three time-outs

    def _update(self, update: UpdateTimeout) -> None:
        armed = self.timeouts.get(timeout_key(update))
        if armed is not None:
            armed.action = evolve(armed.action, content=update.content)
            return
        kind = update.kind
        if kind is GenericTimeout:
            self._set(GenericTimeout(update.name, 0, update.content))
        else:
            self._set(kind(0, update.content))

    def _cancel(self, key: Hashable) -> None:
        armed = self.timeouts.pop(key, None)
        if armed is None:
            return
        if armed.zero:
            self.zero.remove(key)
        else:
            self._effects.disarm(key)


def _handle_event_name(_state: object) -> str:
    return "handle_event"


def _as_next_state(result: object) -> NextState[Any, Any]:
    return result  # pyright: ignore[reportReturnType] - the caller checked the type


def _as_keep(result: object) -> KeepState[Any] | RepeatState[Any]:
    return result  # pyright: ignore[reportReturnType] - the caller checked the type


def _as_replies(replies: object) -> Sequence[ReplyTo[Any]]:
    return replies  # pyright: ignore[reportReturnType] - the caller checked the type
