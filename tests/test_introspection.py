"""runtime.processes() and runtime.tree(): what is running, as a person debugging sees it."""

from __future__ import annotations

import threading
from typing import Any

import anyio
import anyio.to_thread
import pytest
from attrs import evolve
from servers import Crash, Get, Recorder, StopWith

from spawned import (
    Caller,
    ChildSpec,
    DynamicSupervisor,
    GenServer,
    NoProc,
    ProcessInfo,
    ProcessTree,
    Reply,
    ServerExited,
    Status,
    Supervisor,
)
from spawned.testing import TestHandle, TestRuntime


async def test_processes_lists_the_live_ones_in_start_order(rt: TestRuntime) -> None:
    first = await rt.start(Recorder(), name="first")
    second = await rt.start(Recorder())
    infos = rt.runtime.processes()
    assert [info.label for info in infos][-2:] == ["Recorder 'first'", second.handle._process.label]
    mine = infos[-2]
    assert (mine.server, mine.name, mine.status, mine.kind) == ("Recorder", "first", "running", "worker")
    assert mine.mailbox >= 0
    await first.stop()
    assert "Recorder 'first'" not in [info.label for info in rt.runtime.processes()]


async def test_the_tree_prints_every_process(rt: TestRuntime) -> None:
    h = await rt.start(Recorder(), name="rec")
    await h.call(Get())
    text = str(rt.runtime.tree())
    assert "Recorder 'rec' (worker, running, mailbox 0)" in text


class Gate(GenServer):
    """Crashes on "crash"; every start after the first waits in ``init`` until released."""

    def __init__(self, starts: list[int], entered: threading.Event, release: threading.Event) -> None:
        self.starts = starts
        self.entered = entered
        self.release = release

    def init(self) -> None:
        self.starts.append(1)
        if len(self.starts) > 1:
            self.entered.set()
            self.release.wait(10)

    def handle_cast(self, msg: Any) -> None:
        raise ValueError(msg)


class Secretive(GenServer):
    """Keeps a count and a token; hides the token from reports and get_state."""

    def init(self) -> None:
        self.count = 0
        self.token = "t0ken"  # noqa: S105 - a test secret, to be hidden
        self._private = "never shown"

    def handle_cast(self, msg: Any) -> None:
        self.count += msg

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Reply[Any]:
        return Reply((self.count, threading.current_thread().name))

    def format_status(self, status: Status) -> Status:
        return evolve(status, state={**status.state, "token": "***"})


async def test_processes_name_supervisors_kinds_and_child_ids(rt: TestRuntime) -> None:
    sup = await rt.start(Supervisor([ChildSpec("rec", Recorder, name="rec")]), name="app")
    infos = {info.label: info for info in rt.runtime.processes()}
    app, rec = infos["Supervisor 'app'"], infos["Recorder 'rec'"]
    assert (app.server, app.kind, app.child_id) == ("Supervisor", "supervisor", None)
    assert (rec.server, rec.kind, rec.child_id) == ("Recorder", "worker", "rec")
    root = next(info for info in infos.values() if info.label.startswith("Supervisor#"))
    assert (root.server, root.kind) == ("Supervisor", "supervisor")
    assert all(info.children == () for info in infos.values())
    assert not {"RootServer", "SupervisorServer"} & {info.server for info in infos.values()}
    dyn = await rt.start(DynamicSupervisor(), name="jobs")
    await dyn.start_child(ChildSpec("job", Recorder))
    jobs = next(info for info in rt.runtime.processes() if info.label == "DynamicSupervisor 'jobs'")
    assert (jobs.server, jobs.kind) == ("DynamicSupervisor", "supervisor")
    await sup.stop()


