"""The threads backend's own warnings (a thread left behind at close) name their server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import LogCapture

import spawned._supervisor_logic
import spawned._supervisor_process
import spawned.threads._listeners
import spawned.threads._runtime
from spawned import GenServer, threads


class Stuck:
    """An iterator whose first item never comes until ``release`` is set."""

    def __init__(self, release: threading.Event) -> None:
        self.release = release

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        self.release.wait(10)
        raise StopIteration


class Listens(GenServer):
    def __init__(self, stream: object) -> None:
        self.stream = stream

    def init(self) -> None:
        self.listen(self.stream)


class Busy(GenServer):
    """Its cast blocks its thread until ``release`` is set."""

    def __init__(self, entered: threading.Event, release: threading.Event) -> None:
        self.entered = entered
        self.release = release

    def handle_cast(self, msg: Any) -> None:
        self.entered.set()
        self.release.wait(10)


@pytest.fixture
def short_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shutdown and close waits of 50 ms instead of 5 s, so the warnings come at once."""
    monkeypatch.setattr(spawned.threads._listeners, "CLOSE_TIMEOUT", 0.05)
    monkeypatch.setattr(spawned.threads._runtime, "DEFAULT_SHUTDOWN", 0.05)
    monkeypatch.setattr(spawned._supervisor_process, "DEFAULT_SHUTDOWN", 0.05)
    monkeypatch.setattr(spawned._supervisor_logic, "DEFAULT_SHUTDOWN", 0.05)


@pytest.mark.usefixtures("short_waits")
def test_a_listener_blocked_in_its_stream_names_its_server(logs: LogCapture) -> None:
    release = threading.Event()
    try:
        with threads.Runtime() as rt:
            rt.start(Listens(Stuck(release)), name="feed")
    finally:
        release.set()
    [record] = [r for r in logs.records if "blocked in its stream" in str(r["message"])]
    assert record["extra"]["server"] == "Listens 'feed'"  # type: ignore[index]


@pytest.mark.usefixtures("short_waits")
def test_a_callback_still_running_after_shutdown_names_its_server(logs: LogCapture) -> None:
    entered, release = threading.Event(), threading.Event()
    try:
        with threads.Runtime() as rt:
            busy = rt.start(Busy(entered, release), name="busy")
            busy.cast("work")
            assert entered.wait(10)
    finally:
        release.set()
    [record] = [r for r in logs.records if "still running a callback" in str(r["message"])]
    assert record["extra"]["server"] == "Busy 'busy'"  # type: ignore[index]
    assert str(record["message"]).startswith("Busy 'busy' is still running a callback")


@pytest.mark.usefixtures("short_waits")
def test_a_listener_left_behind_is_warned_about_once_over_two_shutdowns(logs: LogCapture) -> None:
    """A second shutdown (``serve``'s, then leaving the runtime) neither waits for nor warns
    about a listener thread the first one left behind.
    """
    release = threading.Event()
    try:
        with threads.Runtime() as rt:
            rt.start(Listens(Stuck(release)), name="feed")
            rt.shutdown()
    finally:
        release.set()
    assert len([r for r in logs.records if "blocked in its stream" in str(r["message"])]) == 1
