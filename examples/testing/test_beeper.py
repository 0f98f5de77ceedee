"""Waiting for a condition nothing announces, with ``wait_until``.

Run: python -m pytest examples/testing
"""

from __future__ import annotations

from typing import Any

from spawned import GenServer
from spawned.testing import TestRuntime, wait_until


class Beeper(GenServer):
    """Appends "beep" to a list it was given, every 10 ms."""

    def __init__(self, beeps: list[str]) -> None:
        self.beeps = beeps

    def init(self) -> None:
        self.send_interval(0.01, "beep")

    def handle_info(self, msg: Any) -> None:
        self.beeps.append(msg)


async def test_it_beeps(spawned_runtime: TestRuntime) -> None:
    beeps: list[str] = []
    await spawned_runtime.start(Beeper(beeps))
    await wait_until(lambda: len(beeps) >= 3)  # polls; raises TimeoutError after 5 s
    assert set(beeps) == {"beep"}
