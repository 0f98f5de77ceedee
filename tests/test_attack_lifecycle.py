"""Attack review (rev10): lifecycle, runtime and race edges, on every backend.

Cases that can break the runtime itself (a second ``__enter__``, a ``BaseException`` out of a
callback) run in a fresh interpreter, so a failure cannot leak into the rest of the suite.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import textwrap
import threading
from typing import Any

import anyio
import pytest
from servers import Get, Hold, Ping, Recorder
from sup_servers import Plain, Tracked

from spawned import (
    Caller,
    CallingSelf,
    ChildNotFound,
    ChildSpec,
    Continue,
    Down,
    DynamicSupervisor,
    Exit,
    GenServer,
    Ignore,
    Ignored,
    InitFailed,
    NoReply,
    Registry,
    Reply,
    Restart,
    ServerExited,
    Stop,
    Strategy,
    Supervisor,
    Via,
)
from spawned.testing import TestHandle, TestRuntime

PRELUDE = """
import asyncio, json, sys
import anyio
from spawned import GenServer, Reply
backend = sys.argv[1]
def report(**kw):
    print("RESULT " + json.dumps(kw, default=repr), flush=True)
"""


def run_script(body: str, backend: str) -> dict[str, Any]:
    """Run ``body`` (after PRELUDE) in a fresh interpreter; return what it ``report``-ed."""
    script = PRELUDE + textwrap.dedent(body)
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script, backend], capture_output=True, text=True, timeout=60, check=False
    )
    results: dict[str, Any] = {"returncode": done.returncode}
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            results.update(json.loads(line.removeprefix("RESULT ")))
    return results


NESTED_ENTER = """
from spawned import tasks, threads
class Echo(GenServer):
    def handle_call(self, msg, caller):
        return Reply(msg)
if backend == "threads":
    rt = threads.Runtime()
    with rt:
        try:
            with rt:
                report(second_enter="accepted")
        except RuntimeError as e:
            report(second_enter="refused", message=str(e), still_works=rt.start(Echo()).call(1))
    report(closed=True)
else:
    async def main():
        rt = tasks.Runtime()
        async with rt:
            try:
                async with rt:
                    report(second_enter="accepted")
            except RuntimeError as e:
                report(second_enter="refused", message=str(e), still_works=await (await rt.start(Echo())).call(1))
        report(closed=True)
    anyio.run(main, backend=backend)
"""


@pytest.mark.parametrize("backend", ["asyncio", "trio", "threads"])
def test_entering_an_open_runtime_again_is_refused_clearly(backend: str) -> None:
    result = run_script(NESTED_ENTER, backend)
    assert result.get("second_enter") == "refused", result
    assert "open" in result["message"]
    assert result["still_works"] == 1
    assert result.get("closed") is True
    assert result["returncode"] == 0


BASE_EXCEPTION_IN_CALLBACK = """
from spawned import tasks, threads
class Custom(BaseException):
    pass
EXC = {"CancelledError": asyncio.CancelledError, "Custom": Custom,
       "KeyboardInterrupt": KeyboardInterrupt, "SystemExit": SystemExit}[sys.argv[2]]
terminated = []
class Raises(GenServer):
    trap_exits = True
    def handle_cast(self, msg):
        raise EXC("from the callback")
    def terminate(self, reason):
        terminated.append(type(reason).__name__ if isinstance(reason, BaseException) else reason)
class Echo(GenServer):
    def handle_call(self, msg, caller):
        return Reply(msg)
def reason_name(reason):
    return type(reason).__name__ if isinstance(reason, BaseException) else reason
if backend == "threads":
    def main():
        h = threads.start(Raises())
        h.cast(1)
        report(reason=reason_name(h.join()), terminated=terminated)
        report(after=threads.start(Echo()).call("still running"))
    try:
        threads.run(main)
        report(run="returned")
    except BaseException as e:
        report(run="raised", raised=type(e).__name__)
