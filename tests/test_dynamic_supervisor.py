"""DynamicSupervisor: start_child, terminate_child, max_children, restarts, concurrent shutdown."""

from __future__ import annotations

import threading

import pytest
from sup_servers import TogetherTask, TogetherThread, Tracked

from spawned import (
    Caller,
    ChildCount,
    ChildNotFound,
    ChildSpec,
    DynamicSupervisor,
    GenServer,
    Ignore,
    InitFailed,
    MaxChildren,
    Restart,
    Stop,
    Supervisor,
)
from spawned.testing import TestRuntime


def spec(log: list[object], child_id: str, **kwargs: object) -> ChildSpec:
    return ChildSpec(child_id, lambda: Tracked(log, child_id), **kwargs)  # type: ignore[arg-type]


async def test_start_child_and_which_children(rt: TestRuntime) -> None:
    log: list[object] = []
    sup = await rt.start(DynamicSupervisor())
    assert await sup.which_children() == []
    first = await sup.start_child(spec(log, "x"))
    second = await sup.start_child(spec(log, "x"))  # ids are not used: both start
    assert first is not None
    assert second is not None
    assert first != second
    children = await sup.which_children()
    assert [c.handle for c in children] == [first, second]
    assert {c.id for c in children} == {None}
    assert await sup.count_children() == ChildCount(specs=2, active=2, supervisors=0, workers=2)


async def test_terminate_child_by_handle_forgets_it(rt: TestRuntime) -> None:
    log: list[object] = []
    sup = await rt.start(DynamicSupervisor())
    child = await sup.start_child(spec(log, "x"))
    assert child is not None
    await sup.terminate_child(child)
    assert not child.is_alive
    assert log[-1] == ("stop", "x", "shutdown")
    assert await sup.which_children() == []
    with pytest.raises(ChildNotFound):
        await sup.terminate_child(child)


async def test_max_children_refuses_more(rt: TestRuntime) -> None:
    log: list[object] = []
    sup = await rt.start(DynamicSupervisor(max_children=2))
    await sup.start_child(spec(log, "a"))
    await sup.start_child(spec(log, "b"))
    with pytest.raises(MaxChildren) as info:
        await sup.start_child(spec(log, "c"))
    assert info.value.limit == 2
    assert ("start", "c") not in log


async def test_a_crashed_child_is_restarted_with_a_new_handle(rt: TestRuntime) -> None:
    log: list[object] = []
    sup = await rt.start(DynamicSupervisor())
    child = await sup.start_child(spec(log, "a"))
    temp = await sup.start_child(spec(log, "t", restart=Restart.TEMPORARY))
    assert child is not None
    assert temp is not None
    child.cast("crash")
    await child.join()
    temp.cast("crash")
    await temp.join()
    [restarted] = await sup.which_children()
    assert restarted.handle is not None
    assert restarted.handle != child
    assert restarted.handle.is_alive
    assert log.count(("start", "a")) == 2


async def test_start_failure_and_ignore(rt: TestRuntime) -> None:
    log: list[object] = []
    sup = await rt.start(DynamicSupervisor())
    with pytest.raises(InitFailed):
        await sup.start_child(ChildSpec("bad", lambda: Tracked(log, "bad", ValueError("no"))))
    ignored = await sup.start_child(
        ChildSpec("i", lambda: Tracked(log, "i", Ignore()), restart=Restart.TEMPORARY)
    )
    assert ignored is None
    assert await sup.which_children() == []


async def test_intensity_applies_to_dynamic_children(rt: TestRuntime) -> None:
    log: list[object] = []
    sup = await rt.start(DynamicSupervisor(max_restarts=0))
    child = await sup.start_child(spec(log, "a"))
    assert child is not None
    child.cast("crash")
    assert await sup.join() == "shutdown"


async def test_children_shut_down_concurrently(rt: TestRuntime) -> None:
    log: list[object] = []
    barrier = threading.Barrier(3)
    group: list[int] = []
    sup = await rt.start(DynamicSupervisor())
    for i in range(3):
        child_id = f"c{i}"
        if rt.backend == "threads":
            make = lambda child_id=child_id: TogetherThread(log, child_id, barrier)  # noqa: E731
        else:
            make = lambda child_id=child_id: TogetherTask(log, child_id, group, 3)  # noqa: E731
        await sup.start_child(ChildSpec(child_id, make))
    await sup.stop()
    assert sorted(e for e in log if e[0] == "stop") == [  # type: ignore[index]
        ("stop", "c0", "shutdown"),
        ("stop", "c1", "shutdown"),
        ("stop", "c2", "shutdown"),
    ]


