"""What differs on threads by design: async callbacks refused; kill at the next boundary."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import LogCapture
from loguru import logger
from servers import Blocker, Get, Ping, Recorder, Watcher

from spawned import ChildSpec, Exit, GenServer, NoProc, ServerExited, Stop, Strategy, Supervisor, threads
from spawned.threads import _listeners, _runtime


class AsyncServer(GenServer):
    async def init(self) -> None:
        pass

    async def handle_cast(self, msg: object) -> None:
        pass


def test_async_callbacks_are_refused_at_start_with_a_clear_error() -> None:
    with threads.Runtime() as rt, pytest.raises(TypeError) as info:
        rt.start(AsyncServer())
    text = str(info.value)
    assert "AsyncServer has async callbacks (init, handle_cast)" in text
    assert "plain `def`" in text


def test_kill_marks_dead_at_once_and_the_thread_stops_at_the_next_boundary() -> None:
    entered, gate = threading.Event(), threading.Event()
    failures: list[BaseException] = []
    with threads.Runtime() as rt:
        h = rt.start(Blocker(entered, gate), name="blocker")

        def waiting_caller() -> None:
            try:
                h.call("block", timeout=30)
            except ServerExited as exc:
                failures.append(exc)

        caller = threading.Thread(target=waiting_caller)
        caller.start()
        assert entered.wait(5)
        h.kill()
        caller.join(5)  # the waiting caller is answered without the callback finishing
        assert not caller.is_alive()
        assert [f.reason for f in failures] == ["killed"]  # type: ignore[attr-defined]
        assert not h.is_alive
        assert rt.whereis("blocker") is None
        with pytest.raises(NoProc):
            h.call("again")
        assert h.join() == "killed"
        process_thread = h._process.thread  # type: ignore[attr-defined]
        assert process_thread.is_alive()  # still inside the callback
        gate.set()
        process_thread.join(5)
        assert not process_thread.is_alive()


def test_runtime_exit_joins_every_process_thread() -> None:
    with threads.Runtime() as rt:
        handles = [rt.start(Recorder()) for _ in range(5)]
        assert all(h.call(Ping()) == "pong" for h in handles)
    assert not [t for t in threading.enumerate() if t.name.startswith("spawned ")]


def test_module_functions_use_the_runtime_that_run_opened() -> None:
    def main() -> object:
        threads.start(Recorder(), name="rec")
        found = threads.whereis("rec")
        assert found is not None
        return found.call(Ping())

    assert threads.run(main) == "pong"


def test_module_functions_outside_a_runtime_say_what_to_do() -> None:
    with pytest.raises(RuntimeError, match=r"threads\.run\(main\)"):
        threads.start(Recorder())


class Exits(GenServer):
    def handle_cast(self, msg: object) -> None:
        raise SystemExit(3)


def test_a_callback_raising_system_exit_leaves_no_zombie() -> None:
    with threads.Runtime() as rt:
        h = rt.start(Exits(), name="exits")
        h.cast("go")
        reason = h.join()
        assert isinstance(reason, SystemExit)
        assert not h.is_alive
        assert rt.whereis("exits") is None
        with pytest.raises(NoProc):
            h.call("anything")


class LateFailingTerminate(GenServer):
    """Stops on any cast; its terminate waits for a release, then raises."""

    def __init__(self, entered: threading.Event, release: threading.Event) -> None:
        self.entered = entered
        self.release = release

    def handle_cast(self, msg: object) -> Any:
        return Stop("normal")

    def terminate(self, reason: object) -> None:
        self.entered.set()
        self.release.wait(10)
        raise RuntimeError("terminate failed after the kill")


def test_a_process_killed_during_terminate_logs_no_crash_when_terminate_then_raises(
    logs: LogCapture,
) -> None:
    entered, release = threading.Event(), threading.Event()
    with threads.Runtime() as rt:
        h = rt.start(LateFailingTerminate(entered, release))
        h.cast("stop")
        assert entered.wait(5)
        h.kill()  # what a supervisor does when terminate outlives the child's shutdown
        release.set()
        h._process.thread.join(5)  # type: ignore[attr-defined]
        assert h.join() == "killed"
    assert logs.messages("ERROR") == []


class LateLinker(GenServer):
    """On a cast ``(action, handle)``, waits for a release, then links to or monitors ``handle``."""

    def __init__(self, entered: threading.Event, release: threading.Event, done: threading.Event) -> None:
        self.entered = entered
        self.release = release
        self.done = done

    def handle_cast(self, msg: Any) -> None:
        action, handle = msg
        self.entered.set()
        self.release.wait(10)
        try:
            if action == "link":
                self.link(handle)
            else:
                self.monitor(handle)
        finally:
            self.done.set()


def _killed_mid_callback(rt: threads.Runtime, action: str, target: threads.Handle[Any, Any, Any]) -> None:
    """Start a LateLinker, kill it inside its callback, then let the callback ``action`` ``target``."""
    entered, release, done = threading.Event(), threading.Event(), threading.Event()
    linker = rt.start(LateLinker(entered, release, done))
    linker.cast((action, target))
    assert entered.wait(5)
    linker.kill()
    release.set()
    assert done.wait(5)


def test_a_killed_process_still_in_a_callback_links_as_a_dead_process() -> None:
    with threads.Runtime() as rt:
        partner = rt.start(Watcher(trap=True))
        _killed_mid_callback(rt, "link", partner)
        exits = [e for kind, e in partner.call(Get()) if kind == "info"]
        assert [(type(e), e.reason) for e in exits] == [(Exit, "killed")]  # as if linked before it died
        assert not partner._process.links  # no link to a dead process
        plain = rt.start(Recorder())
        _killed_mid_callback(rt, "link", plain)
        assert plain.join() == "killed"


def test_a_killed_process_still_in_a_callback_leaves_no_monitor_behind() -> None:
    with threads.Runtime() as rt:
        target = rt.start(Recorder())
        _killed_mid_callback(rt, "monitor", target)
        assert not target._process.monitors
        assert target.call(Ping()) == "pong"


def test_a_supervisor_killed_during_a_restart_leaves_no_child_alive() -> None:
    entered, release = threading.Event(), threading.Event()
    made: list[GenServer] = []
    starts = {"a": 0, "b": 0}

    class Child(GenServer):
        def __init__(self, child_id: str) -> None:
            self.child_id = child_id

        def init(self) -> None:
            if self.child_id == "a" and starts["a"] > 1:  # a's restart: the supervisor is killed here
                entered.set()
                release.wait(10)

        def handle_cast(self, msg: object) -> None:
            raise ValueError("crash on request")

    def factory(child_id: str) -> Any:
        def make() -> Child:
            starts[child_id] += 1
            child = Child(child_id)
            made.append(child)
            return child

        return make

    with threads.Runtime() as rt:
        specs = [ChildSpec(i, factory(i)) for i in "ab"]
        sup = rt.start(Supervisor(specs, strategy=Strategy.ONE_FOR_ALL))
        b = sup.which_children()[1].handle
        assert b is not None
        b.cast("crash")
        assert entered.wait(5)
        sup.kill()
        release.set()  # the supervisor's callback goes on: a's start fails (a died in init)
        sup._process.thread.join(5)  # type: ignore[attr-defined]
        assert not sup._process.thread.is_alive()  # type: ignore[attr-defined]
        assert starts["a"] == 2
        assert [c for c in made if c.handle.is_alive] == []


class Stuck(GenServer):
    """Its cast blocks its thread until ``release`` is set; it may listen to a stream."""

    def __init__(self, entered: threading.Semaphore, release: threading.Event, stream: object = None) -> None:
        self.entered = entered
        self.release = release
        self.stream = stream

    def init(self) -> None:
        if self.stream is not None:
            self.listen(self.stream)

    def handle_cast(self, msg: object) -> None:
        self.entered.release()
        self.release.wait(10)


def _stuck_stream(entered: threading.Semaphore, release: threading.Event) -> Iterator[object]:
    entered.release()
    release.wait(10)
    yield "late"


def _close_with_three_stuck(monkeypatch: pytest.MonkeyPatch, *, listening: bool) -> list[str]:
    """Close a runtime whose three processes (or their streams) are stuck until the first
    "left behind" warning: joined one after another, the two others would then be joined in
    time; against one deadline, all three are left behind. Returns the warnings.
    """
    monkeypatch.setattr(_runtime, "JOIN_TIMEOUT", 0.05)
    monkeypatch.setattr(_listeners, "CLOSE_TIMEOUT", 0.05)
    entered, release = threading.Semaphore(0), threading.Event()
    warnings: list[str] = []

    def on_warning(message: Any) -> None:
        warnings.append(str(message.record["message"]))
        release.set()

    sink = logger.add(on_warning, level="WARNING", format="{message}", filter="spawned", catch=False)
    try:
        with threads.Runtime() as rt:
            for _ in range(3):
                if listening:
                    rt.start(Stuck(entered, release, _stuck_stream(entered, release)))
                else:
                    rt.start(Stuck(entered, release)).cast("block")
            for _ in range(3):
                assert entered.acquire(timeout=5)
    finally:
        logger.remove(sink)
        release.set()
    return warnings


def test_closing_a_runtime_waits_for_all_stuck_threads_against_one_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warnings = _close_with_three_stuck(monkeypatch, listening=False)
    assert sum("is still running a callback" in w for w in warnings) == 3


def test_closing_a_runtime_waits_for_all_stuck_listeners_against_one_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warnings = _close_with_three_stuck(monkeypatch, listening=True)
    assert sum("is blocked in its stream" in w for w in warnings) == 3