else:
    async def main():
        h = await tasks.start(Raises())
        h.cast(1)
        with anyio.fail_after(5):
            report(reason=reason_name(await h.join()), terminated=terminated)
        report(after=await (await tasks.start(Echo())).call("still running"))
    try:
        tasks.run(main, backend=backend)
        report(run="returned")
    except BaseException as e:
        report(run="raised", raised=type(e).__name__)
"""


def base_exception_outcome(backend: str, exc: str) -> dict[str, Any]:
    return run_script(BASE_EXCEPTION_IN_CALLBACK.replace("sys.argv[2]", repr(exc)), backend)


@pytest.mark.parametrize("backend", ["asyncio", "trio", "threads"])
@pytest.mark.parametrize("exc", ["CancelledError", "Custom"])
def test_a_base_exception_raised_by_a_callback_is_a_crash_with_that_reason(backend: str, exc: str) -> None:
    """Issue #10 item 2's rule, for every backend and any BaseException the user raises: only a
    cancellation spawned delivered ends a process as "shutdown"/"killed". A callback that raises
    ``asyncio.CancelledError`` or its own ``BaseException`` subclass crashes: the exception is the
    reason, ``terminate`` runs (trap_exits), and the rest of the runtime carries on.
    """
    result = base_exception_outcome(backend, exc)
    assert result.get("reason") == exc, result
    assert result.get("terminated") == [exc], result
    assert result.get("after") == "still running", result
    assert result.get("run") == "returned", result


@pytest.mark.parametrize("backend", ["asyncio", "trio", "threads"])
@pytest.mark.parametrize("exc", ["KeyboardInterrupt", "SystemExit"])
def test_keyboard_interrupt_or_system_exit_from_a_callback_is_never_reported_as_shutdown(
    backend: str, exc: str
) -> None:
    """Whether these end the process (threads) or the whole run (asyncio), the exception must
    show up as itself: as the process's exit reason, or raised plainly out of ``run``.
    """
    result = base_exception_outcome(backend, exc)
    assert result.get("reason") in (None, exc), result
    assert result.get("reason") == exc or result.get("raised") == exc, result


class OwnBaseException(BaseException):
    pass


class InitRaisesABaseException(GenServer):
    def init(self) -> None:
        raise OwnBaseException


async def test_an_init_that_raises_a_base_exception_fails_the_start_with_it(rt: TestRuntime) -> None:
    """The rule above for ``init``: its failure is the start's (threads returned a dead handle)."""
    with pytest.raises(InitFailed) as failed:
        await rt.start(InitRaisesABaseException(), name="raises")
    assert isinstance(failed.value.reason, OwnBaseException)
    assert rt.whereis("raises") is None


# -- verified: names, monitors, calls, timers, supervisors under churn --------------------------


async def test_a_name_and_a_via_name_are_free_once_join_returns(rt: TestRuntime) -> None:
    registry: Registry[Any, Any] = Registry()
    with anyio.fail_after(10):
        for name in ["n", Via(registry, "k")] * 20:
            h = await rt.start(Recorder(), name=name)
            h.kill()
            await h.join()
            assert rt.whereis(name) is None
            again = await rt.start(Recorder(), name=name)
            await again.stop()


async def test_duplicate_registry_entries_vanish_under_churn(rt: TestRuntime) -> None:
    registry: Registry[Any, Any] = Registry(keys="duplicate")

    class Member(GenServer):
        def init(self) -> None:
            registry.register("k", 1)
            registry.register("k", 2)

    with anyio.fail_after(10):
        for _ in range(20):
            members = [await rt.start(Member()) for _ in range(3)]
            assert registry.count() == 6
            assert registry.keys(members[0].handle) == ["k", "k"]
            for m in members:
                m.kill()
            for m in members:
                await m.join()
            assert registry.lookup("k") == []
            assert registry.keys(members[0].handle) == []


