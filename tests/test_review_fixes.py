"""Regressions found in review: each test failed before its fix, on every backend."""

from __future__ import annotations

from typing import Any

import pytest
from servers import Recorder

from spawned import Caller, CallingSelf, Continue, GenServer, Reply, ServerExited, Stop
from spawned.testing import TestRuntime


class StopsWithoutReply(GenServer):
    def handle_call(self, msg: object, caller: Caller[object]) -> Stop:
        return Stop("boom")


async def test_stop_without_reply_fails_the_caller_with_server_exited(rt: TestRuntime) -> None:
    h = await rt.start(StopsWithoutReply())
    with pytest.raises(ServerExited) as info:
        await h.call("go")
    assert info.value.reason == "boom"


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
            self.handle.join()  # pyright: ignore[reportAttributeAccessIssue]
        except CallingSelf:
            return Reply("refused")
        return Reply("joined")


class AsyncJoinsItself(GenServer):
    """Joins itself from handle_call (`async def`: the tasks shape)."""

    async def handle_call(self, msg: object, caller: Caller[object]) -> Reply[object]:
        try:
            await self.handle.join()  # pyright: ignore[reportAttributeAccessIssue]
        except CallingSelf:
            return Reply("refused")
        return Reply("joined")


async def test_joining_yourself_raises_calling_self(rt: TestRuntime) -> None:
    h = await rt.start(JoinsItself() if rt.backend == "threads" else AsyncJoinsItself())
    assert await h.call("go") == "refused"
    assert await rt.start(Recorder())  # the runtime is unaffected
