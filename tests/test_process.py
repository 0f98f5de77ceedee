"""Process lifecycle: start, names, init results, continue, stop, kill, crash, terminate."""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
import pytest
from servers import Continuer, Crash, Get, Hold, InitWith, Ping, Recorder, StopWith

from spawned import (
    AlreadyStarted,
    BadReturn,
    Caller,
    CallingSelf,
    CallTimeout,
    Continue,
    GenServer,
    HandleBase,
    Ignore,
    Ignored,
    InitFailed,
    NoProc,
    Reply,
    ServerExited,
    Stop,
    tasks,
    threads,
)
from spawned.testing import BACKENDS, TestRuntime


async def test_start_is_synchronous(rt: TestRuntime) -> None:
    ran: list[str] = []
    h = await rt.start(InitWith(None, ran))
    assert ran == ["init"]
    assert h.is_alive


async def test_name_is_found_with_whereis(rt: TestRuntime) -> None:
    h = await rt.start(Recorder(), name="rec")
    assert rt.whereis("rec") == h
    assert h.name == "rec"
    assert rt.whereis("nobody") is None


async def test_name_taken_raises_already_started_and_init_never_runs(rt: TestRuntime) -> None:
    first = await rt.start(Recorder(), name="rec")
    ran: list[str] = []
    with pytest.raises(AlreadyStarted) as info:
        await rt.start(InitWith(None, ran), name="rec")
    assert info.value.handle == first
    assert ran == []


@pytest.mark.parametrize("ending", ["stop", "crash", "kill"])
async def test_names_are_released_on_any_exit(rt: TestRuntime, ending: str) -> None:
    h = await rt.start(Recorder(), name="rec")
    if ending == "stop":
        await h.stop()
    elif ending == "crash":
        h.cast(Crash())
        await h.join()
    else:
        h.kill()
        await h.join()
    assert rt.whereis("rec") is None
    again = await rt.start(Recorder(), name="rec")
    assert await again.call(Ping()) == "pong"


async def test_init_exception_makes_start_fail_without_terminate(rt: TestRuntime) -> None:
    ran: list[str] = []
    with pytest.raises(InitFailed) as info:
        await rt.start(InitWith(ValueError("bad config"), ran), name="bad")
    assert isinstance(info.value.reason, ValueError)
    assert ran == ["init"]
    assert rt.whereis("bad") is None


async def test_init_stop_makes_start_fail_with_its_reason(rt: TestRuntime) -> None:
    ran: list[str] = []
    with pytest.raises(InitFailed) as info:
        await rt.start(InitWith(Stop("no database"), ran))
    assert info.value.reason == "no database"
    assert ran == ["init"]


async def test_init_ignore_raises_ignored_and_leaves_no_process(rt: TestRuntime) -> None:
    with pytest.raises(Ignored):
        await rt.start(InitWith(Ignore()), name="ignored")
    assert rt.whereis("ignored") is None


async def test_init_continue_runs_before_the_first_message(rt: TestRuntime) -> None:
    ran: list[str] = []
    h = await rt.start(InitWith(Continue("warm-up"), ran))
    assert await h.call(Get()) == ["init", "continue warm-up"]


async def test_continue_chains_run_before_the_next_message(rt: TestRuntime) -> None:
    h = await rt.start(Continuer())
    h.cast("chain")
    h.cast("after")
    assert await h.call(Get()) == [
        ("continue", "from init"),
        ("cast", "chain"),
        ("continue", "first"),
        ("continue", "second"),
        ("cast", "after"),
    ]


class DiesInInit(GenServer):
    """Its ``init`` ends its own process (kill, or a link to a dead one), then asks to go on."""

    def __init__(self, how: str, dead: HandleBase[Any, Any, Any], ran: list[str]) -> None:
        self.how = how
        self.dead = dead
        self.ran = ran

    def init(self) -> Any:
        self.ran.append("init")
        if self.how == "kill":
            self.handle.kill()
        else:
            self.link(self.dead)
        return Continue("on")

    def handle_continue(self, arg: Any) -> None:
        self.ran.append(f"continue {arg}")


