"""Supervisor: ordered start, strategies, restart types, intensity, shutdown, handle methods."""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from functools import partial
from typing import Any

import pytest
from sup_servers import Plain, StubbornTask, StubbornThread, Tracked

from spawned import (
    BRUTAL_KILL,
    INFINITY,
    ChildAlreadyPresent,
    ChildAlreadyStarted,
    ChildCount,
    ChildNotFound,
    ChildRunning,
    ChildSpec,
    GenServer,
    Ignore,
    InitFailed,
    Restart,
    Stop,
    Strategy,
    Supervisor,
)
from spawned.testing import TestHandle, TestRuntime, TestSupervisorHandle


def spec(log: list[object], child_id: str, **kwargs: Any) -> ChildSpec:
    return ChildSpec(child_id, lambda: Tracked(log, child_id), **kwargs)


async def tree(
    rt: TestRuntime,
    log: list[object],
    ids: str = "abc",
    strategy: Strategy = Strategy.ONE_FOR_ONE,
    name: object = None,
    **kw: Any,
) -> TestSupervisorHandle:
    return await rt.start(Supervisor([spec(log, i) for i in ids], strategy=strategy, **kw), name=name)


async def handles(sup: TestSupervisorHandle) -> dict[object, TestHandle[Any, Any, Any] | None]:
    return {
        c.id: None if c.handle is None else TestHandle(c.handle, sup.backend)
        for c in await sup.which_children()
    }


async def crash(handle: TestHandle[Any, Any, Any] | None) -> None:
    assert handle is not None
    handle.cast("crash")
    await handle.join()


async def test_children_start_in_order_before_start_returns(rt: TestRuntime) -> None:
    log: list[object] = []
    sup = await tree(rt, log)
    assert log == [("start", "a"), ("start", "b"), ("start", "c")]
    children = await sup.which_children()
    assert [c.id for c in children] == ["a", "b", "c"]
    assert all(c.handle is not None and c.handle.is_alive for c in children)
    assert {c.kind for c in children} == {"worker"}
    assert {c.restart for c in children} == {Restart.PERMANENT}


async def test_one_for_one_restarts_only_the_child_that_exited_with_fresh_state(rt: TestRuntime) -> None:
    log: list[object] = []
    sup = await tree(rt, log)
    before = await handles(sup)
    b = before["b"]
    assert b is not None
    b.cast("x")
    assert await b.call("count") == 1
    log.clear()
    await crash(b)
    after = await handles(sup)
    assert after["a"] == before["a"]
    assert after["c"] == before["c"]
    new_b = after["b"]
    assert new_b is not None
    assert new_b != b
    assert await new_b.call("count") == 0
    assert log == [("stop", "b", "ValueError"), ("start", "b")]


async def test_one_for_all_restarts_every_sibling_once_per_failure(rt: TestRuntime) -> None:
    log: list[object] = []
    sup = await tree(rt, log, strategy=Strategy.ONE_FOR_ALL)
    before = await handles(sup)
    log.clear()
    await crash(before["b"])
    after = await handles(sup)
    assert all(after[i] != before[i] for i in "abc")
    assert log == [
        ("stop", "b", "ValueError"),
        ("stop", "c", "shutdown"),
        ("stop", "a", "shutdown"),
        ("start", "a"),
        ("start", "b"),
        ("start", "c"),
    ]


async def test_rest_for_one_restarts_only_later_children(rt: TestRuntime) -> None:
    log: list[object] = []
    sup = await tree(rt, log, "abcd", strategy=Strategy.REST_FOR_ONE)
    before = await handles(sup)
    log.clear()
    await crash(before["b"])
    after = await handles(sup)
    assert after["a"] == before["a"]
    assert all(after[i] != before[i] for i in "bcd")
    assert log == [
        ("stop", "b", "ValueError"),
        ("stop", "d", "shutdown"),
        ("stop", "c", "shutdown"),
        ("start", "b"),
        ("start", "c"),
        ("start", "d"),
    ]


