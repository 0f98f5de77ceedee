"""``GenStateMachine``: OTP's gen_statem, as a GenServer that feeds the pure engine in ``_statem``.

The process runs it as any GenServer: each mailbox message reaches ``handle_call``,
``handle_cast`` or ``handle_info``, which hand it to the engine as an event and then run
state callbacks until the engine's queues (inserted events, retried postponed events, zero
time-outs) are empty, all before the next mailbox message. Time-outs are the server's own
timers (``send_after``), tagged so a cancelled one that still arrives is ignored.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Hashable
from contextlib import suppress
from enum import Enum
from types import CoroutineType
from typing import TYPE_CHECKING, Any, ClassVar, Final, Generic, Literal, cast

from typing_extensions import TypeVar

from ._results import Continue, Ignore, NoReply, Stop
from ._server import GenServer
from ._statem import (
    INIT_ALLOWED,
    BadTransition,
    Call,
    Cast,
    Engine,
    Event,
    EventType,
    Info,
    NextState,
    Stopping,
    Transition,
)
from ._status import formatted

if TYPE_CHECKING:
    from ._messages import Caller
    from ._timers import Timer

CallT = TypeVar("CallT", default=Any)
CastT = TypeVar("CastT", default=Any)
ReplyT = TypeVar("ReplyT", default=Any)
StateT = TypeVar("StateT", default=Any)
DataT = TypeVar("DataT", default=Any)

CallbackMode = Literal["handle_event_function", "state_functions"]
CALLBACK_MODES: Final = ("handle_event_function", "state_functions")

_GENSERVER_CALLBACKS: Final = ("handle_call", "handle_cast", "handle_info", "handle_continue")
_NO_REPLY: Final = NoReply()
_CAST: Final = Cast()
_INFO: Final = Info()


class _Begin:
    """The ``Continue`` argument that runs ``init``'s actions (and the first state enter call)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<init's actions>"


_BEGIN: Final = _Begin()


class _Fired:
    """The message a time-out's timer delivers: which time-out, and which setting of it."""

    __slots__ = ("key", "tag")

    def __init__(self, key: Hashable, tag: int) -> None:
        self.key = key
        self.tag = tag

    def __repr__(self) -> str:
        return f"<time-out {self.key!r} #{self.tag}>"


class _Effects:
    """What the engine asks of its server: replies and timers."""

    __slots__ = ("server", "timers")

    def __init__(self, server: GenServer[Any, Any, Any]) -> None:
        self.server = server
        self.timers: dict[Hashable, tuple[int, Timer]] = {}
        """The running timers: ``key -> (tag, timer)``, dropped once fired or cancelled."""

    def reply(self, caller: Caller[Any], value: Any) -> None:
        caller.reply(value)

    def arm(self, key: Hashable, tag: int, time: float, absolute: bool) -> None:
        delay = max(time - self.server._spawned_running.runtime.deadline_clock(), 0.0) if absolute else time
        self.timers[key] = (tag, self.server.send_after(delay, _Fired(key, tag)))

    def disarm(self, key: Hashable) -> None:
        armed = self.timers.pop(key, None)
        if armed is not None:
            armed[1].cancel()

    def fired(self, message: _Fired) -> None:
        """``message`` arrived: forget its timer (unless the time-out was set again since)."""
        armed = self.timers.get(message.key)
        if armed is not None and armed[0] == message.tag:
            del self.timers[message.key]


