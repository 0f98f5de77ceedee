"""The runtime's root supervisor: every top-level process is its child; closing shuts the tree."""

from __future__ import annotations

import threading

import pytest
from servers import Crash, InitWith, Recorder
from sup_servers import Tracked

from spawned import Caller, ChildSpec, GenServer, InitFailed, Reply, Restart, Stop, Supervisor, tasks, threads
from spawned.testing import open_test_runtime


def _spawned_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("spawned ")]


async def test_closing_shuts_a_tree_down_in_reverse_start_order(spawned_backend: str) -> None:
    log: list[object] = []
    async with open_test_runtime(spawned_backend) as rt:  # type: ignore[arg-type]
        await rt.start(Tracked(log, "first"))
        inner = Supervisor([ChildSpec(i, lambda i=i: Tracked(log, i)) for i in ("x", "y")])
        await rt.start(
            Supervisor([ChildSpec("a", lambda: Tracked(log, "a")), ChildSpec("in", lambda: inner)])
        )
        await rt.start(Tracked(log, "last"))
        log.clear()
    assert log == [
        ("stop", "last", "shutdown"),
        ("stop", "y", "shutdown"),
        ("stop", "x", "shutdown"),
        ("stop", "a", "shutdown"),
        ("stop", "first", "shutdown"),
    ]
    assert not rt.runtime.live
    assert _spawned_threads() == []


async def test_top_level_processes_are_temporary_children_of_the_root(spawned_backend: str) -> None:
    async with open_test_runtime(spawned_backend) as rt:  # type: ignore[arg-type]
        h = await rt.start(Recorder())
        root = rt.runtime.root
        assert h.handle._process in root.links
        h.cast(Crash())
        await h.join()
        again = await rt.start(Recorder())
        assert again.is_alive
        assert not h.is_alive
        assert len(root.server.state.children) == 1


async def test_two_runtimes_never_see_each_others_names(spawned_backend: str) -> None:
    async with open_test_runtime(spawned_backend) as one, open_test_runtime(spawned_backend) as two:  # type: ignore[arg-type]
        mine = await one.start(Recorder(), name="shared")
        theirs = await two.start(Recorder(), name="shared")
        assert one.whereis("shared") == mine
        assert two.whereis("shared") == theirs
        assert mine != theirs


async def test_the_root_records_top_level_children_as_they_start_and_exit(spawned_backend: str) -> None:
    async with open_test_runtime(spawned_backend) as rt:  # type: ignore[arg-type]
        root = rt.runtime.root
        with pytest.raises(InitFailed):
            await rt.start(InitWith(Stop("no")))
        assert root.server.state.children == ()
        first = await rt.start(Recorder())
        second = await rt.start(Supervisor([]))
        children = root.server.state.children
        assert [c.process for c in children] == [first.handle._process, second.handle._process]
        assert [c.kind for c in children] == ["worker", "supervisor"]
        assert all(c.spec.restart is Restart.TEMPORARY for c in children)
        await first.stop()
        assert [c.process for c in root.server.state.children] == [second.handle._process]
        assert root.alive


class Tagged(GenServer):
    """Traps exits and records its terminate; on a call, starts an unlinked Tagged "B"."""

    trap_exits = True

    def __init__(self, tag: str, order: list[object]) -> None:
        self.tag = tag
        self.order = order

    def handle_call(self, msg: object, caller: Caller[object]) -> Reply[object]:
        threads.start(Tagged("B", self.order))
        return Reply(None)

    def terminate(self, reason: object) -> None:
        self.order.append((self.tag, reason))


class AsyncTagged(Tagged):
    async def handle_call(self, msg: object, caller: Caller[object]) -> Reply[object]:  # type: ignore[override]
        await tasks.start(AsyncTagged("B", self.order))
        return Reply(None)


async def test_runtime_close_is_in_reverse_start_order_across_unlinked_processes(spawned_backend) -> None:
    order: list[object] = []
    kind = Tagged if spawned_backend == "threads" else AsyncTagged
    async with open_test_runtime(spawned_backend) as runtime:
        a = await runtime.start(kind("A", order))
        await a.call("start B")
        await runtime.start(kind("C", order))
    assert order == [("C", "shutdown"), ("B", "shutdown"), ("A", "shutdown")]