@pytest.mark.parametrize("dynamic", [False, True], ids=["supervisor", "dynamic"])
async def test_a_tree_taken_during_a_restart_shows_the_replacement_in_place(
    rt: TestRuntime, dynamic: bool
) -> None:
    starts: list[int] = []
    entered, release = threading.Event(), threading.Event()
    spec = ChildSpec("gate", lambda: Gate(starts, entered, release))
    if dynamic:
        sup = await rt.start(DynamicSupervisor(), name="sup")
        child = await sup.start_child(spec)
    else:
        sup = await rt.start(Supervisor([spec]), name="sup")
        child = (await sup.which_children())[0].handle
    assert child is not None
    old = child.handle._process.label if isinstance(child, TestHandle) else child._process.label

    def during_restart() -> ProcessTree:
        try:
            assert entered.wait(10)
            return rt.runtime.tree()
        finally:
            release.set()

    child.cast("crash")
    tree = await anyio.to_thread.run_sync(during_restart)
    await sup.which_children()  # the restart is over
    [top] = [r for r in tree.roots if r.label == "Supervisor#1"]
    [node] = [c for c in top.children if c.label in {"Supervisor 'sup'", "DynamicSupervisor 'sup'"}]
    [replacement] = node.children
    assert replacement.label.startswith("Gate#")
    assert replacement.label != old
    assert replacement.status == "running"
    assert replacement.child_id == (None if dynamic else "gate")
    assert all(info.label for info in tree.walk()), str(tree)
    assert len(tree.roots) == 1, str(tree)


def test_a_child_due_to_restart_is_shown_as_restarting() -> None:
    info = ProcessInfo("", "", None, "restarting", 0, child_id="gate")
    assert info.describe() == "gate (worker, restarting)"


async def test_a_dynamic_supervisor_logs_restarts_by_spec_id_and_process(rt: TestRuntime, logs) -> None:
    sup = await rt.start(DynamicSupervisor(), name="jobs")
    child = await sup.start_child(ChildSpec("job", Recorder))
    assert child is not None
    label = child.handle._process.label
    child.cast(Crash())
    await child.join()
    await sup.which_children()
    assert [m for m in logs.messages("WARNING") if "restarting" in m] == [
        (
            f"DynamicSupervisor 'jobs' restarting 'job' after child 'job' ({label}) exited, "
            "reason: ValueError: crash on request"
        )
    ]


async def test_get_state_reads_the_state_as_format_status_shows_it(rt: TestRuntime) -> None:
    h = await rt.start(Secretive())
    h.cast(2)  # queued before the request: get_state sees it
    assert await h.get_state() == {"count": 2, "token": "***"}
    r = await rt.start(Recorder())
    r.cast("x")
    assert await r.get_state() == {"events": [("cast", "x")], "held": []}


async def test_replace_state_runs_inside_the_process_between_messages(rt: TestRuntime) -> None:
    h = await rt.start(Secretive(), on_thread=True)
    h.cast(1)

    def patch(server: Secretive) -> str:
        server.count += 10
        return threading.current_thread().name

    ran_on = await h.replace_state(patch)
    count, callbacks_on = await h.call("count")
    assert count == 11
    assert ran_on == callbacks_on  # the process's own thread (the loop's, on plain tasks)
    assert await h.replace_state(lambda server: server._private) == "never shown"


async def test_a_failing_replace_state_raises_and_leaves_the_server_running(rt: TestRuntime) -> None:
    h = await rt.start(Secretive())

    def broken(server: Secretive) -> None:
        raise KeyError("oops")

    with pytest.raises(KeyError, match="oops"):
        await h.replace_state(broken)
    with pytest.raises(TypeError, match="plain"):
        await h.replace_state(lambda _: anyio.sleep(0))
    assert h.is_alive
    assert (await h.call("count"))[0] == 0


async def test_state_requests_to_a_dead_server_raise_noproc(rt: TestRuntime) -> None:
    h = await rt.start(Secretive())
    await h.stop()
    with pytest.raises(NoProc):
        await h.get_state()
    with pytest.raises(NoProc):
        await h.replace_state(lambda _: None)


async def test_a_state_request_queued_behind_a_stop_gets_server_exited(rt: TestRuntime) -> None:
    h = await rt.start(Recorder())
    h.cast(StopWith("normal"))
    # on tasks the request is queued before the server runs; a thread may have exited already
    expected = (ServerExited, NoProc) if rt.backend == "threads" else ServerExited
    with pytest.raises(expected):
        await h.get_state()
