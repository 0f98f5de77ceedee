"""Tests of the Counter, written once and run on asyncio, trio and threads.

Run: python -m pytest examples/testing
"""

from __future__ import annotations

import pytest
from counter import Add, Counter, Get

from spawned import NoProc
from spawned.testing import TestRuntime


async def test_counts_what_is_cast(spawned_runtime: TestRuntime) -> None:
    counter = await spawned_runtime.start(Counter(start=10))
    counter.cast(Add(5))
    counter.cast(Add(2))
    assert await counter.call(Get()) == 17  # casts from one sender arrive in order


async def test_a_bad_cast_crashes_it(spawned_runtime: TestRuntime) -> None:
    counter = await spawned_runtime.start(Counter())
    counter.cast(Add(-1))
    reason = await counter.join()  # wait for the exit, never sleep
    assert isinstance(reason, ValueError)
    with pytest.raises(NoProc):
        await counter.call(Get())


@pytest.mark.spawned_backends("threads")
async def test_only_on_threads(spawned_runtime: TestRuntime) -> None:
    assert spawned_runtime.backend == "threads"
    counter = await spawned_runtime.start(Counter(), name="counter")
    assert spawned_runtime.whereis("counter") == counter
