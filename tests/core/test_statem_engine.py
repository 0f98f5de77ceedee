"""The gen_statem engine, driven directly: no runtime, no timers, no user class.

A ``Script`` plays the state callbacks: a function of ``(state, event)`` returning the
transition result. The engine's effects (replies, arming and disarming timers) are recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spawned import (
    BadTransition,
    CancelTimeout,
    Cast,
    Enter,
    EventTimeout,
    GenericTimeout,
    GenStateMachine,
    Hibernate,
    Info,
    Internal,
    KeepState,
    NextEvent,
    NextState,
    Postpone,
    RepeatState,
    ReplyTo,
    StateTimeout,
    Stop,
    StopAndReply,
    UpdateTimeout,
)
from spawned._statem import Engine, Event, Stopping
from spawned._statem_server import _state_function_label

CAST = Cast()
INTERNAL = Internal()


class Recorder:
    """Effects that record what the engine asked for."""

    def __init__(self) -> None:
        self.log: list[tuple[object, ...]] = []
        self.armed: dict[Hashable, int] = {}

    def reply(self, caller: Any, value: Any) -> None:
        self.log.append(("reply", caller, value))

    def arm(self, key: Hashable, tag: int, time: float, absolute: bool) -> None:
        self.armed[key] = tag
        self.log.append(("arm", key, time, absolute))

    def disarm(self, key: Hashable) -> None:
        self.armed.pop(key, None)
        self.log.append(("disarm", key))


Callback = Callable[[Any, Event, Any], Any]


class Script:
    """Runs events through an engine with ``callback(state, event, data)`` as the state callback."""

    def __init__(self, callback: Callback, *, state_enter: bool = False, init: Any = None) -> None:
        self.effects = Recorder()
        self.engine = Engine(self.effects, state_enter=state_enter)
        self.callback = callback
        self.handled: list[tuple[Any, Event]] = []
        """Every callback made: ``(state it ran in, event)``."""
        self.run(self.engine.init(init if init is not None else NextState("a", 0)))

    def run(self, event: Event | None) -> None:
        engine = self.engine
        while event is not None:
            self.handled.append((engine.callee_state, event))
            event = engine.conclude(self.callback(engine.callee_state, event, engine.callee_data))

    def cast(self, content: object) -> None:
        self.run(self.engine.receive(CAST, content))

    def fire(self, key: Hashable) -> None:
        self.run(self.engine.fired(key, self.effects.armed.pop(key)))

    def contents(self) -> list[object]:
        return [event[1] for _, event in self.handled if type(event[0]) is not Enter]


def test_postponed_events_are_retried_in_order_after_each_state_change() -> None:
    def callback(state: str, event: Event, data: int) -> Any:
        match state, event[1]:
            case "a", "go-b":
                return NextState("b")
            case "b", "go-c":
                return NextState("c")
            case "c", "go-a":
                return NextState("a")
            case "a", _:
                return None
            case _:  # b and c postpone everything else
                return KeepState(actions=[Postpone()])

    script = Script(callback)
    script.cast("go-b")
    for n in (1, 2, 3):
        script.cast(n)
    assert script.engine.postponed == [(CAST, 1), (CAST, 2), (CAST, 3)]
    script.cast("go-c")  # state change: 1, 2, 3 retried in c, postponed again, in order
    assert script.contents()[-3:] == [1, 2, 3]
    assert script.engine.postponed == [(CAST, 1), (CAST, 2), (CAST, 3)]
    script.cast(4)
    script.cast("go-a")
    assert script.contents()[-5:] == ["go-a", 1, 2, 3, 4]
    assert [s for s, _ in script.handled[-4:]] == ["a"] * 4
    assert script.engine.postponed == []


def test_keep_and_repeat_state_do_not_retry_postponed_events() -> None:
    def callback(state: str, event: Event, data: int) -> Any:
        match event[1]:
            case "keep":
                return KeepState()
            case "repeat":
                return RepeatState()
            case "same":
                return NextState(state)
            case _:
                return KeepState(actions=[Postpone()])

    script = Script(callback)
    script.cast(1)
    for content in ("keep", "repeat", "same"):
        script.cast(content)
    assert script.contents() == [1, "keep", "repeat", "same"]
    assert script.engine.postponed == [(CAST, 1)]


def test_postpone_and_state_change_retry_the_event_itself_first_after_older_ones() -> None:
    def callback(state: str, event: Event, data: int) -> Any:
        if state == "a" and event[1] == "switch":
            return NextState("b", actions=[Postpone()])
        if state == "a":
            return KeepState(actions=[Postpone()])
        return None

    script = Script(callback)
    script.cast(1)
    script.cast("switch")
    assert script.contents() == [1, "switch", 1, "switch"]


def test_inserted_events_come_before_postponed_ones_in_the_order_given() -> None:
    def callback(state: str, event: Event, data: int) -> Any:
        match state, event[1]:
            case "a", "go":
                return NextState("b", actions=[NextEvent(INTERNAL, "i1"), NextEvent(INTERNAL, "i2")])
            case "a", _:
                return KeepState(actions=[Postpone()])
            case _:
                return None

    script = Script(callback)
    script.cast("p1")
    script.cast("p2")
    script.cast("go")
    assert script.contents() == ["p1", "p2", "go", "i1", "i2", "p1", "p2"]
    assert [type(e[0]) for _, e in script.handled[-4:]] == [Internal, Internal, Cast, Cast]


def test_state_timeout_is_cancelled_by_a_state_change_but_not_by_keep_or_repeat_state() -> None:
    def callback(state: str, event: Event, data: int) -> Any:
        match event[1]:
            case "arm":
                return KeepState(actions=[StateTimeout(5, "t")])
            case "keep":
                return KeepState()
            case "repeat":
                return RepeatState()
            case "change":
                return NextState("b" if state == "a" else "a")
            case _:
                return None

    script = Script(callback)
    script.cast("arm")
    assert script.effects.log == [("arm", StateTimeout, 5.0, False)]
    script.cast("keep")
    script.cast("repeat")
    assert script.effects.log == [("arm", StateTimeout, 5.0, False)]
    script.cast("change")
    assert script.effects.log[-1] == ("disarm", StateTimeout)
    assert StateTimeout not in script.engine.timeouts


def test_state_timeout_set_on_a_state_change_belongs_to_the_new_state() -> None:
    def callback(state: str, event: Event, data: int) -> Any:
        if event[1] == "arm":
            return KeepState(actions=[StateTimeout(5, "old")])
        if event[1] == "change":
            return NextState("b", actions=[StateTimeout(7, "new")])
        return None

    script = Script(callback)
    script.cast("arm")
    script.cast("change")
    assert script.effects.log == [
        ("arm", StateTimeout, 5.0, False),
        ("disarm", StateTimeout),
        ("arm", StateTimeout, 7.0, False),
    ]
    script.fire(StateTimeout)
    assert script.handled[-1] == ("b", (StateTimeout(7, "new"), "new"))


def test_event_timeout_is_cancelled_by_any_event() -> None:
    def callback(state: str, event: Event, data: int) -> Any:
        if event[1] == "arm":
            return KeepState(actions=[EventTimeout(5, "idle")])
        if event[1] == "postpone":
            return KeepState(actions=[Postpone()])
        return None

    for other in ("other", "postpone"):
        script = Script(callback)
        script.cast("arm")
        script.cast(other)
        assert script.effects.log == [("arm", EventTimeout, 5.0, False), ("disarm", EventTimeout)]


def test_event_timeout_fires_when_no_event_came() -> None:
    script = Script(lambda _s, e, _d: KeepState(actions=[EventTimeout(1, "idle")]) if e[1] == "arm" else None)
    script.cast("arm")
    script.fire(EventTimeout)
    assert script.handled[-1][1] == (EventTimeout(1, "idle"), "idle")


def test_generic_timeouts_survive_state_changes_and_are_one_per_name() -> None:
    def callback(state: str, event: Event, data: int) -> Any:
        match event[1]:
            case "arm":
                return KeepState(actions=[GenericTimeout("g", 5, 1), GenericTimeout("h", 6, 2)])
            case "rearm":
                return KeepState(actions=[GenericTimeout("g", 8, 3)])
            case "cancel":
                return KeepState(actions=[GenericTimeout("h", float("inf"))])
            case "change":
                return NextState("b" if state == "a" else "a")
            case _:
                return None

    script = Script(callback)
    script.cast("arm")
    script.cast("change")
    script.cast("change")
    assert [entry[0] for entry in script.effects.log] == ["arm", "arm"]
    script.cast("rearm")
    script.cast("cancel")
    assert script.effects.log[2:] == [
        ("disarm", (GenericTimeout, "g")),
        ("arm", (GenericTimeout, "g"), 8.0, False),
        ("disarm", (GenericTimeout, "h")),
    ]
    script.fire((GenericTimeout, "g"))
    assert script.handled[-1][1] == (GenericTimeout("g", 8, 3), 3)


def test_cancel_timeout_stops_a_running_time_out_of_each_kind() -> None:
    """gen_statem's ``{TimeoutType, cancel}``: the same as setting the time-out to infinity."""

    def callback(state: str, event: Event, data: int) -> Any:
        match event[1]:
            case "arm":
                return KeepState(actions=[StateTimeout(5, "s"), GenericTimeout("g", 5, "g"), EventTimeout(5)])
            case "cancel":
                return KeepState(
                    actions=[
                        CancelTimeout(StateTimeout),
                        CancelTimeout(GenericTimeout, name="g"),
                        CancelTimeout(GenericTimeout, name="never set"),
                        CancelTimeout(EventTimeout),
                    ]
                )
            case "zero":
                return KeepState(actions=[StateTimeout(0, "s0"), CancelTimeout(StateTimeout)])
            case _:
                return None

    script = Script(callback)
    script.cast("arm")
    script.cast("cancel")
    assert script.engine.timeouts == {}
    assert ("disarm", StateTimeout) in script.effects.log
    assert ("disarm", (GenericTimeout, "g")) in script.effects.log
    script.cast("zero")  # a zero one, cancelled before it fired
    assert script.contents() == ["arm", "cancel", "zero"]
    assert script.engine.zero == []


