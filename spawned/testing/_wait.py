"""``wait_until``: the one way a test waits for a condition nothing announces."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar, overload

import anyio

T = TypeVar("T")

POLL = 0.001
"""Seconds between two looks at the predicate."""


@overload
async def wait_until(predicate: Callable[[], Awaitable[T]], timeout: float = 5.0) -> T: ...
@overload
async def wait_until(predicate: Callable[[], T], timeout: float = 5.0) -> T: ...
async def wait_until(predicate: Callable[[], object], timeout: float = 5.0) -> object:
    """Wait until ``predicate()`` is true, looking every millisecond; its (true) value.

    For a condition no message, ``Down``, reply or ``join()`` tells you about (a list
    another thread appends to, a counter in a server's state). Prefer waiting on the event
    itself when there is one. The timeout is on the running loop's clock (virtual under
    trio's ``MockClock``), and works with every backend's ``TestRuntime``.

    Args:
        predicate: Called with no arguments on the event loop's thread; must not block.
            It may return an awaitable (``lambda: handle.call("count")``, or an
            ``async def``), whose result is then the value tested.
        timeout: Seconds to wait before giving up (``> 0``).

    Raises:
        TimeoutError: ``predicate()`` was still false after ``timeout`` seconds; the
            message names the predicate (its source, for a lambda).
        ValueError: ``timeout`` is not a number of seconds ``> 0``.
    """
    if not timeout > 0:
        msg = f"wait_until's timeout must be a number of seconds > 0, got {timeout!r}"
        raise ValueError(msg)
    with anyio.move_on_after(timeout):
        while True:
            value = predicate()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value
            await anyio.sleep(POLL)
    msg = f"wait_until: {_describe(predicate)} was still false after {timeout} s"
    raise TimeoutError(msg)


def _describe(predicate: Callable[..., object]) -> str:
    name = getattr(predicate, "__qualname__", None)
    if name is None or name.endswith("<lambda>"):
        try:
            return inspect.getsource(predicate).strip()
        except (OSError, TypeError):
            return repr(predicate)
    return name
