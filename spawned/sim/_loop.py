"""The deterministic asyncio event loop a simulated run turns on.

This is the one module of ``spawned.sim`` that touches asyncio directly (kept so by
``tests/core/test_layering.py``), as ``tasks/_native.py`` is for ``spawned.tasks``.

:class:`SimLoop` is an ``asyncio.SelectorEventLoop`` with two changes:

- ``time()`` is virtual: it starts at 0 and moves only when the simulator moves it.
- its selector never waits. asyncio asks the selector for I/O with a timeout of 0 while
  callbacks are ready (or a timer is due), and with a longer timeout (or none) when the
  loop has nothing to do. That second case is a *quiescent point*: the selector hands
  control to the simulator (``on_quiet``), which makes its next choice, deliver one message
  in flight (which readies the task that waits for it) or move the clock to the next timer
  (which asyncio then fires), and returns no I/O events.

asyncio's ready queue is FIFO and its timer heap is ordered by deadline, so with a virtual
clock and one thread the loop itself is deterministic. Anything that would make it depend
on the real world is refused: ``run_in_executor`` (threads) raises ``SimulationError``.
"""

from __future__ import annotations

import asyncio
import math
import selectors
import weakref
from collections.abc import Callable, Coroutine
from typing import Any, NoReturn, cast

from ._errors import SimulationError


class _QuietSelector(selectors.SelectSelector):
    """A selector that never waits: at a quiescent point it calls the simulator."""

    def __init__(self, on_quiet: Callable[[], None]) -> None:
        super().__init__()
        self._on_quiet = on_quiet

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        """No I/O ever happens; with nothing ready (``timeout`` not 0), the simulator acts."""
        if timeout is None or timeout > 0:
            self._on_quiet()
        return []


class SimLoop(asyncio.SelectorEventLoop):
    """An event loop on a virtual clock, whose idle moments belong to the simulator."""

    def __init__(self, on_quiet: Callable[[], None]) -> None:
        super().__init__(selector=_QuietSelector(on_quiet))
        self._virtual_now = 0.0
        self.tasks: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()
        """The run's tasks still referenced: ``drive`` marks their outcome seen after an interrupt."""
        self.set_task_factory(self._make_task)

    def _make_task(self, loop: asyncio.AbstractEventLoop, coro: Any, **options: Any) -> asyncio.Task[Any]:
        task = asyncio.Task(coro, loop=loop, **options)
        self.tasks.add(task)
        return task

    def time(self) -> float:
        """The virtual clock, in seconds since the run began."""
        return self._virtual_now

    def advance(self, when: float) -> None:
        """Move the clock forward to ``when`` (never backwards)."""
        self._virtual_now = max(self._virtual_now, when)

    def next_timer(self) -> float | None:
        """The deadline of the earliest pending timer (``call_at``/``call_later``), or ``None``.

        A timer at infinity (``anyio.sleep_forever``, ``asyncio.sleep(math.inf)``) never
        fires: it does not count.
        """
        scheduled = cast("list[asyncio.TimerHandle]", getattr(self, "_scheduled"))  # noqa: B009 - asyncio's own heap
        if not scheduled:
            return None
        head = scheduled[0]
        when = (
            head.when()
            if not head.cancelled()
            else min((handle.when() for handle in scheduled if not handle.cancelled()), default=math.inf)
        )
        return None if when == math.inf else when

    def armed_timers(self) -> tuple[float, ...]:
        """The deadlines of every pending timer, in order (a part of the simulated state)."""
        scheduled = cast("list[asyncio.TimerHandle]", getattr(self, "_scheduled"))  # noqa: B009 - asyncio's own heap
        return tuple(sorted(handle.when() for handle in scheduled if not handle.cancelled()))

    def run_in_executor(self, executor: Any, func: Callable[..., Any], *args: Any) -> NoReturn:
        """Refused: a thread pool is real concurrency, which a simulation cannot order."""
        del executor, args
        msg = (
            f"run_in_executor({func!r}) inside spawned.sim.run: a thread pool runs outside the "
            "simulation and would make the run nondeterministic; do the work in the callback "
            "(its duration is not simulated) or model the slow operation as a server that "
            "replies after send_after"
        )
        raise SimulationError(msg)


def in_running_loop() -> bool:
    """Whether the calling thread is inside a running asyncio (or trio) event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        return True
    import sys  # noqa: PLC0415 - only to see whether trio is loaded at all

    trio_module = sys.modules.get("trio")
    return trio_module is not None and trio_module.lowlevel.in_trio_run()


def drive(loop: SimLoop, main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` on ``loop`` to the end, then cancel and finish whatever tasks remain,
    close asynchronous generators and close the loop.

    A ``KeyboardInterrupt`` or ``SystemExit`` raised in a task leaves the loop at once, before
    asyncio looks at the task's outcome; it is raised here, and every task of the run that has
    ended is marked as seen (asyncio would otherwise log "Task exception was never retrieved"
    for the task it came from, and for the tasks it ended on its way out).
    """
    interrupted = False
    try:
        loop.run_until_complete(main)
    except (KeyboardInterrupt, SystemExit):
        interrupted = True
        raise
    finally:
        try:
            leftover = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in leftover:
                task.cancel()
            if leftover:
                loop.run_until_complete(asyncio.gather(*leftover, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        except (KeyboardInterrupt, SystemExit):
            interrupted = True
            raise
        finally:
            if interrupted:
                for task in loop.tasks:
                    if task.done() and not task.cancelled():
                        task.exception()
            loop.close()
