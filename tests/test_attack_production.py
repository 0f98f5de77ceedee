"""Attacks on the production features: exit signals, introspection, crash reports, fan-out.

Written by an adversarial review; each case that exposes a bug is ``xfail(strict=True)``.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from conftest import LogCapture
from servers import Get, Ping, Recorder

from spawned import (
    Caller,
    CallResult,
    ChildSpec,
    Continue,
    Exit,
    GenServer,
    NoProc,
    Reply,
    ServerExited,
    Status,
    Supervisor,
    tasks,
    threads,
)
from spawned.testing import BACKENDS, TestRuntime

LIMIT = 20


class Trapper(GenServer):
    """Traps exits and records every info message."""

    def init(self) -> None:
        self.trap_exits = True
        self.infos: list[object] = []

    def handle_info(self, msg: object) -> None:
        self.infos.append(msg)

    def handle_call(self, msg: object, caller: Caller[Any]) -> Reply[list[object]]:
        return Reply(list(self.infos))


class Unprintable(Exception):
    """An exception whose ``str`` and ``repr`` raise."""

    def __str__(self) -> str:
        raise RuntimeError("no str for you")

    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


class CrashesUnprintably(GenServer):
    def handle_cast(self, msg: object) -> None:
        raise Unprintable


class ThenCrash(GenServer):
    """Replies, then crashes in the ``handle_continue`` the reply asked for."""

    def handle_call(self, msg: object, caller: Caller[Any]) -> Reply[str]:
        return Reply("answered", then=Continue("boom"))

    def handle_continue(self, arg: object) -> None:
        raise ValueError(arg)


class BadStatus(GenServer):
    """A ``format_status`` that raises."""

    def init(self) -> None:
        self.secret = "s3cret"  # noqa: S105 - a test secret, to be hidden

    def format_status(self, status: Status) -> Status:
        raise RuntimeError("format_status broke")


# -- exit signals -----------------------------------------------------------------------------


async def test_exit_killed_is_an_ordinary_trappable_reason(rt: TestRuntime) -> None:
    """OTP: only ``kill`` is untrappable; ``exit(Pid, killed)`` is an ordinary reason."""
    with anyio.fail_after(LIMIT):
        h = await rt.start(Trapper())
        h.exit("killed")
        infos = await h.call("infos")
        assert infos == [Exit(None, "killed")]
        assert h.is_alive


async def test_exit_killed_takes_a_non_trapping_process_down_with_killed(rt: TestRuntime) -> None:
    with anyio.fail_after(LIMIT):
        h = await rt.start(Recorder())
        h.exit("killed")
        assert await h.join() == "killed"


async def test_exit_kill_to_a_supervisor_kills_it_and_its_children_go_with_it(rt: TestRuntime) -> None:
    with anyio.fail_after(LIMIT):
        sup = await rt.start(Supervisor([ChildSpec("w", Recorder), ChildSpec("t", Trapper)]))
        children = [c.handle for c in await sup.which_children()]
        sup.exit("kill")
        assert await sup.join() == "killed"
        for child in children:
            assert child is not None
            await rt.wrap(child).join()
            assert not child.is_alive


async def test_a_supervisor_ignores_exit_shutdown_from_outside_any_process(rt: TestRuntime) -> None:
    """OTP's supervisor ignores an ``'EXIT'`` from a process that is neither parent nor child."""
    with anyio.fail_after(LIMIT):
        sup = await rt.start(Supervisor([ChildSpec("w", Recorder)]))
        sup.exit("shutdown")
        assert [c.id for c in await sup.which_children()] == ["w"]
        assert sup.is_alive


async def test_a_supervisor_ignores_the_crash_of_a_linked_process_that_is_not_its_child(
    rt: TestRuntime,
) -> None:
    """OTP's supervisor restarts only its children; the ``'EXIT'`` of another linked
    process is ignored.
    """

    class LinksAndCrashes(GenServer):
        def handle_call(self, msg: Any, caller: Caller[Any]) -> Reply[None]:
            self.link(msg)
            return Reply(None)

        def handle_cast(self, msg: object) -> None:
            raise ValueError(msg)

    with anyio.fail_after(LIMIT):
        sup = await rt.start(Supervisor([ChildSpec("w", Recorder)]))
        [before] = [c.handle for c in await sup.which_children()]
        other = await rt.start(LinksAndCrashes())
        await other.call(sup.handle)
        other.cast("boom")
        assert isinstance(await other.join(), ValueError)
        assert [c.handle for c in await sup.which_children()] == [before]
        assert sup.is_alive