async def test_a_temporary_sibling_is_stopped_and_not_restarted(rt: TestRuntime) -> None:
    log: list[object] = []
    sup = await rt.start(
        Supervisor([spec(log, "a", restart=Restart.TEMPORARY), spec(log, "b")], strategy=Strategy.ONE_FOR_ALL)
    )
    before = await handles(sup)
    await crash(before["b"])
    after = await handles(sup)
    assert list(after) == ["b"]
    assert before["a"] is not None
    assert not before["a"].is_alive
    assert log.count(("start", "a")) == 1


async def test_a_temporary_child_is_never_restarted_and_its_spec_is_dropped(rt: TestRuntime) -> None:
    log: list[object] = []
    sup = await rt.start(Supervisor([spec(log, "t", restart=Restart.TEMPORARY), spec(log, "p")]))
    await crash((await handles(sup))["t"])
    assert list(await handles(sup)) == ["p"]
    assert log.count(("start", "t")) == 1


@pytest.mark.parametrize("reason", ["normal", "shutdown", ("shutdown", "done")])
async def test_transient_is_not_restarted_after_a_clean_exit(rt: TestRuntime, reason: object) -> None:
    log: list[object] = []
    sup = await rt.start(Supervisor([spec(log, "t", restart=Restart.TRANSIENT)]))
    child = (await handles(sup))["t"]
    assert child is not None
    child.cast(("exit", reason))
    await child.join()
    assert await handles(sup) == {"t": None}
    assert log.count(("start", "t")) == 1


async def test_transient_is_restarted_after_an_abnormal_exit(rt: TestRuntime) -> None:
    log: list[object] = []
    sup = await rt.start(Supervisor([spec(log, "t", restart=Restart.TRANSIENT)]))
    await crash((await handles(sup))["t"])
    child = (await handles(sup))["t"]
    assert child is not None
    assert child.is_alive
    assert log.count(("start", "t")) == 2


class CancelsItself(Tracked):
    """Its async handle_cast awaits a task it cancelled itself (asyncio): a crash."""

    async def handle_cast(self, msg: Any) -> None:
        task = asyncio.get_running_loop().create_task(asyncio.sleep(10))
        task.cancel()
        await task


@pytest.mark.spawned_backends("asyncio")
async def test_transient_is_restarted_after_a_cancellation_raised_inside_it(rt: TestRuntime) -> None:
    log: list[object] = []
    child_spec = ChildSpec("t", lambda: CancelsItself(log, "t"), restart=Restart.TRANSIENT)
    sup = await rt.start(Supervisor([child_spec]))
    await crash((await handles(sup))["t"])
    child = (await handles(sup))["t"]
    assert child is not None
    assert child.is_alive
    assert log == [("start", "t"), ("stop", "t", "CancelledError"), ("start", "t")]


async def test_a_permanent_child_is_restarted_after_a_normal_exit(rt: TestRuntime) -> None:
    log: list[object] = []
    sup = await tree(rt, log, "p")
    child = (await handles(sup))["p"]
    assert child is not None
    await child.stop()
    assert (await handles(sup))["p"] != child
    assert log.count(("start", "p")) == 2


async def test_exceeding_intensity_stops_children_in_reverse_and_exits_shutdown(
    rt: TestRuntime, logs
) -> None:
    log: list[object] = []
    sup = await tree(rt, log, max_restarts=1, max_seconds=60)
    await crash((await handles(sup))["b"])
    b = (await handles(sup))["b"]
    log.clear()
    await crash(b)
    assert await sup.join() == "shutdown"
    assert log == [("stop", "b", "ValueError"), ("stop", "c", "shutdown"), ("stop", "a", "shutdown")]
    give_ups = [m for m in logs.messages("ERROR") if "reached max restart intensity" in m]
    assert len(give_ups) == 1
    assert "child 'b'" in give_ups[0]
    assert "ValueError" in give_ups[0]


