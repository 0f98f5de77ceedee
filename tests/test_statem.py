"""GenStateMachine end to end, on every backend: event types, actions, time-outs, stops.

Time-outs are checked by order, never by duration: a time-out that must not fire is
checked against a later one that must (timers of one process fire in deadline order), and
a test waits for a time-out with a call that the machine postpones until it has fired.
"""

from __future__ import annotations

import time
from enum import Enum, StrEnum
from typing import Any

import anyio
import pytest
from attrs import evolve
from conftest import LogCapture

from spawned import (
    BadTransition,
    Call,
    Caller,
    CancelTimeout,
    Cast,
    ChildSpec,
    Enter,
    EventTimeout,
    EventType,
    GenericTimeout,
    GenStateMachine,
    Hibernate,
    InitFailed,
    Internal,
    KeepState,
    NextEvent,
    NextState,
    Postpone,
    RepeatState,
    ReplyTo,
    ServerExited,
    StateTimeout,
    Status,
    Stop,
    StopAndReply,
    Supervisor,
    Transition,
    UpdateTimeout,
)
from spawned.testing import TestRuntime

Log = list[tuple[object, str, object]]


def kind(event_type: object) -> str:
    """A short name for an event type, for logs."""
    match event_type:
        case GenericTimeout(name=name):
            return f"generic:{name}"
        case _:
            return type(event_type).__name__.lower()


class Logger(GenStateMachine[Any, Any, Any, str, Log]):
    """Logs every event as ``(state, kind, content)`` and obeys what the casts say.

    Casts: ``("goto", state, actions)``, ``("keep", actions)``, ``("repeat", actions)``,
    ``("stop", reason)``. A call ``"log"`` is answered with the log. State ``"busy"``
    postpones every event but ``"goto"`` and ``"stop"``; a call ``"release"`` there is
    postponed too, but moves to ``"free"``. A call ``"wait"`` is postponed until the state
    is ``"done"``; a time-out whose content is ``"done"`` goes there. A call ``"hold then
    stop"`` is postponed and the machine stops.
    """

    state_enter = False

    def __init__(self, first: str = "idle", actions: list[Any] | None = None) -> None:
        self.first = first
        self.first_actions = actions or []

    def init(self) -> NextState[str, Log]:
        return NextState(self.first, [], self.first_actions)

    def handle_event(  # noqa: C901, PLR0911, PLR0912 - one table of what the tests ask for
        self, event_type: EventType, content: Any, state: str, data: Log
    ) -> Transition[str, Log]:
        data = [*data, (state, kind(event_type), content)]
        match event_type, content:
            case Enter(), _:
                return KeepState(data)
            case _, ("goto", target, actions):
                return NextState(target, data, actions)
            case _, ("stop", reason):
                return Stop(reason)
            case Call(), "release" if state == "busy":
                return NextState("free", data, [Postpone()])
            case Call(), "hold then stop":
                return KeepState(data, [Postpone(), NextEvent(Internal(), ("stop", "shutdown"))])
            case _, _ if state == "busy":
                return KeepState(data, [Postpone()])
            case Call(caller), "log" | "release":
                return KeepState(data, [ReplyTo(caller, data)])
            case Call(caller), "wait" if state == "done":
                return KeepState(data, [ReplyTo(caller, data)])
            case Call(), "wait":
                return KeepState(data, [Postpone()])
            case _, ("keep", actions):
                return KeepState(data, actions)
            case _, ("repeat", actions):
                return RepeatState(data, actions)
            case StateTimeout() | GenericTimeout() | EventTimeout(), "done":
                return NextState("done", data)
            case _:
                return KeepState(data)


class EnterLogger(Logger):
    state_enter = True


def contents(log: Log) -> list[object]:
    return [content for _, _, content in log]


async def test_events_of_every_type_reach_handle_event(rt: TestRuntime) -> None:
    h = await rt.start(EnterLogger())
    h.cast(("keep", [NextEvent(Internal(), "inserted"), Hibernate()]))
    h.send("info")
    log = await h.call("log")
    assert [(s, k, c) for s, k, c in log] == [
        ("idle", "enter", "idle"),
        ("idle", "cast", ("keep", [NextEvent(Internal(), "inserted"), Hibernate()])),
        ("idle", "internal", "inserted"),
        ("idle", "info", "info"),
        ("idle", "call", "log"),
    ]
    await h.stop()


