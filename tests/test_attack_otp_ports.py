"""Attack review (rev10): scenarios ported from Elixir's and OTP's own test suites.

Each test names its source case. Children are `sup_servers.Plain` (does not trap exits), so an
exit signal sent with ``handle.exit(reason)`` ends them with that reason, as Elixir's
``Process.exit(pid, reason)`` does in ``assert_kill``.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from servers import Hold, Ping, Recorder
from sup_servers import Plain, Tracked

from spawned import (
    BRUTAL_KILL,
    INFINITY,
    AlreadyStarted,
    CallTimeout,
    Child,
    ChildAlreadyPresent,
    ChildAlreadyStarted,
    ChildCount,
    ChildNotFound,
    ChildRunning,
    ChildSpec,
    Continue,
    Down,
    DynamicSupervisor,
    GenServer,
    Ignore,
    InitFailed,
    MaxChildren,
    NoProc,
    Reply,
    Restart,
    ServerExited,
    SpawnedError,
    Stop,
    Strategy,
    Supervisor,
)
from spawned.testing import TestHandle, TestRuntime, TestSupervisorHandle


def plain(log: list[object], child_id: str = "w", **kwargs: Any) -> ChildSpec:
    return ChildSpec(child_id, lambda: Plain(log, child_id), **kwargs)


class FailsAfterFirst:
    """A factory whose first start succeeds; later starts fail while ``failing`` (init raises)."""

    def __init__(self, log: list[object], child_id: str = "w", *, failures: int = 1_000_000) -> None:
        self.log = log
        self.id = child_id
        self.starts = 0
        self.failures = failures

    def __call__(self) -> Plain:
        self.starts += 1
        if self.starts > 1 and self.starts - 1 <= self.failures:
            return Plain(self.log, self.id, init_result=ValueError("restart fails"))
        return Plain(self.log, self.id)


async def exit_and_wait(child: TestHandle[Any, Any, Any], reason: object) -> None:
    """Elixir's ``assert_kill``: send an exit signal and wait for the child to be gone."""
    child.exit(reason)
    with anyio.fail_after(5):
        await child.join()


def running(rt: TestRuntime, child: Child) -> TestHandle[Any, Any, Any]:
    """The running child's handle, wrapped."""
    assert child.handle is not None
    return rt.wrap(child.handle)


async def until_handled(sup: TestSupervisorHandle, old: TestHandle[Any, Any, Any]) -> None:
    """Wait (by asking the supervisor) until it has processed the exit of ``old``."""
    with anyio.fail_after(5):
        while any(c.handle == old.handle for c in await sup.which_children()):
            pass


# -- Elixir: lib/elixir/test/elixir/dynamic_supervisor_test.exs ---------------------------------


async def test_dynamic_max_children_zero_refuses_the_first_child(rt: TestRuntime) -> None:
    """dynamic_supervisor_test "start_child/2 with max_children"."""
    sup = await rt.start(DynamicSupervisor(max_children=0))
    with pytest.raises(MaxChildren):
        await sup.start_child(plain([]))
    assert sup.is_alive


@pytest.mark.parametrize("reason", ["shutdown", ("shutdown", "signal"), "whatever"], ids=str)
async def test_dynamic_temporary_child_is_not_restarted_regardless_of_reason(
    rt: TestRuntime, reason: object
) -> None:
    """dynamic_supervisor_test "temporary child is not restarted regardless of reason"."""
    sup = await rt.start(DynamicSupervisor())
    child = await sup.start_child(plain([], restart=Restart.TEMPORARY))
    assert child is not None
    await exit_and_wait(child, reason)
    await until_handled(sup, child)
    assert await sup.count_children() == ChildCount(specs=0, active=0, supervisors=0, workers=0)


