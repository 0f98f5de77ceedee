"""runtime.processes() and runtime.tree(): what is running, as a person debugging sees it."""

from __future__ import annotations

from servers import Get, Recorder

from spawned.testing import TestRuntime


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