async def test_a_parent_supervisor_restarts_a_child_supervisor_that_gave_up(rt: TestRuntime) -> None:
    log: list[object] = []
    inner = Supervisor([spec(log, "w")], max_restarts=0)
    outer = await rt.start(Supervisor([ChildSpec("inner", lambda: inner), spec(log, "x")]))
    [inner_child, x_child] = await outer.which_children()
    assert inner_child.kind == "supervisor"
    assert x_child.kind == "worker"
    assert inner_child.handle is not None
    inner_handle = rt.wrap(inner_child.handle)
    await crash((await handles(inner_handle))["w"])
    assert await inner_handle.join() == "shutdown"
    restarted = (await handles(outer))["inner"]
    assert restarted is not None
    assert restarted != inner_handle
    assert isinstance(restarted, TestHandle)
    assert log.count(("start", "w")) == 2
    assert log.count(("start", "x")) == 1


async def test_a_failing_start_stops_the_started_children_and_fails(rt: TestRuntime) -> None:
    log: list[object] = []
    children = [
        spec(log, "a"),
        spec(log, "b"),
        ChildSpec("bad", lambda: Tracked(log, "bad", ValueError("no config"))),
        spec(log, "z"),
    ]
    with pytest.raises(InitFailed) as info:
        await rt.start(Supervisor(children), name="sup")
    assert log == [
        ("start", "a"),
        ("start", "b"),
        ("failed", "bad"),
        ("stop", "b", "shutdown"),
        ("stop", "a", "shutdown"),
    ]
    shutdown, (what, child_id, reason) = info.value.reason  # type: ignore[misc]
    assert (shutdown, what, child_id) == ("shutdown", "failed_to_start_child", "bad")
    assert isinstance(reason, ValueError)
    assert rt.whereis("sup") is None


async def test_a_child_that_ignores_is_kept_as_not_running(rt: TestRuntime) -> None:
    log: list[object] = []
    children = [ChildSpec("i", lambda: Tracked(log, "i", Ignore())), spec(log, "b")]
    sup = await rt.start(Supervisor(children))
    found = await handles(sup)
    assert found["i"] is None
    assert found["b"] is not None
    assert await sup.count_children() == ChildCount(specs=2, active=1, supervisors=0, workers=2)


async def test_stop_shuts_children_down_in_reverse_order(rt: TestRuntime) -> None:
    log: list[object] = []
    sup = await tree(rt, log)
    log.clear()
    await sup.stop("shutdown")
    assert log == [("stop", "c", "shutdown"), ("stop", "b", "shutdown"), ("stop", "a", "shutdown")]


async def test_brutal_kill_skips_terminate_and_plain_children_exit_at_once(rt: TestRuntime) -> None:
    log: list[object] = []
    children = [
        ChildSpec("plain", lambda: Plain(log, "plain")),
        spec(log, "brutal", shutdown=BRUTAL_KILL),
        spec(log, "patient", shutdown=INFINITY),
    ]
    sup = await rt.start(Supervisor(children))
    found = await handles(sup)
    log.clear()
    await sup.stop()
    assert log == [("stop", "patient", "shutdown")]
    assert found["brutal"] is not None
    assert await found["brutal"].join() == "killed"
    assert found["plain"] is not None
    assert await found["plain"].join() == "shutdown"


async def test_a_child_ignoring_shutdown_past_its_timeout_is_killed(rt: TestRuntime, logs) -> None:
    log: list[object] = []
    release = threading.Event()

    def stubborn() -> Tracked:
        if rt.backend == "threads":
            return StubbornThread(log, "s", release)
        return StubbornTask(log, "s")

    sup = await rt.start(Supervisor([ChildSpec("s", stubborn, shutdown=0.05), spec(log, "a")]))
    child = (await handles(sup))["s"]
    try:
        await sup.stop()
    finally:
        release.set()
    assert child is not None
    assert await child.join() == "killed"
    assert ("stopping", "s") in log
    assert any("did not stop within its shutdown of 0.05 s" in m for m in logs.messages("WARNING"))


async def test_a_huge_finite_shutdown_waits_for_terminate_as_long_as_needed(rt: TestRuntime) -> None:
    log: list[object] = []
    sup = await rt.start(Supervisor([spec(log, "a", shutdown=sys.maxsize), spec(log, "b")]))
    await sup.terminate_child("a")
    await sup.stop()
    assert await sup.join() == "normal"
    assert log == [("start", "a"), ("start", "b"), ("stop", "a", "shutdown"), ("stop", "b", "shutdown")]


