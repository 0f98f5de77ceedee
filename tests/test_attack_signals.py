"""Attacks on the signal shutdown of ``tasks.run``/``threads.run``/``Runtime.serve``.

Written by an adversarial review; each case that exposes a bug is ``xfail(strict=True)``.
Signals are raised in this process with ``signal.raise_signal`` while ``run`` has its
handlers in place, so nothing outlives a test; a wait that a missed signal would leave
running is bounded and returns normally, so the test fails instead of hanging.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

import anyio
import pytest
from loguru import logger

from spawned import Caller, GenServer, Reply, SignalShutdown, tasks, threads
from spawned.testing import BACKENDS

LIMIT = 20
STUCK = 12
MISSED = 3
"""How long a main waits for a signal that is due at once before it gives up."""
"""How long a stuck ``terminate`` stays stuck unless released (more than the 5 s the
threads runtime waits for a thread, twice)."""


class Stopping(GenServer):
    """Traps exits and records its ``terminate``; raises SIGTERM in ``init`` or in a call
    when asked.
    """

    def __init__(self, log: list[object], *, signal_in_init: bool = False) -> None:
        self.log = log
        self.signal_in_init = signal_in_init

    def init(self) -> None:
        self.trap_exits = True
        if self.signal_in_init:
            signal.raise_signal(signal.SIGTERM)

    def handle_call(self, msg: object, caller: Caller[Any]) -> Reply[str]:
        signal.raise_signal(signal.SIGTERM)
        return Reply("answered")

    def terminate(self, reason: object) -> None:
        self.log.append(("terminate", reason))


def run_until_signal(backend: str, log: list[object], *, in_init: bool, call: bool) -> SignalShutdown:
    """``run`` a main that starts a ``Stopping`` and maybe calls it, then waits (bounded)."""
    if backend == "threads":

        def main_threads() -> None:
            h = threads.start(Stopping(log, signal_in_init=in_init))
            log.append("started")
            if call:
                log.append(h.call("x"))
            threading.Event().wait(LIMIT)

        with pytest.raises(SignalShutdown) as raised:
            threads.run(main_threads, shutdown_timeout=LIMIT)
        return raised.value

    async def main_tasks() -> None:
        h = await tasks.start(Stopping(log, signal_in_init=in_init))
        log.append("started")
        if call:
            log.append(await h.call("x"))
        await anyio.sleep(LIMIT)

    with pytest.raises(SignalShutdown) as raised:
        tasks.run(main_tasks, backend=backend, shutdown_timeout=LIMIT)
    return raised.value


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_signal_during_the_first_start_still_stops_that_process_in_order(backend: str) -> None:
    log: list[object] = []
    stop = run_until_signal(backend, log, in_init=True, call=False)
    assert stop.code == 0
    assert log[-1] == ("terminate", "shutdown")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_signal_while_main_is_inside_a_call_stops_the_callee_in_order(backend: str) -> None:
    log: list[object] = []
    stop = run_until_signal(backend, log, in_init=False, call=True)
    assert stop.code == 0
    assert log[-1] == ("terminate", "shutdown")
    assert log.count(("terminate", "shutdown")) == 1


def nested_serve(backend: str, log: list[object]) -> None:
    """``run`` whose main first serves a short inner main on its runtime, then starts a
    server and raises SIGTERM; a missed signal lets main return after ``MISSED`` seconds.
    """
    if backend == "threads":

        def main_threads() -> None:
            with threads.Runtime() as inner:
                log.append(("inner", inner.serve(lambda: 1)))
            threads.start(Stopping(log))
            signal.raise_signal(signal.SIGTERM)
            threading.Event().wait(MISSED)

        threads.run(main_threads)
        return

    async def main_tasks() -> None:
        async with tasks.Runtime() as inner:

            async def one() -> int:
                return 1

            log.append(("inner", await inner.serve(one)))
        await tasks.start(Stopping(log))
        signal.raise_signal(signal.SIGTERM)
        await anyio.sleep(MISSED)

    tasks.run(main_tasks, backend=backend)


@pytest.mark.parametrize(
    "backend",
    ["asyncio", "trio", "threads"],
)
def test_a_serve_nested_inside_run_leaves_the_outer_run_catching_sigterm(backend: str) -> None:
    log: list[object] = []
    with pytest.raises(SignalShutdown):
        nested_serve(backend, log)
    assert log == [("inner", 1), ("terminate", "shutdown")]


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_a_signal_during_a_nested_serve_is_caught_by_the_outermost(backend: str) -> None:
    """A nested ``serve`` leaves signals to the outer one: SIGTERM cancels the outer main,
    the inner runtime's block shuts its processes down, and ``run`` raises ``SignalShutdown``.
    """
    log: list[object] = []

    async def main() -> None:
        async with tasks.Runtime() as inner:
            await inner.start(Stopping(log))

            async def inner_main() -> None:
                signal.raise_signal(signal.SIGTERM)
                await anyio.sleep(MISSED)
                log.append("missed")

            await inner.serve(inner_main)

    with pytest.raises(SignalShutdown):
        tasks.run(main, backend=backend)
    assert log == [("terminate", "shutdown")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_serve_twice_in_a_row_on_one_runtime_catches_the_second_signal(backend: str) -> None:
    log: list[object] = []
    if backend == "threads":
        with threads.Runtime() as rt:
            assert rt.serve(lambda: 1) == 1
            rt.start(Stopping(log))

            def main() -> None:
                signal.raise_signal(signal.SIGTERM)
                threading.Event().wait(LIMIT)

            with pytest.raises(SignalShutdown):
                rt.serve(main)
    else:

        async def body() -> None:
            async with tasks.Runtime() as rt:

                async def one() -> int:
                    return 1

                assert await rt.serve(one) == 1
                await rt.start(Stopping(log))

                async def main() -> None:
                    signal.raise_signal(signal.SIGTERM)
                    await anyio.sleep(LIMIT)

                with pytest.raises(SignalShutdown):
                    await rt.serve(main)

        anyio.run(body, backend=backend)
    assert log == [("terminate", "shutdown")]


class StuckTerminate(GenServer):
    """A plain ``def terminate`` stuck on I/O (a dead database): it blocks until ``release``
    is set, or ``seconds``; ``released`` records whether it was released.
    """

    def __init__(self, release: threading.Event, seconds: float = STUCK) -> None:
        self.release = release
        self.seconds = seconds
        self.released: list[bool] = []

    def init(self) -> None:
        self.trap_exits = True

    def terminate(self, reason: object) -> None:
        self.released.append(self.release.wait(self.seconds))


class StuckAsyncTerminate(GenServer):
    """An ``async def terminate`` stuck awaiting: the deadline's kill cancels it."""

    def init(self) -> None:
        self.trap_exits = True

    async def terminate(self, reason: object) -> None:
        await anyio.sleep(STUCK)