def test_update_timeout_changes_a_running_time_out_s_content_and_keeps_its_timer() -> None:
    """gen_statem's ``{TimeoutType, update, Content}`` on a running time-out."""

    def callback(state: str, event: Event, data: int) -> Any:
        match event[1]:
            case "arm":
                return KeepState(actions=[GenericTimeout("g", 5, "old")])
            case "update":
                return KeepState(actions=[UpdateTimeout(GenericTimeout, "new", name="g")])
            case _:
                return None

    script = Script(callback)
    script.cast("arm")
    script.cast("update")
    assert script.effects.log == [("arm", (GenericTimeout, "g"), 5.0, False)]  # not re-armed
    script.fire((GenericTimeout, "g"))
    assert script.handled[-1][1] == (GenericTimeout("g", 5, "new"), "new")


def test_update_timeout_of_a_time_out_not_running_fires_it_as_a_zero_one() -> None:
    """gen_statem: updating a time-out that is not running inserts its event, as a zero time-out."""

    def callback(state: str, event: Event, data: int) -> Any:
        match event[1]:
            case "update":
                return KeepState(
                    actions=[
                        UpdateTimeout(StateTimeout, "s"),
                        UpdateTimeout(EventTimeout, "e"),
                        NextEvent(INTERNAL, "inserted"),
                    ]
                )
            case _:
                return None

    script = Script(callback)
    script.cast("update")
    assert script.contents() == ["update", "inserted", "s"]  # the inserted event cancels "e"
    assert script.effects.log == []