async def test_restarts_are_reported_once_with_ids_and_reasons(rt: TestRuntime, logs) -> None:
    log: list[object] = []
    sup = await tree(rt, log, "ab", name="tree")
    a = (await handles(sup))["a"]
    assert a is not None
    await crash(a)
    await sup.which_children()
    crash_reports = [m for m in logs.messages("ERROR") if "terminating" in m]
    restarts = [m for m in logs.messages("WARNING") if "restarting" in m]
    assert len(crash_reports) == 1
    assert restarts == [
        (
            f"Supervisor 'tree' restarting 'a' after child 'a' ({a.handle._process.label}) exited, "
            "reason: ValueError: a crashed on request"
        )
    ]


async def test_start_child_adds_a_last_child(rt: TestRuntime) -> None:
    log: list[object] = []
    sup = await tree(rt, log, "a")
    added = await sup.start_child(spec(log, "b"))
    assert added is not None
    assert await added.call("count") == 0
    assert [c.id for c in await sup.which_children()] == ["a", "b"]
    with pytest.raises(ChildAlreadyStarted) as info:
        await sup.start_child(spec(log, "b"))
    assert info.value.handle == added
    await sup.terminate_child("b")
    with pytest.raises(ChildAlreadyPresent):
        await sup.start_child(spec(log, "b"))


async def test_start_child_failure_keeps_no_spec(rt: TestRuntime) -> None:
    log: list[object] = []
    sup = await tree(rt, log, "a")
    with pytest.raises(InitFailed):
        await sup.start_child(ChildSpec("bad", lambda: Tracked(log, "bad", ValueError("no"))))
    assert [c.id for c in await sup.which_children()] == ["a"]


async def test_terminate_restart_and_delete_child(rt: TestRuntime) -> None:
    log: list[object] = []
    sup = await tree(rt, log, "ab")
    old = (await handles(sup))["a"]
    await sup.terminate_child("a")
    assert old is not None
    assert not old.is_alive
    assert await handles(sup) == {"a": None, "b": (await handles(sup))["b"]}
    await sup.terminate_child("a")  # not running: nothing to do
    assert await sup.count_children() == ChildCount(specs=2, active=1, supervisors=0, workers=2)
    new = await sup.restart_child("a")
    assert new is not None
    assert new != old
    with pytest.raises(ChildRunning):
        await sup.restart_child("a")
    with pytest.raises(ChildRunning):
        await sup.delete_child("a")
    await sup.terminate_child("a")
    await sup.delete_child("a")
    assert [c.id for c in await sup.which_children()] == ["b"]
    for method in (sup.terminate_child, sup.restart_child, sup.delete_child):
        with pytest.raises(ChildNotFound):
            await method("a")


async def test_a_terminated_child_is_not_restarted_by_a_sibling_crash(rt: TestRuntime) -> None:
    log: list[object] = []
    sup = await tree(rt, log, "ab", strategy=Strategy.ONE_FOR_ALL)
    await sup.terminate_child("a")
    await crash((await handles(sup))["b"])
    found = await handles(sup)
    assert found["a"] is None
    assert found["b"] is not None
    assert found["b"].is_alive


async def test_a_named_child_is_found_again_after_a_restart(rt: TestRuntime) -> None:
    log: list[object] = []
    sup = await rt.start(Supervisor([spec(log, "a", name="worker-a")]))
    first = rt.whereis("worker-a")
    await crash(first)
    await sup.which_children()  # the supervisor has handled the exit by now
    second = rt.whereis("worker-a")
    assert second is not None
    assert second != first
    assert second == (await handles(sup))["a"]


