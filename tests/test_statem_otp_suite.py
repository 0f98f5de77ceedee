"""OTP's gen_statem_SUITE (and Elixir GenStateMachine's tests), ported to GenStateMachine.

Each test names the OTP (or Elixir) case it ports. Most machines are written as OTP's suite
writes them: a map from state to a function of ``(machine, event_type, content, data)``
(OTP's ``{map_statem, Machine}``), so a port reads like the original. Where the original
sends a message to the test process, the machine appends to a log the test reads with a call.

Cases that expose a difference from gen_statem are ``xfail(strict=True)``: the mark flips
the moment the difference is fixed. Time-outs are checked by order and by what fires, never
by duration.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from typing import Any, NoReturn

import anyio
import pytest
from attrs import evolve
from conftest import LogCapture

from spawned import (
    INFINITY,
    AlreadyStarted,
    BadTransition,
    Call,
    CallTimeout,
    Cast,
    ChildSpec,
    Enter,
    EventTimeout,
    EventType,
    GenericTimeout,
    GenStateMachine,
    Hibernate,
    Ignore,
    Ignored,
    Info,
    InitFailed,
    Internal,
    KeepState,
    NextEvent,
    NextState,
    NoProc,
    Postpone,
    RepeatState,
    ReplyTo,
    ServerExited,
    StateTimeout,
    Status,
    Stop,
    StopAndReply,
    Supervisor,
    Timer,
    Transition,
)
from spawned.testing import TestHandle, TestRuntime

Fn = Callable[["MapMachine", Any, Any, Any], Any]


def unexpected(state: object, event_type: object, content: object) -> NoReturn:
    """OTP's function_clause: a state function got an event it has no clause for."""
    msg = f"unexpected {event_type!r} {content!r} in {state!r}"
    raise AssertionError(msg)


class MapMachine(GenStateMachine[Any, Any, Any, Any, Any]):
    """OTP's ``{map_statem, Machine}``: ``machine[state](self, event_type, content, data)``.

    A call ``"peek"`` in any state is answered with ``(state, data, log)`` and changes nothing
    (in OTP the test reads its mailbox instead).
    """

    def __init__(
        self, machine: dict[str, Fn], first: object, data: object = None, actions: list[Any] | None = None
    ):
        self.machine = machine
        self.first = first
        self.first_data = data
        self.first_actions = actions or []
        self.log: list[object] = []

    def init(self) -> NextState[Any, Any]:
        return NextState(self.first, self.first_data, self.first_actions)

    def handle_event(
        self, event_type: EventType, content: Any, state: Any, data: Any
    ) -> Transition[Any, Any]:
        if type(event_type) is Call and content == "peek":
            return KeepState(actions=[ReplyTo(event_type.caller, (state, data, list(self.log)))])
        return self.machine[state](self, event_type, content, data)


class MapEnterMachine(MapMachine):
    state_enter = True


async def peek(h: TestHandle[Any, Any, Any]) -> tuple[Any, Any, list[object]]:
    return await h.call("peek")


# -- state_enter -------------------------------------------------------------------------


def _se_start(m: MapMachine, et: Any, c: Any, n: Any) -> Transition[Any, Any]:
    match et, c:
        case Enter(), prev:
            m.log.append((n, "enter", "start", prev))
            return KeepState(n + 1)
        case Internal(), prev:
            m.log.append((n, "internal", "start", prev))
            return KeepState(n + 1)
        case Call(caller), "repeat":
            return RepeatState(n + 1, [ReplyTo(caller, (n, "repeat", "start"))])
        case Call(caller), "echo":
            return NextState("wait", n + 1, [ReplyTo(caller, (n, "echo", "start")), EventTimeout(0, n)])
        case Call(caller), ("stop", reason):
            return StopAndReply(reason, [ReplyTo(caller, (n, "stop"))], n + 1)
        case _:
            unexpected("start", et, c)


def _se_wait(m: MapMachine, et: Any, c: Any, n: Any) -> Transition[Any, Any]:
    match et, c:
        case Enter(), prev if n < 5:
            m.log.append((n, ("enter", prev)))
            return RepeatState(n + 1, [EventTimeout(0, n), StateTimeout(0, n)])
        case Enter(), prev:
            m.log.append((n, "enter", "wait", prev))
            return KeepState(n + 1, [EventTimeout(0, n), StateTimeout(0, n)])
        case EventTimeout(), fired:
            m.log.append((n, ("timeout", fired)))
            return KeepState(n + 1)
        case StateTimeout(), fired:
            m.log.append((n, ("state_timeout", fired)))
            return KeepState(n + 1)
        case Call(caller), "repeat":
            return RepeatState(actions=[ReplyTo(caller, (n, "repeat", "wait")), EventTimeout(0, n)])
        case Call(caller), "echo":
            return NextState(
                "start", n + 1, [NextEvent(Internal(), "wait"), ReplyTo(caller, (n, "echo", "wait"))]
            )
        case _:
            unexpected("wait", et, c)


async def test_state_enter_otp(rt: TestRuntime) -> None:
    """<- OTP state_enter: enter calls, repeat_state from an event and from an enter call,
    zero time-outs set in repeated enter calls (the last setting wins, in the order set)."""
    with anyio.fail_after(10):
        h = await rt.start(MapEnterMachine({"start": _se_start, "wait": _se_wait}, "start", 1))
        assert (await peek(h))[2] == [(1, "enter", "start", "start")]
        assert await h.call("echo") == (2, "echo", "start")
        state, data, log = await peek(h)
        assert log[1:] == [
            (3, ("enter", "start")),
            (4, ("enter", "start")),
            (5, "enter", "wait", "start"),
            (6, ("timeout", 5)),
            (7, ("state_timeout", 5)),
        ]
        assert (state, data) == ("wait", 8)
        assert await h.call("repeat") == (8, "repeat", "wait")
        assert (await peek(h))[2][6:] == [
            (8, "enter", "wait", "wait"),
            (9, ("timeout", 8)),
            (10, ("state_timeout", 8)),
        ]
        assert await h.call("echo") == (11, "echo", "wait")
        assert (await peek(h))[2][9:] == [(12, "enter", "start", "wait"), (13, "internal", "start", "wait")]
        assert await h.call("repeat") == (14, "repeat", "start")
        assert (await peek(h))[2][11:] == [(15, "enter", "start", "start")]
        assert await h.call(("stop", "bye")) == (16, "stop")
        assert await h.join() == "bye"
        with pytest.raises(NoProc):
            await h.call("hej")