class MonitorThenDemonitor(GenServer):
    """Monitors a target, kills it and demonitors in one callback; then a marker to itself."""

    def init(self) -> None:
        self.seen: list[object] = []

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        if isinstance(msg, tuple):
            ref = self.monitor(msg[1])
            msg[1].kill()
            self.demonitor(ref)
            self.handle.send("marker")
            return Reply(None)
        return Reply(list(self.seen))

    def handle_info(self, msg: Any) -> None:
        self.seen.append(msg)


async def test_demonitor_right_after_the_target_died_means_no_down(rt: TestRuntime) -> None:
    m = await rt.start(MonitorThenDemonitor())
    for _ in range(20):
        t = await rt.start(Recorder())
        await m.call(("race", t.handle))
        await t.join()
    with anyio.fail_after(5):
        while len(seen := await m.call("seen")) < 20:
            pass
    assert seen == ["marker"] * 20


class Keeper(GenServer):
    """Keeps callers handed to it and replies to them on request."""

    def init(self) -> None:
        self.callers: list[Caller[Any]] = []

    def handle_cast(self, msg: Any) -> None:
        match msg:
            case ("keep", caller):
                self.callers.append(caller)
            case ("release", value):
                for caller in self.callers:
                    caller.reply(value)
            case _:
                raise AssertionError(msg)

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        return Reply(len(self.callers))


class Forwarder(GenServer):
    """Hands every caller to a Keeper; never replies itself."""

    def __init__(self, keeper: Any) -> None:
        self.keeper = keeper

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        self.keeper.cast(("keep", caller))
        return NoReply()


async def forwarded_call(
    rt: TestRuntime,
) -> tuple[TestHandle[Any, Any, Any], TestHandle[Any, Any, Any], list[object]]:
    keeper = await rt.start(Keeper())
    forwarder = await rt.start(Forwarder(keeper.handle))
    return keeper, forwarder, []


async def test_a_caller_handed_to_another_process_gets_its_reply(rt: TestRuntime) -> None:
    keeper, forwarder, got = await forwarded_call(rt)
    async with anyio.create_task_group() as tg:

        async def call() -> None:
            got.append(await forwarder.call("x", timeout=10))

        tg.start_soon(call)
        with anyio.fail_after(5):
            while await keeper.call("n") < 1:
                pass
        keeper.cast(("release", "from keeper"))
    assert got == ["from keeper"]


async def test_a_forwarded_call_fails_at_once_when_the_called_server_dies(rt: TestRuntime) -> None:
    keeper, forwarder, got = await forwarded_call(rt)
    async with anyio.create_task_group() as tg:

        async def call() -> None:
            with pytest.raises(ServerExited) as info:
                await forwarder.call("x", timeout=10)
            got.append(info.value.reason)

        tg.start_soon(call)
        with anyio.fail_after(5):
            while await keeper.call("n") < 1:
                pass
        forwarder.kill()
    assert got == ["killed"]
    keeper.cast(("release", "too late"))  # dropped, nothing breaks
    assert await keeper.call("n") == 1


class ReplierOnThread(GenServer):
    """Replies from a plain OS thread (``caller.reply`` and ``timer.cancel`` from outside)."""

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        timer = self.send_after(100, "never")
        threading.Thread(target=lambda: caller.reply(timer.cancel())).start()
        return NoReply()


async def test_caller_reply_and_timer_cancel_from_a_foreign_thread(rt: TestRuntime) -> None:
    h = await rt.start(ReplierOnThread())
    with anyio.fail_after(5):
        left = await h.call("x")
    assert left is not None
    assert 0 < left <= 100


async def test_casts_from_foreign_threads_keep_per_sender_order(rt: TestRuntime) -> None:
    h = await rt.start(Recorder())

    def send(i: int) -> None:
        for j in range(100):
            h.cast((i, j))

    senders = [threading.Thread(target=send, args=(i,)) for i in range(4)]
    for s in senders:
        s.start()
    for s in senders:
        await anyio.to_thread.run_sync(s.join)
    events = await h.call(Get())
    for i in range(4):
        assert [e[1][1] for e in events if e[1][0] == i] == list(range(100))