async def test_a_supervisor_dies_with_its_linked_parent(rt: TestRuntime) -> None:
    log: list[object] = []
    outer = await rt.start(Supervisor([ChildSpec("inner", lambda: Supervisor([spec(log, "w")]))]))
    inner_raw = (await outer.which_children())[0].handle
    assert inner_raw is not None
    inner = rt.wrap(inner_raw)
    w = (await handles(inner))["w"]
    outer.kill()
    assert await inner.join() == "killed"
    assert w is not None
    assert await w.join() == "shutdown"


class Flaky:
    """A start factory: a fresh ``Tracked`` at first; while ``failing``, ``None`` (a start
    that fails at once, quietly), at most ``limit`` times in all.
    """

    def __init__(self, log: list[object], child_id: str, limit: int = 10_000) -> None:
        self.log = log
        self.id = child_id
        self.limit = limit
        self.failing = False
        self.failures = 0

    def __call__(self) -> Tracked | None:
        if self.failing and self.failures < self.limit:
            self.failures += 1
            return None
        return Tracked(self.log, self.id)


async def test_a_restart_that_keeps_failing_leaves_the_supervisor_answering(rt: TestRuntime) -> None:
    log: list[object] = []
    flaky = Flaky(log, "a")
    sup = await rt.start(
        Supervisor([ChildSpec("a", flaky), spec(log, "b")], max_restarts=1_000_000, max_seconds=3600)  # type: ignore[arg-type]
    )
    flaky.failing = True
    old = (await handles(sup))["a"]
    await crash(old)
    while (children := await sup.which_children())[0].handle == old:
        pass  # until the crash is handled
    assert children[0].restarting
    assert children[0].handle is None
    assert not children[1].restarting
    assert children[1].handle is not None
    assert await sup.count_children() == ChildCount(specs=2, active=1, supervisors=0, workers=2)
    assert flaky.failures < flaky.limit
    await sup.terminate_child("a")
    tried = flaky.failures
    children = await sup.which_children()
    assert flaky.failures == tried  # a retry still queued was dropped
    assert (children[0].handle, children[0].restarting) == (None, False)
    flaky.failing = False
    assert await sup.restart_child("a") is not None
    assert sup.is_alive


@pytest.mark.parametrize("returns", ["class", "used instance", "None"])
async def test_start_child_whose_factory_returns_no_fresh_server_raises_and_the_supervisor_lives_on(
    rt: TestRuntime, returns: str
) -> None:
    log: list[object] = []
    sup = await tree(rt, log, "ab")
    before = await handles(sup)
    used = Tracked(log, "used")
    await rt.start(used)
    factory: Any = {"class": lambda: Tracked, "used instance": lambda: used, "None": lambda: None}[returns]
    expected = {
        "class": "the class Tracked instead of an instance",
        "used instance": "an instance already started once",
        "None": "None (NoneType)",
    }[returns]
    with pytest.raises(
        TypeError, match=rf"child 'x' cannot start: its start factory returned .*{re.escape(expected)}"
    ):
        await sup.start_child(ChildSpec("x", factory))
    assert sup.is_alive
    assert await handles(sup) == before
    assert all(h is not None and h.is_alive for h in before.values())


@pytest.mark.parametrize("bad", ["other", None])
async def test_start_child_refuses_what_is_not_a_child_spec_and_the_supervisor_lives_on(
    rt: TestRuntime, bad: object
) -> None:
    log: list[object] = []
    sup = await tree(rt, log, "ab")
    with pytest.raises(TypeError, match=rf"start_child\(\) takes a ChildSpec, got {bad!r}"):
        await sup.start_child(bad)  # type: ignore[arg-type]
    assert sup.is_alive
    assert [c.id for c in await sup.which_children()] == ["a", "b"]


async def test_a_factory_returning_no_server_on_restart_is_a_failed_restart(rt: TestRuntime) -> None:
    log: list[object] = []
    flaky = Flaky(log, "a", limit=1)
    sup = await rt.start(Supervisor([ChildSpec("a", flaky)]))  # type: ignore[arg-type]
    flaky.failing = True
    await crash((await handles(sup))["a"])
    while (await handles(sup))["a"] is None:  # one failed attempt, then a retry that starts it
        pass
    assert flaky.failures == 1
    assert sup.is_alive