def test_cancel_and_update_take_a_time_out_class() -> None:
    with pytest.raises(ValueError, match=r"kind must be StateTimeout, EventTimeout or GenericTimeout .*'g'"):
        CancelTimeout("g")  # pyright: ignore[reportArgumentType] - the mistake under test
    with pytest.raises(ValueError, match=r"UpdateTimeout kind .* got <class 'spawned.*Cast'>"):
        UpdateTimeout(Cast, "x")  # pyright: ignore[reportArgumentType] - the mistake under test


@pytest.mark.parametrize(
    "action",
    [
        GenericTimeout(["unhashable"], 5),  # pyright: ignore[reportArgumentType] - the mistake under test
        CancelTimeout(GenericTimeout, name=[1]),  # pyright: ignore[reportArgumentType] - the mistake under test
        UpdateTimeout(GenericTimeout, name={}),  # pyright: ignore[reportArgumentType] - the mistake under test
    ],
)
def test_an_unhashable_generic_time_out_name_is_a_bad_transition_naming_it(action: Any) -> None:
    script = Script(lambda _s, e, _d: KeepState(actions=[action]) if e[1] == "set" else None)
    with pytest.raises(BadTransition, match=r"a GenericTimeout name that is hashable") as caught:
        script.cast("set")
    assert caught.value.value == action
    assert repr(action.name) in str(caught.value)