def straggler_logs(backend: str, server: GenServer, sink: Any) -> None:
    """``run`` a main that starts ``server`` and raises SIGTERM, with ``sink`` on ERROR and
    WARNING logs and a ``shutdown_timeout`` of 0.05 s.
    """
    sink_id = logger.add(sink, level="WARNING", format="{level} {message}")
    try:
        if backend == "threads":

            def main_threads() -> None:
                threads.start(server)
                signal.raise_signal(signal.SIGTERM)
                threading.Event().wait(LIMIT)

            with pytest.raises(SignalShutdown):
                threads.run(main_threads, shutdown_timeout=0.05)
            return

        async def main_tasks() -> None:
            await tasks.start(server)
            signal.raise_signal(signal.SIGTERM)
            await anyio.sleep(LIMIT)

        with pytest.raises(SignalShutdown):
            tasks.run(main_tasks, backend=backend, shutdown_timeout=0.05)
    finally:
        logger.remove(sink_id)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_a_terminate_blocking_the_loop_is_named_at_the_shutdown_deadline(backend: str) -> None:
    """shutdown.md: processes still running at ``shutdown_timeout`` ("a terminate stuck on
    a dead database, say") are named in an error log and killed.
    """
    named = threading.Event()

    def sink(message: Any) -> None:
        if "killing" in str(message):
            named.set()

    server = StuckTerminate(named, seconds=3)
    straggler_logs(backend, server, sink)
    assert server.released == [True]


def test_a_blocking_terminate_on_threads_is_named_at_the_shutdown_deadline() -> None:
    named = threading.Event()

    def sink(message: Any) -> None:
        if "killing" in str(message):
            named.set()

    server = StuckTerminate(named)
    straggler_logs("threads", server, sink)
    assert server.released == [True]


@pytest.mark.parametrize(
    "server", [pytest.param("threads", id="threads"), pytest.param("asyncio", id="asyncio")]
)
def test_the_straggler_log_names_only_the_users_processes(server: str) -> None:
    errors: list[str] = []
    release = threading.Event()

    def sink(message: Any) -> None:
        if str(message).startswith("ERROR"):
            errors.append(str(message).strip())
            release.set()

    straggler_logs(server, StuckTerminate(release) if server == "threads" else StuckAsyncTerminate(), sink)
    label = "StuckTerminate#2" if server == "threads" else "StuckAsyncTerminate#2"
    assert errors == [f"ERROR shutdown still running after 0.05 s; killing 1 process: {label}"]


def test_a_thread_left_behind_at_a_signal_shutdown_is_waited_for_and_warned_about_once() -> None:
    left_behind: list[str] = []
    release = threading.Event()

    def sink(message: Any) -> None:
        if "left behind" in str(message):
            left_behind.append(str(message))

    try:
        straggler_logs("threads", StuckTerminate(release), sink)
    finally:
        release.set()
    assert len(left_behind) == 1
