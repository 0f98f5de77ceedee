"""Adversarial review of spawned.sim: what could make the same seed give another trace."""

from __future__ import annotations

from typing import Any

from spawned import Caller, GenServer, Reply, sim
from tests.servers import Recorder


class Watching(GenServer):
    """Monitors what it is sent and answers with the reference (Refs reach the trace)."""

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        return Reply(("watching", self.monitor(msg)))

    def handle_info(self, msg: Any) -> None:
        del msg


async def _refs(s: sim.Sim) -> None:
    target = await s.node("main").start(Recorder())
    watcher = await s.node("main").start(Watching())
    await watcher.call(target)
    await watcher.call(target)
    await target.stop()


def test_monitor_refs_in_the_trace_are_numbered_per_run() -> None:
    # A Ref's number came from one counter for the whole interpreter: the second run of the
    # same seed showed <Ref 3> where the first showed <Ref 1>.
    first = sim.run(_refs, seed=3).trace_text()
    second = sim.run(_refs, seed=3).trace_text()
    assert "<Ref 1>" in first
    assert first == second


class Blob:
    """A message with Python's default repr, which shows the object's address."""


async def _blobs(s: sim.Sim) -> None:
    target = await s.node("main").start(Recorder())
    target.cast(Blob())
    await target.call(("echo", Blob()))


def test_the_trace_shows_no_memory_address() -> None:
    # The trace promises the same bytes in another interpreter; a default repr
    # ("<Blob object at 0x7f...>") differs from run to run.
    text = sim.run(_blobs, seed=1).trace_text()
    assert "Blob object" in text
    assert " at 0x" not in text