def test_next_event_may_not_insert_a_state_enter_call() -> None:
    script = Script(lambda _s, e, _d: KeepState(actions=[NextEvent(Enter(), "a")]) if e[1] == "x" else None)
    with pytest.raises(BadTransition, match=r"any event type but Enter\(\)"):
        script.cast("x")


def test_a_bad_action_leaves_the_machine_in_the_state_and_data_the_result_named() -> None:
    script = Script(lambda _s, e, _d: NextState("b", 7, ["bad"]) if e[1] == "x" else None)  # pyright: ignore[reportArgumentType] - the mistake under test
    with pytest.raises(BadTransition) as caught:
        script.cast("x")
    assert caught.value.state == "a"  # where the faulty callback ran
    assert (script.engine.state, script.engine.data) == ("b", 7)  # what terminate sees


def test_a_bad_action_in_init_names_init() -> None:
    with pytest.raises(BadTransition, match=r"^init returned 'bad'; allowed") as caught:
        Script(lambda _s, _e, _d: None, init=NextState("a", 0, ["bad"]))  # pyright: ignore[reportArgumentType] - the mistake under test
    assert caught.value.event is None


def test_a_stale_timer_message_is_ignored() -> None:
    script = Script(lambda _s, e, _d: KeepState(actions=[StateTimeout(5, e[1])]))
    script.cast("first")
    stale = script.effects.armed[StateTimeout]
    script.cast("second")  # sets it again: a new tag
    assert script.engine.fired(StateTimeout, stale) is None
    assert script.engine.fired((GenericTimeout, "never"), 1) is None


def test_zero_timeouts_fire_after_queued_events_in_the_order_set() -> None:
    def callback(state: str, event: Event, data: int) -> Any:
        match state, event[1]:
            case "a", "go":
                return NextState(
                    "b",
                    actions=[
                        GenericTimeout("g", 0, "g0"),
                        StateTimeout(0, "s0"),
                        NextEvent(INTERNAL, "inserted"),
                    ],
                )
            case "a", _:
                return KeepState(actions=[Postpone()])
            case _:
                return None

    script = Script(callback)
    script.cast("postponed")
    script.cast("go")
    assert script.contents() == ["postponed", "go", "inserted", "postponed", "g0", "s0"]
    assert script.effects.log == []  # zero time-outs need no timer


def test_zero_event_timeout_is_cancelled_by_a_queued_event() -> None:
    def callback(state: str, event: Event, data: int) -> Any:
        if event[1] == "go":
            return KeepState(actions=[EventTimeout(0, "idle"), NextEvent(INTERNAL, "next")])
        if event[1] == "alone":
            return KeepState(actions=[EventTimeout(0, "idle")])
        return None

    script = Script(callback)
    script.cast("go")
    assert script.contents() == ["go", "next"]
    script.cast("alone")
    assert script.contents() == ["go", "next", "alone", "idle"]


def test_zero_state_timeout_is_cancelled_by_a_state_change_before_it_fires() -> None:
    def callback(state: str, event: Event, data: int) -> Any:
        if event[1] == "go":
            return KeepState(actions=[StateTimeout(0, "s0"), NextEvent(INTERNAL, "change")])
        if event[1] == "change":
            return NextState("b")
        return None

    script = Script(callback)
    script.cast("go")
    assert script.contents() == ["go", "change"]
    assert script.engine.zero == []


def test_state_enter_calls_on_init_change_and_repeat_but_not_keep() -> None:
    def callback(state: str, event: Event, data: int) -> Any:
        match event[1]:
            case "change":
                return NextState("b")
            case "repeat":
                return RepeatState()
            case "same":
                return NextState(state)
            case _:
                return None

    script = Script(callback, state_enter=True)
    script.cast("keep")
    script.cast("same")
    script.cast("change")
    script.cast("repeat")
    enters = [(state, event[1]) for state, event in script.handled if type(event[0]) is Enter]
    assert enters == [("a", "a"), ("b", "a"), ("b", "b")]


def test_state_enter_call_sees_new_data_and_its_actions_join_the_transition() -> None:
    def callback(state: str, event: Event, data: int) -> Any:
        if type(event[0]) is Enter:
            return KeepState(data + 10, [StateTimeout(3, "in " + state)])
        return NextState("b", data + 1)

    script = Script(callback, state_enter=True)
    script.cast("go")
    assert script.engine.data == 21  # init 0 -> enter +10 -> event +1 -> enter +10
    assert script.engine.state == "b"
    assert script.effects.log[-1] == ("arm", StateTimeout, 3.0, False)
    assert script.engine.timeouts[StateTimeout].action.content == "in b"