async def test_a_multi_call_that_times_out_leaves_no_open_calls(rt: TestRuntime) -> None:
    servers = [await rt.start(Recorder()) for _ in range(2)]
    with anyio.fail_after(5):
        await rt.multi_call(servers, Hold(), timeout=0.05)
    for s in servers:
        assert await s.call(Ping()) == "pong"
        assert len(s.handle._process.open_calls or ()) == 0


class HugeTimers(GenServer):
    def init(self) -> None:
        self.got: list[object] = []

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        if msg == "arm":
            self.send_interval(1e10, "never")
            self.send_after(1e300, "never either")
            self.send_after(0.01, "soon")
            return Reply(None)
        return Reply(list(self.got))

    def handle_info(self, msg: Any) -> None:
        self.got.append(msg)


async def test_huge_interval_and_delay_leave_other_timers_working(rt: TestRuntime) -> None:
    """Issue #10 item 16, with ``send_interval`` and 1e300."""
    h = await rt.start(HugeTimers())
    await h.call("arm")
    with anyio.fail_after(5):
        while not await h.call("got"):
            pass
    assert await h.call("got") == ["soon"]


async def test_huge_finite_timeouts_everywhere(rt: TestRuntime) -> None:
    """Issue #10 item 17, on get_state, replace_state and multi_call."""
    h = await rt.start(Recorder())
    with anyio.fail_after(5):
        [result] = await rt.multi_call([h], Ping(), timeout=1e10)
        assert result.value == "pong"
        await h.get_state(timeout=1e10)
        await h.replace_state(lambda s: s, timeout=1e10)
        assert await rt.call(h, Ping(), timeout=1e300) == "pong"


class LinksThenFails(GenServer):
    def __init__(self, partner: Any, how: str) -> None:
        self.partner = partner
        self.how = how

    def init(self) -> Any:
        self.link(self.partner)
        if self.how == "stop":
            return Stop("bad")
        if self.how == "ignore":
            return Ignore()
        raise ValueError("bad")


class Trapper(Recorder):
    trap_exits = True


@pytest.mark.parametrize(("how", "reason"), [("stop", "bad"), ("raise", "ValueError"), ("ignore", "normal")])
async def test_a_partner_linked_in_init_gets_the_exit_when_init_fails(
    rt: TestRuntime, how: str, reason: str
) -> None:
    """Issue #10 item 9, also for ``Stop`` and ``Ignore`` (OTP: ignore exits ``normal``)."""
    partner = await rt.start(Trapper())
    with pytest.raises(Ignored if how == "ignore" else InitFailed):
        await rt.start(LinksThenFails(partner.handle, how))
    [(kind, signal)] = await partner.call(Get())
    assert kind == "info"
    assert isinstance(signal, Exit)
    got = signal.reason
    assert (type(got).__name__ if isinstance(got, BaseException) else got) == reason


class SelfWaiter(GenServer):
    """Calls, stops or joins its own handle (threads)."""

    def __init__(self, op: str) -> None:
        self.op = op

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        try:
            getattr(self.handle, self.op)(*(["x"] if self.op == "call" else []))
        except CallingSelf:
            return Reply("calling self")
        return Reply("returned")


class AsyncSelfWaiter(SelfWaiter):
    """Calls, stops or joins its own handle (tasks)."""

    async def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        try:
            await getattr(self.handle, self.op)(*(["x"] if self.op == "call" else []))
        except CallingSelf:
            return Reply("calling self")
        return Reply("returned")


@pytest.mark.parametrize("op", ["stop", "join", "call"])
async def test_waiting_on_yourself_raises_calling_self(rt: TestRuntime, op: str) -> None:
    h = await rt.start(SelfWaiter(op) if rt.backend == "threads" else AsyncSelfWaiter(op))
    with anyio.fail_after(5):
        assert await h.call(op) == "calling self"