async def test_postponed_events_are_retried_in_order_across_several_state_changes(rt: TestRuntime) -> None:
    h = await rt.start(Logger("busy"))
    stay = ("goto", "busy", [])
    for message in (1, 2, stay, 3):  # the same state: nothing is retried
        h.cast(message)
    log = await h.call("release")  # postponed, and busy -> free: retried after 1, 2, 3
    assert contents(log) == [1, 2, stay, 3, "release", 1, 2, 3, "release"]
    assert [s for s, _, _ in log[-4:]] == ["free"] * 4
    h.cast(("goto", "busy", []))
    h.cast(4)
    h.cast(("goto", "free", []))  # a second change: only 4 was postponed since
    assert contents(await h.call("log"))[-3:] == [("goto", "free", []), 4, "log"]
    await h.stop()


async def test_postponed_events_survive_several_state_changes_in_order(rt: TestRuntime) -> None:
    h = await rt.start(Logger("busy"))
    for n in (1, 2, 3):
        h.cast(n)
    h.cast(("goto", "busy2", []))  # not "busy": retried, then kept by keep (handled, not postponed)
    log = await h.call("log")
    assert contents(log) == [1, 2, 3, ("goto", "busy2", []), 1, 2, 3, "log"]
    await h.stop()


class Chain(GenStateMachine[Any, Any, Any, str, list[object]]):
    """Postpones in ``a`` and ``b``; ``step`` moves a -> b -> c; logs what ``c`` handles."""

    def init(self) -> NextState[str, list[object]]:
        return NextState("a", [])

    def handle_event(
        self, event_type: EventType, content: Any, state: str, data: list[object]
    ) -> Transition[str, list[object]]:
        match event_type, content, state:
            case Cast(), "step", "a":
                return NextState("b", data)
            case Cast(), "step", "b":
                return NextState(
                    "c", data, [NextEvent(Internal(), "inserted-1"), NextEvent(Internal(), "inserted-2")]
                )
            case Call(caller), "log", "c":
                return KeepState([*data, "log"], [ReplyTo(caller, [*data, "log"])])
            case _, _, "c":
                return KeepState([*data, content])
            case _:
                return KeepState(data, [Postpone()])


async def test_postpone_order_and_inserted_events_first_across_state_changes(rt: TestRuntime) -> None:
    h = await rt.start(Chain())
    h.cast(1)
    h.send(2)
    h.cast("step")  # a -> b: 1 and 2 retried in b, postponed again in order
    h.cast(3)
    h.cast("step")  # b -> c: the inserted events first, then 1, 2, 3
    assert await h.call("log") == ["inserted-1", "inserted-2", 1, 2, 3, "log"]
    await h.stop()


async def test_state_timeout_is_cancelled_by_a_state_change(rt: TestRuntime) -> None:
    h = await rt.start(Logger())
    leave = NextEvent(Internal(), ("goto", "other", []))  # handled before any timer can fire
    h.cast(("keep", [StateTimeout(0.01, "cancelled"), GenericTimeout("probe", 0.05, "done"), leave]))
    log = await h.call("wait")  # answered once the probe, later than the state time-out, fired
    assert "cancelled" not in contents(log)
    assert (("other", "generic:probe", "done")) in log
    await h.stop()


async def test_state_timeout_is_not_cancelled_by_keep_or_repeat_state(rt: TestRuntime) -> None:
    h = await rt.start(EnterLogger())
    then = [NextEvent(Internal(), step) for step in [("keep", []), ("repeat", []), ("goto", "idle", [])]]
    h.cast(("keep", [StateTimeout(0.02, "done"), *then]))  # all handled before the timer can fire
    log = await h.call("wait")  # postponed until the state time-out fires
    assert [k for _, k, _ in log][:6] == ["enter", "cast", "internal", "internal", "enter", "internal"]
    assert ("idle", "statetimeout", "done") in log
    await h.stop()