def test_repeat_state_from_a_state_enter_call_repeats_it() -> None:
    def callback(state: str, event: Event, data: int) -> Any:
        if type(event[0]) is Enter:
            return RepeatState(data + 1) if data < 3 else None
        return None

    script = Script(callback, state_enter=True)
    assert script.engine.data == 3
    assert len(script.handled) == 4


@pytest.mark.parametrize(
    ("result", "words"),
    [
        (NextState("b"), "may not change state"),
        (KeepState(actions=[Postpone()]), "may not Postpone or NextEvent"),
        (KeepState(actions=[NextEvent(INTERNAL, 1)]), "may not Postpone or NextEvent"),
    ],
)
def test_a_state_enter_call_may_not_change_state_postpone_or_insert(result: object, words: str) -> None:
    with pytest.raises(BadTransition, match=words) as caught:
        Script(lambda _s, _e, _d: result, state_enter=True)
    assert caught.value.state == "a"
    assert "state enter call" in str(caught.value)


def test_stop_and_reply_sends_replies_before_stopping_with_new_data() -> None:
    caller1, caller2 = cast("Any", "caller1"), cast("Any", "caller2")

    def callback(state: str, event: Event, data: int) -> Any:
        return StopAndReply("done", [ReplyTo(caller1, 1), ReplyTo(caller2, 2)], data=99)

    script = Script(lambda _s, _e, _d: None)
    script.callback = callback
    with pytest.raises(Stopping) as caught:
        script.cast("stop")
    assert caught.value.reason == "done"
    assert script.effects.log == [("reply", caller1, 1), ("reply", caller2, 2)]
    assert script.engine.data == 99


def test_reply_actions_are_sent_at_once_in_order() -> None:
    caller = cast("Any", "caller")
    script = Script(
        lambda _s, _e, _d: KeepState(actions=[ReplyTo(caller, 1), Hibernate(), ReplyTo(caller, 2)])
    )
    script.cast("x")
    assert script.effects.log == [("reply", caller, 1), ("reply", caller, 2)]


def test_stop_plain_and_with_a_genserver_reply() -> None:
    script = Script(lambda _s, _e, _d: Stop("bye"))
    with pytest.raises(Stopping):
        script.cast("x")
    script = Script(lambda _s, _e, _d: Stop("bye", reply=1))
    with pytest.raises(BadTransition, match=r"StopAndReply\(reason, \[ReplyTo"):
        script.cast("x")


@pytest.mark.parametrize(
    ("result", "words"),
    [
        (42, "returned 42 in state 'a' handling cast 'x'; allowed: None, KeepState"),
        (KeepState(actions=cast("Any", Postpone())), "allowed: a list or tuple of ReplyTo"),
        (KeepState(actions=cast("Any", ["nope"])), "returned 'nope' in state 'a'"),
        (KeepState(actions=[NextEvent(cast("Any", "cast"), 1)]), "returned NextEvent"),
        (StopAndReply("x", replies=cast("Any", ["r"])), "replies"),
    ],
)
def test_bad_results_name_the_state_the_event_and_what_is_allowed(result: object, words: str) -> None:
    script = Script(lambda _s, e, _d: result if e[1] == "x" else None)
    with pytest.raises(BadTransition, match=words) as caught:
        script.cast("x")
    assert caught.value.state == "a"
    assert caught.value.event == (CAST, "x")


def test_init_must_return_next_state() -> None:
    engine = Engine(Recorder(), state_enter=False)
    with pytest.raises(BadTransition, match=r"init returned \('a', 1\); allowed: NextState"):
        engine.init(("a", 1))


def test_init_actions_run_like_an_event_s_and_postpone_is_ignored() -> None:
    script = Script(
        lambda _s, _e, _d: None,
        init=NextState("a", 1, [NextEvent(INTERNAL, "first"), Postpone(), StateTimeout(0, "zero")]),
    )
    assert script.contents() == ["first", "zero"]
    assert script.engine.postponed == []


def test_timeout_times_are_checked() -> None:
    with pytest.raises(ValueError, match="must be >= 0"):
        StateTimeout(-1)
    with pytest.raises(ValueError, match="INFINITY"):
        EventTimeout(float("nan"))
    assert GenericTimeout("g", -5, absolute=True).time == -5