async def test_kill_ends_an_endless_continue_chain(rt: TestRuntime) -> None:
    class Endless(GenServer):
        def init(self) -> Any:
            return Continue(0)

        def handle_continue(self, arg: Any) -> Any:
            return Continue(arg + 1)

    h = await rt.start(Endless())
    h.kill()
    with anyio.fail_after(5):
        assert await h.join() == "killed"


async def test_terminate_child_racing_a_crash_leaves_the_child_stopped(rt: TestRuntime) -> None:
    log: list[object] = []
    sup = await rt.start(
        Supervisor([ChildSpec("a", lambda: Plain(log, "a"))], max_restarts=10_000, max_seconds=3600)
    )
    with anyio.fail_after(20):
        for _ in range(30):
            [child] = await sup.which_children()
            assert child.handle is not None
            child.handle.cast("crash")
            await sup.terminate_child("a")
            [after] = await sup.which_children()
            assert (after.handle, after.restarting) == (None, False)
            await sup.restart_child("a")
    assert sup.is_alive


async def test_dynamic_terminate_child_racing_a_normal_exit(rt: TestRuntime) -> None:
    sup = await rt.start(DynamicSupervisor())
    with anyio.fail_after(20):
        for _ in range(30):
            child = await sup.start_child(ChildSpec("a", lambda: Plain([], "a"), restart=Restart.TRANSIENT))
            assert child is not None
            child.cast(("exit", "normal"))
            with contextlib.suppress(ChildNotFound):  # its exit may be handled first
                await sup.terminate_child(child)
            assert await sup.which_children() == []
    assert sup.is_alive


async def test_named_one_for_all_children_restart_under_kills(rt: TestRuntime) -> None:
    registry: Registry[Any, Any] = Registry()
    sup = await rt.start(
        Supervisor(
            [
                ChildSpec("a", lambda: Plain([], "a"), name="a"),
                ChildSpec("b", lambda: Plain([], "b"), name=Via(registry, "b")),
            ],
            strategy=Strategy.ONE_FOR_ALL,
            max_restarts=10_000,
            max_seconds=3600,
        )
    )
    with anyio.fail_after(20):
        for i in range(30):
            old = rt.whereis("a" if i % 2 else Via(registry, "b"))
            old.kill()
            while not all(
                c.handle is not None and c.handle != old.handle for c in await sup.which_children()
            ):
                pass
    assert sup.is_alive


async def test_stopping_a_supervisor_while_a_restart_is_being_retried(rt: TestRuntime) -> None:
    log: list[object] = []
    starts = [0]

    def factory() -> Plain:
        starts[0] += 1
        return Plain(log, "a", init_result=None if starts[0] == 1 else ValueError("restart fails"))

    sup = await rt.start(
        Supervisor(
            [ChildSpec("a", factory), ChildSpec("b", lambda: Tracked(log, "b"))],
            max_restarts=1_000_000,
            max_seconds=3600,
        )
    )
    [a, _] = await sup.which_children()
    assert a.handle is not None
    a.handle.kill()
    with anyio.fail_after(5):
        while not (await sup.which_children())[0].restarting:
            pass
        await sup.stop()
    assert log[-1] == ("stop", "b", "shutdown")


async def test_killing_a_one_for_all_supervisor_mid_restart_leaves_no_child_alive(rt: TestRuntime) -> None:
    """Issue #10 item 8, on every backend (async init on tasks)."""
    made: list[Any] = []
    third = threading.Event()

    class SlowOnRestart(GenServer):
        def init(self) -> None:
            made.append(self.handle)
            if len(made) > 2:
                third.set()
                threading.Event().wait(0.05)

    class ASlowOnRestart(GenServer):
        async def init(self) -> None:
            made.append(self.handle)
            if len(made) > 2:
                third.set()
                await anyio.sleep(0.05)

    kind = SlowOnRestart if rt.backend == "threads" else ASlowOnRestart
    sup = await rt.start(
        Supervisor([ChildSpec("a", kind), ChildSpec("b", kind)], strategy=Strategy.ONE_FOR_ALL)
    )
    made[0].kill()
    with anyio.fail_after(5):
        while not third.is_set():
            await anyio.sleep(0.001)
    sup.kill()
    await sup.join()
    with anyio.fail_after(5):
        for h in made:
            await rt.wrap(h).join()