async def test_event_timeout_is_cancelled_by_any_event(rt: TestRuntime) -> None:
    h = await rt.start(Logger())
    # A generic time-out fires first: an event, so the event time-out never fires; the
    # probe, later than both, ends the wait.
    h.cast(
        (
            "keep",
            [
                EventTimeout(0.03, "idle"),
                GenericTimeout("other", 0.01, "event"),
                GenericTimeout("probe", 0.06, "done"),
            ],
        )
    )
    log = await h.call("wait")
    assert contents(log)[-3:] == ["event", "done", "wait"]
    h.cast(("keep", [EventTimeout(0, "idle"), NextEvent(Internal(), "inserted")]))
    log = await h.call("log")
    assert contents(log)[-2:] == ["inserted", "log"]
    await h.stop()


class Idler(GenStateMachine[Any, Any, Any, str, None]):
    """Stops with reason ``"idle"`` when no event comes within its event time-out."""

    def init(self) -> NextState[str, None]:
        return NextState("waiting", None, [EventTimeout(0.01, "idle")])

    def handle_event(
        self, event_type: EventType, content: Any, state: str, data: None
    ) -> Transition[str, None]:
        if type(event_type) is EventTimeout:
            return Stop(content)
        return None


async def test_event_timeout_fires_when_no_event_comes(rt: TestRuntime) -> None:
    h = await rt.start(Idler())
    assert await h.join() == "idle"


async def test_generic_timeout_survives_state_changes(rt: TestRuntime) -> None:
    h = await rt.start(EnterLogger())
    moves = [NextEvent(Internal(), ("goto", state, [])) for state in "abcd"]
    h.cast(("keep", [GenericTimeout("g", 0.02, "done"), *moves]))  # all before the timer can fire
    log = await h.call("wait")
    assert [s for s, k, _ in log if k == "enter"] == ["idle", "a", "b", "c", "d", "done"]
    assert ("d", "generic:g", "done") in log
    await h.stop()


async def test_generic_timeout_set_again_or_to_infinity(rt: TestRuntime) -> None:
    h = await rt.start(Logger())
    again = ("keep", [GenericTimeout("g", 0.02, "second"), GenericTimeout("h", float("inf"))])
    first = [GenericTimeout("g", 0.01, "first"), GenericTimeout("h", 0.01, "cancelled")]
    probe = GenericTimeout("probe", 0.05, "done")
    h.cast(("keep", [*first, probe, NextEvent(Internal(), again)]))  # set again before they fire
    log = await h.call("wait")
    fired = [c for _, k, c in log if k.startswith("generic")]
    assert fired == ["second", "done"]
    await h.stop()


async def test_zero_timeouts_fire_after_queued_events_before_the_mailbox(rt: TestRuntime) -> None:
    h = await rt.start(Logger("busy"))
    h.cast("postponed")
    leave = ("goto", "free", [StateTimeout(0, "zero"), NextEvent(Internal(), "inserted")])
    h.cast(leave)
    h.cast("mailbox")
    log = await h.call("log")
    assert contents(log) == ["postponed", leave, "inserted", "postponed", "zero", "mailbox", "log"]
    await h.stop()


async def test_state_enter_runs_on_repeat_state_but_not_keep_state(rt: TestRuntime) -> None:
    h = await rt.start(EnterLogger())
    h.cast(("keep", []))
    h.cast(("repeat", []))
    h.cast(("goto", "other", []))
    log = await h.call("log")
    enters = [(s, c) for s, k, c in log if k == "enter"]
    assert enters == [("idle", "idle"), ("idle", "idle"), ("other", "idle")]
    await h.stop()


class Gate(GenStateMachine[str, str, str, str, list[Caller[str]]]):
    """Holds calls; the second one makes it answer both and stop."""

    def __init__(self, seen: list[object]) -> None:
        self.seen = seen

    def init(self) -> NextState[str, list[Caller[str]]]:
        return NextState("open", [])

    def handle_event(
        self, event_type: EventType, content: Any, state: str, data: list[Caller[str]]
    ) -> Transition[str, list[Caller[str]]]:
        match event_type:
            case Call(caller) if data:
                replies = [ReplyTo(c, f"bye {n}") for n, c in enumerate([*data, caller])]
                return StopAndReply("normal", replies, data=[])
            case Call(caller):
                return KeepState([caller])
            case _:
                return None

    def terminate(self, reason: object, state: str, data: list[Caller[str]]) -> None:
        self.seen.append((reason, state, data))


