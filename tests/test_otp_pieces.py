"""OTP pieces: Reply with Continue, exit signals with a reason, multi_call/abcast, on_thread children."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from servers import Get, Ping, Recorder, Watcher

from spawned import (
    Caller,
    CallResult,
    CallTimeout,
    ChildSpec,
    Continue,
    Exit,
    GenServer,
    InitFailed,
    NoProc,
    NoReply,
    Registry,
    Reply,
    ServerExited,
    Supervisor,
)
from spawned.testing import TestRuntime

# -- Reply(value, Continue(arg)) -------------------------------------------------------------


class ReplyThenContinue(GenServer):
    """Replies, then continues; records the order of callbacks."""

    def init(self) -> None:
        self.order: list[object] = []
        self.held: Caller[Any] | None = None

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        match msg:
            case "reply then continue":
                self.order.append("call")
                return Reply("ok", Continue("after reply"))
            case "hold then continue":
                self.held = caller
                return NoReply(then=Continue("after noreply"))
            case _:
                return Reply(list(self.order))

    def handle_cast(self, msg: Any) -> None:
        self.order.append(("cast", msg))

    def handle_continue(self, arg: Any) -> None:
        self.order.append(("continue", arg))
        if self.held is not None:
            self.held.reply(arg)
            self.held = None


async def test_reply_with_continue_answers_then_runs_handle_continue_first(rt: TestRuntime) -> None:
    h = await rt.start(ReplyThenContinue())
    assert await h.call("reply then continue") == "ok"
    h.cast("next")
    assert await h.call("order") == ["call", ("continue", "after reply"), ("cast", "next")]


async def test_noreply_with_continue_runs_handle_continue_before_the_next_message(rt: TestRuntime) -> None:
    h = await rt.start(ReplyThenContinue())
    assert await h.call("hold then continue") == "after noreply"
    assert await h.call("order") == [("continue", "after noreply")]


def test_then_takes_only_a_continue() -> None:
    with pytest.raises(TypeError, match=r"then= takes Continue\(arg\) or None, got 'later'"):
        Reply("ok", "later")  # pyright: ignore[reportArgumentType]
    assert repr(Reply(1, Continue(2))) == "Reply(value=1, then=Continue(arg=2))"
    assert repr(Reply(1)) == "Reply(value=1)"
    assert repr(NoReply()) == "NoReply()"


# -- handle.exit(reason) -------------------------------------------------------------------


class Signaller(GenServer):
    """Sends exit signals on request, from inside a process."""

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        _, handle, reason = msg
        handle.exit(reason)
        return Reply("sent")


async def test_an_exit_signal_takes_a_non_trapping_process_down_with_its_reason(rt: TestRuntime) -> None:
    events: list[object] = []
    target = await rt.start(Recorder(events))
    target.exit("custom")
    assert await target.join() == "custom"
    assert ("terminate", "custom") not in events


async def test_an_exit_signal_normal_is_ignored_by_a_non_trapping_process(rt: TestRuntime) -> None:
    target = await rt.start(Recorder())
    signaller = await rt.start(Signaller())
    assert await signaller.call(("exit", target.handle, "normal")) == "sent"
    target.exit("normal")
    assert await target.call(Ping()) == "pong"


async def test_a_trapping_process_receives_the_signal_with_its_sender(rt: TestRuntime) -> None:
    events: list[object] = []
    target = await rt.start(Watcher(events, trap=True))
    signaller = await rt.start(Signaller())
    assert await signaller.call(("exit", target.handle, "custom")) == "sent"
    target.exit("normal")
    assert await target.call(Get()) == [
        ("info", Exit(signaller.handle, "custom")),
        ("info", Exit(None, "normal")),
    ]


async def test_kill_signal_cannot_be_trapped_and_exits_killed(rt: TestRuntime) -> None:
    events: list[object] = []
    target = await rt.start(Watcher(events, trap=True))
    held = await rt.start(Recorder())
    target.exit("kill")
    assert await target.join() == "killed"
    assert ("terminate", "killed") not in events
    held.exit("kill")
    assert await held.join() == "killed"


class ExitsItself(GenServer):
    """Sends itself an exit signal "normal" on any cast."""

    def handle_cast(self, msg: Any) -> None:
        self.handle.exit("normal")


async def test_a_process_signalling_itself_normal_exits(rt: TestRuntime) -> None:
    h = await rt.start(ExitsItself())
    h.cast("go")
    assert await h.join() == "normal"


async def test_an_exit_signal_ends_pending_calls_at_once(rt: TestRuntime) -> None:
    target = await rt.start(ReplyThenContinue())
    assert await target.call("order") == []
    target.exit("custom")
    assert await target.join() == "custom"
    with pytest.raises(NoProc):
        await target.call("order")


async def test_a_supervisor_ignores_an_exit_signal_from_outside_when_trapping(rt: TestRuntime) -> None:
    sup = await rt.start(Supervisor([ChildSpec("w", Recorder)]))
    sup.exit("custom")
    sup.exit("normal")
    assert [c.id for c in await sup.which_children()] == ["w"]


# -- multi_call and abcast -----------------------------------------------------------------


async def test_multi_call_gathers_one_result_per_member_in_order(rt: TestRuntime) -> None:
    a = await rt.start(Recorder(), name="a")
    b = await rt.start(Recorder())
    dead = await rt.start(Recorder())
    await dead.stop()
    results = await rt.multi_call(["a", b, "nobody", dead], Ping())
    assert [r.target for r in results] == ["a", b.handle, "nobody", dead.handle]
    assert [r.handle for r in results[:2]] == [a.handle, b.handle]
    assert [r.value for r in results[:2]] == ["pong", "pong"]
    assert [r.ok for r in results] == [True, True, False, False]
    assert results[2].handle is None
    assert isinstance(results[2].error, NoProc)
    assert "nothing is registered under 'nobody'" in str(results[2].error)
    assert isinstance(results[3].error, NoProc)
    assert results[0].unwrap() == "pong"
    with pytest.raises(NoProc):
        results[2].unwrap()


class Silent(GenServer):
    """Never answers a call; dies on "die"."""

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        if msg == "die":
            raise ValueError("died mid-call")
        return NoReply()


async def test_multi_call_reports_timeouts_and_crashes_per_member(rt: TestRuntime) -> None:
    quiet = await rt.start(Silent())
    dying = await rt.start(Silent())
    fine = await rt.start(Recorder())
    results = await rt.multi_call([quiet, fine], ("echo", 1), timeout=0.05)
    assert isinstance(results[0].error, CallTimeout)
    assert results[0].error.timeout == 0.05
    assert results[1] == CallResult(fine.handle, fine.handle, 1)
    assert quiet.is_alive
    crashed = await rt.multi_call([dying], "die")
    assert isinstance(crashed[0].error, ServerExited)
    assert isinstance(crashed[0].error.reason, ValueError)


class PoolMember(Recorder):
    """A Recorder that joins ``pool`` under ``"all"`` in ``init``."""

    def __init__(self, pool: Registry[str, None]) -> None:
        super().__init__()
        self.pool = pool

    def init(self) -> None:
        self.pool.register("all", None)


async def test_multi_call_and_abcast_reach_every_member_under_a_duplicate_key(rt: TestRuntime) -> None:
    pool: Registry[str, None] = Registry(keys="duplicate")
    members = [await rt.start(PoolMember(pool)) for _ in range(3)]
    results = await rt.multi_call(pool.handles("all"), Ping())
    assert {r.handle for r in results} == {m.handle for m in members}
    assert [r.value for r in results] == ["pong"] * 3
    rt.abcast(pool.handles("all"), "hello")
    rt.abcast(["nobody", members[0]], "again")
    assert [await m.call(Get()) for m in members] == [
        [("cast", "hello"), ("cast", "again")],
        [("cast", "hello")],
        [("cast", "hello")],
    ]
    assert await rt.multi_call(pool.handles("none"), Ping()) == []


def test_a_plain_string_is_refused_as_a_member_list() -> None:
    from spawned import threads

    with threads.Runtime() as runtime, pytest.raises(TypeError, match=r"wrap it in a list: \['workers'\]"):
        runtime.multi_call("workers", Ping())


# -- on_thread ------------------------------------------------------------------------------


class WhereAmI(GenServer):
    """Answers with the ident of the thread its callbacks run on."""

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        return Reply(threading.get_ident())


async def test_child_spec_on_thread_runs_the_child_off_the_loop(rt: TestRuntime) -> None:
    sup = await rt.start(Supervisor([ChildSpec("w", WhereAmI, on_thread=True, name="where")]))
    ident = await rt.call("where", "where are you")
    assert ident != threading.get_ident()
    assert [c.id for c in await sup.which_children()] == ["w"]


async def test_test_runtime_start_on_thread_runs_the_server_off_the_loop(rt: TestRuntime) -> None:
    h = await rt.start(WhereAmI(), on_thread=True)
    assert await h.call("where") != threading.get_ident()


async def test_child_spec_on_thread_is_refused_for_a_supervisor_child(rt: TestRuntime) -> None:
    sup = await rt.start(Supervisor([]))
    spec = ChildSpec("inner", lambda: Supervisor([]), on_thread=True)
    with pytest.raises(InitFailed, match="on_thread=True applies to a GenServer"):
        await sup.start_child(spec)
    assert await sup.which_children() == []