async def test_a_supervisor_ignores_an_exit_signal_from_an_outsider(rt: TestRuntime) -> None:
    """OTP: a supervisor traps exits; an EXIT from a process that is neither parent nor child is
    an unexpected message, not a reason to stop.
    """
    for sup in (await rt.start(Supervisor([ChildSpec("a", Recorder)])), await rt.start(DynamicSupervisor())):
        sup.exit("boom")
        await sup.count_children()
        assert sup.is_alive


async def test_runtime_close_fails_a_call_in_flight_and_terminate_may_still_call(
    spawned_backend: str,
) -> None:
    """A caller outside the runtime waiting on a held call gets ServerExited("shutdown") when the
    runtime closes; a later-started server's terminate can still call an earlier one.
    """
    from spawned.testing import open_test_runtime

    log: list[object] = []

    class CallsInTerminate(GenServer):
        trap_exits = True

        def __init__(self, other: Any) -> None:
            self.other = other

        def terminate(self, reason: object) -> None:
            log.append(("called", self.other.call(Ping(), 1)))

    class ACallsInTerminate(CallsInTerminate):
        async def terminate(self, reason: object) -> None:  # type: ignore[override]
            log.append(("called", await self.other.call(Ping(), 1)))

    kind = CallsInTerminate if spawned_backend == "threads" else ACallsInTerminate
    async with anyio.create_task_group() as tg, open_test_runtime(spawned_backend) as runtime:  # type: ignore[arg-type]
        holder = await runtime.start(Recorder())
        await runtime.start(kind(holder.handle))

        async def call() -> None:
            with pytest.raises(ServerExited) as info:
                await holder.call(Hold(), timeout=10)
            log.append(("caller", info.value.reason))

        tg.start_soon(call)
        with anyio.fail_after(5):
            while not holder.handle._process.open_calls:
                await anyio.sleep(0.001)
    assert log == [("called", "pong"), ("caller", "shutdown")]


async def test_down_sees_the_name_already_free(rt: TestRuntime) -> None:
    """Elixir/Erlang: a registered name (and a Via entry) is released before DOWN is sent."""
    registry: Registry[Any, Any] = Registry()
    seen: list[object] = []

    class Watcher(GenServer):
        def __init__(self, target: Any) -> None:
            self.target = target

        def init(self) -> None:
            self.monitor(self.target)

        def handle_info(self, msg: Any) -> None:
            if isinstance(msg, Down):
                seen.append((rt.runtime.whereis("n"), registry.lookup("k")))

        def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
            return Reply(len(seen))

    for i in range(1, 21):
        h = await rt.start(Recorder(), name="n" if i % 2 else Via(registry, "k"))
        w = await rt.start(Watcher(h.handle))
        h.exit("boom")
        with anyio.fail_after(5):
            while await w.call("n") < i:
                pass
        await w.stop()
    assert seen == [(None, [])] * 20


class ContinueChain(GenServer):
    def init(self) -> Any:
        self.n = 0
        return Continue(None)

    def handle_continue(self, arg: Any) -> Any:
        self.n += 1
        return Continue(None) if self.n < 200 else None

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        return Reply(self.n)


async def test_get_state_waits_for_a_continue_chain_to_end(rt: TestRuntime) -> None:
    """OTP: a system message is handled only back in the receive loop, after every continue."""
    h = await rt.start(ContinueChain())
    with anyio.fail_after(5):
        assert (await h.get_state())["n"] == 200