@pytest.mark.parametrize(
    ("reason", "restarted"),
    [("shutdown", False), (("shutdown", "signal"), False), ("whatever", True)],
    ids=str,
)
async def test_dynamic_transient_child_is_restarted_unless_normal_or_shutdown(
    rt: TestRuntime, reason: object, *, restarted: bool
) -> None:
    """dynamic_supervisor_test "transient child is restarted unless normal/shutdown/{shutdown, _}"."""
    sup = await rt.start(DynamicSupervisor())
    child = await sup.start_child(plain([], restart=Restart.TRANSIENT))
    assert child is not None
    await exit_and_wait(child, reason)
    await until_handled(sup, child)
    n = int(restarted)
    assert await sup.count_children() == ChildCount(specs=n, active=n, supervisors=0, workers=n)


async def test_dynamic_permanent_child_is_restarted_regardless_of_reason(rt: TestRuntime) -> None:
    """dynamic_supervisor_test "permanent child is restarted regardless of reason"."""
    sup = await rt.start(DynamicSupervisor(max_restarts=100_000))
    for n, reason in enumerate(["shutdown", ("shutdown", "signal"), "whatever"], start=1):
        child = await sup.start_child(plain([]))
        assert child is not None
        await exit_and_wait(child, reason)
        await until_handled(sup, child)
        assert await sup.count_children() == ChildCount(specs=n, active=n, supervisors=0, workers=n)


async def test_dynamic_restarting_child_counts_against_max_children(rt: TestRuntime) -> None:
    """dynamic_supervisor_test "restarting on init children counted in max_children"."""
    sup = await rt.start(DynamicSupervisor(max_children=1, max_restarts=100_000, max_seconds=3600))
    child = await sup.start_child(ChildSpec("w", FailsAfterFirst([])))
    assert child is not None
    await exit_and_wait(child, "shutdown")
    await until_handled(sup, child)
    assert await sup.count_children() == ChildCount(specs=1, active=0, supervisors=0, workers=1)
    with pytest.raises(MaxChildren):
        await sup.start_child(plain([]))


async def test_dynamic_restarted_child_counts_against_max_children(rt: TestRuntime) -> None:
    """dynamic_supervisor_test "restarting on exit children counted in max_children"."""
    sup = await rt.start(DynamicSupervisor(max_children=1, max_restarts=100_000))
    child = await sup.start_child(plain([]))
    assert child is not None
    await exit_and_wait(child, "shutdown")
    await until_handled(sup, child)
    assert await sup.count_children() == ChildCount(specs=1, active=1, supervisors=0, workers=1)
    with pytest.raises(MaxChildren):
        await sup.start_child(plain([]))


async def test_dynamic_child_is_restarted_when_trying_again(rt: TestRuntime) -> None:
    """dynamic_supervisor_test "child is restarted when trying again" (first retry fails)."""
    log: list[object] = []
    factory = FailsAfterFirst(log, failures=1)
    sup = await rt.start(DynamicSupervisor(max_restarts=2))
    child = await sup.start_child(ChildSpec("w", factory))
    assert child is not None
    await exit_and_wait(child, "shutdown")
    with anyio.fail_after(5):
        while (await sup.count_children()).active != 1:
            pass
    assert factory.starts == 3
    assert log == [("start", "w"), ("failed", "w"), ("start", "w")]


@pytest.mark.parametrize("max_restarts", [1, 10])
async def test_dynamic_failing_restarts_trigger_the_intensity_limit(
    rt: TestRuntime, max_restarts: int
) -> None:
    """dynamic_supervisor_test "child triggers maximum restarts" / "... maximum intensity when
    trying again": the retries of a failing restart count, and the supervisor exits shutdown.
    """
    sup = await rt.start(DynamicSupervisor(max_restarts=max_restarts, max_seconds=3600))
    child = await sup.start_child(ChildSpec("w", FailsAfterFirst([])))
    assert child is not None
    await exit_and_wait(child, "shutdown")
    with anyio.fail_after(5):
        assert await sup.join() == "shutdown"


async def test_dynamic_shutdown_with_mixed_children(rt: TestRuntime) -> None:
    """dynamic_supervisor_test "terminates with mixed children": infinity -> shutdown,
    brutal_kill -> killed.
    """
    sup = await rt.start(DynamicSupervisor())
    patient = await sup.start_child(plain([], "a", shutdown=INFINITY))
    brutal = await sup.start_child(plain([], "b", shutdown=BRUTAL_KILL))
    assert patient is not None
    assert brutal is not None
    await sup.stop("shutdown")
    assert await patient.join() == "shutdown"
    assert await brutal.join() == "killed"


