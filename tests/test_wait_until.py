"""``spawned.testing.wait_until``: waits for a predicate, and names it when it gives up."""

from __future__ import annotations

import threading

import pytest

from spawned.testing import wait_until


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_returns_the_true_value_once_another_thread_makes_it_true(anyio_backend: str) -> None:
    box: list[int] = []
    thread = threading.Thread(target=box.append, args=(7,))
    thread.start()
    assert await wait_until(lambda: box and box[0]) == 7
    thread.join()


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_a_timeout_names_the_predicate(anyio_backend: str) -> None:
    def never_true() -> bool:
        return False

    with pytest.raises(TimeoutError, match=r"never_true was still false after 0\.01 s"):
        await wait_until(never_true, timeout=0.01)
    with pytest.raises(TimeoutError, match=r"lambda: 1 > 2"):
        await wait_until(lambda: 1 > 2, timeout=0.01)  # noqa: PLR0133 - never true on purpose


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan")])
async def test_a_bad_timeout_is_refused(anyio_backend: str, bad: float) -> None:
    with pytest.raises(ValueError, match="timeout must be a number of seconds > 0"):
        await wait_until(lambda: True, timeout=bad)


@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_an_awaitable_predicate_is_awaited(anyio_backend: str) -> None:
    looks: list[int] = []

    async def third_look() -> int | None:
        looks.append(len(looks))
        return len(looks) if len(looks) >= 3 else None

    assert await wait_until(third_look) == 3
    looks.clear()
    with pytest.raises(TimeoutError, match="third_look"):
        await wait_until(third_look, timeout=0.001)  # its first sleep reaches the timeout