async def test_replace_state_refuses_an_async_function(rt: TestRuntime) -> None:
    h = await rt.start(ContinueChain())

    async def fn(server: Any) -> Any:
        return server

    with anyio.fail_after(5), pytest.raises(TypeError, match="plain"):
        await h.replace_state(fn)
    assert await h.call("n") == 200


async def test_trap_exits_set_in_init_takes_effect(rt: TestRuntime) -> None:
    """Elixir's ``Process.flag(:trap_exit, true)`` in init."""

    class TrapsFromInit(Recorder):
        def init(self) -> None:
            self.trap_exits = True

    class DiesLinked(GenServer):
        def __init__(self, partner: Any) -> None:
            self.partner = partner

        def handle_cast(self, msg: Any) -> None:
            self.link(self.partner)
            raise ValueError(msg)

    trapper = await rt.start(TrapsFromInit())
    dier = await rt.start(DiesLinked(trapper.handle))
    dier.cast("die linked")
    await dier.join()
    with anyio.fail_after(5):
        while not (events := await trapper.call(Get())):
            pass
    [(_, signal)] = events
    assert isinstance(signal, Exit)
    assert isinstance(signal.reason, ValueError)
    assert trapper.is_alive


@pytest.mark.parametrize("kind", ["Supervisor", "DynamicSupervisor"])
async def test_a_killed_supervisors_trapping_child_runs_terminate_with_killed(
    rt: TestRuntime, kind: str
) -> None:
    """OTP: an EXIT from the parent stops a gen_server that traps exits, with that reason."""
    log: list[object] = []
    spec = ChildSpec("a", lambda: Tracked(log, "a"))
    sup = await rt.start(Supervisor([spec]) if kind == "Supervisor" else DynamicSupervisor())
    if kind == "DynamicSupervisor":
        await sup.start_child(spec)
    [child] = await sup.which_children()
    assert child.handle is not None
    sup.kill()
    with anyio.fail_after(5):
        assert await rt.wrap(child.handle).join() == "killed"
    assert log == [("start", "a"), ("stop", "a", "killed")]


@pytest.mark.parametrize("strategy", list(Strategy), ids=str)
async def test_a_child_crashing_right_after_init_during_supervisor_start_is_restarted(
    rt: TestRuntime, strategy: Strategy
) -> None:
    starts: list[str] = []

    class CrashesInFirstContinue(GenServer):
        def init(self) -> Any:
            starts.append("a")
            return Continue(None)

        def handle_continue(self, arg: Any) -> None:
            if starts.count("a") == 1:
                raise ValueError("first run crashes")

    class Other(GenServer):
        def init(self) -> None:
            starts.append("b")

    sup = await rt.start(
        Supervisor([ChildSpec("a", CrashesInFirstContinue), ChildSpec("b", Other)], strategy=strategy)
    )
    with anyio.fail_after(5):
        while starts.count("a") < 2 or not all(c.handle for c in await sup.which_children()):
            await sup.count_children()
    expected = ["a", "b", "a"] if strategy is Strategy.ONE_FOR_ONE else ["a", "b", "a", "b"]
    assert starts == expected


class BlocksOnThread(GenServer):
    def __init__(self, entered: threading.Event, gate: threading.Event) -> None:
        self.entered = entered
        self.gate = gate

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        self.entered.set()
        self.gate.wait(5)
        return Reply(msg)


async def test_killing_a_server_blocked_on_its_thread_fails_callers_at_once(rt: TestRuntime) -> None:
    entered, gate = threading.Event(), threading.Event()
    h = await rt.start(BlocksOnThread(entered, gate), on_thread=True)
    got: list[object] = []
    async with anyio.create_task_group() as tg:

        async def call() -> None:
            with pytest.raises(ServerExited) as info:
                await h.call("block", timeout=10)
            got.append(info.value.reason)

        tg.start_soon(call)
        await anyio.to_thread.run_sync(entered.wait, 5)
        h.kill()
    assert got == ["killed"]
    gate.set()
    assert await h.join() == "killed"