@pytest.mark.parametrize(("shutdown", "reason"), [(BRUTAL_KILL, "killed"), (1.0, "shutdown")], ids=str)
async def test_dynamic_terminate_child_then_not_found(rt: TestRuntime, shutdown: object, reason: str) -> None:
    """dynamic_supervisor_test "terminates child with brutal kill" / "... with integer shutdown"."""
    sup = await rt.start(DynamicSupervisor())
    child = await sup.start_child(plain([], shutdown=shutdown))
    assert child is not None
    await sup.terminate_child(child)
    assert await child.join() == reason
    with pytest.raises(ChildNotFound):
        await sup.terminate_child(child)
    assert await sup.count_children() == ChildCount(specs=0, active=0, supervisors=0, workers=0)


async def test_dynamic_terminate_restarting_child_by_its_old_handle(rt: TestRuntime) -> None:
    """dynamic_supervisor_test "terminates restarting child": OTP keeps a restarting child under
    its old pid, and ``terminate_child(sup, old_pid)`` removes it.
    """
    sup = await rt.start(DynamicSupervisor(max_restarts=100_000, max_seconds=3600))
    child = await sup.start_child(ChildSpec("w", FailsAfterFirst([])))
    assert child is not None
    await exit_and_wait(child, "shutdown")
    await until_handled(sup, child)
    await sup.terminate_child(child)
    with pytest.raises(ChildNotFound):
        await sup.terminate_child(child)
    assert await sup.count_children() == ChildCount(specs=0, active=0, supervisors=0, workers=0)


# -- Elixir: supervisor_test.exs "child life cycle"; OTP supervisor_SUITE child_adm ---------------


async def test_supervisor_child_life_cycle(rt: TestRuntime) -> None:
    """supervisor_test "child life cycle" and supervisor_SUITE child_adm: every error tuple."""
    log: list[object] = []
    sup = await rt.start(Supervisor([]))
    assert await sup.which_children() == []
    assert await sup.count_children() == ChildCount(specs=0, active=0, supervisors=0, workers=0)
    child = await sup.start_child(plain(log, "w"))
    assert child is not None
    with pytest.raises(ChildAlreadyStarted):
        await sup.start_child(plain(log, "w"))
    with pytest.raises(ChildRunning):
        await sup.delete_child("w")
    with pytest.raises(ChildRunning):
        await sup.restart_child("w")
    await sup.terminate_child("w")
    assert await child.join() == "shutdown"
    with pytest.raises(ChildAlreadyPresent):
        await sup.start_child(plain(log, "w"))
    await sup.terminate_child("w")  # terminating a terminated child is fine
    [stopped] = await sup.which_children()
    assert (stopped.id, stopped.handle) == ("w", None)
    assert await sup.count_children() == ChildCount(specs=1, active=0, supervisors=0, workers=1)
    again = await sup.restart_child("w")
    assert again is not None
    assert again.is_alive
    await sup.terminate_child("w")
    await sup.delete_child("w")
    for op in (sup.terminate_child, sup.restart_child, sup.delete_child):
        with pytest.raises(ChildNotFound):
            await op("w")
    assert await sup.which_children() == []


async def test_temporary_child_spec_is_dropped_on_terminate_child(rt: TestRuntime) -> None:
    """supervisor_SUITE do_not_save_start_parameters_for_temporary_children."""
    sup = await rt.start(Supervisor([plain([], "t", restart=Restart.TEMPORARY)]))
    await sup.terminate_child("t")
    assert await sup.which_children() == []
    with pytest.raises(ChildNotFound):
        await sup.restart_child("t")


