"""SIGTERM/SIGINT stop a service run by tasks.run/threads.run in order, on every backend.

Each test runs tests/scripts/signal_service.py in a child Python process, waits until it
prints "ready", sends it a real signal and reads the shutdown from its output.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from spawned.testing import BACKENDS

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