class WaitsInInit(GenServer):
    """``init`` blocks its thread on an event, then asks for a continue (threads)."""

    def __init__(self, entered: threading.Event, gate: threading.Event, ran: list[str]) -> None:
        self.entered = entered
        self.gate = gate
        self.ran = ran

    def init(self) -> Any:
        self.entered.set()
        self.gate.wait(5)
        return Continue(None)

    def handle_continue(self, arg: Any) -> None:
        self.ran.append("continue")


class AwaitsInInit(WaitsInInit):
    """``init`` awaits (tasks): suspended, not blocking the loop."""

    async def init(self) -> Any:
        self.entered.set()
        with anyio.fail_after(5):
            while not self.gate.is_set():
                await anyio.sleep(0.001)
        self.ran.append("init went on")
        return Continue(None)


@pytest.mark.parametrize(("how", "reason"), [("kill", "killed"), ("exit", "boom")])
async def test_a_process_killed_from_outside_during_init_makes_start_fail(
    rt: TestRuntime, how: str, reason: str
) -> None:
    """Issue #10 item 7 covers a process that ends itself in ``init``; this is the same death
    coming from another process while ``init`` waits.
    """
    entered, gate = threading.Event(), threading.Event()
    ran: list[str] = []
    server = WaitsInInit(entered, gate, ran) if rt.backend == "threads" else AwaitsInInit(entered, gate, ran)
    outcome: list[object] = []
    async with anyio.create_task_group() as tg:

        async def start() -> None:
            try:
                outcome.append(await rt.start(server, name="starting"))
            except InitFailed as e:
                outcome.append(("InitFailed", e.reason))

        tg.start_soon(start)
        await anyio.to_thread.run_sync(entered.wait, 5)
        starting = rt.whereis("starting")
        if how == "kill":
            starting.kill()
        else:
            starting.exit(reason)
        gate.set()
    assert outcome == [("InitFailed", reason)]
    assert ran == []
    assert rt.whereis("starting") is None


async def test_an_on_thread_process_killed_during_init_makes_start_fail(rt: TestRuntime) -> None:
    entered, gate = threading.Event(), threading.Event()
    ran: list[str] = []
    outcome: list[object] = []
    async with anyio.create_task_group() as tg:

        async def start() -> None:
            try:
                outcome.append(
                    await rt.start(WaitsInInit(entered, gate, ran), name="starting", on_thread=True)
                )
            except InitFailed as e:
                outcome.append(("InitFailed", e.reason))

        tg.start_soon(start)
        await anyio.to_thread.run_sync(entered.wait, 5)
        rt.whereis("starting").kill()
        gate.set()
    assert outcome == [("InitFailed", "killed")]
    assert ran == []


class FiftyTimers(GenServer):
    def init(self) -> None:
        self.got: list[object] = []

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        if msg == "arm":
            timers = [self.send_after(0.0002 * k, ("t", k)) for k in range(50)]
            self.send_after(0.2, "end")
            return Reply(timers)
        return Reply(list(self.got))

    def handle_info(self, msg: Any) -> None:
        self.got.append(msg)


async def test_a_timer_is_either_cancelled_with_a_remainder_or_delivered_never_both(rt: TestRuntime) -> None:
    for _ in range(3):
        h = await rt.start(FiftyTimers())
        timers = await h.call("arm")
        left = [t.cancel() for t in timers]
        with anyio.fail_after(5):
            while "end" not in (got := await h.call("got")):
                pass
        delivered = {m[1] for m in got if m != "end"}
        cancelled = {k for k, remainder in enumerate(left) if remainder is not None}
        assert not (delivered & cancelled), delivered & cancelled
        assert delivered | cancelled == set(range(50)), set(range(50)) - (delivered | cancelled)
        again = [t.cancel() for t in timers]
        assert again == [None] * 50
        await h.stop()