# -- event_order ---------------------------------------------------------------------------


def _eo_start(m: MapMachine, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
    match et, c:
        case Cast(), _:
            return KeepState(actions=[Postpone()])  # handled in "buffer"
        case Call(caller), "buffer":
            # The zero event time-out must not fire: the inserted and the postponed events cancel it.
            inserted = [NextEvent(Internal(), "ok3"), NextEvent(Internal(), "ok4")]
            return NextState("buffer", [], [*inserted, EventTimeout(0, "ok5"), ReplyTo(caller, "ok")])
        case _:
            unexpected("start", et, c)


def _eo_buffer(m: MapMachine, et: Any, c: Any, replies: Any) -> Transition[Any, Any]:
    match et, c:
        case Internal() | EventTimeout() | Cast(), reply:
            return KeepState([*replies, reply])
        case Call(caller), ("stop", reason):
            return NextState("stop", None, [ReplyTo(caller, replies), NextEvent(Internal(), Stop(reason))])
        case _:
            unexpected("buffer", et, c)


def _eo_stop(m: MapMachine, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
    return c  # the Stop inserted above


async def test_event_order_otp(rt: TestRuntime) -> None:
    """<- OTP event_order: inserted events first, then postponed ones, and a zero event
    time-out cancelled by them; a Stop result inserted as an event."""
    with anyio.fail_after(10):
        h = await rt.start(MapMachine({"start": _eo_start, "buffer": _eo_buffer, "stop": _eo_stop}, "start"))
        h.cast("ok1")
        h.cast("ok2")
        assert await h.call("buffer") == "ok"
        assert await h.call(("stop", "reason")) == ["ok3", "ok4", "ok1", "ok2"]
        assert await h.join() == "reason"
        with pytest.raises(NoProc):
            await h.call("hej")


# -- state_timeout -------------------------------------------------------------------------


def _st_start(m: MapMachine, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
    match et, c, data:
        case Call(caller), ("go", t), 0:
            m.handle.send("message_to_self")
            # Internal events go before external ones; the state change cancels both time-outs.
            return NextState(
                "state1", (t, caller), [EventTimeout(t, 1), StateTimeout(t, 1), NextEvent(Internal(), 1)]
            )
        case _:
            unexpected("start", et, c)


def _st_state1(m: MapMachine, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
    match et, c:
        case Internal(), 1:
            return NextState(
                "state2", data, [EventTimeout(0, 2), StateTimeout(0, 2), NextEvent(Internal(), 2)]
            )
        case _:
            unexpected("state1", et, c)


def _st_state2(m: MapMachine, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
    match et, c, data:
        case Internal(), 2, _:
            # The zero state time-out comes after the inserted event, and the zero event
            # time-out set now is cancelled by the pending zero state time-out's event.
            return KeepState(("ok", 2, data), [EventTimeout(0, 3)])
        case StateTimeout(), 2, ("ok", 2, inner):
            return KeepState(("ok", 3, inner), [EventTimeout(0, 4), StateTimeout(0, 5)])  # in order
        case EventTimeout(), 4, ("ok", 3, inner):
            # A zero event time-out is cancelled by a zero state time-out's event; a zero state
            # time-out can be set again.
            return KeepState(("ok", 4, inner), [StateTimeout(0, 6), EventTimeout(0, 7)])
        case StateTimeout(), 6, ("ok", 4, (t, caller)):
            return NextState("state3", 6, [ReplyTo(caller, "ok"), StateTimeout(t, 8)])
        case _:
            unexpected("state2", et, c)


def _st_state3(m: MapMachine, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
    match et, c, data:
        case Info(), "message_to_self", 6:
            return KeepState(7)
        case Call(caller), "check", 7:
            return KeepState(caller)
        case StateTimeout(), 8, caller:
            return StopAndReply("normal", [ReplyTo(caller, "ok")])
        case _:
            unexpected("state3", et, c)


async def test_state_timeout_otp(rt: TestRuntime) -> None:
    """<- OTP state_timeout: zero time-outs after queued events, in the order set, a zero
    event time-out cancelled by a zero state time-out, and a state time-out that survives
    events in its state."""
    machine = {"start": _st_start, "state1": _st_state1, "state2": _st_state2, "state3": _st_state3}
    with anyio.fail_after(10):
        h = await rt.start(MapMachine(machine, "start", 0))
        assert await h.call(("go", 0.02)) == "ok"
        assert await h.call("check") == "ok"
        assert await h.join() == "normal"


# -- timeout_cancel_and_update (the cancel half; spawned has no `update`) --------------------


def _tc_start(m: MapMachine, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
    match et, c:
        case Call(caller), "test":
            m.handle.send("message_to_self")
            return NextState("state1", caller, [StateTimeout(0.01, 1), NextEvent(Internal(), 1)])
        case _:
            unexpected("start", et, c)


def _tc_state1(m: MapMachine, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
    match et, c:
        case Internal(), 1:  # OTP's {state_timeout, cancel}
            return KeepState(actions=[StateTimeout(INFINITY), GenericTimeout("a", 0.02, "a")])
        case Info(), "message_to_self":
            return None
        case GenericTimeout(name="a"), "a":
            return StopAndReply("normal", [ReplyTo(data, "ok")])
        case _:
            unexpected("state1", et, c)  # the cancelled state time-out must not come


async def test_timeout_cancel_otp(rt: TestRuntime) -> None:
    """<- OTP timeout_cancel_and_update (cancel): a time-out set to INFINITY never fires,
    checked against a later generic time-out that must."""
    with anyio.fail_after(10):
        h = await rt.start(MapMachine({"start": _tc_start, "state1": _tc_state1}, "start"))
        assert await h.call("test") == "ok"
        assert await h.join() == "normal"


# -- event_types ---------------------------------------------------------------------------


def _chain(expect_type: type, expect: object, target: str) -> Fn:
    def fn(m: MapMachine, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
        if type(et) is expect_type and c == expect:
            return NextState(target)
        unexpected(expect, et, c)

    return fn


def _et_start2(m: MapMachine, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
    match et:
        case Call():
            every = [
                NextEvent(Internal(), 1),
                NextEvent(StateTimeout(0), 2),
                NextEvent(EventTimeout(0), 3),
                NextEvent(Info(), 4),
                NextEvent(Cast(), 5),
                NextEvent(GenericTimeout(6, 0), 6),
                NextEvent(et, c),  # the call itself, answered in state7
            ]
            return NextState("state1", None, every)
        case _:
            unexpected("start2", et, c)


def _et_state7(m: MapMachine, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
    match et, c:
        case Call(caller), "stop":
            return StopAndReply("shutdown", [ReplyTo(caller, "stopped")])
        case _:
            unexpected("state7", et, c)


async def test_event_types_otp(rt: TestRuntime) -> None:
    """<- OTP event_types: every event type can be inserted with NextEvent, a call too."""
    machine = {
        "start1": _chain(Internal, 0, "start2"),
        "start2": _et_start2,
        "state1": _chain(Internal, 1, "state2"),
        "state2": _chain(StateTimeout, 2, "state3"),
        "state3": _chain(EventTimeout, 3, "state4"),
        "state4": _chain(Info, 4, "state5"),
        "state5": _chain(Cast, 5, "state6"),
        "state6": _chain(GenericTimeout, 6, "state7"),
        "state7": _et_state7,
    }
    with anyio.fail_after(10):
        h = await rt.start(MapMachine(machine, "start1", actions=[NextEvent(Internal(), 0)]))
        assert await h.call("stop") == "stopped"
        assert await h.join() == "shutdown"
        with pytest.raises(NoProc):
            await h.call("hej")


# -- generic_timers --------------------------------------------------------------------------


def _gt_start(m: MapMachine, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
    match et:
        case Call():
            timers = [GenericTimeout("a", 0.15, 1), StateTimeout(0.15, 1), GenericTimeout("b", 0.1, 1)]
            return NextState("state1", None, [*timers, NextEvent(et, c)])
        case _:
            unexpected("start", et, c)


def _gt_state1(m: MapMachine, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
    match et:
        case Call():
            deadline = time.monotonic() + 0.05
            timers = [
                GenericTimeout("c", deadline, 2, absolute=True),
                GenericTimeout("d", 0, 2),
                EventTimeout(0, 2),
                GenericTimeout("b", INFINITY, 2),
                GenericTimeout("a", 0.1, (et, c)),
            ]
            return NextState("state2", None, timers)
        case _:
            unexpected("state1", et, c)


def _gt_state4(m: MapMachine, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
    match et, c:
        case GenericTimeout(name="a"), (Call(caller), "stop"):
            return StopAndReply("shutdown", [ReplyTo(caller, "stopped")])
        case _:
            unexpected("state4", et, c)


async def test_generic_timers_otp(rt: TestRuntime) -> None:
    """<- OTP generic_timers: named time-outs, absolute and zero ones, set again, cancelled,
    and one whose content is a call, answered when it fires."""
    machine = {
        "start": _gt_start,
        "state1": _gt_state1,
        "state2": _chain(GenericTimeout, 2, "state3"),  # "d", the zero one, comes first
        "state3": _chain(GenericTimeout, 2, "state4"),  # then "c", the absolute one
        "state4": _gt_state4,
    }
    with anyio.fail_after(10):
        h = await rt.start(MapMachine(machine, "start"))
        assert await h.call("stop") == "stopped"
        assert await h.join() == "shutdown"
        with pytest.raises(NoProc):
            await h.call("hej")


# -- stop_and_reply --------------------------------------------------------------------------


def _sr_start(m: MapMachine, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
    match et, c:
        case Call(caller), "echo":
            return NextState("wait", ReplyTo(caller, "reply1"))
        case _:
            unexpected("start", et, c)


def _sr_wait(m: MapMachine, et: Any, c: Any, held: Any) -> Transition[Any, Any]:
    match et, c:
        case Call(caller), "stop_and_reply":
            return StopAndReply("reason", [held, ReplyTo(caller, "reply2")])
        case _:
            unexpected("wait", et, c)


async def test_stop_and_reply_otp(rt: TestRuntime) -> None:
    """<- OTP stop_and_reply: replies to a held caller and to the current one, then stops."""
    with anyio.fail_after(10):
        h = await rt.start(MapMachine({"start": _sr_start, "wait": _sr_wait}, "start"))
        answers: dict[str, object] = {}

        async def call(msg: str) -> None:
            answers[msg] = await h.call(msg)

        async with anyio.create_task_group() as tg:
            tg.start_soon(call, "echo")
            while (await peek(h))[0] != "wait":  # the echo call is held
                pass
            tg.start_soon(call, "stop_and_reply")
        assert answers == {"echo": "reply1", "stop_and_reply": "reply2"}
        assert await h.join() == "reason"
        with pytest.raises(NoProc):
            await h.call("hej")


# -- next_events -----------------------------------------------------------------------------


def _ne_idle(m: MapMachine, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
    match et, c:
        case Cast(), "next_event":
            return NextState("next_events", ["a", "b", "c"], [NextEvent(Internal(), x) for x in "abc"])
        case _:
            unexpected("idle", et, c)


def _ne_next_events(m: MapMachine, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
    match et, c:
        case Internal(), msg if data and msg == data[0]:
            return KeepState(data[1:])
        case _:
            unexpected("next_events", et, c)


async def test_next_events_otp(rt: TestRuntime) -> None:
    """<- OTP next_events: several NextEvent actions are handled in the order given."""
    with anyio.fail_after(10):
        h = await rt.start(MapMachine({"idle": _ne_idle, "next_events": _ne_next_events}, "idle"))
        h.cast("next_event")
        assert (await peek(h))[:2] == ("next_events", [])
        await h.stop()
        with pytest.raises(NoProc):
            await h.stop()  # <- OTP stop1: stopping a stopped machine


# -- the suite's connection machine (start*, do_func_test, do_sync_func_test, shutdown) ----------


class Conn(GenStateMachine[Any, Any, Any, Any, Any]):
    """OTP's gen_statem_SUITE machine, in state functions mode; ``out`` stands for the
    messages it sends the test process."""

    callback_mode = "state_functions"

    def __init__(self, out: list[object]) -> None:
        self.out = out

    def init(self) -> NextState[Any, Any]:
        return NextState("idle", "data")

    def idle(self, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
        match et, c:
            case Cast(), "connect":
                self.out.append("accept")
                return NextState("wfor_conf", data, [EventTimeout(INFINITY)])  # no-op time-out, as in OTP
            case Call(caller), "connect":
                return NextState("wfor_conf", data, [ReplyTo(caller, "accept"), EventTimeout(INFINITY)])
            case _, "badreturn":
                return "badreturn"  # pyright: ignore[reportReturnType] - the mistake under test
            case _, "badaction":
                return KeepState(actions=["badaction"])  # pyright: ignore[reportArgumentType] - the mistake under test
            case Call(caller), ("timeout", t):
                return NextState("timeout", (caller, t), [EventTimeout(t, "idle")])
            case _:
                return self.common(et, c, "idle", data) or self.idle_other(et, c, data)

    def idle_other(self, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
        if type(et) is Call:
            return KeepState(actions=[ReplyTo(et.caller, "eh?")])
        return Stop(("unexpected", "idle", et, c))

    def timeout(self, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
        match et, c, data:
            case EventTimeout(), "idle", (caller, t):
                token = object()
                self.send_after(t, ("timeout", token, "ok"))
                return KeepState((caller, token), [EventTimeout(0, 0)])  # an immediate time-out
            case EventTimeout(), 0, _:
                # Postpone the time-out event itself: retried in timeout2, where it cancels
                # the event time-out set here.
                return NextState("timeout2", data, [EventTimeout(0.001, "should_be_cancelled"), Postpone()])
            case _:
                return None

    def timeout2(self, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
        match et, c, data:
            case EventTimeout(), 0, _:
                return None
            case EventTimeout(), reason, _:
                return Stop(reason)
            case Info(), ("timeout", token, result), (caller, held) if token is held:
                return NextState("idle", "state", [ReplyTo(caller, result)])
            case _:
                return None

    def wfor_conf(self, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
        match et, c:
            case Call(caller), "confirm":
                return NextState("connected", data, [ReplyTo(caller, "yes")])
            case Cast(), ("ping", _):
                return KeepState(actions=[Postpone()])
            case Cast(), "confirm":
                return NextState("connected", data)
            case _:
                common = self.common(et, c, "wfor_conf", data)
                if common is not None:
                    return common
                if type(et) is Call:
                    return NextState("idle", data, [ReplyTo(et.caller, "eh?")])
                return None

    def connected(self, et: Any, c: Any, data: Any) -> Transition[Any, Any]:  # noqa: PLR0911 - one clause per event, as in OTP
        match et, c:
            case Call(caller), ("msg", ref):
                return KeepState(data, [ReplyTo(caller, ("ack", ref))])
            case Cast(), ("msg", ref):
                self.out.append(("ack", ref))
                return KeepState(data)
            case Call(caller), "disconnect":
                return NextState("idle", data, [ReplyTo(caller, "yes")])
            case Cast(), "disconnect":
                return NextState("idle", data)
            case Cast(), ("ping", tag):
                self.out.append(("pong", tag))
                return None
            case _:
                common = self.common(et, c, "connected", data)
                if common is not None:
                    return common
                if type(et) is Call:
                    return KeepState(data, [ReplyTo(et.caller, "eh?")])
                return None

    def common(self, et: Any, c: Any, state: str, data: Any) -> Transition[Any, Any]:  # noqa: PLR0911 - one clause per event, as in OTP
        match et, c:
            case Call(caller), "get":
                return KeepState(data, [ReplyTo(caller, ("state", state, data))])
            case Call(caller), "stop":
                return StopAndReply("normal", [ReplyTo(caller, "stopped")], data)
            case Cast(), "stop":
                return Stop()
            case Call(caller), ("stop", reason):
                return StopAndReply(reason, [ReplyTo(caller, "stopped")], data)
            case Cast(), ("stop", reason):
                return Stop(reason)
            case Call(caller), "alive?":
                return KeepState(data, [ReplyTo(caller, "yes")])
            case Cast(), "alive?":
                self.out.append("yes")
                return KeepState(data)
            case _:
                return None


class ConnHandleEvent(Conn):
    """The same machine in handle event mode, its states wrapped in a list after the first
    one, as OTP's suite does "just to test non-atom states" (here: unhashable ones)."""

    callback_mode = "handle_event_function"

    def handle_event(
        self, event_type: EventType, content: Any, state: Any, data: Any
    ) -> Transition[Any, Any]:
        name = state[0] if isinstance(state, list) else state
        result = getattr(self, name)(event_type, content, data)
        if type(result) is NextState:
            step: NextState[Any, Any] = result
            return NextState([step.state], step.data, step.actions)
        return result


MODES = [pytest.param(Conn, id="state_functions"), pytest.param(ConnHandleEvent, id="handle_event")]


def state_name(reply: tuple[str, Any, Any]) -> str:
    state = reply[1]
    return state[0] if isinstance(state, list) else state


async def test_connection_casts_otp(rt: TestRuntime, machine: type[Conn]) -> None:
    """<- OTP start1/start6 (do_func_test): the connect protocol by casts, a ping postponed
    until connected."""
    out: list[object] = []
    with anyio.fail_after(10):
        h = await rt.start(machine(out))
        h.cast("alive?")
        assert state_name(await h.call("get")) == "idle"
        h.cast("connect")
        assert state_name(await h.call("get")) == "wfor_conf"
        h.cast(("ping", "tag"))
        h.cast("confirm")
        assert state_name(await h.call("get")) == "connected"
        for ref in range(3):
            h.cast(("msg", ref))
        h.cast("disconnect")
        assert state_name(await h.call("get")) == "idle"
        assert out == ["yes", "accept", ("pong", "tag"), ("ack", 0), ("ack", 1), ("ack", 2)]
        assert await h.call("stop") == "stopped"
        assert await h.join() == "normal"
        with pytest.raises(NoProc):
            await h.call("there_you_are")


async def test_connection_calls_otp(rt: TestRuntime, machine: type[Conn]) -> None:
    """<- OTP do_sync_func_test and shutdown: the protocol by calls, the event time-out
    flow ({timeout, 200}), then a stop with a shutdown reason, which is no error."""
    out: list[object] = []
    with anyio.fail_after(10):
        h = await rt.start(machine(out))
        assert await h.call("alive?") == "yes"
        assert await h.call("connect") == "accept"
        h.cast(("ping", "tag"))
        assert await h.call("confirm") == "yes"
        assert out == [("pong", "tag")]
        for ref in range(3):
            assert await h.call(("msg", ref)) == ("ack", ref)
        assert await h.call("disconnect") == "yes"
        assert state_name(await h.call("get")) == "idle"
        assert await h.call(("timeout", 0.01)) == "ok"
        assert await h.call("alive?") == "yes"
        assert state_name(await h.call("get")) == "idle"
        assert await h.call(("stop", ("shutdown", "reason"))) == "stopped"
        assert await h.join() == ("shutdown", "reason")
        with pytest.raises(NoProc):
            await h.call("hej")


@pytest.fixture(params=MODES)
def machine(request: pytest.FixtureRequest) -> type[Conn]:
    return request.param


async def test_shutdown_is_not_an_error_otp(rt: TestRuntime, logs: LogCapture) -> None:
    """<- OTP shutdown / start2: a stop with ("shutdown", detail) or "shutdown" logs no error."""
    with anyio.fail_after(10):
        for reason in ("shutdown", ("shutdown", "reason")):
            h = await rt.start(Conn([]))
            assert await h.call(("stop", reason)) == "stopped"
            assert await h.join() == reason
    assert logs.messages("ERROR") == []


async def test_named_start_twice_otp(rt: TestRuntime) -> None:
    """<- OTP start8/start9: a second start under a taken name fails with the first's handle."""
    with anyio.fail_after(10):
        h = await rt.start(Conn([]), name="my_stm")
        with pytest.raises(AlreadyStarted) as caught:
            await rt.start(Conn([]), name="my_stm")
        assert caught.value.handle == h
        whereis = rt.whereis("my_stm")
        assert whereis is not None
        assert await whereis.call("alive?") == "yes"
        await h.stop()
        with pytest.raises(NoProc):
            await h.stop()  # <- OTP stop4


async def test_stop_with_a_reason_and_a_bad_timeout_otp(rt: TestRuntime) -> None:
    """<- OTP stop2, stop3: stop with another reason; a bad timeout is refused, nothing sent."""
    seen: list[object] = []

    class Seen(Conn):
        def terminate(self, reason: object, state: Any, data: Any) -> None:
            seen.append((reason, state, data))

    with anyio.fail_after(10):
        h = await rt.start(Seen([]))
        with pytest.raises(ValueError, match="timeout"):
            await h.stop("other_reason", -1)
        assert h.is_alive
        await h.stop("other_reason")
        assert await h.join() == "other_reason"
        assert seen == [("other_reason", "idle", "data")]


class InitWith(GenStateMachine[Any, Any, Any, Any, Any]):
    def __init__(self, result: object, ran: list[str]) -> None:
        self.result = result
        self.ran = ran

    def init(self) -> Any:
        if isinstance(self.result, Exception):
            raise self.result
        return self.result

    def terminate(self, reason: object, state: Any, data: Any) -> None:
        self.ran.append("terminate")


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        pytest.param(Stop("stopped"), "'stopped'", id="stop"),  # <- start5a
        pytest.param(RuntimeError("bailout"), "RuntimeError('bailout')", id="crash"),  # <- start5b
        pytest.param(4711, "BadTransition('init returned 4711", id="bad"),  # <- loop_start_fail
        pytest.param(  # <- Elixir "init/1 should not allow callback mode in return"
            ("handle_event_function", None, None),
            "BadTransition(\"init returned ('handle_event_function'",
            id="tuple",
        ),
    ],
)
async def test_init_failures_fail_start_otp(rt: TestRuntime, result: object, expected: str) -> None:
    """<- OTP start5a, start5b, loop_start_fail: init returning Stop, raising, or returning
    junk fails the start, without terminate."""
    ran: list[str] = []
    with anyio.fail_after(10):
        with pytest.raises(InitFailed) as caught:
            await rt.start(InitWith(result, ran))
        assert repr(caught.value.reason).startswith(expected)
        assert ran == []


async def test_init_ignore_otp(rt: TestRuntime) -> None:
    """<- OTP start4: init returning Ignore()."""
    with anyio.fail_after(10), pytest.raises(Ignored):
        await rt.start(InitWith(Ignore(), []), name="ignored")
    assert rt.whereis("ignored") is None


# -- abnormal ------------------------------------------------------------------------------


async def test_call_timeout_keeps_the_machine_otp(rt: TestRuntime, logs: LogCapture) -> None:
    """<- OTP abnormal1: a call that times out leaves the machine running; its late answer
    (a postponed call answered after a state change) is dropped quietly."""
    with anyio.fail_after(10):
        h = await rt.start(MapMachine({"hold": _hold, "free": _free}, "hold"))
        with pytest.raises(CallTimeout):
            await h.call("delayed", timeout=0.01)
        h.cast("release")  # retries the timed-out call and answers it
        assert await h.call("delayed") == "delayed"
        await h.stop()
    assert logs.messages("ERROR") == []
    assert logs.messages("WARNING") == []


def _hold(m: MapMachine, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
    if type(et) is Cast and c == "release":
        return NextState("free")
    return KeepState(actions=[Postpone()])


def _free(m: MapMachine, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
    if type(et) is Call:
        return KeepState(actions=[ReplyTo(et.caller, c)])
    return None


@pytest.mark.parametrize(
    ("msg", "words"), [("badreturn", "returned 'badreturn'"), ("badaction", "returned 'badaction'")]
)
async def test_bad_return_and_bad_action_crash_otp(rt: TestRuntime, msg: str, words: str) -> None:
    """<- OTP abnormal2, abnormal3: a bad result or action crashes the machine; the caller and
    join see the same BadTransition, naming the state and the event."""
    with anyio.fail_after(10):
        h = await rt.start(Conn([]))
        with pytest.raises(ServerExited) as caught:
            await h.call(msg)
        reason = caught.value.reason
        assert isinstance(reason, BadTransition)
        assert words in str(reason)
        assert f"in state 'idle' handling call '{msg}'" in str(reason)
        assert await h.join() is reason


# -- hibernate ---------------------------------------------------------------------------------


def _hib(m: MapMachine, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
    match et, c:
        case Enter(), _:
            return KeepState(actions=[Hibernate()])
        case Call(caller), "hibernate_sync":
            return NextState("hiber_wakeup", data, [ReplyTo(caller, "hibernating"), Hibernate()])
        case Call(caller), "wakeup_sync":
            return NextState("hiber_idle", data, [ReplyTo(caller, "good_morning")])
        case Call(caller), "snooze_sync":
            return KeepState(actions=[ReplyTo(caller, "please_just_five_more"), Hibernate()])
        case Call(caller), "alive?":
            return RepeatState(actions=[ReplyTo(caller, "alive!"), Hibernate()])
        case _:
            return None


async def test_hibernate_is_accepted_everywhere_otp(rt: TestRuntime) -> None:
    """<- OTP hibernate: Hibernate() in init, events, state enter calls and RepeatState does
    nothing and the machine keeps answering (there is no process hibernation to observe)."""
    with anyio.fail_after(10):
        h = await rt.start(
            MapEnterMachine({"hiber_idle": _hib, "hiber_wakeup": _hib}, "hiber_idle", "idle", [Hibernate()])
        )
        assert await h.call("hibernate_sync") == "hibernating"
        assert await h.call("snooze_sync") == "please_just_five_more"
        assert await h.call("alive?") == "alive!"
        assert await h.call("wakeup_sync") == "good_morning"
        assert (await peek(h))[:2] == ("hiber_idle", "idle")
        await h.stop()


# -- Elixir GenStateMachine's tests ------------------------------------------------------------


class Switch(GenStateMachine[Any, Any, Any, str, dict[str, int]]):
    """Elixir's EventFunctionSwitch / EventFunctionEnterSwitch."""

    def init(self) -> NextState[str, dict[str, int]]:
        return NextState("off", {"enters": 0, "flips": 0})

    def handle_event(
        self, event_type: EventType, content: Any, state: str, data: dict[str, int]
    ) -> Transition[str, dict[str, int]]:
        match event_type, content, state:
            case Enter(), _, _:
                return NextState(state, {**data, "enters": data["enters"] + 1})
            case Cast(), "flip", "off":
                return NextState("on", {**data, "flips": data["flips"] + 1})
            case Cast(), "flip", "on":
                return NextState("off", data)
            case Call(caller), "get_count", _:
                return NextState(state, data, [ReplyTo(caller, data)])
            case _:
                return None


class EnterSwitch(Switch):
    state_enter = True


class SwitchFunctions(GenStateMachine[Any, Any, Any, str, int]):
    """Elixir's StateFunctionsSwitch."""

    callback_mode = "state_functions"

    def init(self) -> NextState[str, int]:
        return NextState("off", 0)

    def off(self, event_type: EventType, content: Any, data: int) -> Transition[str, int]:
        if type(event_type) is Cast and content == "flip":
            return NextState("on", data + 1)
        return self.other(event_type, content, data)

    def on(self, event_type: EventType, content: Any, data: int) -> Transition[str, int]:
        if type(event_type) is Cast and content == "flip":
            return NextState("off", data)
        return self.other(event_type, content, data)

    def other(self, event_type: EventType, content: Any, data: int) -> Transition[str, int]:
        if type(event_type) is Call and content == "get_count":
            return KeepState(actions=[ReplyTo(event_type.caller, data)])
        return None


async def test_elixir_switches(rt: TestRuntime) -> None:
    """<- Elixir "start_link/2, call/2 and cast/2" (both modes) and "handle_event_function
    and state_enter": three flips, four enter calls (the initial one included)."""
    with anyio.fail_after(10):
        for server, flips, expected in [
            (Switch(), 2, {"enters": 0, "flips": 1}),
            (SwitchFunctions(), 2, 1),
            (EnterSwitch(), 3, {"enters": 4, "flips": 2}),
        ]:
            h = await rt.start(server)
            for _ in range(flips):
                h.cast("flip")
            assert await h.call("get_count") == expected
            await h.stop()
            assert await h.join() == "normal"


# -- attacks: postponed calls when the machine goes, supervisors, terminate -----------------


@pytest.mark.parametrize("how", ["stop", "kill", "crash", "stop_result"])
async def test_a_postponed_call_fails_at_once_when_the_machine_goes(rt: TestRuntime, how: str) -> None:
    """A call held by Postpone gets ServerExited as soon as the machine exits, however it exits."""

    def hold(m: MapMachine, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
        match et, c:
            case Call(), "wait":
                m.log.append("postponed")
                return KeepState(actions=[Postpone()])
            case Cast(), "crash":
                raise RuntimeError("crash")
            case Cast(), "stop":
                return Stop("stopped")
            case _:
                return None

    with anyio.fail_after(10):
        h = await rt.start(MapMachine({"hold": hold}, "hold"))
        failed: list[BaseException] = []

        async def wait() -> None:
            try:
                await h.call("wait", timeout=INFINITY)
            except ServerExited as e:
                failed.append(e)

        async with anyio.create_task_group() as tg:
            tg.start_soon(wait)
            while not (await peek(h))[2]:  # until the call is postponed
                pass
            if how == "stop":
                await h.stop("going")
            elif how == "kill":
                h.kill()
            else:
                h.cast(how.removesuffix("_result"))
        [error] = failed
        assert isinstance(error, ServerExited)
        reason = await h.join()
        assert error.reason is reason or error.reason == reason


class Counter(GenStateMachine[Any, Any, Any, str, int]):
    """Counts casts; "bad" makes a bad result; records terminate's arguments."""

    def __init__(self, seen: list[object]) -> None:
        self.seen = seen

    def init(self) -> NextState[str, int]:
        self.trap_exits = True
        return NextState("counting", 0)

    def handle_event(
        self, event_type: EventType, content: Any, state: str, data: int
    ) -> Transition[str, int]:
        match event_type, content:
            case Call(caller), "count":
                return KeepState(actions=[ReplyTo(caller, data)])
            case Cast(), "bad":
                return NextState("broken", data + 100, ["not an action"])  # pyright: ignore[reportArgumentType] - the mistake under test
            case Cast(), _:
                return NextState("counting", data + 1)
            case _:
                return None

    def terminate(self, reason: object, state: str, data: int) -> None:
        self.seen.append((type(reason).__name__ if isinstance(reason, Exception) else reason, state, data))


async def test_a_supervisor_restarts_a_machine_after_a_bad_result_and_shuts_it_down(rt: TestRuntime) -> None:
    """A machine crashed by a bad result is restarted fresh; a supervisor's shutdown runs
    terminate(reason, state, data) in the machine that traps exits."""
    seen: list[object] = []
    with anyio.fail_after(10):
        sup = await rt.start(Supervisor([ChildSpec("counter", lambda: Counter(seen))]))
        [child] = await sup.which_children()
        assert child.handle is not None
        first = rt.wrap(child.handle)
        first.cast("one")
        assert await first.call("count") == 1
        first.cast("bad")
        assert isinstance(await first.join(), BadTransition)
        [child] = await sup.which_children()
        assert child.handle is not None
        second = rt.wrap(child.handle)
        assert second != first
        assert await second.call("count") == 0
        second.cast("one")
        assert await second.call("count") == 1
        await sup.stop()
        assert seen[-1] == ("shutdown", "counting", 1)


# -- findings: differences from gen_statem ------------------------------------------------------


async def test_terminate_after_a_bad_action_sees_the_state_the_result_named(rt: TestRuntime) -> None:
    """gen_statem's loop_actions_list terminates with ``state_data = NextState_NewData``:
    terminate sees the state and data the faulty result returned."""
    seen: list[object] = []
    with anyio.fail_after(10):
        h = await rt.start(Counter(seen))
        h.cast("bad")
        await h.join()
    assert seen == [("BadTransition", "broken", 100)]


async def test_a_bad_action_from_init_names_init(rt: TestRuntime, logs: LogCapture) -> None:
    """The crash names the callback at fault (init) and not spawned's internal continue."""
    with anyio.fail_after(10):
        h = await rt.start(MapMachine({}, "s", actions=["bad"]))
        reason = await h.join()
    assert isinstance(reason, BadTransition)
    assert str(reason).startswith("init returned 'bad'")
    [report] = [m for m in logs.messages("ERROR") if "terminating" in m]
    assert "<object object" not in report


async def test_next_event_may_not_fake_a_state_enter_call(rt: TestRuntime) -> None:
    """A faked Enter event is handled as an event: it may change state, which a real state
    enter call may not. gen_statem terminates with bad_action_from_state_function."""
    with anyio.fail_after(10):
        h = await rt.start(MapMachine({"s": _free}, "s", actions=[NextEvent(Enter(), "fake")]))
        reason = await h.join()
    assert isinstance(reason, BadTransition)
    assert "NextEvent(event_type=Enter()" in str(reason)


async def test_get_state_shows_state_and_data_otp(rt: TestRuntime) -> None:
    """<- OTP get_state: ``{idle, Data} = sys:get_state(Pid)``."""
    with anyio.fail_after(10):
        h = await rt.start(Conn([]))
        status = await h.get_state()
        await h.stop()
    assert "idle" in repr(status)
    assert "data" in repr(status)
    assert "bound method" not in repr(status)


async def test_crash_report_has_data_and_queued_events_elixir(rt: TestRuntime, logs: LogCapture) -> None:
    """<- Elixir "translates :gen_statem crashes debug": ``State: {:state, :data}``,
    ``Queued messages: [internal: :queued]``, ``Postponed messages: [internal: :postpone]``."""

    def fail(m: MapMachine, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
        match et, c:
            case Internal(), "error":
                raise RuntimeError("oops")
            case Internal(), "postpone":
                return KeepState(actions=[Postpone()])
            case Call(), actions:
                return KeepState(actions=actions)
            case _:
                return None

    with anyio.fail_after(10):
        h = await rt.start(MapMachine({"state": fail}, "state", "secret-data"))
        with pytest.raises(ServerExited):
            await h.call([NextEvent(Internal(), x) for x in ("postpone", "error", "queued")])
    [report] = [m for m in logs.messages("ERROR") if "terminating" in m]
    assert "postponed [internal 'postpone']" in report  # holds today
    assert "'secret-data'" in report
    assert "'queued'" in report


async def test_fired_generic_timeouts_are_not_kept(rt: TestRuntime) -> None:
    """A machine naming a generic time-out per request keeps nothing once they fired.

    One more time-out fires last, so the tasks backend's timer service (which holds its
    last batch of fired timers while it sleeps) holds that one and not the forty."""
    names = 40

    def count(m: MapMachine, et: Any, c: Any, data: Any) -> Transition[Any, Any]:  # noqa: PLR0911 - one return per event
        fired, waiting = data
        match et, c:
            case Call(caller), "one more":
                return KeepState((fired, caller), [GenericTimeout("one more", 0.001)])
            case GenericTimeout("one more"), _:
                return KeepState((fired, None), [ReplyTo(waiting, "fired")])
            case Cast(), "arm":
                return KeepState(actions=[GenericTimeout(n, 0.001, n) for n in range(names)])
            case GenericTimeout(), _ if fired + 1 == names and waiting is not None:
                return KeepState((names, None), [ReplyTo(waiting, names)])
            case GenericTimeout(), _:
                return KeepState((fired + 1, waiting))
            case Call(caller), "wait" if fired == names:
                return KeepState(actions=[ReplyTo(caller, fired)])
            case Call(caller), "wait":
                return KeepState((fired, caller))
            case _:
                return None

    def live_timers() -> int:
        gc.collect()
        return sum(1 for o in gc.get_objects() if isinstance(o, Timer))

    with anyio.fail_after(10):
        h = await rt.start(MapMachine({"s": count}, "s", (0, None)))
        before = live_timers()
        h.cast("arm")
        assert await h.call("wait") == names  # every one fired
        assert await h.call("one more") == "fired"
        after = live_timers()
        await h.stop()
    assert after - before < names // 2


async def test_kill_stops_an_inserted_event_chain(rt: TestRuntime) -> None:
    """OTP's kill is immediate. A thread cannot be preempted inside a callback, but the chain
    of inserted events must not go on once the process is dead."""
    if rt.backend != "threads":
        pytest.skip("a blocking callback is a threads matter; on tasks kill cancels the await")
    entered = threading.Event()
    gate = threading.Event()
    ran: list[object] = []
    where: list[threading.Thread] = []

    def chain(m: MapMachine, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
        match et, c:
            case Cast(), "go":
                return KeepState(actions=[NextEvent(Internal(), 1), NextEvent(Internal(), 2)])
            case Internal(), 1:
                where.append(threading.current_thread())
                entered.set()
                gate.wait(5)
                return None
            case Internal(), n:
                ran.append(n)
                return None
            case _:
                return None

    with anyio.fail_after(10):
        h = await rt.start(MapMachine({"s": chain}, "s"))
        h.cast("go")
        assert await rt.run_sync(entered.wait, 5)
        h.kill()
        assert await h.join() == "killed"
        gate.set()
        await rt.run_sync(where[0].join, 5)
    assert ran == []


async def test_postpone_and_next_event_are_refused_in_a_state_enter_call(rt: TestRuntime) -> None:
    """<- gen_statem: bad_state_enter_action_from_state_function for postpone and next_event."""
    with anyio.fail_after(10):
        for action in (Postpone(), NextEvent(Internal(), "x")):

            def enter(
                m: MapMachine, et: Any, c: Any, data: Any, action: Any = action
            ) -> Transition[Any, Any]:
                return KeepState(actions=[action]) if type(et) is Enter else None

            h = await rt.start(MapEnterMachine({"s": enter}, "s"))
            reason = await h.join()
            assert isinstance(reason, BadTransition)
            assert "a state enter call may not Postpone or NextEvent" in str(reason)


def _zero_order(m: MapMachine, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
    match et, c:
        case Cast(), "set":
            # gen_statem keeps the last setting of each time-out, in the order of those last
            # settings: the state time-out first, and its event cancels the event time-out.
            return KeepState(actions=[EventTimeout(0, "a"), StateTimeout(0, "b"), EventTimeout(0, "c")])
        case Call(caller), "fired":
            return KeepState(actions=[ReplyTo(caller, data)])
        case _:
            return KeepState([*data, c])


async def test_zero_timeouts_keep_the_last_setting_in_its_order(rt: TestRuntime) -> None:
    """<- gen_statem loop_timeouts: a time-out set twice in one result keeps its last setting,
    queued where that setting was made."""
    with anyio.fail_after(10):
        h = await rt.start(MapMachine({"s": _zero_order}, "s", []))
        h.cast("set")
        assert await h.call("fired") == ["b"]
        await h.stop()


class Secretive(MapMachine):
    """Hides every message, and its data, in its reports with format_status, as GenServer's
    docs show (a machine's ``status.state`` is its ``(state, data)``)."""

    def format_status(self, status: Status) -> Status:
        state, _ = status.state
        return evolve(status, state=(state, "***"), message="***")


def _leak(m: MapMachine, et: Any, c: Any, data: Any) -> Transition[Any, Any]:
    match et, c:
        case Call(), ("login", _):
            return NextState("checking", ("user", c[1]), [NextEvent(Internal(), c)])
        case _:
            raise RuntimeError("crash")


async def test_format_status_redaction_covers_the_machine_context(rt: TestRuntime, logs: LogCapture) -> None:
    """<- OTP error_format_status / format_all_status: gen_statem passes state, data, queue
    and postponed events through format_status before the report prints them."""
    with anyio.fail_after(10):
        h = await rt.start(Secretive({"idle": _leak, "checking": _leak}, "idle"))
        with pytest.raises(ServerExited):
            await h.call(("login", "hunter2"))
    [report] = [m for m in logs.messages("ERROR") if "terminating" in m]
    assert "***" in report  # the last message is hidden
    assert "hunter2" not in report  # nor in the last event, the data or the queued events
    assert "state 'checking'" in report