@pytest.mark.parametrize(("how", "reason"), [("kill", "killed"), ("link to a dead process", "noproc")])
async def test_a_process_that_dies_during_init_makes_start_fail_and_runs_nothing_more(
    rt: TestRuntime, how: str, reason: str
) -> None:
    dead = await rt.start(Recorder())
    await dead.stop()
    ran: list[str] = []
    with pytest.raises(InitFailed) as info:
        await rt.start(DiesInInit(how, dead.handle, ran), name="dying")
    assert info.value.reason == reason
    assert "exited while init ran" in str(info.value)
    assert "crash report" not in str(info.value)
    assert ran == ["init"]
    assert rt.whereis("dying") is None


async def test_bad_init_return_names_the_value_and_what_is_allowed(rt: TestRuntime) -> None:
    with pytest.raises(InitFailed) as info:
        await rt.start(InitWith(42))
    reason = info.value.reason
    assert isinstance(reason, BadReturn)
    assert "init returned 42" in str(reason)
    assert "Continue(arg), Ignore() or Stop(reason)" in str(reason)


async def test_stop_runs_terminate_and_returns_when_gone(rt: TestRuntime) -> None:
    events: list[object] = []
    h = await rt.start(Recorder(events), name="rec")
    await h.stop("normal")
    assert events == [("terminate", "normal")]
    assert not h.is_alive
    assert await h.join() == "normal"


async def test_stop_queues_behind_messages_already_sent(rt: TestRuntime) -> None:
    events: list[object] = []
    h = await rt.start(Recorder(events))
    h.cast("a")
    h.cast("b")
    await h.stop("shutdown")
    assert events == [("cast", "a"), ("cast", "b"), ("terminate", "shutdown")]


async def test_stop_of_a_dead_server_raises_noproc(rt: TestRuntime) -> None:
    h = await rt.start(Recorder())
    await h.stop()
    with pytest.raises(NoProc):
        await h.stop()


async def test_kill_skips_terminate_and_exits_killed(rt: TestRuntime) -> None:
    events: list[object] = []
    h = await rt.start(Recorder(events))
    h.kill()
    assert await h.join() == "killed"
    assert not h.is_alive
    assert ("terminate", "killed") not in events


async def test_stop_result_from_cast_ends_the_server_with_its_reason(rt: TestRuntime) -> None:
    events: list[object] = []
    h = await rt.start(Recorder(events))
    h.cast(StopWith("finished"))
    assert await h.join() == "finished"
    assert events == [("terminate", "finished")]


async def test_crash_runs_terminate_and_logs_once_with_traceback_and_name(rt: TestRuntime, logs) -> None:
    events: list[object] = []
    h = await rt.start(Recorder(events), name="rec")
    h.cast(Crash())
    reason = await h.join()
    assert isinstance(reason, ValueError)
    assert events == [("terminate", reason)]
    errors = [r for r in logs.records if r["level"].name == "ERROR"]
    assert len(errors) == 1
    record = errors[0]
    assert record["extra"]["server"] == "Recorder 'rec'"
    assert "ValueError: crash on request" in record["message"]
    assert "last message: cast Crash()" in record["message"]
    assert record["exception"] is not None
    assert record["exception"].type is ValueError


async def test_clean_exits_are_not_logged_as_errors(rt: TestRuntime, logs) -> None:
    for reason in ("normal", "shutdown", ("shutdown", "maintenance")):
        h = await rt.start(Recorder())
        await h.stop(reason)
    assert logs.messages("ERROR") == []


async def test_bad_cast_return_crashes_naming_value_and_allowed(rt: TestRuntime) -> None:
    class Bad(Recorder):
        def handle_cast(self, msg: object) -> object:
            return "oops"

    h = await rt.start(Bad())
    h.cast("x")
    reason = await h.join()
    assert isinstance(reason, BadReturn)
    assert str(reason) == "handle_cast returned 'oops'; allowed: None, Continue(arg) or Stop(reason)"