async def test_restart_child_of_an_ignored_child_starts_it_again(rt: TestRuntime) -> None:
    """supervisor_SUITE sup_start_ignore_child: the spec of an ignored child is kept, and
    ``restart_child`` runs its start again.
    """
    log: list[object] = []
    ignoring = [True]

    def factory() -> Plain:
        return Plain(log, "i", init_result=Ignore() if ignoring[0] else None)

    sup = await rt.start(Supervisor([ChildSpec("i", factory)]))
    [ignored] = await sup.which_children()
    assert ignored.handle is None
    assert await sup.restart_child("i") is None  # ignored again
    ignoring[0] = False
    started = await sup.restart_child("i")
    assert started is not None
    assert started.is_alive
    assert log == [("ignored", "i"), ("ignored", "i"), ("start", "i")]


@pytest.mark.parametrize("max_restarts", [0, 1, 3])
async def test_intensity_allows_exactly_max_restarts(rt: TestRuntime, max_restarts: int) -> None:
    """supervisor_SUITE multiple_restarts / sup_flags: ``max_restarts`` restarts are allowed, one
    more makes the supervisor exit with ``"shutdown"``.
    """
    sup = await rt.start(Supervisor([plain([], "w")], max_restarts=max_restarts, max_seconds=3600))
    for _ in range(max_restarts):
        [c] = await sup.which_children()
        old = running(rt, c)
        await exit_and_wait(old, "boom")
        await until_handled(sup, old)
        assert sup.is_alive
    [c] = await sup.which_children()
    await exit_and_wait(running(rt, c), "boom")
    with anyio.fail_after(5):
        assert await sup.join() == "shutdown"


@pytest.mark.parametrize("strategy", list(Strategy), ids=str)
async def test_one_failing_restart_of_a_sibling_escalates_as_the_strategy_says(
    rt: TestRuntime, strategy: Strategy
) -> None:
    """supervisor_SUITE one_for_all_escalation / rest_for_one_escalation: a sibling whose restart
    keeps failing makes the supervisor give up once the intensity is exceeded, stopping the
    others last-first.
    """
    log: list[object] = []
    sup = await rt.start(
        Supervisor(
            [ChildSpec("a", lambda: Tracked(log, "a")), ChildSpec("b", FailsAfterFirst(log, "b"))],
            strategy=strategy,
            max_restarts=2,
            max_seconds=3600,
        )
    )
    b = running(rt, (await sup.which_children())[1])
    await exit_and_wait(b, "boom")
    with anyio.fail_after(5):
        assert await sup.join() == "shutdown"
    assert log[-1] == ("stop", "a", "shutdown")


# -- Elixir gen_server_test.exs / OTP gen_server_SUITE ------------------------------------------


async def test_call_exit_messages(rt: TestRuntime) -> None:
    """gen_server_test "call/3 exit messages": a timeout leaves the server running; noproc."""
    h = await rt.start(Recorder())
    with pytest.raises(CallTimeout):
        await h.call(Hold(), timeout=0.01)
    assert h.is_alive
    with pytest.raises(NoProc):
        await rt.call("no_such_name", Ping())


class StopsWithoutReply(GenServer):
    def handle_call(self, msg: Any, caller: Any) -> Any:
        return Stop(msg)


@pytest.mark.parametrize("reason", ["normal", "shutdown", ("my", "reason")], ids=str)
async def test_stop_without_reply_fails_the_caller_with_the_reason(rt: TestRuntime, reason: object) -> None:
    """gen_server_SUITE call_stop / gen_server_test "call/3 exit messages"."""
    h = await rt.start(StopsWithoutReply())
    with anyio.fail_after(5), pytest.raises(ServerExited) as info:
        await h.call(reason)
    assert info.value.reason == reason
    assert await h.join() == reason


async def test_stop_a_dead_server_is_noproc(rt: TestRuntime) -> None:
    """gen_server_SUITE stop4/stop5 and gen_server_test "stop/3": noproc."""
    h = await rt.start(Recorder())
    await h.stop(("shutdown", "x"))
    assert await h.join() == ("shutdown", "x")
    with pytest.raises(NoProc):
        await h.stop()