async def test_a_dynamic_supervisor_under_a_supervisor(rt: TestRuntime) -> None:
    log: list[object] = []
    top = await rt.start(Supervisor([ChildSpec("pool", DynamicSupervisor)]))
    [pool_child] = await top.which_children()
    assert pool_child.kind == "supervisor"
    assert pool_child.handle is not None
    pool = rt.wrap(pool_child.handle)
    worker = await pool.start_child(spec(log, "w"))
    assert worker is not None
    await top.stop()
    assert await worker.join() == "shutdown"
    assert log[-1] == ("stop", "w", "shutdown")


@pytest.mark.parametrize("bad", ["class", "None", "not a spec"])
async def test_a_bad_start_child_argument_raises_and_the_dynamic_supervisor_lives_on(
    rt: TestRuntime, bad: str
) -> None:
    log: list[object] = []
    sup = await rt.start(DynamicSupervisor())
    child = await sup.start_child(spec(log, "a"))
    arg: object = {
        "class": ChildSpec("x", lambda: Tracked),  # type: ignore[arg-type]
        "None": ChildSpec("x", lambda: None),  # type: ignore[arg-type, return-value]
        "not a spec": "other",
    }[bad]
    with pytest.raises(TypeError, match=r"start factory returned|start_child\(\) takes a ChildSpec"):
        await sup.start_child(arg)  # type: ignore[arg-type]
    assert sup.is_alive
    assert child is not None
    assert child.is_alive
    assert [c.handle for c in await sup.which_children()] == [child]


async def test_a_restarting_dynamic_child_is_kept_and_shown_as_restarting(rt: TestRuntime) -> None:
    log: list[object] = []
    failing = [True]

    def factory() -> Tracked | None:
        return None if failing[0] and log else Tracked(log, "a")

    sup = await rt.start(DynamicSupervisor(max_restarts=1_000_000, max_seconds=3600))
    child = await sup.start_child(ChildSpec("a", factory))  # type: ignore[arg-type]
    assert child is not None
    child.cast("crash")
    await child.join()
    while (children := await sup.which_children()) and children[0].handle == child.handle:
        pass  # until the crash is handled
    assert [(c.handle, c.restarting) for c in children] == [(None, True)]
    assert await sup.count_children() == ChildCount(specs=1, active=0, supervisors=0, workers=1)
    failing[0] = False
    while (children := await sup.which_children())[0].handle is None:
        pass
    assert children[0].handle.is_alive
    assert log.count(("start", "a")) == 2


@pytest.mark.parametrize("not_a_child", ["a", 0, None])
async def test_terminate_child_of_something_not_a_handle_leaves_a_restarting_child(
    rt: TestRuntime, not_a_child: object
) -> None:
    log: list[object] = []

    def factory() -> Tracked | None:
        return None if log else Tracked(log, "a")

    sup = await rt.start(DynamicSupervisor(max_restarts=1_000_000, max_seconds=3600))
    child = await sup.start_child(ChildSpec("a", factory))  # type: ignore[arg-type]
    assert child is not None
    child.cast("crash")
    await child.join()
    while (children := await sup.which_children()) and children[0].handle == child.handle:
        pass  # until the crash is handled
    with pytest.raises(ChildNotFound):
        await sup.terminate_child(not_a_child)
    assert [(c.handle, c.restarting) for c in await sup.which_children()] == [(None, True)]


class QuitsNormally(GenServer):
    def handle_call(self, msg: object, caller: Caller[object]) -> Stop:
        return Stop("normal", reply="bye")


class IgnoresInit(GenServer):
    def init(self) -> Ignore:
        return Ignore()


async def test_dynamic_supervisor_forgets_children_that_are_not_running(rt: TestRuntime) -> None:
    sup = await rt.start(DynamicSupervisor(max_children=1))
    child = await sup.start_child(ChildSpec("w", QuitsNormally, restart=Restart.TRANSIENT))
    assert child is not None
    assert await child.call("quit") == "bye"
    await child.join()
    assert await sup.which_children() == []  # a transient child's normal exit: forgotten
    assert await sup.start_child(ChildSpec("i", IgnoresInit)) is None  # permanent, yet ignored
    assert await sup.count_children() == ChildCount(specs=0, active=0, supervisors=0, workers=0)
    assert await sup.start_child(ChildSpec("w", QuitsNormally)) is not None  # room for one


class Broken:
    def __call__(self) -> GenServer:
        raise KeyError("config missing")


async def test_a_raising_start_factory_is_logged_and_named(rt: TestRuntime, logs) -> None:
    sup = await rt.start(DynamicSupervisor())
    with pytest.raises(InitFailed) as info:
        await sup.start_child(ChildSpec("db", Broken()))
    assert "its start factory raised" in str(info.value)
    errors = [r for r in logs.records if r["level"].name == "ERROR"]
    assert len(errors) == 1
    assert "its start factory raised KeyError" in errors[0]["message"]
    assert errors[0]["exception"] is not None