async def test_a_strategy_given_as_its_otp_string_behaves_as_that_strategy(rt: TestRuntime) -> None:
    log: list[object] = []
    sup = await tree(rt, log, strategy="one_for_all")  # type: ignore[arg-type]
    before = await handles(sup)
    await crash(before["c"])
    after = await handles(sup)
    assert all(after[i] != before[i] for i in "abc")


async def test_a_restart_type_given_as_its_otp_string_behaves_as_that_type(rt: TestRuntime) -> None:
    log: list[object] = []
    sup = await rt.start(Supervisor([spec(log, "t", restart="transient"), spec(log, "p")]))
    child = (await handles(sup))["t"]
    assert child is not None
    child.cast(("exit", "normal"))
    assert await child.join() == "normal"
    children = await sup.which_children()
    assert (children[0].handle, children[0].restart) == (None, Restart.TRANSIENT)
    assert sup.is_alive


async def test_shutdown_zero_asks_the_child_to_stop_then_kills_it_at_once(rt: TestRuntime, logs) -> None:
    log: list[object] = []
    release = threading.Event()

    def stubborn() -> Tracked:
        if rt.backend == "threads":
            return StubbornThread(log, "s", release)
        return StubbornTask(log, "s")

    sup = await rt.start(Supervisor([ChildSpec("s", stubborn, shutdown=0)]))
    child = (await handles(sup))["s"]
    assert child is not None
    try:
        await sup.terminate_child("s")
    finally:
        release.set()
    assert await child.join() == "killed"
    assert any("did not stop within its shutdown of 0 s" in m for m in logs.messages("WARNING"))


class LinkedTo(Tracked):
    """Links itself in init to ``partner``, so its shutdown takes the partner down too."""

    trap_exits = False

    def __init__(self, log: list[object], partner: Any) -> None:
        super().__init__(log, "linker")
        self.partner = partner

    def init(self) -> None:
        self.link(self.partner)


async def test_a_child_exiting_while_the_runtime_closes_is_not_restarted_and_nothing_crashes(
    spawned_backend: Any, logs: Any
) -> None:
    from spawned.testing import open_test_runtime

    log: list[object] = []
    async with open_test_runtime(spawned_backend) as runtime:
        sup = await runtime.start(Supervisor([ChildSpec("c", lambda: Plain(log, "c"))]))
        child = (await handles(sup))["c"]
        assert child is not None
        await runtime.start(LinkedTo(log, child.handle))  # stopped first; takes "c" with it
    assert log.count(("start", "c")) == 1
    assert not [m for m in logs.messages("ERROR") if "terminating" in m]


class RetriedRestart(GenServer):
    """Started by a factory: the second start stops in init with a clean reason."""

    def __init__(self, starts: list[str], name: str) -> None:
        starts.append(name)
        self.attempt = len([s for s in starts if s == name])
        self.name = name

    def init(self) -> Stop | None:
        return Stop("normal") if self.name == "b" and self.attempt == 2 else None

    def handle_cast(self, msg: object) -> None:
        raise ValueError("crash on request")


async def test_a_failed_restart_is_retried_and_later_siblings_come_back(rt: TestRuntime) -> None:
    starts: list[str] = []
    children = [
        ChildSpec(
            name,
            partial(RetriedRestart, starts, name),
            restart=Restart.TRANSIENT if name == "b" else Restart.PERMANENT,
        )
        for name in ("a", "b", "c")
    ]
    sup = await rt.start(Supervisor(children, strategy=Strategy.REST_FOR_ONE))
    b = next(c.handle for c in await sup.which_children() if c.id == "b")
    assert b is not None
    rt.wrap(b).cast("crash")
    await rt.wrap(b).join()
    handles = [c.handle for c in await sup.which_children()]
    while None in handles or b in handles:  # until the exit and the retry (a message) are handled
        handles = [c.handle for c in await sup.which_children()]
    running = {c.id: c.handle is not None for c in await sup.which_children()}
    assert running == {"a": True, "b": True, "c": True}
    assert starts == ["a", "b", "c", "b", "b", "c"]  # b's first restart failed and was retried