def test_absolute_time_outs_reach_the_timer_as_absolute() -> None:
    script = Script(lambda _s, _e, _d: KeepState(actions=[StateTimeout(0, "abs", absolute=True)]))
    script.cast("x")
    assert script.effects.log == [("arm", StateTimeout, 0.0, True)]


def test_describe_names_state_last_event_and_postponed() -> None:
    script = Script(lambda _s, _e, _d: KeepState(actions=[Postpone()]))
    script.cast("x")
    script.run(script.engine.receive(Info(), "y"))
    assert (
        script.engine.describe() == "state 'a', last event info 'y', data 0, postponed [cast 'x', info 'y']"
    )


# -- properties ------------------------------------------------------------------------------

Choice = tuple[str, int]
choices = st.sampled_from(["keep", "postpone", "change", "insert", "change+postpone"])


@given(st.lists(st.tuples(choices, st.integers(0, 2)), min_size=1, max_size=40))
def test_no_event_is_lost_and_postponed_events_keep_their_order(plan: list[Choice]) -> None:
    """Whatever the callbacks decide, every event is handled at least once and postponed at
    most once at a time, postponed mailbox events keep their arrival order, and nothing is
    left queued once a mailbox event has been handled.
    """
    decisions = iter(plan * 4)
    arrival: dict[object, int] = {}

    def callback(state: int, event: Event, data: int) -> Any:
        choice, target = next(decisions, ("keep", 0))
        match choice:
            case "postpone":
                return KeepState(actions=[Postpone()])
            case "change":
                return NextState(target)
            case "insert" if len(arrival) < 100:
                new = ("i", len(arrival))
                arrival[new] = len(arrival)
                return KeepState(actions=[NextEvent(INTERNAL, new)])
            case "change+postpone":
                return NextState(target, actions=[Postpone()])
            case _:
                return None

    script = Script(callback, init=NextState(0, 0))
    for n in range(len(plan)):
        arrival[n] = len(arrival)
        script.cast(n)
        assert not script.engine.queue
        postponed = [e[1] for e in script.engine.postponed]
        received = [c for c in postponed if isinstance(c, int)]  # inserted ones may go between
        assert received == sorted(received)
        assert len(set(postponed)) == len(postponed)

    assert {event[1] for _, event in script.handled} == set(arrival)


def test_callback_mode_is_checked_when_the_class_is_made() -> None:
    namespace = {"callback_mode": "states"}
    with pytest.raises(
        TypeError, match=r"Wrong\.callback_mode is 'states'; allowed: 'handle_event_function' or"
    ):
        type("Wrong", (GenStateMachine,), namespace)


def test_errors_in_a_state_enter_call_name_the_state_entered_and_the_one_left() -> None:
    def callback(state: str, event: Event, data: int) -> Any:
        if type(event[0]) is Enter and state == "b":
            return 42
        return NextState("b") if event[1] == "go" else None

    script = Script(callback, state_enter=True)
    with pytest.raises(BadTransition) as caught:
        script.cast("go")
    assert caught.value.state == "b"
    assert caught.value.event == (Enter(), "a")
    assert str(caught.value).startswith(
        "the state enter call (handle_event) returned 42 in state 'b' handling state enter from 'a'"
    )
    assert script.engine.describe() == "state 'b' (entered from 'a'), last event cast 'go', data 0"


def test_in_state_functions_mode_errors_name_the_state_function() -> None:
    engine = Engine(Recorder(), state_enter=False, callback_name=_state_function_label)
    assert engine.init(NextState("locked", None)) is None
    engine.receive(CAST, "x")
    with pytest.raises(BadTransition, match=r"^locked returned 42 in state 'locked' handling cast 'x'"):
        engine.conclude(42)
    engine = Engine(Recorder(), state_enter=False, callback_name=_state_function_label)
    engine.init(NextState(3, None))
    engine.receive(CAST, "x")
    with pytest.raises(BadTransition, match=r"^the state function returned 42 in state 3"):
        engine.conclude(42)


def test_a_machine_may_not_define_genserver_callbacks() -> None:
    def handle_cast(self: object, msg: object) -> None:
        del self, msg

    with pytest.raises(
        TypeError, match=r"Mine defines handle_cast, which a GenStateMachine owns: .* Cast\(\)"
    ):
        type("Mine", (GenStateMachine,), {"handle_cast": handle_cast})