async def test_default_handle_info_logs_a_warning_and_drops(rt: TestRuntime, logs) -> None:
    class CallOnly(Recorder):
        handle_info = Recorder.__mro__[1].handle_info  # the GenServer default

    h = await rt.start(CallOnly(), name="quiet")
    h.send("stray")
    assert await h.call(Ping()) == "pong"
    warnings = logs.messages("WARNING")
    assert warnings == ["CallOnly 'quiet' dropped an unexpected message: 'stray'"]


async def test_send_reaches_handle_info_and_cast_handle_cast(rt: TestRuntime) -> None:
    h = await rt.start(Recorder())
    h.send("hello")
    h.cast("world")
    assert await h.call(Get()) == [("info", "hello"), ("cast", "world")]


async def test_cast_and_send_to_a_dead_server_are_dropped(rt: TestRuntime) -> None:
    h = await rt.start(Recorder())
    await h.stop()
    h.cast("lost")
    h.send("lost")
    assert not h.is_alive


async def test_handles_compare_hash_and_repr(rt: TestRuntime) -> None:
    a = await rt.start(Recorder(), name="a")
    b = await rt.start(Recorder())
    assert a == rt.whereis("a")
    assert a != b
    assert len({a.handle, rt.whereis("a").handle, b.handle}) == 2
    assert repr(a.handle) == "<Handle Recorder 'a'>"
    await a.stop()
    assert repr(a.handle) == "<Handle Recorder 'a' (exited)>"


async def test_a_server_instance_starts_once(rt: TestRuntime) -> None:
    server = Recorder()
    await rt.start(server)
    with pytest.raises(TypeError, match="already started once"):
        await rt.start(server)


async def test_start_refuses_what_is_not_a_server(rt: TestRuntime) -> None:
    with pytest.raises(TypeError, match="takes a GenServer instance"):
        await rt.start(object())  # type: ignore[arg-type]


async def test_runtime_close_stops_everything_in_reverse_start_order(spawned_backend) -> None:
    from spawned.testing import open_test_runtime

    order: list[object] = []

    class Trapper(Recorder):
        trap_exits = True

        def terminate(self, reason: object) -> None:
            order.append((self.label_, reason))

        def init(self) -> None:
            self.label_ = len(order_started)
            order_started.append(self.label_)

    order_started: list[int] = []
    async with open_test_runtime(spawned_backend) as runtime:
        for _ in range(3):
            await runtime.start(Trapper())
    assert order == [(2, "shutdown"), (1, "shutdown"), (0, "shutdown")]


async def _await_a_cancelled_task() -> None:
    task = asyncio.get_running_loop().create_task(asyncio.sleep(10))
    task.cancel()
    await task  # raises CancelledError in the caller, which nobody cancelled


class CancelsInCast(Recorder):
    """Its async handle_cast awaits a task it cancelled itself (asyncio)."""

    async def handle_cast(self, msg: Any) -> None:
        await _await_a_cancelled_task()


class CancelsInInit(Recorder):
    """Its async init awaits a task it cancelled itself (asyncio)."""

    async def init(self) -> None:
        await _await_a_cancelled_task()


@pytest.mark.spawned_backends("asyncio")
async def test_a_cancellation_raised_inside_a_callback_is_a_crash(rt: TestRuntime, logs) -> None:
    events: list[object] = []
    h = await rt.start(CancelsInCast(events), name="canceller")
    h.cast("go")
    reason = await h.join()
    assert isinstance(reason, asyncio.CancelledError)
    assert events == [("terminate", reason)]
    [error] = logs.messages("ERROR")
    assert "CancelsInCast 'canceller' terminating, reason: CancelledError" in error


@pytest.mark.spawned_backends("asyncio")
async def test_a_cancellation_raised_inside_init_makes_start_fail(rt: TestRuntime) -> None:
    with pytest.raises(InitFailed) as failed:
        await rt.start(CancelsInInit())
    assert isinstance(failed.value.reason, asyncio.CancelledError)


@pytest.mark.parametrize("backend", BACKENDS)
def test_run_raises_the_exception_of_main_itself(backend: str) -> None:
    if backend == "threads":

        def main() -> None:
            threads.start(Recorder()).call(Hold(), timeout=0.01)

        with pytest.raises(CallTimeout):
            threads.run(main)
    else:

        async def amain() -> None:
            await (await tasks.start(Recorder())).call(Hold(), timeout=0.01)

        with pytest.raises(CallTimeout):
            tasks.run(amain, backend=backend)