async def test_stop_and_reply_answers_before_terminate(rt: TestRuntime) -> None:
    seen: list[object] = []
    h = await rt.start(Gate(seen))
    answers: list[str] = []

    async def call(msg: str) -> None:
        answers.append(await h.call(msg))

    async with anyio.create_task_group() as tg:
        tg.start_soon(call, "one")
        tg.start_soon(call, "two")
    assert sorted(answers) == ["bye 0", "bye 1"]
    assert await h.join() == "normal"
    assert seen == [("normal", "open", [])]


async def test_stop_fails_calls_still_postponed(rt: TestRuntime) -> None:
    h = await rt.start(Logger())
    with pytest.raises(ServerExited) as caught:
        await h.call("hold then stop")
    assert caught.value.reason == "shutdown"


class Bad(GenStateMachine[Any, Any, Any, str, None]):
    def init(self) -> NextState[str, None]:
        return NextState("s", None)

    def handle_event(self, event_type: EventType, content: Any, state: str, data: None) -> Any:
        return "oops"


async def test_a_bad_result_crashes_naming_state_event_and_allowed(rt: TestRuntime, logs: LogCapture) -> None:
    h = await rt.start(Bad())
    with pytest.raises(ServerExited) as caught:
        await h.call("x")
    reason = caught.value.reason
    assert isinstance(reason, BadTransition)
    assert str(reason).startswith(
        "handle_event returned 'oops' in state 's' handling call 'x'; allowed: None"
    )
    assert any("state 's', last event call 'x'" in m for m in logs.messages("ERROR"))


class Crasher(GenStateMachine[Any, Any, Any, str, int]):
    def init(self) -> NextState[str, int]:
        return NextState("calm", 0)

    def handle_event(
        self, event_type: EventType, content: Any, state: str, data: int
    ) -> Transition[str, int]:
        if content == "boom":
            return NextState("angry", data + 1, [NextEvent(Internal(), "crash")])
        if content == "crash":
            raise RuntimeError(content)
        return None


async def test_crash_report_carries_state_and_last_event(rt: TestRuntime, logs: LogCapture) -> None:
    h = await rt.start(Crasher())
    h.cast("boom")
    reason = await h.join()
    assert isinstance(reason, RuntimeError)
    [report] = [m for m in logs.messages("ERROR") if "terminating" in m]
    assert "last message: cast 'boom'; state 'angry', last event internal 'crash'" in report


class Lock(GenStateMachine[str, int, str, str, list[int]]):
    """The code lock, in state functions mode."""

    callback_mode = "state_functions"
    state_enter = True

    def init(self) -> NextState[str, list[int]]:
        return NextState("locked", [])

    def locked(self, event_type: EventType, content: Any, data: list[int]) -> Transition[str, list[int]]:
        match event_type, content:
            case Enter(), _:
                return KeepState([])
            case Cast(), digit:
                pressed = [*data, digit][-3:]
                return NextState("open", []) if pressed == [1, 2, 3] else KeepState(pressed)
            case Call(caller), _:
                return KeepState(actions=[ReplyTo(caller, "locked")])
            case _:
                return None

    def open(self, event_type: EventType, content: Any, data: list[int]) -> Transition[str, list[int]]:
        match event_type:
            case Enter():
                return KeepState(actions=[StateTimeout(0, "relock")])
            case StateTimeout():
                return NextState("locked")
            case Call(caller):
                return KeepState(actions=[ReplyTo(caller, "open")])
            case _:
                return KeepState(actions=[Postpone()])


async def test_state_functions_mode(rt: TestRuntime) -> None:
    h = await rt.start(Lock())
    for digit in (9, 1, 2, 3):
        h.cast(digit)
    assert await h.call("state") == "locked"  # relocked by the zero state time-out first


class Nowhere(GenStateMachine[Any, Any, Any, Any, None]):
    callback_mode = "state_functions"

    def __init__(self, first: object) -> None:
        self.first = first

    def init(self) -> NextState[Any, None]:
        return NextState(self.first, None)