async def test_a_trapping_server_signalling_itself_normal_gets_the_message(rt: TestRuntime) -> None:
    """OTP: ``exit(self(), normal)`` in a trapping process is a message, not an exit."""

    class SelfNormal(Trapper):
        def handle_cast(self, msg: object) -> None:
            self.handle.exit("normal")

    with anyio.fail_after(LIMIT):
        h = await rt.start(SelfNormal())
        h.cast("go")
        await h.call("infos")  # queued before the signal the cast sends
        infos = await h.call("infos")
        assert infos == [Exit(h.handle, "normal")]
        assert h.is_alive


async def test_an_exit_signal_to_a_dead_process_is_ignored(rt: TestRuntime) -> None:
    with anyio.fail_after(LIMIT):
        h = await rt.start(Recorder())
        await h.stop()
        h.exit("kill")
        h.exit("boom")
        assert await h.join() == "normal"


# -- Reply then Continue, crash reports ----------------------------------------------------


async def test_a_crash_in_the_continue_after_a_reply_reaches_the_caller_first(
    rt: TestRuntime, logs: LogCapture
) -> None:
    with anyio.fail_after(LIMIT):
        h = await rt.start(ThenCrash())
        assert await h.call("x") == "answered"
        reason = await h.join()
        assert isinstance(reason, ValueError)
        assert reason.args == ("boom",)
        [report] = logs.messages("ERROR")
        assert "ValueError" in report


class CallCrash(GenServer):
    def handle_call(self, msg: object, caller: Caller[Any]) -> Reply[None]:
        raise Unprintable


def unprintable_crash(backend: str) -> tuple[object, object]:
    """On a runtime of its own (so nothing escapes into a fixture's teardown): the reason a
    server crashing with ``Unprintable`` in a cast exits with, and the error a call to
    another one crashing so raises.
    """

    def check(error: BaseException) -> object:
        return error.reason if isinstance(error, ServerExited) else error

    if backend == "threads":
        with threads.Runtime() as trt:
            crasher = trt.start(CrashesUnprintably())
            crasher.cast("go")
            joined = crasher.join()
            try:
                trt.start(CallCrash()).call("x")
            except Exception as error:
                return joined, check(error)
            return joined, None

    async def body() -> tuple[object, object]:
        with anyio.fail_after(LIMIT):
            async with tasks.Runtime() as art:
                h = await art.start(CrashesUnprintably())
                h.cast("go")
                joined = await h.join()
                try:
                    await (await art.start(CallCrash())).call("x")
                except Exception as error:
                    return joined, check(error)
                return joined, None

    try:
        return anyio.run(body, backend=backend)
    except Exception as error:  # the runtime itself failed: report that
        return error, error


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_exception_whose_str_raises_is_still_the_exit_reason(backend: str) -> None:
    joined, raised = unprintable_crash(backend)
    assert isinstance(joined, Unprintable)
    assert isinstance(raised, Unprintable)


# -- get_state / replace_state -------------------------------------------------------------


async def test_get_state_with_a_failing_format_status_hides_the_state(rt: TestRuntime) -> None:
    """format_status's doc: when it raises, reports hide the state; get_state must not leak it
    (nor crash the server).
    """
    with anyio.fail_after(LIMIT):
        h = await rt.start(BadStatus())
        try:
            state = await h.get_state()
        except Exception:
            state = None
        assert "s3cret" not in repr(state)
        assert h.is_alive


async def test_replace_state_can_stop_nothing_and_a_dead_server_refuses_it(rt: TestRuntime) -> None:
    with anyio.fail_after(LIMIT):
        h = await rt.start(Recorder())
        assert await h.replace_state(lambda s: s) is not None
        await h.stop()
        with pytest.raises(NoProc):
            await h.replace_state(lambda s: s)


# -- multi_call / abcast -------------------------------------------------------------------


async def test_multi_call_with_duplicates_and_dead_members_answers_each_once_in_order(
    rt: TestRuntime,
) -> None:
    with anyio.fail_after(LIMIT):
        a = await rt.start(Recorder(), name="a")
        dead = await rt.start(Recorder())
        await dead.stop()
        results: list[CallResult[Any]] = await rt.multi_call([a, "a", dead, a, "nobody"], Ping())
        assert [r.value for r in results] == ["pong", "pong", None, "pong", None]
        assert [type(r.error) for r in results] == [type(None), type(None), NoProc, type(None), NoProc]


async def test_multi_call_over_a_thousand_members(rt: TestRuntime) -> None:
    with anyio.fail_after(LIMIT):
        servers = [await rt.start(Recorder()) for _ in range(20)]
        targets = servers * 50
        results = await rt.multi_call(targets, ("echo", 1), timeout=LIMIT)
        assert len(results) == 1000
        assert all(r.value == 1 for r in results)
        rt.abcast(targets, "hello")
        assert await servers[0].call(Get()) == [("cast", "hello")] * 50