class GenStateMachine(GenServer[CallT, CastT, ReplyT], Generic[CallT, CastT, ReplyT, StateT, DataT]):
    """A state machine with gen_statem's semantics: a GenServer whose messages are events
    handled according to the state it is in. Subclass it.

    The code lock from OTP's design principles, in state functions mode:

    ```python
    class Lock(GenStateMachine):
        callback_mode = "state_functions"

        def init(self):
            return NextState("locked", data=[])

        def locked(self, event_type, content, data):
            match event_type, content:
                case Cast(), digit:
                    pressed = [*data, digit][-4:]
                    if pressed == [1, 2, 3, 4]:
                        return NextState("open", [], [StateTimeout(10, "lock")])
                    return KeepState(pressed)
                case Call(caller), "state":
                    return KeepState(actions=[ReplyTo(caller, "locked")])

        def open(self, event_type, content, data):
            match event_type, content:
                case StateTimeout(), "lock":
                    return NextState("locked")
                case Cast(), _:
                    return KeepState(actions=[Postpone()])
                case Call(caller), "state":
                    return KeepState(actions=[ReplyTo(caller, "open")])
    ```

    It starts, runs and stops like any GenServer (``tasks.start``, ``threads.start``,
    supervisors) and returns the same handle: ``call``, ``cast`` and ``send`` become events
    of type [`Call(caller)`][spawned.Call], [`Cast()`][spawned.Cast] and
    [`Info()`][spawned.Info].

    **Callbacks.** ``init()`` returns ``NextState(state, data, actions)`` (or ``Ignore()``,
    ``Stop(reason)``). Events go to ``handle_event(event_type, content, state, data)`` when
    ``callback_mode = "handle_event_function"`` (the default), or, with ``callback_mode =
    "state_functions"``, to the method named after the state (a ``str``, or an ``Enum``
    member's name, a ``StrEnum`` member's too): ``state_name(event_type, content, data)``.
    Each returns a transition: ``None`` (keep state and data), [`KeepState`][spawned.KeepState],
    [`NextState`][spawned.NextState], [`RepeatState`][spawned.RepeatState],
    [`Stop`][spawned.Stop] or [`StopAndReply`][spawned.StopAndReply], with actions.
    ``terminate(reason, state, data)`` runs when GenServer's ``terminate`` would. Callbacks
    may be ``async def`` on ``spawned.tasks``; on threads they are plain ``def``.

    **State enter calls.** With ``state_enter = True``, every state change (and every
    ``RepeatState``, and the initial state) calls the new state's callback with event type
    [`Enter()`][spawned.Enter] and the previous state as content. It may not change state,
    ``Postpone`` or insert events.

    A state machine owns ``handle_call``, ``handle_cast``, ``handle_info`` and
    ``handle_continue``: a subclass that defines one is refused with ``TypeError`` when the
    class is made.
    """

    callback_mode: ClassVar[CallbackMode] = "handle_event_function"
    """``"handle_event_function"``: every event goes to ``handle_event``.
    ``"state_functions"``: to the method named after the state."""

    state_enter: ClassVar[bool] = False
    """Make a state enter call (event type ``Enter()``) on every state change."""

    _spawned_callback_names: ClassVar[tuple[str, ...] | None] = ("init", "handle_event", "terminate")
    _spawned_engine: Engine | None = None
    _spawned_machine: Engine
    """The engine (once ``init`` ran): ``_spawned_engine`` typed for the hot path."""
    _spawned_invoke: Callable[[Engine, Event], Any]
    _spawned_effects: _Effects

    def _spawned_prepare(self) -> None:
        # The process calls GenServer's init() and terminate(reason); this instance routes
        # them through the machine, which calls the class's init() and
        # terminate(reason, state, data).
        own = self.__dict__
        own["init"] = self._spawned_statem_init
        own["terminate"] = self._spawned_statem_terminate

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.callback_mode not in CALLBACK_MODES:
            allowed = " or ".join(map(repr, CALLBACK_MODES))
            msg = f"{cls.__name__}.callback_mode is {cls.callback_mode!r}; allowed: {allowed}"
            raise TypeError(msg)
        owned = [name for name in _GENSERVER_CALLBACKS if name in vars(cls)]
        if owned:
            msg = (
                f"{cls.__name__} defines {', '.join(owned)}, which a GenStateMachine owns: calls, casts "
                "and other messages reach handle_event (or the state's method) as Call(caller), Cast() "
                "and Info() events"
            )
            raise TypeError(msg)
        if cls.callback_mode == "state_functions":
            names = {"init", "terminate"}
            for klass in cls.__mro__:
                if klass is GenStateMachine:
                    break
                names.update(
                    name
                    for name, value in vars(klass).items()
                    if not name.startswith("_") and inspect.isfunction(value)
                )
            cls._spawned_callback_names = tuple(sorted(names))

    # -- the callbacks a subclass writes ----------------------------------------------

    def init(  # pyright: ignore[reportIncompatibleMethodOverride] - a state machine's init returns its first state
        self,
    ) -> NextState[StateT, DataT] | Ignore | Stop | Awaitable[NextState[StateT, DataT] | Ignore | Stop]:
        """Return the first state and data: ``NextState(state, data, actions)``.

        Runs before ``start`` returns. The actions (time-outs, inserted events) and, with
        ``state_enter``, the first state enter call run right after, before any message.
        ``Ignore()`` and ``Stop(reason)`` act as for GenServer.
        """
        msg = f"{type(self).__name__} must define init() returning NextState(state, data)"
        raise NotImplementedError(msg)

    def handle_event(
        self, event_type: EventType[ReplyT], content: Any, state: StateT, data: DataT
    ) -> Transition[StateT, DataT] | Awaitable[Transition[StateT, DataT]]:
        """Handle one event in ``state`` (``callback_mode = "handle_event_function"``).

        ``event_type`` is ``Call(caller)``, ``Cast()``, ``Info()``, ``Internal()``,
        ``Enter()`` or the time-out action that fired; ``content`` is the message (for
        ``Enter()``, the previous state). Return ``None``, ``KeepState``, ``NextState``,
        ``RepeatState``, ``Stop`` or ``StopAndReply``.
        """
        msg = (
            f"{type(self).__name__} got {type(event_type).__name__.lower()} {content!r} in state {state!r} "
            "but defines no handle_event (or set callback_mode = 'state_functions')"
        )
        raise NotImplementedError(msg)

    def terminate(  # pyright: ignore[reportIncompatibleMethodOverride] - a state machine's terminate sees its state
        self, reason: object, state: StateT, data: DataT
    ) -> Awaitable[None] | None:
        """Clean up before exiting with ``reason``, in ``state`` with ``data``.

        Runs when GenServer's ``terminate`` would: after a stop, a crash, ``handle.stop()``
        and a trapped shutdown; never after ``kill()``.
        """
        del reason, state, data
        return None

    # -- GenServer's callbacks, feeding the engine ---------------------------------------

    def _spawned_statem_init(self) -> Any:
        state_functions = type(self).callback_mode == "state_functions"
        callback_name = _state_function_label if state_functions else None
        self._spawned_effects = _Effects(self)
        engine = Engine(
            self._spawned_effects, state_enter=type(self).state_enter, callback_name=callback_name
        )
        self._spawned_engine = self._spawned_machine = engine
        self._spawned_functions: dict[Any, Callable[..., Any]] = {}
        self._spawned_invoke = (
            self._spawned_invoke_state_function if state_functions else self._spawned_invoke_handle_event
        )
        result: Any = type(self).init(self)
        if type(result) is CoroutineType:
            return self._spawned_init_async(cast("Awaitable[Any]", result))
        return self._spawned_initialized(result)

    async def _spawned_init_async(self, pending: Awaitable[Any]) -> Any:
        return self._spawned_initialized(await pending)

    def _spawned_initialized(self, result: object) -> Any:
        if isinstance(result, Ignore | Stop):
            return result
        if type(result) is not NextState:
            raise BadTransition("init", result, INIT_ALLOWED, None, None)
        self._spawned_first = result
        return Continue(_BEGIN)

    def _spawned_statem_terminate(self, reason: object) -> Any:
        engine = self._spawned_engine
        assert engine is not None  # noqa: S101 - terminate runs only after init succeeded
        return type(self).terminate(self, reason, engine.state, engine.data)

    def handle_call(self, msg: CallT, caller: Caller[ReplyT]) -> Any:
        """A ``call`` is an event of type ``Call(caller)``; do not override."""
        return self._spawned_run(self._spawned_machine.receive(Call(caller), msg), _NO_REPLY)

    def handle_cast(self, msg: CastT) -> Any:
        """A ``cast`` is an event of type ``Cast()``; do not override."""
        return self._spawned_run(self._spawned_machine.receive(_CAST, msg), None)

    def handle_info(self, msg: Any) -> Any:
        """Any other message is an event of type ``Info()``, a time-out's timer the event
        of that time-out; do not override.
        """
        engine = self._spawned_machine
        if type(msg) is _Fired:
            self._spawned_effects.fired(msg)
            event = engine.fired(msg.key, msg.tag)
            if event is None:  # cancelled or set again after its timer fired
                return None
            return self._spawned_run(event, None)
        return self._spawned_run(engine.receive(_INFO, msg), None)

    def handle_continue(self, arg: Any) -> Any:
        """Runs ``init``'s actions and the first state enter call; do not override."""
        if arg is not _BEGIN:
            return super().handle_continue(arg)
        first, self._spawned_first = self._spawned_first, None
        return self._spawned_run(self._spawned_machine.init(first), None)

    # -- running state callbacks -------------------------------------------------------------

    def _spawned_run(self, event: Event | None, idle: Any) -> Any:
        """Run state callbacks from ``event`` until the engine is idle; ``idle`` (or ``Stop``)
        for the process, or a coroutine once a callback returned one.
        """
        engine = self._spawned_machine
        invoke = self._spawned_invoke
        try:
            while event is not None:
                result = invoke(engine, event)
                if type(result) is CoroutineType:
                    return self._spawned_run_async(cast("Awaitable[Any]", result), idle)
                event = engine.conclude(result)
                if event is not None and not self._spawned_alive():
                    break  # killed meanwhile (on threads): no more events
        except Stopping as stop:
            return Stop(stop.reason)
        return idle

    async def _spawned_run_async(self, pending: Awaitable[Any], idle: Any) -> Any:
        engine = self._spawned_machine
        try:
            event = engine.conclude(await pending)
            while event is not None and self._spawned_alive():
                result = self._spawned_invoke(engine, event)
                if type(result) is CoroutineType:
                    result = await cast("Awaitable[Any]", result)
                event = engine.conclude(result)
        except Stopping as stop:
            return Stop(stop.reason)
        return idle

    def _spawned_invoke_handle_event(self, engine: Engine, event: Event) -> Any:
        return self.handle_event(event[0], event[1], engine.callee_state, engine.callee_data)

    def _spawned_invoke_state_function(self, engine: Engine, event: Event) -> Any:
        state = engine.callee_state
        try:
            function = self._spawned_functions[state]
        except (KeyError, TypeError):
            function = self._spawned_state_function(state)
        return function(event[0], event[1], engine.callee_data)

    def _spawned_state_function(self, state: object) -> Callable[..., Any]:
        name = _state_function_name(state)
        if name is None:
            msg = (
                f"{type(self).__name__} is in state {state!r}; in callback_mode 'state_functions' a state "
                "is a str or an Enum member naming the method that handles it"
            )
            raise TypeError(msg)
        function = None if name.startswith("_") or name in _OWN_NAMES else getattr(self, name, None)
        if not callable(function):
            reason = (
                "names a method of GenStateMachine itself; rename the state"
                if name in _OWN_NAMES or name.startswith("_")
                else f"define `def {name}(self, event_type, content, data)`"
            )
            msg = f"{type(self).__name__} has no state function for state {state!r}: {reason}"
            raise TypeError(msg)
        with suppress(TypeError):  # an unhashable state is looked up each time
            self._spawned_functions[state] = function
        return function

    def _spawned_status_state(self) -> Any:
        engine = self._spawned_engine
        return super()._spawned_status_state() if engine is None else engine.shown

    def _spawned_crash_context(self) -> str:
        engine = self._spawned_engine
        if engine is None:
            return ""
        return engine.describe(formatted(self).state, lambda content: formatted(self, content).message)

    @property
    def state_and_data(self) -> tuple[StateT, DataT]:
        """For debugging, in ``handle.replace_state(fn)``: the machine's ``(state, data)``.

        Assign a new pair to replace them (OTP's ``sys:replace_state`` on a gen_statem)::

            def reopen(machine):
                state, data = machine.state_and_data
                machine.state_and_data = ("open", data)
                return machine.state_and_data

            await handle.replace_state(reopen)

        Replacing them is not a transition: no state enter call, no retried postponed events,
        time-outs left running. Not for program logic: change state by returning a transition.
        """
        engine = self._spawned_machine
        return (engine.state, engine.data)

    @state_and_data.setter
    def state_and_data(self, pair: tuple[StateT, DataT]) -> None:
        if not isinstance(pair, tuple) or len(cast("tuple[Any, ...]", pair)) != 2:  # pyright: ignore[reportUnnecessaryIsInstance] - callers may pass anything
            msg = f"state_and_data takes a (state, data) pair, got {pair!r}"
            raise TypeError(msg)
        engine = self._spawned_machine
        engine.state, engine.data = pair
        engine.callee_state, engine.callee_data = pair

    def _spawned_alive(self) -> bool:
        return self.handle.is_alive


def _state_function_name(state: object) -> str | None:
    """The method that handles ``state`` in state functions mode (``None``: not a name)."""
    if isinstance(state, Enum):  # before str: a StrEnum member is named by its name too
        return state.name
    if isinstance(state, str):
        return state
    return None


def _state_function_label(state: object) -> str:
    """The state function of ``state``, for errors."""
    name = _state_function_name(state)
    return "the state function" if name is None else name


_OWN_NAMES: Final = frozenset(name for name in dir(GenStateMachine) if not name.startswith("__"))
"""Names ``GenStateMachine`` defines, which cannot name a state."""