@pytest.mark.parametrize(
    ("first", "words"),
    [
        ("nowhere", "no state function for state 'nowhere': define `def nowhere"),
        ("handle", "names a method of GenStateMachine itself"),
        (3, "a str or an Enum member"),
    ],
)
async def test_state_functions_mode_names_a_missing_state_function(
    rt: TestRuntime, first: object, words: str
) -> None:
    h = await rt.start(Nowhere(first))
    with pytest.raises(ServerExited, match=words):
        await h.call("x")


async def test_a_state_machine_under_a_supervisor_restarts(rt: TestRuntime) -> None:
    sup = await rt.start(Supervisor([ChildSpec("lock", Lock)]))
    [child] = await sup.which_children()
    assert child.handle is not None
    first = rt.wrap(child.handle)
    first.kill()
    await first.join()
    [child] = await sup.which_children()
    assert child.handle is not None
    assert child.handle != first.handle
    assert await rt.wrap(child.handle).call("state") == "locked"
    await sup.stop()


class BadInit(GenStateMachine[Any, Any, Any, str, None]):
    def init(self) -> NextState[str, None]:
        return KeepState()  # pyright: ignore[reportReturnType] - the mistake under test


async def test_init_must_return_next_state(rt: TestRuntime) -> None:
    with pytest.raises(InitFailed) as caught:
        await rt.start(BadInit())
    assert isinstance(caught.value.reason, BadTransition)
    assert "init returned KeepState(" in str(caught.value.reason)
    assert "allowed: NextState(state, data, actions), Ignore() or Stop(reason)" in str(caught.value.reason)


class Light(Enum):
    RED = "red"
    GREEN = "green"


class TrafficLight(GenStateMachine[str, str, str, Light, int]):
    """State functions named by an Enum's members; counts changes; crashes on "crash"."""

    callback_mode = "state_functions"

    def __init__(self, ended: list[object]) -> None:
        self.ended = ended

    def init(self) -> NextState[Light, int]:
        return NextState(Light.RED, 0)

    def RED(self, event_type: EventType, content: Any, data: int) -> Transition[Light, int]:  # noqa: N802 - named by the state
        return self.common(event_type, content, data, Light.GREEN)

    def GREEN(self, event_type: EventType, content: Any, data: int) -> Transition[Light, int]:  # noqa: N802 - named by the state
        return self.common(event_type, content, data, Light.RED)

    def common(self, event_type: EventType, content: Any, data: int, other: Light) -> Transition[Light, int]:
        match event_type, content:
            case Call(caller), _:
                return KeepState(actions=[ReplyTo(caller, f"{data} changes")])
            case _, "crash":
                raise ValueError(content)
            case _:
                return NextState(other, data + 1)

    def terminate(self, reason: object, state: Light, data: int) -> None:
        self.ended.append((type(reason).__name__, state, data))


async def test_enum_states_and_terminate_after_a_crash_sees_state_and_data(rt: TestRuntime) -> None:
    ended: list[object] = []
    h = await rt.start(TrafficLight(ended))
    for _ in range(3):
        h.cast("next")
    assert await h.call("count") == "3 changes"
    h.cast("crash")
    assert isinstance(await h.join(), ValueError)
    assert ended == [("ValueError", Light.GREEN, 3)]


async def test_absolute_timeouts_fire_at_their_deadline(rt: TestRuntime) -> None:
    h = await rt.start(Logger())
    deadline = time.monotonic() + 0.01
    at = GenericTimeout("at", deadline, "done", absolute=True)
    past = StateTimeout(deadline - 3600, "past", absolute=True)  # already due
    h.cast(("keep", [at, past]))
    log = await h.call("wait")
    fired = [c for _, k, c in log if k in {"generic:at", "statetimeout"}]
    assert fired == ["past", "done"]
    await h.stop()


class Restless(GenStateMachine[Any, Any, Any, str, None]):
    state_enter = True

    def init(self) -> NextState[str, None]:
        return NextState("here", None)

    def handle_event(
        self, event_type: EventType, content: Any, state: str, data: None
    ) -> Transition[str, None]:
        return NextState("elsewhere")


async def test_a_state_enter_call_may_not_change_state(rt: TestRuntime) -> None:
    h = await rt.start(Restless())
    reason = await h.join()
    assert isinstance(reason, BadTransition)
    assert str(reason).startswith("the state enter call (handle_event) returned NextState(state='elsewhere'")
    assert "in state 'here' handling state enter from 'here'" in str(reason)
    assert "a state enter call may not change state" in str(reason)


