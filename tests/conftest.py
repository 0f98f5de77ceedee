from __future__ import annotations

from collections.abc import Iterator

import pytest
from loguru import logger

from spawned.testing import TestRuntime


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