async def test_already_started_names_the_running_process(rt: TestRuntime) -> None:
    """gen_server_SUITE start: ``{error, {already_started, Pid}}``; init never runs."""
    h = await rt.start(Recorder(), name="n")
    ran: list[str] = []

    class Never(GenServer):
        def init(self) -> None:
            ran.append("init")

    with pytest.raises(AlreadyStarted) as info:
        await rt.start(Never(), name="n")
    assert info.value.handle == h.handle
    assert ran == []


async def test_init_stop_and_exception_fail_start_and_free_the_name(rt: TestRuntime) -> None:
    """gen_server_SUITE start: init returning ``{stop, R}`` or crashing; the name is free after."""

    class Fails(GenServer):
        def __init__(self, how: str) -> None:
            self.how = how

        def init(self) -> Any:
            if self.how == "stop":
                return Stop("no")
            raise ValueError("no")

    for how in ("stop", "raise"):
        with pytest.raises(InitFailed):
            await rt.start(Fails(how), name="n")
        assert rt.whereis("n") is None
    h = await rt.start(Recorder(), name="n")
    assert rt.whereis("n") == h


class ContinueOrder(GenServer):
    def init(self) -> Any:
        self.log: list[object] = []
        return Continue("init")

    def handle_continue(self, arg: Any) -> Any:
        self.log.append(("continue", arg))
        return Continue("again") if arg == "reply" else None

    def handle_call(self, msg: Any, caller: Any) -> Any:
        if msg == "reply_then_continue":
            return Reply("replied", then=Continue("reply"))
        return Reply(list(self.log))

    def handle_cast(self, msg: Any) -> None:
        self.log.append(("cast", msg))


async def test_continue_runs_before_the_next_message(rt: TestRuntime) -> None:
    """gen_server_SUITE continue: init's continue before the first call; ``{reply, R, S,
    {continue, A}}`` replies first, then the continue chain runs before the next message.
    """
    h = await rt.start(ContinueOrder())
    assert await h.call("log") == [("continue", "init")]
    assert await h.call("reply_then_continue") == "replied"
    h.cast("next")
    assert await h.call("log") == [
        ("continue", "init"),
        ("continue", "reply"),
        ("continue", "again"),
        ("cast", "next"),
    ]


async def test_a_name_is_free_when_a_monitor_gets_down(rt: TestRuntime) -> None:
    """Elixir guarantees a registered name is released before DOWN is delivered."""
    seen: list[object] = []

    class Watcher(GenServer):
        def __init__(self, target: Any) -> None:
            self.target = target

        def init(self) -> None:
            self.monitor(self.target)

        def handle_info(self, msg: Any) -> None:
            if isinstance(msg, Down):
                seen.append(rt.runtime.whereis("n"))

        def handle_call(self, msg: Any, caller: Any) -> Any:
            return Reply(len(seen))

    for i in range(1, 21):
        h = await rt.start(Recorder(), name="n")
        w = await rt.start(Watcher(h.handle))
        h.exit("boom")
        with anyio.fail_after(5):
            while await w.call("n") < i:
                pass
        await w.stop()
    assert seen == [None] * 20


@pytest.mark.parametrize("op", ["restart_child", "delete_child", "start_child"])
async def test_operations_on_a_restarting_child_answer_restarting(rt: TestRuntime, op: str) -> None:
    """OTP supervisor.erl handle_call restart_child / delete_child / start_child: a child whose
    restart is being retried answers ``{error, restarting}`` and is left as it is.
    """
    factory = FailsAfterFirst([], "a")
    sup = await rt.start(Supervisor([ChildSpec("a", factory)], max_restarts=1_000_000, max_seconds=3600))
    [a] = await sup.which_children()
    await exit_and_wait(running(rt, a), "boom")
    with anyio.fail_after(5):
        while not (await sup.which_children())[0].restarting:
            pass
    request = sup.start_child(ChildSpec("a", factory)) if op == "start_child" else getattr(sup, op)("a")
    with pytest.raises(SpawnedError, match="restarting"):
        await request
    [still] = await sup.which_children()
    assert still.restarting