class Mode(StrEnum):
    IDLE = "idle-value"
    BUSY = "busy-value"


class StrEnumMachine(GenStateMachine[str, str, object, Mode, int]):
    """State functions named by StrEnum members: by the member's name, not its value."""

    callback_mode = "state_functions"

    def init(self) -> NextState[Mode, int]:
        return NextState(Mode.IDLE, 0)

    def IDLE(self, event_type: EventType, content: Any, data: int) -> Transition[Mode, int]:  # noqa: N802 - named by the state
        if type(event_type) is Call:
            return KeepState(actions=[ReplyTo(event_type.caller, ("IDLE", data))])
        return NextState(Mode.BUSY, data + 1)

    def BUSY(self, event_type: EventType, content: Any, data: int) -> Transition[Mode, int]:  # noqa: N802 - named by the state
        if type(event_type) is Call:
            return KeepState(actions=[ReplyTo(event_type.caller, ("BUSY", data))])
        return NextState(Mode.IDLE, data + 1)


async def test_str_enum_states_pick_the_method_named_by_the_member_s_name(rt: TestRuntime) -> None:
    with anyio.fail_after(10):
        h = await rt.start(StrEnumMachine())
        assert await h.call("which") == ("IDLE", 0)
        h.cast("next")
        assert await h.call("which") == ("BUSY", 1)
        await h.stop()


class Timed(GenStateMachine[str, str, object, str, list[object]]):
    """Sets, updates and cancels generic time-outs; a call "wait" waits for one to fire."""

    def init(self) -> NextState[str, list[object]]:
        return NextState("s", [])

    def handle_event(
        self, event_type: EventType, content: Any, state: str, data: list[object]
    ) -> Transition[str, list[object]]:
        match event_type, content:
            case Cast(), "arm":
                return KeepState(
                    actions=[
                        GenericTimeout("late", 60, "late"),
                        GenericTimeout("soon", 0.001, "old"),
                        UpdateTimeout(GenericTimeout, "new", name="soon"),
                        CancelTimeout(GenericTimeout, name="late"),
                    ]
                )
            case GenericTimeout(name), fired:
                return NextState("fired", [*data, (name, fired)])  # retries a postponed "wait"
            case Call(caller), "wait" if data:
                return KeepState(actions=[ReplyTo(caller, data)])
            case Call(), "wait":
                return KeepState(actions=[Postpone()])
            case _:
                return None


async def test_update_and_cancel_timeout_through_the_machine_s_timers(rt: TestRuntime) -> None:
    with anyio.fail_after(10):
        h = await rt.start(Timed())
        h.cast("arm")
        assert await h.call("wait") == [("soon", "new")]
        assert await h.replace_state(lambda m: len(m._spawned_effects.timers)) == 0  # none kept, none running
        await h.stop()


class Secret(TrafficLight):
    def format_status(self, status: Status) -> Status:
        state, _ = status.state
        return evolve(status, state=(state, "***"))


async def test_get_state_is_state_and_data_through_format_status_and_replace_state_sets_them(
    rt: TestRuntime,
) -> None:
    """OTP's sys:get_state / sys:replace_state on a gen_statem: ``{State, Data}``."""
    with anyio.fail_after(10):
        h = await rt.start(TrafficLight([]))
        h.cast("next")
        assert await h.get_state() == (Light.GREEN, 1)

        def reset(machine: TrafficLight) -> tuple[Light, int]:
            _, data = machine.state_and_data
            machine.state_and_data = (Light.RED, data + 10)
            return machine.state_and_data

        assert await h.replace_state(reset) == (Light.RED, 11)
        assert await h.call("count") == "11 changes"
        h.cast("next")
        assert await h.get_state() == (Light.GREEN, 12)
        with pytest.raises(TypeError, match=r"state_and_data takes a \(state, data\) pair, got 'RED'"):
            await h.replace_state(lambda m: setattr(m, "state_and_data", "RED"))
        await h.stop()
        secret = await rt.start(Secret([]))
        assert await secret.get_state() == (Light.RED, "***")
        await secret.stop()
