"""SIGTERM/SIGINT stop a service run by tasks.run/threads.run in order, on every backend.

Each test runs tests/scripts/signal_service.py in a child Python process, waits until it
prints "ready", sends it a real signal and reads the shutdown from its output.
"""

from __future__ import annotations

import math
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import anyio
import pytest

from spawned import GenServer, SignalShutdown, tasks, threads
from spawned.testing import BACKENDS

T = TypeVar("T")

SERVICE = Path(__file__).parent / "scripts" / "signal_service.py"
ORDERED = ["terminate last shutdown", "terminate second shutdown", "terminate first shutdown"]


def signalled(backend: str, mode: str, signum: int) -> tuple[int, list[str], str]:
    """Run the service, signal it once it is ready; its exit status, stdout lines, stderr."""
    child = subprocess.Popen(  # noqa: S603 - our own script
        [sys.executable, str(SERVICE), backend, mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "ready\n"
        child.send_signal(signum)
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    return child.returncode, out.splitlines(), err


@pytest.mark.parametrize("backend", BACKENDS)
def test_sigterm_stops_the_tree_in_order_and_exits_zero(backend: str) -> None:
    status, lines, err = signalled(backend, "default", signal.SIGTERM)
    assert (status, lines) == (0, ORDERED), err
    assert "received SIGTERM; shutting down 4 processes" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("backend", BACKENDS)
def test_sigint_stops_the_tree_in_order_and_exits_130(backend: str) -> None:
    status, lines, err = signalled(backend, "default", signal.SIGINT)
    assert (status, lines) == (130, ORDERED), err
    assert "received SIGINT; shutting down 4 processes" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("backend", BACKENDS)
def test_without_handle_signals_sigterm_ends_the_process_at_once(backend: str) -> None:
    status, lines, _ = signalled(backend, "off", signal.SIGTERM)
    assert (status, lines) == (-signal.SIGTERM, [])


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_shutdown_past_its_timeout_kills_and_names_the_stragglers(backend: str) -> None:
    status, lines, err = signalled(backend, "stuck", signal.SIGTERM)
    assert status == 0, err
    assert lines == ["stuck terminating"]  # killed before the others: a kill runs no terminate
    assert "received SIGTERM; shutting down 5 processes" in err
    assert "shutdown still running after 0.5 s; killing " in err
    assert "'stuck'" in err


def _run(backend: str, main: Callable[[], T], **options: Any) -> T:
    """``main()`` (plain) under ``backend``'s ``run``."""
    if backend == "threads":
        return threads.run(main, **options)

    async def async_main() -> T:
        return main()

    return tasks.run(async_main, backend=backend, **options)


@pytest.mark.parametrize("backend", BACKENDS)
def test_run_catches_the_signals_while_main_runs_and_then_puts_the_previous_handlers_back(
    backend: str,
) -> None:
    def mine(signum: int, frame: FrameType | None) -> None:
        pass

    before = signal.signal(signal.SIGTERM, mine)
    try:
        during = _run(backend, lambda: signal.getsignal(signal.SIGTERM))
        assert during is not mine
        assert signal.getsignal(signal.SIGTERM) is mine
        assert _run(backend, lambda: signal.getsignal(signal.SIGTERM), handle_signals=False) is mine
    finally:
        signal.signal(signal.SIGTERM, before)


@pytest.mark.parametrize("backend", BACKENDS)
def test_off_the_main_thread_run_leaves_signals_alone(backend: str) -> None:
    seen: list[object] = []
    worker = threading.Thread(target=lambda: seen.append(_run(backend, lambda: "done")))
    worker.start()
    worker.join(30)
    assert seen == ["done"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("timeout", [-1.0, math.nan])
def test_a_bad_shutdown_timeout_is_refused_before_anything_runs(backend: str, timeout: float) -> None:
    ran: list[bool] = []
    with pytest.raises(ValueError, match="shutdown_timeout must be a number of seconds >= 0"):
        _run(backend, lambda: ran.append(True), shutdown_timeout=timeout)
    assert not ran


def test_signal_shutdown_is_a_system_exit_with_the_status_service_managers_expect() -> None:
    assert SignalShutdown(signal.SIGTERM).code == 0
    assert SignalShutdown(signal.SIGINT).code == 130
    assert SignalShutdown(signal.SIGINT).signal is signal.SIGINT
    assert isinstance(SignalShutdown(signal.SIGTERM), SystemExit)


class Trapping(GenServer):
    def __init__(self, name: str, stopped: list[str]) -> None:
        self.name = name
        self.stopped = stopped

    def init(self) -> None:
        self.trap_exits = True

    def terminate(self, reason: object) -> None:
        self.stopped.append(f"{self.name} {reason}")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_runtime_you_hold_serves_main_until_a_signal(backend: str) -> None:
    stopped: list[str] = []
    if backend == "threads":
        with threads.Runtime() as rt:
            rt.start(Trapping("a", stopped))
            rt.start(Trapping("b", stopped))

            def main() -> None:
                signal.raise_signal(signal.SIGTERM)
                threading.Event().wait(30)

            with pytest.raises(SignalShutdown) as raised:
                rt.serve(main)
            assert rt.processes() == []
            ended = raised.value
    else:

        async def body() -> SignalShutdown:
            async with tasks.Runtime() as rt:
                await rt.start(Trapping("a", stopped))
                await rt.start(Trapping("b", stopped))

                async def main() -> None:
                    signal.raise_signal(signal.SIGTERM)
                    await anyio.sleep_forever()

                with pytest.raises(SignalShutdown) as raised:
                    await rt.serve(main)
                assert rt.processes() == []
                return raised.value

        ended = anyio.run(body, backend=backend)
    assert stopped == ["b shutdown", "a shutdown"]
    assert (ended.signal, ended.code) == (signal.SIGTERM, 0)