class Reborn(Recorder):
    """Traps exits; its terminate starts a fresh Reborn (up to five generations) and records
    what that start did.
    """

    trap_exits = True

    def __init__(self, outcomes: list[object], generation: int = 0) -> None:
        super().__init__()
        self.outcomes = outcomes
        self.generation = generation


class RebornThread(Reborn):
    def terminate(self, reason: object) -> None:
        from spawned import threads

        if self.generation < 5:
            try:
                threads.start(RebornThread(self.outcomes, self.generation + 1))
                self.outcomes.append("started")
            except RuntimeError as exc:
                self.outcomes.append(str(exc))


class RebornTask(Reborn):
    async def terminate(self, reason: object) -> None:  # type: ignore[override]
        from spawned import tasks

        if self.generation < 5:
            try:
                await tasks.start(RebornTask(self.outcomes, self.generation + 1))
                self.outcomes.append("started")
            except RuntimeError as exc:
                self.outcomes.append(str(exc))


async def test_a_closing_runtime_refuses_to_start_processes_so_close_finishes(spawned_backend) -> None:
    from spawned.testing import open_test_runtime

    outcomes: list[object] = []
    reborn = RebornThread if spawned_backend == "threads" else RebornTask
    async with open_test_runtime(spawned_backend) as runtime:
        await runtime.start(reborn(outcomes))
    assert outcomes == ["this Runtime is shutting down; it starts no new process"]


async def test_a_runtime_opened_again_after_closing_starts_processes(spawned_backend) -> None:
    if spawned_backend == "threads":
        from spawned import threads

        runtime = threads.Runtime()
        for _ in range(2):
            with runtime:
                await anyio.to_thread.run_sync(lambda: runtime.start(Recorder()))
    else:
        from spawned import tasks

        runtime = tasks.Runtime()
        for _ in range(2):
            async with runtime:
                await runtime.start(Recorder())
    assert not runtime.live


class KillsItselfThenContinues(GenServer):
    def init(self) -> None:
        self.ran: list[int] = []

    def handle_cast(self, msg: object) -> Continue:
        self.handle.kill()
        return Continue(1)

    def handle_continue(self, arg: Any) -> Continue | None:
        self.ran.append(arg)
        return Continue(arg + 1) if arg < 3 else None


async def test_a_killed_process_runs_no_continue_after_the_kill(rt: TestRuntime) -> None:
    server = KillsItselfThenContinues()
    h = await rt.start(server)
    h.cast("go")
    assert await h.join() == "killed"
    assert server.ran == []


class JoinsItself(GenServer):
    """Joins itself from handle_call (plain `def`: the threads shape)."""

    def handle_call(self, msg: object, caller: Caller[object]) -> Reply[object]:
        try:
            threads.Handle.of(self.handle).join()
        except CallingSelf:
            return Reply("refused")
        return Reply("joined")


class AsyncJoinsItself(GenServer):
    """Joins itself from handle_call (`async def`: the tasks shape)."""

    async def handle_call(self, msg: object, caller: Caller[object]) -> Reply[object]:
        try:
            await tasks.Handle.of(self.handle).join()
        except CallingSelf:
            return Reply("refused")
        return Reply("joined")


async def test_joining_yourself_raises_calling_self(rt: TestRuntime) -> None:
    h = await rt.start(JoinsItself() if rt.backend == "threads" else AsyncJoinsItself())
    assert await h.call("go") == "refused"
    assert await rt.start(Recorder())  # the runtime is unaffected


class CrashesInTerminate(GenServer):
    def terminate(self, reason: object) -> None:
        raise ValueError("terminate failed")


async def test_stop_that_ends_with_another_reason_raises_server_exited(rt: TestRuntime) -> None:
    h = await rt.start(CrashesInTerminate())
    with pytest.raises(ServerExited) as info:
        await h.stop()
    assert isinstance(info.value.reason, ValueError)
    assert not h.is_alive
