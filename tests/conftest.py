from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from loguru import logger

from spawned.testing import TestRuntime

CLUSTER_EXTRA = all(importlib.util.find_spec(name) is not None for name in ("nats", "msgspec"))
collect_ignore_glob = [] if CLUSTER_EXTRA else ["cluster/*"]  # without spawned[cluster]


@pytest.fixture
def rt(spawned_runtime: TestRuntime) -> TestRuntime:
    """The suite's short name for spawned's per-backend runtime fixture."""
    return spawned_runtime


class LogCapture:
    """Collects loguru records (the library never adds sinks; a test may)."""

    def __init__(self) -> None:
        self.records: list[dict[str, object]] = []

    def write(self, message: object) -> None:
        self.records.append(message.record)  # type: ignore[attr-defined]

    def messages(self, level: str | None = None) -> list[str]:
        return [
            str(r["message"])
            for r in self.records
            if level is None or r["level"].name == level  # type: ignore[union-attr]
        ]


@pytest.fixture
def logs() -> Iterator[LogCapture]:
    capture = LogCapture()
    sink = logger.add(capture.write, level="DEBUG", format="{message}", catch=False)
    try:
        yield capture
    finally:
        logger.remove(sink)


def _children() -> list[str]:
    """The live child processes of this pytest process (nats-server, node subprocesses)."""
    found: list[str] = []
    me = str(os.getpid())
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if fields[1] == me and fields[0] != "Z":
            found.append(f"{stat.parent.name}: {cmdline}")
    return found


@pytest.fixture(autouse=True, scope="session")
def _no_subprocess_left_behind() -> Iterator[None]:
    """The tests leave no nats-server or node subprocess running (checked once, at the end:
    a module's cluster tests share one server and node).
    """
    yield
    assert _children() == [], "the tests left a subprocess running"
