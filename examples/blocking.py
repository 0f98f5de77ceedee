"""Blocking code off the loop: a server calling ``time.sleep`` does not stop a ticker.

On tasks the sleeper is started with ``on_thread=True``, so its callbacks run on a thread
of their own while the ticker keeps ticking on the event loop. On threads every server
has its own thread anyway.

Run: python examples/blocking.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

import time
from typing import Any

from _cli import run_example

from spawned import Caller, GenServer, Reply, tasks, threads

PERIOD = 0.1
NAP = 1.05
AT_LEAST = 9


# --8<-- [start:server]
class Ticker(GenServer[str, None, int]):
    """Counts ticks of a 100 ms interval; a call returns the count so far."""

    def init(self) -> None:
        self.ticks = 0
        self.send_interval(PERIOD, "tick")

    def handle_call(self, msg: str, caller: Caller[int]) -> Reply[int]:
        return Reply(self.ticks)

    def handle_info(self, msg: object) -> None:
        self.ticks += 1


class Sleeper(GenServer[str, None, str]):
    """Blocks its thread, as a database driver or a legacy library might."""

    def handle_call(self, msg: str, caller: Caller[Any]) -> Reply[str]:
        time.sleep(NAP)
        return Reply("rested")


# --8<-- [end:server]


def summary(before: int, after: int) -> None:
    ticked = after - before
    if ticked < AT_LEAST:
        raise SystemExit(f"only {ticked} ticks while the sleeper slept; the loop was blocked")
    print(f"ticks while blocked: at least {AT_LEAST}")


# --8<-- [start:tasks]
async def main_tasks() -> None:
    ticker = await tasks.start(Ticker())
    sleeper = await tasks.start(Sleeper(), on_thread=True)
    before = await ticker.call("count")
    print("sleeper:", await sleeper.call("nap"))
    summary(before, await ticker.call("count"))


# --8<-- [end:tasks]


# --8<-- [start:threads]
def main_threads() -> None:
    ticker = threads.start(Ticker())
    sleeper = threads.start(Sleeper())
    before = ticker.call("count")
    print("sleeper:", sleeper.call("nap"))
    summary(before, ticker.call("count"))


# --8<-- [end:threads]


def main(argv: list[str] | None = None) -> None:
    run_example(main_tasks, main_threads, argv, __doc__)


# --8<-- [start:expected]
EXPECTED = """\
sleeper: rested
ticks while blocked: at least 9
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
