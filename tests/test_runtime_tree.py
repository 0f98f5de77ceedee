"""The runtime's root supervisor: every top-level process is its child; closing shuts the tree."""

from __future__ import annotations

import threading

from servers import Crash, Recorder
from sup_servers import Tracked

from spawned import ChildSpec, Supervisor
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
